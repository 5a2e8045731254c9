// The interpreter's pre-decoded form of a program, built once when the program is installed (programAdd), so that
// the hot loop dispatches on a handler index instead of taking each opcode apart on every execution.
//
// One 32-byte record per eBPF slot, record i for instruction i, so a pc is still the ORIGINAL instruction index
// (fault reports, call frames and function handles need no mapping):
//   byte 0      handler index (H_*), one per operation and width, dense so that the loop's switch is a br_table
//   byte 1      dst register as a byte offset into REGS (dst * 8)
//   byte 2      a load's, store's or atomic's size in bytes; 1 for LD_IND (0 for LD_ABS)
//   byte 3      a handler's extra byte: the src register of atomics and LD_IND, the opcode of a bad instruction
//   bytes 4-7   i32: a jump's or call's target as the ADDRESS of its record (the loop follows records, not
//               indices), a memory offset, the offset of div/mod/movsx, the byte order of le/be (1 = swap)
//   bytes 8-15  the immediate, sign-extended to 64 bits; lddw's two halves joined
//   bytes 16-19 the address operand a is read from: the dst register, or what a fused mov put there
//   bytes 20-23 the address operand b is read from: the src register, or the immediate at bytes 8-15; picking
//               the address here spares the loop a choice between the two on every instruction
//   bytes 24-27 in an add fused with a jump, the address the jump's b is read from (R_C); in a mov fused with a
//               jump, the address the mov's value is read from
//   bytes 28-31 the instructions from this record to the end of its block, its own included (R_REM): the loop
//               charges the budget a block at a time, when a jump (or execute) enters it; see blockLengths
// lddw's second slot gets a record of its own (a bad instruction): the verifier refuses jumps into it, as before.
//
// Fused pairs: `mov rA, x` followed by an ALU operation on rA (add, shift, ...) is one record, the operation's
// own with a read from x: rA = x op b, the mov's write being overwritten anyway. The pair's record replaces the
// mov's (record i); record i + 1 stays the operation alone, so a jump into the second half still runs it. A fused
// record counts as its two instructions in its block's R_REM; when the budget does not cover a block, execute runs
// its instructions one at a time, unfused (decodeSingle), so the budget fault lands on the index it would without
// fusion. A 64-bit add on rA
// followed by a conditional jump on rA, the counter and test that close most loops, is fused the same way
// (fuseAddJump): the add's record gets the jump's handler less one, its target, and where its b is read. A byte
// load followed by a shift of that byte by an immediate, how compiled C assembles a word from bytes, is the load's
// record with a handler of its own, H_LDXB_LSH, and the shift count in place of the load's unused immediate
// (fuseByteShift); a fault in the load names the load's index. An or of the shifted byte into another register
// right after them, the word being assembled, joins them (H_LDXB_LSH_OR64, _OR32). A shift left and an arithmetic
// shift right of one register by immediates, how compiled C sign-extends a bit field or a narrow value, is one
// record too, with a mov into that register in front of them when there is one (fuseShiftPair: three
// instructions, whose case steps over two records). A 64-bit add and a load from the sum, how compiled C reads
// `base[i]`, is one record, also with a mov in front when there is one (fuseAddLoad); a load the loop cannot allow
// inline leaves the loop at the load's own record, the add done, so that a fault names the load. A mov and a
// conditional jump after it, on any registers, is one record too (fuseMovJump): the jump's a, b and target, the
// mov's dst, and where the mov's value is read, a jump operand that is the mov's dst being read from there.
//
// The records live on the heap next to the program's code and, like the code, in no region: a program that could
// write them could rewrite its own jumps behind the verifier's back (layout.ts, DECODED).
import {
  CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX,
  MODE_ATOMIC, SZ_W, SZ_H, SZ_B, SZ_DW, CALL_HELPER, CALL_LOCAL, OP_LDDW, ALU_MOV, ALU_END, ALU_LSH, ALU_ARSH, ALU_OR,
  JMP_JA, JMP_CALL, JMP_EXIT, INSN_SIZE,
} from "./isa";
import { FUSE_PAIRS } from "./fusion";
import { REGS } from "./layout";
import {
  RECORD_SIZE, RECORD_SHIFT, R_SIZE, R_EXTRA, R_TARGET, R_IMM, R_A, R_B, R_C, R_REM, H_ALU64, H_MOVSX64, H_MOVSX32,
  H_ALU32, H_JMP64, H_JMP32, H_JA, H_CALL_LOCAL, H_EXIT, H_LDDW, H_HELPER, H_ATOMIC, H_LDX, H_LDXSX, H_ST,
  H_LD_PACKET, H_LDXB_LSH, H_LDXB_LSH_OR64, H_LDXB_LSH_OR32, H_LSH_ARSH64, H_LSH_ARSH32, H_MOV_JMP64, H_MOV_JMP32,
  H_MOV_JA, H_BAD,
} from "./records";

