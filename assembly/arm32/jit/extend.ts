// Sign and zero extensions written as a pair of shifts. eBPF before v4 has no MOVSX, so clang widens a signed
// narrow value with a shift left and back (`(long)i` of an int: `r1 <<= 32; r1 s>>= 32`; a short:
// `w1 <<= 16; w1 s>>= 16`, or `r1 <<= 48; r1 s>>= 48`), and cuts one down the same way with a logical shift back.
// Instruction by instruction, a 64-bit pair moves both words twice; as one, the low word takes at most one ARM
// instruction (SXTH, SXTB, UXTH, AND #255, or a shift pair for other widths, none at all for 32 bits) and the high
// word one ASR #31 (a sign extension) or nothing (known zero):
//
//   [mov d, s]          (ALU64 or ALU32, a register: only s's low word matters below)
//   lsh  d, k           (ALU64, 32 <= k <= 63; or ALU32, k = 16 or 24)
//   arsh d, k | rsh d, k (the same class and k; none of the two or three a block start)
//
// Right after the load of a short or a char into that register (clang's `ldxh d; lsh32 d, 16; arsh32 d, 16` for a
// signed short read), the load does the low word's work: LDRH/LDRB already zero-extend, and become LDRSH/LDRSB to
// sign-extend (foldIntoLoad).

import { OP_AND, R0, SH_ASR, SH_LSL, SH_LSR, immRot, opImm, shiftImm, sxtb, sxth, uxth } from "../a32/encoder";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { hiDst, lo, loDst, setHi, setHiZero, setLo } from "./regs";
import { inLoopCopy, planned } from "./copies";
import { inOwnFrame, sizeBytes } from "../analysis/loops";
import { ALU_ARSH, ALU_LSH, ALU_MOV, ALU_RSH, CLS_ALU, CLS_ALU64, CLS_LDX, MODE_MEM, MODE_MEMSX, SRC_X } from "../../isa";

/** Whether i and i + 1 are `lsh d, k` and `arsh d, k` or `rsh d, k` as above. */
function isShiftBack(c: Context, i: i32): bool {
  if (i + 1 >= c.count || (flagOf(c, i + 1) & F_LEADER) != 0) return false;
  const first = opcode(c, i);
  const cls = first & 7;
  if (first != (cls | ALU_LSH) || (cls != CLS_ALU64 && cls != CLS_ALU) || dstOf(c, i) >= 10) return false;
  const k = immOf(c, i);
  if (cls == CLS_ALU64 ? k < 32 || k > 63 : k != 16 && k != 24) return false;
  const back = opcode(c, i + 1);
  return (back == (cls | ALU_ARSH) || back == (cls | ALU_RSH)) && dstOf(c, i + 1) == dstOf(c, i) &&
    immOf(c, i + 1) == k && offOf(c, i) == 0 && offOf(c, i + 1) == 0;
}

/** Whether i is a copy into d (a register, no sign extension) that the extension of d at i + 1 uses. */
function isCopyInto(c: Context, i: i32): bool {
  const mov = opcode(c, i);
  const cls = mov & 7;
  return (cls == CLS_ALU64 || cls == CLS_ALU) && mov == (cls | ALU_MOV | SRC_X) && offOf(c, i) == 0 &&
    srcOf(c, i) < 10 && dstOf(c, i) == dstOf(c, i + 1) && (flagOf(c, i + 1) & F_LEADER) == 0;
}

/** The instruction slots of the extension starting at i: 3 with a copy in front, 2 without, 0 when none does. */
export function extensionLength(c: Context, i: i32): i32 {
  if (isShiftBack(c, i)) return 2;
  return i + 2 < c.count && isShiftBack(c, i + 1) && isCopyInto(c, i) ? 3 : 0;
}

