// Register access through the table of jit/context.ts (armLo, armHi): where each eBPF register's two words are,
// loading them into scratch registers and storing results back, with what the emitters know (hiZero: high words
// known to be zero; a register just stored is not loaded again, two word accesses become one LDRD / STRD; a word
// a scratch register still holds since code here was last entered from elsewhere (a32/code.ts holds()) is not
// loaded again; a zero high word of a loop copy's ARM register may be written late, latehigh.ts).
// Every instruction family (alu, jumps, memory, calls, fuse) reads and writes eBPF registers through here.

import { R0, R1, R11, R2, R3, R9, addImm, ldr, ldrd, movImm, movReg, str, strd } from "../a32/encoder";
import { Context, immOf, opcode, srcOf } from "./context";
import { loopConstant } from "./loopregs";
import { liveAt } from "./liveness";
import { CALL_HELPER, CALL_LOCAL, HELPER_FOR_EACH_MAP_ELEM, HELPER_LOOP, OP_CALLX, STACK_SIZE } from "../../isa";
import { S_REGS, S_STACK } from "../../../targets/arm32/image";

/** r10 where it is the same everywhere (fixedFrame): the entry frame's top, this far above r11. */
export const FRAME_TOP: i32 = S_STACK + STACK_SIZE;

/**
 * Whether r10 holds the entry frame's top wherever the image's code runs: nothing makes a deeper frame (no
 * bpf-to-bpf call, no callx, no bpf_loop or for_each_map_elem, whose callbacks may be any instruction a function
 * handle names). Then r10 is r11 + FRAME_TOP: one ADD, or none where an access folds it into its offset, instead of
 * a load from the register file. Found once per translation (both passes see the same program).
 */
export function fixedFrame(c: Context): bool {
  if (c.frameFixed < 0) {
    c.frameFixed = 1;
    for (let i = 0; i < c.count; i++) {
      const op = opcode(c, i);
      if (op == 0x18) { i++; continue; }
      if (op == <u32>OP_CALLX || op == 0x85 && (srcOf(c, i) == CALL_LOCAL ||
        srcOf(c, i) == CALL_HELPER && (immOf(c, i) == HELPER_LOOP || immOf(c, i) == HELPER_FOR_EACH_MAP_ELEM))) c.frameFixed = 0;
    }
  }
  return c.frameFixed == 1;
}

/** Both words of rn in ARM registers (a loop copy may keep only the low word there: loInArm). */
export function inArm(c: Context, r: i32): bool { return unchecked(c.armLo[r]) >= 0 && unchecked(c.armHi[r]) >= 0; }
export function loInArm(c: Context, r: i32): bool { return unchecked(c.armLo[r]) >= 0; }
export function hiInArm(c: Context, r: i32): bool { return unchecked(c.armHi[r]) >= 0; }
export function known0(c: Context, r: i32): bool { return ((c.hiZero >> <u32>r) & 1) != 0; }

/** The ARM register holding rn's low word: its own, or tmp after loading it. */
export function lo(c: Context, r: i32, tmp: i32): i32 {
  if (loInArm(c, r)) return unchecked(c.armLo[r]);
  if (r == 10 && fixedFrame(c)) {
    c.emit(addImm(tmp, R11, FRAME_TOP));
    return tmp;
  }
  const slot = S_REGS + 8 * r;
  if (c.holds(tmp, slot, c.forwardFrom)) return tmp;
  if (!stored(c, str(tmp, R11, slot)) && !((tmp & 1) == 0 && stored(c, strd(tmp, R11, slot)))) c.emit(ldr(tmp, R11, slot));
  return tmp;
}
export function hi(c: Context, r: i32, tmp: i32): i32 {
  if (hiInArm(c, r)) {
    writeLate(c, r); // a zero high word left for later (latehigh.ts) is read here
    return unchecked(c.armHi[r]);
  }
  if (c.hiOwed == r) return R1; // loaded just before, not stored yet (owedhigh.ts)
  const slot = S_REGS + 8 * r;
  if (c.holds(tmp, slot + 4, c.forwardFrom)) return tmp;
  if (stored(c, str(tmp, R11, slot + 4)) || (tmp & 1) != 0 && stored(c, strd(tmp - 1, R11, slot))) return tmp;
  if (!pairWith(c, ldr(tmp - 1, R11, slot), tmp)) c.emit(ldr(tmp, R11, slot + 4));
  return tmp;
}