/** Writes the records of the `count` instructions at `code` to `out`, then fuses the pairs it can. */
export function decodeProgram(code: u32, count: u32, out: u32): void {
  for (let pc: u32 = 0; pc < count; pc++) decodeOne(code + pc * INSN_SIZE, pc, count, out + pc * RECORD_SIZE, out);
  // Ascending, so record i + 1 is still the operation alone when record i is fused with it.
  if (FUSE_PAIRS)
    for (let pc: u32 = 0; pc + 1 < count; pc++) {
      const r = out + pc * RECORD_SIZE;
      const withMov = fuseMov(r, code + pc * INSN_SIZE);
      // A mov fused with the operation after it can take a third instruction: the one after that operation.
      const next = r + (withMov ? 2 : 1) * RECORD_SIZE;
      if (next < out + count * RECORD_SIZE && (fuseShiftPair(r, next, withMov) || fuseAddLoad(r, next, withMov)))
        continue;
      if (!withMov && !fuseByteShift(r, out + count * RECORD_SIZE) && !fuseMovJump(r)) fuseAddJump(r);
    }
  blockLengths(out, count);
}

/**
 * R_REM of every record, from the last: a block runs straight on from a record to the first jump (or call, exit,
 * helper or atomic: execute's), so a record counts one plus, unless it ends a block, the count of the slot after
 * it (after an lddw's two slots). A fused record so counts its second instruction through that one's own record.
 * A jump lands anywhere in a block and is charged from there on; a record that leaves the loop in the middle of
 * one hands back what follows it (execute).
 */
function blockLengths(out: u32, count: u32): void {
  for (let pc = count; pc-- > 0; ) {
    const r = out + pc * RECORD_SIZE;
    const h = <u32>load<u8>(r);
    const after = pc + (h == <u32>H_LDDW ? 2 : 1);
    // Jumps, calls and exits are the even handlers from H_JMP64 to H_LDDW (the odd ones are adds fused with a
    // jump); past H_LDDW, everything up to the loads (32-bit jumps, helpers, atomics).
    const ends = h > <u32>H_LDDW ? h < <u32>H_LDX - 2 : h >= <u32>H_JMP64 && (h & 1) == 0;
    store<u32>(r, 1 + (ends || after >= count ? 0 : load<u32>(out + after * RECORD_SIZE, R_REM)), R_REM);
  }
}

/** Instruction `pc` alone, unfused, into the record at `out`; the program's records are at `base`. */
export function decodeSingle(code: u32, pc: u32, count: u32, out: u32, base: u32): void {
  decodeOne(code + pc * INSN_SIZE, pc, count, out, base);
}

// The operations a mov is fused with (bits by operation >> 4): all but div, neg, mod and end, which rarely follow one,
// and mov, which makes the first one dead (compilers do not emit that).
const FUSABLE: u32 = 0x14f7;

/** Is handler `h` an ALU operation with a fused form? */
function fusable(h: u32): bool {
  const op = (h >= <u32>H_ALU32 ? h - <u32>H_ALU32 : h - <u32>H_ALU64) >> 1;
  return h < <u32>H_JMP64 && h != <u32>H_MOVSX64 && h != <u32>H_MOVSX32 && (FUSABLE & (1 << op)) != 0;
}