/** Emits the extension at i (extensionLength). */
export function emitExtension(c: Context, i: i32): void {
  const copied = !isShiftBack(c, i);
  const at = copied ? i + 1 : i;
  const d = dstOf(c, at);
  const s = copied ? srcOf(c, i) : d;
  const wide = (opcode(c, at) & 7) == CLS_ALU64;
  const signed = (opcode(c, at + 1) & 0xf0) == ALU_ARSH;
  // the bits kept of s's low word: 64 - k of a 64-bit value, 32 - k of a 32-bit one
  const bits = (wide ? 64 : 32) - immOf(c, at);
  const sl = lo(c, s, R0);
  // the register holding d's new low word
  let value = sl;
  if (bits == 32) {
    if (s != d) setLo(c, d, sl);
  } else {
    value = loDst(c, d);
    if ((bits == 16 || bits == 8) && value == sl && foldIntoLoad(c, sl, bits, signed)) {
      // the narrow load just before left the value, or loads it extended now
    } else if (bits == 16) c.emit(signed ? sxth(value, sl) : uxth(value, sl));
    else if (bits == 8 && signed) c.emit(sxtb(value, sl));
    else if (bits == 8) c.emit(opImm(OP_AND, value, sl, immRot(0xff)));
    else {
      c.emit(shiftImm(SH_LSL, value, sl, <u32>(32 - bits)));
      c.emit(shiftImm(signed ? SH_ASR : SH_LSR, value, value, <u32>(32 - bits)));
    }
    setLo(c, d, value);
  }
  if (!wide || !signed) {
    setHiZero(c, d);
    return;
  }
  const dh = hiDst(c, d);
  c.emit(shiftImm(SH_ASR, dh, value, 31));
  setHi(c, d, dh);
}

/**
 * clang also spreads a char's sign extension over the instructions around it (`ldxb d; lsh32 d, 24; ...;
 * arsh32 d, 24`, loads of other bytes scheduled between): where lsh32 d, 24 at i follows the load of d and the next
 * instruction that names d is arsh32 d, 24, with only ALU instructions, lddw and loads that need no check naming
 * other registers between and no block start from i on, the load becomes LDRSB (foldIntoLoad) and neither shift emits anything. d holds its
 * extended value early; nothing reads it until the ARSH and nothing between can leave. The ARSH learns it from
 * `spreadSigned` (set here, cleared there: nothing between enters or leaves).
 */
export function foldSpreadExtension(c: Context, i: i32, dl: i32): bool {
  if (i < 1 || opcode(c, i) != (CLS_ALU | ALU_LSH) || immOf(c, i) != 24 || offOf(c, i) != 0) return false;
  const d = dstOf(c, i);
  if (opcode(c, i - 1) != 0x71 || dstOf(c, i - 1) != d || (flagOf(c, i) & F_LEADER) != 0) return false;
  for (let j = i + 1; j < c.count; j++) {
    const op = opcode(c, j);
    if ((flagOf(c, j) & F_LEADER) != 0) return false;
    if (op == (CLS_ALU | ALU_ARSH) && dstOf(c, j) == d && immOf(c, j) == 24 && offOf(c, j) == 0) {
      // not when an operation with another register follows it: that pair is one instruction with the ASR in its
      // operand (fuse.ts isShiftPair), which would shift the extended value again
      const next = j + 1 < c.count ? opcode(c, j + 1) : 0;
      if ((next & 7) == CLS_ALU && (next & SRC_X) != 0 && dstOf(c, j + 1) == d && srcOf(c, j + 1) != d) return false;
      if (!foldIntoLoad(c, dl, 8, true)) return false;
      c.spreadSigned |= <u32>1 << <u32>d;
      return true;
    }
    const cls = op & 7;
    if (cls == CLS_LDX) {
      // a load with no check (a loop copy's planned one, or in the frame): it cannot leave the code here
      const mode = op & 0xe0;
      if (mode != MODE_MEM && mode != MODE_MEMSX || dstOf(c, j) == d || srcOf(c, j) == d) return false;
      if (!(inLoopCopy(c) && planned(c, j)) && !inOwnFrame(srcOf(c, j), offOf(c, j), sizeBytes(op & 0x18))) return false;
      continue;
    }
    if (cls != CLS_ALU && cls != CLS_ALU64 && op != 0x18) return false;
    if (dstOf(c, j) == d || (op & SRC_X) != 0 && op != 0x18 && srcOf(c, j) == d) return false;
    if (op == 0x18) j++;
  }
  return false;
}