/**
 * rn's high word to read (never to write): hi(), or where it is known to be 0 but kept in the register file, an ARM
 * register known to hold 0 (another eBPF register's zero high word) instead of a load. Not r0-r3 or the scratch
 * register: a constant operand (fuse.ts) points a register's words at scratch registers it may leave unset.
 */
export function hiRead(c: Context, r: i32, tmp: i32): i32 {
  if (!hiInArm(c, r) && known0(c, r)) {
    for (let q = 0; q < 11; q++) {
      const z = unchecked(c.armHi[q]);
      if (known0(c, q) && z > R3 && z != c.XR && ((c.hiLate >> <u32>q) & 1) == 0) return z;
    }
  }
  return hi(c, r, tmp);
}

/**
 * An ARM register known to hold 0, for a zero high word to be stored from: another eBPF register's zero high word,
 * or -1. As in hiRead, not r0-r3 or the scratch register; and not a register whose words may not hold what is
 * known of its value (a zero high word is also stored at a flush, where the knowledge runs ahead of the code): a
 * byte-assembled value not yet emitted or its zero high word not yet written (bytes.ts), or a value nothing reads
 * any more (liveness.ts: its code may have been dropped or left out, bytes.ts, unread.ts).
 */
function zeroHolder(c: Context): i32 {
  for (let q = 0; q < 11; q++) {
    const z = unchecked(c.armHi[q]);
    if (known0(c, q) && z > R3 && z != c.XR && ((c.byteMask | c.byteHiOwed | c.hiLate) >> <u32>q & 1) == 0 &&
      (q == 10 || liveAt(c, c.insnIndex, q))) return z;
  }
  return -1;
}

/**
 * The ARM register the last instruction stored rn's high word from, to the register file (a STR of that word, or
 * a STRD of both words), when nothing can reach here without it; else -1. A 64-bit store of a value just computed
 * (clang's counters spilled to the stack: load, add, store) stores that register instead of loading the word back.
 * r1 where the word is owed to the register file (owedhigh.ts): the add before left it there unstored.
 */
export function hiJustStored(c: Context, r: i32): i32 {
  if (c.hiOwed == r) return R1;
  if (hiInArm(c, r) || c.pos - 4 < c.forwardFrom) return -1;
  const slot = S_REGS + 8 * r;
  const last = c.lastWord;
  const rt = <i32>((last >> 12) & 15);
  if ((last & ~(<u32>0xf000)) == str(R0, R11, slot + 4)) return rt;
  if ((last & ~(<u32>0xf000)) == strd(R0, R11, slot)) return rt + 1;
  return -1;
}

/** Code emitted from here on may be reached by a jump: no pairing or forwarding with what comes before. */
export function barrier(c: Context): void {
  c.insnStart = c.pos;
  c.forwardFrom = c.pos;
  c.forget();
}

/**
 * Whether the last instruction was `store` (a STR or STRD of the register a load would load, to the same word)
 * and nothing can reach the load without it: then the register still holds the value.
 */
function stored(c: Context, store: u32): bool {
  return c.lastWord == store && c.pos - 4 >= c.forwardFrom;
}

/**
 * An access to a high word in the register file right after the same access to its low word, from and to
 * consecutive ARM registers (even, odd), becomes one LDRD / STRD: the last instruction, `first`, is replaced.
 * Only within one eBPF instruction's code, where nothing can branch between the two.
 */
function pairWith(c: Context, first: u32, rh: i32): bool {
  if ((rh & 1) == 0 || rh > R9 || c.lastWord != first || c.pos - 4 < c.insnStart) return false;
  c.rewind(c.pos - 4);
  const off = <i32>(first & 0xfff);
  c.emit((first & 0x00100000) != 0 ? ldrd(rh - 1, R11, off) : strd(rh - 1, R11, off));
  return true;
}
/** Register r's zero high word written where it was left for later (latehigh.ts), if it was. */
export function writeLate(c: Context, r: i32): void {
  const bit = <u32>1 << <u32>r;
  if ((c.hiLate & bit) == 0) return;
  c.hiLate &= ~bit;
  c.emit(movImm(unchecked(c.armHi[r]), 0));
}

/** Where to compute rn's new low / high word. */
export function loDst(c: Context, r: i32): i32 { return loInArm(c, r) ? unchecked(c.armLo[r]) : R0; }
export function hiDst(c: Context, r: i32): i32 { return hiInArm(c, r) ? unchecked(c.armHi[r]) : R1; }