/**
 * `mov rA, x` at `r` and an ALU operation on rA after it become one record: rA = x op b, x an immediate at R_IMM
 * when the operation's b is a register (both immediates, which compilers fold, stay apart). True if they did.
 */
function fuseMov(r: u32, insn: u32): bool {
  const next = r + RECORD_SIZE;
  const h = <u32>load<u8>(r);
  const h2 = <u32>load<u8>(next);
  const rd = <u32>load<u8>(r, 1);
  const mov32 = h == <u32>(H_ALU32 + (ALU_MOV >> 3));
  if ((h != <u32>(H_ALU64 + (ALU_MOV >> 3)) && !mov32) || !fusable(h2)) return false;
  if (<u32>load<u8>(next, 1) != rd) return false;
  const fromReg = (load<u8>(insn) & 8) != 0;
  // The value the mov leaves in rA, and where it can be read: the source register itself when the mov is 64-bit
  // or the operation reads only the low 32 bits; a mov32's zero extension is not in any register.
  let from: u32;
  let imm: i64 = 0;
  const b = load<u32>(next, R_B);
  if (fromReg) {
    if (mov32 && h2 < <u32>H_ALU32) return false;
    from = load<u32>(r, R_B);
  } else {
    if (b == next + R_IMM) return false;
    imm = mov32 ? <i64>load<u32>(insn, 4) : load<i64>(r, R_IMM); // load<u32>: zero-extended
    from = r + R_IMM;
  }
  memory.copy(r, next, RECORD_SIZE);
  store<u8>(r, <u8>(h2 - 1));
  store<u32>(r, from, R_A);
  // b was the operation's own immediate (now copied here), rA (now x), or another register.
  store<u32>(r, b == next + R_IMM ? r + R_IMM : b == REGS + rd ? from : b, R_B);
  if (!fromReg) store<i64>(r, imm, R_IMM);
  return true;
}

/**
 * `ldxb rX, [rB+off]` at `r` and `lsh rX, k` (64-bit, or 32-bit with k <= 24, where the byte cannot reach bit
 * 32) after it, the byte-by-byte reads of compiled C, become one record: the load's own, with handler H_LDXB_LSH
 * and k in place of its immediate (unused by a load). When an `or rY, rX` follows them (before `end`), the word
 * being assembled, it joins them: H_LDXB_LSH_OR64 or _OR32, rY's address at R_C. True if they did.
 */
function fuseByteShift(r: u32, end: u32): bool {
  const next = r + RECORD_SIZE;
  const h2 = <u32>load<u8>(next);
  const k = load<i64>(next, R_IMM);
  if (<u32>load<u8>(r) != <u32>H_LDX + 3 * (SZ_B >> 3) || load<u32>(next, R_B) != next + R_IMM) return false;
  if (load<u8>(next, 1) != load<u8>(r, 1)) return false;
  const lsh32 = h2 == <u32>(H_ALU32 + (ALU_LSH >> 3));
  if (h2 != <u32>(H_ALU64 + (ALU_LSH >> 3)) && (!lsh32 || (k & 31) > 24)) return false;
  store<u8>(r, <u8>H_LDXB_LSH);
  store<i64>(r, k & (lsh32 ? 31 : 63), R_IMM); // the shift's own masking
  const or = next + RECORD_SIZE;
  if (or >= end || load<u32>(or, R_B) != REGS + <u32>load<u8>(r, 1)) return true;
  const h3 = <u32>load<u8>(or);
  if (h3 != <u32>(H_ALU64 + (ALU_OR >> 3)) && h3 != <u32>(H_ALU32 + (ALU_OR >> 3))) return true;
  store<u8>(r, <u8>(h3 < <u32>H_ALU32 ? H_LDXB_LSH_OR64 : H_LDXB_LSH_OR32));
  store<u32>(r, load<u32>(or, R_A), R_C);
  return true;
}