/** Whether arsh32 d, 24 at i finds d extended already (foldSpreadExtension): it emits nothing. */
export function spreadExtended(c: Context, i: i32): bool {
  const bit = <u32>1 << <u32>dstOf(c, i);
  if (opcode(c, i) != (CLS_ALU | ALU_ARSH) || immOf(c, i) != 24 || (c.spreadSigned & bit) == 0) return false;
  c.spreadSigned &= ~bit;
  return true;
}

/**
 * A shift back by 16 or 24 (ASR, or LSR for rsh) of rd whose shift left is the word just emitted, with nothing
 * entering between (a byte-assembled char, bytes.ts, is emitted as LDRB and LSL where the ARSH reads it): the LSL
 * taken back and the pair one SXTB, SXTH, UXTH or AND #255, or the load before it extending (foldIntoLoad).
 */
export function foldShiftBack(c: Context, rd: i32, n: u32, signed: bool): bool {
  // (wordBack: not before a label or a trial's checkpoint)
  if ((n != 16 && n != 24) || c.wordBack(1) != shiftImm(SH_LSL, rd, rd, n)) return false;
  const limit = max(c.blockStart, max(c.forgotAt, c.skipEnd));
  if (c.pos - 4 < limit) return false;
  c.rewind(c.pos - 4);
  const bits = 32 - <i32>n;
  if (c.pos - 8 >= limit && foldIntoLoad(c, rd, bits, signed)) return true;
  if (bits == 16) c.emit(signed ? sxth(rd, rd) : uxth(rd, rd));
  else c.emit(signed ? sxtb(rd, rd) : opImm(OP_AND, rd, rd, immRot(0xff)));
  return true;
}

/**
 * Whether the word just emitted, or the one before it when that one is what regs.ts emits for a zero high word (a
 * MOV #imm or STR to the register file, of another ARM register), is an unconditional LDRH (bits 16) or LDRB (bits
 * 8) into rt with nothing jumping in after it: rt's low `bits` are then extended as they are for a zero extension,
 * and with the load made LDRSH/LDRSB for a sign extension (LDRSB has no 12-bit offset nor shifted index: an LDRB
 * using one stays, and the SXTB follows).
 */
function foldIntoLoad(c: Context, rt: i32, bits: i32, signed: bool): bool {
  let back = 1;
  let w = c.wordBack(1);
  if (leavesAlone(w, rt)) w = c.wordBack(++back);
  if (w >>> 28 != 0xe || ((w >>> 12) & 15) != <u32>rt) return false;
  if (bits == 16) {
    if ((w & 0x0e1000f0) != 0x001000b0) return false; // LDRH, an immediate or a register offset
    if (signed) c.replaceBack(back, w | 0x40); // LDRSH
    return true;
  }
  const immediate = (w & 0x0e500000) == 0x04500000; // LDRB rt, [rn, #imm12]
  const register = (w & 0x0e500ff0) == 0x06500000; // LDRB rt, [rn, rm] (no shift)
  if (!immediate && !register) return false;
  if (!signed) return true;
  if (immediate && (w & 0xfff) > 255) return false;
  // LDRSB: bits 27-25 000, bit 22 the immediate form's, bits 7-4 1101, an 8-bit immediate split around them
  const base = w & ~0x0e000fff;
  const sb = immediate ? base | ((w & 0xf0) << 4) | 0xd0 | (w & 0xf) : (base & ~0x00400000) | 0xd0 | (w & 0xf);
  c.replaceBack(back, sb);
  return true;
}

/** Whether w is an unconditional MOV rd, #imm or STR rd, [r11, #imm] with rd not rt (a zero high word's). */
function leavesAlone(w: u32, rt: i32): bool {
  if (w >>> 28 != 0xe || ((w >>> 12) & 15) == <u32>rt) return false;
  return (w & 0x0fef0000) == 0x03a00000 || (w & 0x0fff0000) == 0x058b0000;
}