export function setLo(c: Context, r: i32, src: i32): void {
  if (loInArm(c, r)) {
    if (unchecked(c.armLo[r]) != src) c.emit(movReg(unchecked(c.armLo[r]), src));
  } else c.emit(str(src, R11, S_REGS + 8 * r));
}
export function setHi(c: Context, r: i32, src: i32): void {
  c.hiZero &= ~(<u32>1 << <u32>r);
  c.hiLate &= ~(<u32>1 << <u32>r); // written now
  if (c.hiOwed == r) c.hiOwed = -1; // this store replaces the one owed
  if (c.hiKeep == r && src == R1 && !hiInArm(c, r)) {
    // a word the next instruction reads from r1 (owedhigh.ts): stored later, if at all
    c.hiOwed = r;
    c.hiOwedTo = c.insnIndex + 1;
    return;
  }
  if (hiInArm(c, r)) {
    if (unchecked(c.armHi[r]) != src) c.emit(movReg(unchecked(c.armHi[r]), src));
  } else if (!pairWith(c, str(src - 1, R11, S_REGS + 8 * r), src)) c.emit(str(src, R11, S_REGS + 8 * r + 4));
}
export function setHiZero(c: Context, r: i32): void {
  if (known0(c, r)) return;
  if (hiInArm(c, r) && c.lateOk) c.hiLate |= <u32>1 << <u32>r; // written when needed (latehigh.ts)
  else if (hiInArm(c, r)) c.emit(movImm(unchecked(c.armHi[r]), 0));
  else c.emit(str(zeroIn(c), R11, S_REGS + 8 * r + 4));
  c.hiZero |= <u32>1 << <u32>r;
}

/**
 * An ARM register holding 0, to store a zero high word from: another eBPF register's zero high word (zeroHolder),
 * or the scratch register when a zero high word stored just before left 0 in it (code.ts holdsZero), else the
 * scratch register after setting it. A 32-bit result or a narrow load into a register whose high word lives in the
 * register file then costs one store, not two instructions.
 */
function zeroIn(c: Context): i32 {
  const z = zeroHolder(c);
  if (z >= 0) return z;
  if (!c.holdsZero(c.XR, c.forwardFrom)) c.emit(movImm(c.XR, 0));
  return c.XR;
}
/** Copy rn into (rl, rh). */
export function pairInto(c: Context, r: i32, rl: i32, rh: i32): void {
  const l = lo(c, r, rl);
  if (l != rl) c.emit(movReg(rl, l));
  const h = hi(c, r, rh);
  if (h != rh) c.emit(movReg(rh, h));
}

/** A register holding constant v: the one a loop copy keeps it in, else tmp after setting it. */
export function constIn(c: Context, tmp: i32, v: u32): i32 {
  const kept = loopConstant(c, <i32>v);
  if (kept >= 0) return kept;
  c.emitConst(tmp, v);
  return tmp;
}

/** Second operand, low word: a register, or the immediate in r2. */
export function operandLo(c: Context, x: bool, src: i32, imm: i32): i32 {
  if (x) {
    // r0 still holds src's low word (an instruction before stored or loaded it): the emitters have read (or found)
    // the first operand before they ask for the second, and write r0 only after using it
    const slot = S_REGS + 8 * src;
    if (!loInArm(c, src) && (stored(c, str(R0, R11, slot)) || c.holds(R0, slot, c.forwardFrom))) return R0;
    return lo(c, src, R2);
  }
  const kept = loopConstant(c, imm);
  if (kept >= 0) return kept;
  c.emitConst(R2, <u32>imm);
  return R2;
}
export function operandHi(c: Context, x: bool, src: i32, imm: i32): i32 {
  // r1 still holds src's high word (a pair stored from r0, r1 before): as r0 above, the emitters read the first
  // operand's high word before they ask for this one and write r1 only after using it
  if (x && !hiInArm(c, src) && c.holds(R1, S_REGS + 8 * src + 4, c.forwardFrom)) return R1;
  if (x) return hi(c, src, R3);
  c.emitConst(R3, imm < 0 ? 0xffffffff : 0);
  return R3;
}
export function operandKnown0(c: Context, x: bool, src: i32, imm: i32): bool { return x ? known0(c, src) : imm >= 0; }