/**
 * `lsh rA, j` at `r` (or a mov into rA fused with it, `withMov`) and `arsh rA, k` of the same width at `next`, how
 * compiled C sign-extends a bit field or a narrow value, become one record: the lsh's own (with the mov's source as
 * a), with j in place of its immediate and k in place of its target (unused by an ALU operation), both masked as
 * the shifts mask them. True if they did.
 */
function fuseShiftPair(r: u32, next: u32, withMov: bool): bool {
  const op = <u32>load<u8>(r) + (withMov ? 1 : 0); // the shift's own handler
  const wide = op == <u32>(H_ALU64 + (ALU_LSH >> 3));
  if (!wide && op != <u32>(H_ALU32 + (ALU_LSH >> 3))) return false;
  if (load<u32>(r, R_B) != r + R_IMM || load<u32>(next, R_B) != next + R_IMM) return false;
  if (<u32>load<u8>(next) != op + ((ALU_ARSH - ALU_LSH) >> 3) || load<u8>(next, 1) != load<u8>(r, 1)) return false;
  const mask: i64 = wide ? 63 : 31;
  store<u8>(r, <u8>((wide ? H_LSH_ARSH64 : H_LSH_ARSH32) - (withMov ? 1 : 0)));
  store<i64>(r, load<i64>(r, R_IMM) & mask, R_IMM);
  store<i32>(r, <i32>(load<i64>(next, R_IMM) & mask), R_TARGET);
  return true;
}

/**
 * A 64-bit `add rA, x` at `r` (or a mov into rA fused with it, `withMov`) and a load from rA at `next`, how
 * compiled C reads `base[i]`, become one record: the add's own (with the mov's source as a), with the load's
 * handler less one (two with the mov), its dst and offset, and rA's address at R_C. The loop does the add and goes
 * on as the load's own record, which the loop leaves at when its inline checks do not allow the access. True if
 * they did.
 */
function fuseAddLoad(r: u32, next: u32, withMov: bool): bool {
  const h2 = <u32>load<u8>(next);
  const sum = REGS + <u32>load<u8>(r, 1);
  if (<u32>load<u8>(r) + (withMov ? 1 : 0) != <u32>H_ALU64 || h2 < <u32>H_LDX || h2 > <u32>H_LDX + 9) return false;
  if ((h2 - <u32>H_LDX) % 3 != 0 || load<u32>(next, R_B) != sum) return false;
  store<u8>(r, <u8>(h2 - (withMov ? 2 : 1)));
  store<u8>(r, load<u8>(next, 1), 1);
  store<i32>(r, load<i32>(next, R_TARGET), R_TARGET);
  store<u32>(r, sum, R_C);
  return true;
}

// The 64-bit jumps an add is fused with (bits by handler - H_JMP64): jgt jge jne jsgt jlt jle jslt, those that
// close loops; jeq, jset, jsge and jsle stay apart, each fused case costing the core about 35 bytes of its budget.
const FUSED_JUMPS: u32 = 1 << 4 | 1 << 6 | 1 << 10 | 1 << 12 | 1 << 20 | 1 << 22 | 1 << 24;

/**
 * A 64-bit `add rA, x` (or `sub rA, imm`, as an add of -imm) at `r` and a 64-bit conditional jump on rA after it
 * become one record: the add's own, with the jump's handler less one, its target, and where its b is read (R_C:
 * a register, or the immediate in the jump's record, which stays as it was).
 */
function fuseAddJump(r: u32): void {
  const next = r + RECORD_SIZE;
  const h = <u32>load<u8>(r);
  const h2 = <u32>load<u8>(next);
  const sub = h == <u32>(H_ALU64 + 2);
  if (h != <u32>H_ALU64 && !(sub && load<u32>(r, R_B) == r + R_IMM)) return;
  const k = h2 - <u32>H_JMP64;
  if (k >= 32 || (FUSED_JUMPS & (1 << k)) == 0) return;
  if (load<u8>(next, 1) != load<u8>(r, 1)) return;
  if (sub) store<i64>(r, 0 - load<i64>(r, R_IMM), R_IMM);
  store<u8>(r, <u8>(h2 - 1));
  store<i32>(r, load<i32>(next, R_TARGET), R_TARGET);
  store<u32>(r, load<u32>(next, R_B), R_C);
}

// The jumps a mov is fused with (bits by operation >> 4): jeq jgt jge jne jsgt jlt jle jslt, in the order of their
// fused handlers (records.ts: H_MOV_JMP64); jset, jsge and jsle, rare after a mov, stay apart.
const MOV_JUMPS: u32 = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 5 | 1 << 6 | 1 << 10 | 1 << 11 | 1 << 12;

/**
 * `mov rD, x` at `r` and a conditional jump after it (one of MOV_JUMPS, on any registers) or a ja, how compiled C
 * fills the register the code at either end of a branch expects, become one record (H_MOV_JMP64 or _32 + the
 * jump's rank in MOV_JUMPS, H_MOV_JA): the jump's own a, b and target, with the mov's dst and where its value is
 * read (R_C). A jump operand that is rD is read from the mov's value instead, rD being written in the same step; a
 * 64-bit jump on what a 32-bit mov from a register wrote stays apart, that value being in no register. True if
 * they did.
 */
function fuseMovJump(r: u32): bool {
  const next = r + RECORD_SIZE;
  const h = <u32>load<u8>(r);
  const h2 = <u32>load<u8>(next);
  const mov32 = h == <u32>(H_ALU32 + (ALU_MOV >> 3));
  if (h != <u32>(H_ALU64 + (ALU_MOV >> 3)) && !mov32) return false;
  const wide = h2 < <u32>H_JMP32;
  const k = wide ? (h2 - <u32>H_JMP64) >> 1 : h2 - <u32>H_JMP32; // the jump's operation >> 4
  if (h2 < <u32>H_JMP64 || h2 >= <u32>H_JMP32 + 14 || (wide && (h2 - <u32>H_JMP64) & 1) != 0) return false;
  const ja = h2 == <u32>H_JA; // the jump's a and b are then unused
  if ((MOV_JUMPS & (1 << k)) == 0 && !ja) return false;
  const rd = REGS + <u32>load<u8>(r, 1);
  const a = load<u32>(next, R_A), b = load<u32>(next, R_B);
  const fromReg = load<u32>(r, R_B) != r + R_IMM;
  const truncate = mov32 && fromReg;
  if (truncate && wide && !ja && (a == rd || b == rd)) return false;
  const from = fromReg ? load<u32>(r, R_B) : r + R_IMM;
  if (mov32 && !fromReg) store<i64>(r, <i64>load<u32>(r, R_IMM), R_IMM); // load<u32>: a mov32 zero-extends
  const rank = popcnt(MOV_JUMPS & ((1 << k) - 1));
  store<u8>(r, <u8>(ja ? H_MOV_JA : (wide ? H_MOV_JMP64 : H_MOV_JMP32) + rank));
  store<u8>(r, <u8>(truncate ? 1 : 0), R_SIZE);
  store<i32>(r, load<i32>(next, R_TARGET), R_TARGET);
  store<u32>(r, a == rd ? from : a, R_A);
  store<u32>(r, b == rd ? from : b, R_B); // b may be the immediate in the jump's record, which stays as it was
  store<u32>(r, from, R_C);
  return true;
}

/** Bytes moved by a load or store of size index `size` (W H B DW = 0..3). */
@inline function accessSize(size: u32): u32 { return 4 >> size | (size == 3 ? 8 : 0); }

function decodeOne(p: u32, pc: u32, count: u32, r: u32, base: u32): void {
  const op = <u32>load<u8>(p);
  const regs = <u32>load<u8>(p, 1);
  const src = regs >> 4;
  const off = <i32>load<i16>(p, 2);
  const imm = load<i32>(p, 4);
  const cls = op & 7;
  const x = (op & 8) != 0;
  const size = (op & 0x18) >> 3; // W H B DW = 0 1 2 3
  let h: u32 = H_BAD;
  let t: i32 = off;
  let useReg = x;
  let bReg = src;
  let extra: u32 = op;
  let small: u32 = 0; // byte 2
  let value: i64 = <i64>imm;
  if (cls == CLS_ALU64 || cls == CLS_ALU) {
    const aop = op >> 4;
    h = (cls == CLS_ALU64 ? H_ALU64 : H_ALU32) + (aop << 1);
    if (aop << 4 == ALU_MOV && off != 0) h = cls == CLS_ALU64 ? H_MOVSX64 : H_MOVSX32;
    if (aop << 4 == ALU_END) { t = x ? 1 : 0; useReg = false; } // the source bit picks the byte order here
    if (aop > 0xd) h = H_BAD;
  } else if (cls == CLS_JMP || cls == CLS_JMP32) {
    const jop = op & 0xf0;
    t = <i32>pc + 1 + off;
    h = cls == CLS_JMP ? H_JMP64 + (jop >> 3) : H_JMP32 + (jop >> 4);
    if (jop == JMP_JA) { h = H_JA; if (cls == CLS_JMP32) t = <i32>pc + 1 + imm; }
    else if (jop == JMP_EXIT) h = H_EXIT;
    else if (jop == JMP_CALL) {
      t = <i32>pc + 1 + imm;
      if (x) bReg = regs & 0xf; // callx: the helper id is in dst
      h = cls != CLS_JMP ? H_BAD : x ? H_HELPER : src == CALL_LOCAL ? H_CALL_LOCAL : src != CALL_HELPER ? H_BAD
        : H_HELPER;
    }
    else if (jop > 0xd0) h = H_BAD;
    t = <i32>base + (t << RECORD_SHIFT);
  } else if (cls == CLS_LDX) {
    useReg = true; // b is the base address
    const mode = op & 0xe0;
    if (mode == MODE_MEM) h = H_LDX + 3 * size;
    else if (mode == MODE_MEMSX && size != SZ_DW >> 3) h = H_LDXSX + size;
    small = accessSize(size);
  } else if (cls == CLS_ST || cls == CLS_STX) {
    const mode = op & 0xe0;
    useReg = cls == CLS_STX; // b is the value stored
    if (mode == MODE_MEM) { h = H_ST + size; small = accessSize(size); }
    else if (mode == MODE_ATOMIC && cls == CLS_STX && (size == SZ_W >> 3 || size == SZ_DW >> 3)) {
      h = H_ATOMIC;
      small = size == SZ_W >> 3 ? 4 : 8;
      useReg = false; // b is the operation (imm); the value's register is the extra byte
      extra = src;
    }
  } else { // CLS_LD
    const mode = op & 0xe0;
    useReg = false; // bit 3 is part of the size here
    if (op == OP_LDDW && pc + 1 < count) {
      h = H_LDDW;
      value = <i64>(<u64><u32>imm | (<u64>load<u32>(p, 12) << 32));
    } else if ((mode == MODE_ABS || mode == MODE_IND) && size != SZ_DW >> 3) {
      h = H_LD_PACKET;
      small = mode == MODE_IND ? 1 : 0;
      t = size == SZ_B >> 3 ? 1 : size == SZ_H >> 3 ? 2 : 4;
      extra = src;
    }
  }
  if (h == H_BAD) { useReg = false; extra = op; }
  const dst = (regs & 0xf) << 3;
  store<u32>(r, h | dst << 8 | small << 16 | extra << 24); // bytes 0-3, R_SIZE and R_EXTRA among them
  store<i32>(r, t, R_TARGET);
  store<i64>(r, value, R_IMM);
  store<u32>(r, REGS + dst, R_A);
  store<u32>(r, useReg ? REGS + (bReg << 3) : r + R_IMM, R_B);
  store<u32>(r, 0, R_C);
  store<u32>(r, 1, R_REM); // a record run alone (execute: SINGLE) is one instruction
}
