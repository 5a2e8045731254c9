// Value widths: for each eBPF register, how many low bits its value can have (value < 2^width, unsigned), and
// whether it is known not to be zero. The translator emits 32-bit code where a register's high word is known to be
// zero; the emitters find some of that themselves (ALU32 results, zero-extending loads), this analysis finds the
// rest, the way a compiler's range analysis would on a 32-bit target:
//
//   - arithmetic on small values stays small: a halfword load plus a value reduced modulo 65535 has 17 bits, so
//     the next modulo needs no 64-bit division and the sum no carry into the high word;
//   - comparisons bound their operands on each edge: after `if r4 < r3` is taken, r4 is no wider than r3;
//   - a counter known not to be zero can be decremented without a borrow (`r5 -= 1` in a `while (r5 != 0)` loop).
//
//   - a counter below a limit can be incremented within the limit's width: after `if r3 < r2` with r2 < 2^32,
//     r3 < 2^32 - 1, so `r3 += 1` needs no carry.
//
// A state is 16 bytes: one per register (bits 0-6 the width, 0..64, bit 7 "not zero"), then at byte 12 a u16 with
// bit n set when rn < 2^width - 1 ("below the top"). Joining two states takes the wider width and keeps a flag
// only where both sides have it (a side narrower than the joined width is below its top); widths only grow, so the fixed point in
// translate.ts (analyseHighWords) ends. The analysis reads only the instructions, never the emitted code.

import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_DIV, ALU_END, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_OR, ALU_RSH, ALU_SUB,
  ALU_XOR, ATOMIC_CMPXCHG, ATOMIC_FETCH, CLS_ALU, CLS_ALU64, CLS_JMP, CLS_LD, CLS_LDX, CLS_STX, JMP_JEQ, JMP_JGE,
  JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE, JMP_JSGE, JMP_JSGT, JMP_JSLE, JMP_JSLT, MODE_ABS, MODE_ATOMIC, MODE_IND,
  MODE_MEM, SRC_X, SZ_B, SZ_DW, SZ_H, SZ_W,
} from "../../isa";

export const STATE_BYTES = 16; // 11 registers, padded
const NZ: u8 = 0x80;
const FULL: u8 = 64;

const BELOW = 12; // offset of the "below the top" mask

/** Bits needed for v (0 for 0). */
export function widthOf(v: u64): i32 { return 64 - <i32>clz<u64>(v); }

/** Width of an instruction's immediate, sign-extended to 64 bits (ALU64 and JMP). */
function immWidth(imm: i32): i32 { return imm < 0 ? 64 : widthOf(<u64>imm); }

/** The working state, one per translation (jit/context.ts `ranges`): the registers at the current instruction. */
export class Widths {
  cur: StaticArray<u8> = new StaticArray<u8>(STATE_BYTES);
  kept: StaticArray<u8> = new StaticArray<u8>(STATE_BYTES); // keep() / restore()
  probe: StaticArray<u8> = new StaticArray<u8>(STATE_BYTES); // widthAfter's scratch

  @inline w(r: i32): i32 { return <i32>(unchecked(this.cur[r]) & 0x7f); }

  @inline nz(r: i32): bool { return (unchecked(this.cur[r]) & NZ) != 0; }

  @inline below(r: i32): bool { return ((load<u16>(changetype<usize>(this.cur) + BELOW) >> <u16>r) & 1) != 0; }

  @inline set(r: i32, width: i32, notZero: bool = false, belowTop: bool = false): void {
    if (r >= 10) return; // r10 is read-only
    unchecked(this.cur[r] = <u8>(width > 64 ? 64 : width) | (notZero ? NZ : 0));
    const at = changetype<usize>(this.cur) + BELOW;
    const mask = load<u16>(at) & ~(<u16>1 << <u16>r);
    store<u16>(at, belowTop && width < 64 ? mask | (<u16>1 << <u16>r) : mask);
  }

  /** rn's width in the working state (before the instruction being emitted). */
  widthNow(r: i32): i32 { return this.w(r); }

  /** Everything unknown but r10, the frame pointer (a 32-bit address): entry of a subprogram, after a call. */
  unknownState(): void {
    for (let r = 0; r < 10; r++) unchecked(this.cur[r] = FULL);
    unchecked(this.cur[10] = 32 | NZ);
    store<u16>(changetype<usize>(this.cur) + BELOW, 0);
  }

  /** The image's first instruction entered from the prologue: r1, r2 the input's address and length, others 0. */
  entryState(): void {
    for (let r = 0; r < 10; r++) unchecked(this.cur[r] = 0);
    unchecked(this.cur[1] = 32 | NZ);
    unchecked(this.cur[2] = 32);
    unchecked(this.cur[10] = 32 | NZ);
    store<u16>(changetype<usize>(this.cur) + BELOW, 0);
  }

  loadState(at: usize): void { memory.copy(changetype<usize>(this.cur), at, STATE_BYTES); }

  saveState(at: usize): void { memory.copy(at, changetype<usize>(this.cur), STATE_BYTES); }

  /** Keeps the working state aside (before refining it for one edge of a jump), and brings it back. */
  keep(): void { memory.copy(changetype<usize>(this.kept), changetype<usize>(this.cur), STATE_BYTES); }

  restore(): void { memory.copy(changetype<usize>(this.cur), changetype<usize>(this.kept), STATE_BYTES); }

  /** Joins the working state into the state at `at` (unreached: its first byte is 0xff). True when it changed. */
  joinInto(at: usize): bool {
    if (load<u8>(at) == 0xff) {
      this.saveState(at);
      return true;
    }
    let changed = false;
    const belowA = load<u16>(at + BELOW);
    const belowB = load<u16>(changetype<usize>(this.cur) + BELOW);
    let belowTop: u16 = 0;
    for (let r = 0; r <= 10; r++) {
      const a = load<u8>(at + <usize>r);
      const b = unchecked(this.cur[r]);
      const width = max<u8>(a & <u8>0x7f, b & <u8>0x7f);
      // below the joined top: a narrower side is, an equally wide one when it was below its own
      const bit = <u16>1 << <u16>r;
      if (((a & 0x7f) < width || (belowA & bit)) && ((b & 0x7f) < width || (belowB & bit)) && width < 64) belowTop |= bit;
      const j = width | (a & b & NZ);
      if (j != a) {
        store<u8>(at + <usize>r, j);
        changed = true;
      }
    }
    if (belowTop != load<u16>(at + BELOW)) {
      store<u16>(at + BELOW, belowTop);
      changed = true;
    }
    return changed;
  }

  /** The width rd will have after the ALU instruction (op, d, s, off, imm), the working state left as it is. */
  widthAfter(op: u32, d: i32, s: i32, off: i32, imm: i32): i32 {
    memory.copy(changetype<usize>(this.probe), changetype<usize>(this.cur), STATE_BYTES);
    this.step(op, d, s, off, imm, 0);
    const result = this.w(d);
    memory.copy(changetype<usize>(this.cur), changetype<usize>(this.probe), STATE_BYTES);
    return result;
  }

  /** The width rd will have after `mov d, s` and the ALU64 instruction (op, d, t, imm), the state left as it is. */
  widthAfterCopy(op: u32, d: i32, s: i32, t: i32, imm: i32): i32 {
    memory.copy(changetype<usize>(this.probe), changetype<usize>(this.cur), STATE_BYTES);
    this.step(0xbf, d, s, 0, 0, 0); // mov d, s
    this.step(op, d, t, 0, imm, 0);
    const result = this.w(d);
    memory.copy(changetype<usize>(this.cur), changetype<usize>(this.probe), STATE_BYTES);
    return result;
  }

  /** Registers whose high word is zero in the working state (bit n: rn). */
  highZeroMask(): u32 {
    let m: u32 = 0;
    for (let r = 0; r <= 10; r++) if (this.w(r) <= 32) m |= <u32>1 << <u32>r;
    return m;
  }

  /** What the emitters know besides (bit n: rn's high word is zero) narrows the widths. */
  narrow(hiZero: u32): void {
    for (let r = 0; r <= 10; r++) {
      if ((hiZero >> <u32>r) & 1 && this.w(r) > 32) this.set(r, 32, this.nz(r));
    }
  }

  /** Registers of `mask` known to lie below 2^width (a loop copy's induction variable, versioned.ts). */
  cap(mask: u32, width: i32): void {
    for (let r = 0; r < 10; r++) {
      if ((mask >> <u32>r) & 1 && this.w(r) > width) this.set(r, width, this.nz(r));
    }
  }

  /** The effect of instruction i (opcode op, registers d and s, immediate imm, offset off) on the working state. */
  step(op: u32, d: i32, s: i32, off: i32, imm: i32, imm2: i32): void {
    const cls = op & 7;
    const x = (op & SRC_X) != 0;
    if (cls == CLS_ALU64) { this.alu64(op & 0xf0, x, d, s, off, imm); return; }
    if (cls == CLS_ALU) { this.alu32(op & 0xf0, x, d, s, off, imm); return; }
    if (cls == CLS_LDX) {
      const sz = op & 0x18;
      this.set(d, (op & 0xe0) != MODE_MEM || sz == SZ_DW ? 64 : sz == SZ_W ? 32 : sz == SZ_H ? 16 : 8);
      return;
    }
    if (cls == CLS_STX && (op & 0xe0) == MODE_ATOMIC) {
      const bits = (op & 0x18) == SZ_DW ? 64 : 32;
      if (imm == ATOMIC_CMPXCHG) this.set(0, bits);
      else if (imm & ATOMIC_FETCH) this.set(s, bits);
      return;
    }
    if (cls == CLS_LD) {
      const mode = op & 0xe0;
      if (mode == MODE_ABS || mode == MODE_IND) {
        const sz = op & 0x18;
        this.set(0, sz == SZ_W ? 32 : sz == SZ_H ? 16 : sz == SZ_B ? 8 : 64);
        return;
      }
      if (op == 0x18) {
        const v = (<u64><u32>imm2 << 32) | <u64><u32>imm;
        if (s == 0) this.set(d, widthOf(v), v != 0);
        else this.set(d, 64);
      }
      return;
    }
    // ST, STX (not atomic) and jumps change no register; calls end their block (translate.ts).
  }

  alu64(code: u32, x: bool, d: i32, s: i32, off: i32, imm: i32): void {
    const a = this.w(d);
    const b = x ? this.w(s) : immWidth(imm);
    switch (code) {
      case ALU_MOV: {
        if (!x) { this.set(d, immWidth(imm), imm != 0); return; }
        // off 8/16/32: sign extension, which changes nothing while the sign bit is 0
        if (off == 0 || this.w(s) < off) this.set(d, this.w(s), this.nz(s), this.below(s));
        else this.set(d, 64);
        return;
      }
      case ALU_ADD: {
        if (a == 0) { this.set(d, b, x ? this.nz(s) : imm != 0, x && this.below(s)); return; }
        if (b == 0) return;
        if (!x && imm == 1 && this.below(d)) { this.set(d, a, true); return; } // at most 2^width - 1
        const sum = max(a, b) + 1;
        this.set(d, sum, sum <= 64 && (this.nz(d) || (x ? this.nz(s) : imm > 0)));
        return;
      }
      case ALU_SUB: {
        // subtracting 1 from a value that is not zero cannot borrow
        if (!x && imm == 1 && this.nz(d)) this.set(d, a, false, true);
        else if (!x && imm == 0) return;
        else this.set(d, 64);
        return;
      }
      case ALU_MUL: this.set(d, a == 0 || b == 0 ? 0 : a + b); return;
      case ALU_DIV: this.set(d, off == 0 ? a : 64); return; // unsigned: the quotient is no larger (x / 0 = 0)
      case ALU_MOD: {
        if (off != 0) { this.set(d, 64); return; }
        // x % 0 = x; otherwise the remainder is below the divisor
        if (x) this.set(d, this.nz(s) ? min(a, b) : a);
        else if (imm > 0) this.set(d, min(a, widthOf(<u64>(imm - 1))));
        else this.set(d, a);
        return;
      }
      case ALU_OR: case ALU_XOR: this.set(d, max(a, b), code == ALU_OR && (this.nz(d) || (x ? this.nz(s) : imm != 0))); return;
      case ALU_AND: this.set(d, min(a, b)); return;
      case ALU_LSH: this.set(d, a == 0 ? 0 : x ? 64 : a + (imm & 63)); return;
      case ALU_RSH: this.set(d, x ? a : max(a - (imm & 63), 0)); return;
      case ALU_ARSH: this.set(d, a >= 64 ? 64 : x ? a : max(a - (imm & 63), 0)); return;
      case ALU_END: this.set(d, imm == 16 ? 16 : imm == 32 ? 32 : 64); return; // bswap
    }
    this.set(d, 64); // NEG and anything else
  }

  alu32(code: u32, x: bool, d: i32, s: i32, off: i32, imm: i32): void {
    const a = min(this.w(d), 32);
    const b = x ? min(this.w(s), 32) : widthOf(<u64><u32>imm);
    switch (code) {
      case ALU_MOV: {
        if (!x) { this.set(d, b, imm != 0); return; }
        this.set(d, off == 0 ? b : 32, off == 0 && this.w(s) <= 32 && this.nz(s));
        return;
      }
      case ALU_ADD: {
        if (!x && imm == 1 && this.w(d) <= 32 && this.below(d)) { this.set(d, a, true); return; }
        const sum = a == 0 ? b : b == 0 ? a : max(a, b) + 1;
        this.set(d, sum <= 32 ? sum : 32);
        return;
      }
      case ALU_SUB: {
        if (!x && imm == 1 && this.nz(d) && this.w(d) <= 32) this.set(d, a, false, true);
        else this.set(d, 32);
        return;
      }
      case ALU_MUL: this.set(d, a + b <= 32 ? (a == 0 || b == 0 ? 0 : a + b) : 32); return;
      case ALU_DIV: this.set(d, off == 0 ? a : 32); return;
      case ALU_MOD: {
        if (off != 0) { this.set(d, 32); return; }
        if (x) this.set(d, this.nz(s) ? min(a, b) : a);
        else if (imm != 0) this.set(d, min(a, widthOf(<u64>(<u32>imm - 1))));
        else this.set(d, a);
        return;
      }
      case ALU_OR: case ALU_XOR: this.set(d, max(a, b)); return;
      case ALU_AND: this.set(d, min(a, b)); return;
      case ALU_RSH: this.set(d, x ? a : max(a - (imm & 31), 0)); return;
      case ALU_END: {
        // to little-endian (our byte order): 16 and 32 truncate, 64 changes nothing; to big-endian swaps
        const be = x; // the source bit is END_TO_BE
        if (imm == 16) this.set(d, be ? 16 : min(this.w(d), 16));
        else if (imm == 32) this.set(d, be ? 32 : min(this.w(d), 32));
        else if (!be) return;
        else this.set(d, 64);
        return;
      }
    }
    this.set(d, 32);
  }

  /**
   * Narrows the working state for one edge of the conditional jump `op` (JMP or JMP32; not JA, CALL or EXIT):
   * `taken` the branch, else the fall-through.
   */
  refine(op: u32, d: i32, s: i32, imm: i32, taken: bool): void {
    const x = (op & SRC_X) != 0;
    const wide = (op & 7) == CLS_JMP;
    // a 32-bit comparison decides the 64-bit one only when both values have 32 bits (its immediate is unsigned)
    if (!wide && (this.w(d) > 32 || (x && this.w(s) > 32))) return;
    const b = x ? this.w(s) : wide ? immWidth(imm) : widthOf(<u64><u32>imm);
    let code = op & 0xf0;
    if (code == JMP_JSGT || code == JMP_JSGE || code == JMP_JSLT || code == JMP_JSLE) {
      // signed comparisons of values that are not negative are unsigned ones
      const sign = wide ? 64 : 32;
      if (this.w(d) >= sign || b >= sign) return;
      code = code == JMP_JSGT ? JMP_JGT : code == JMP_JSGE ? JMP_JGE : code == JMP_JSLT ? JMP_JLT : JMP_JLE;
    }
    if (!taken) {
      // the fall-through is the opposite comparison taken
      if (code == JMP_JLT) code = JMP_JGE;
      else if (code == JMP_JGE) code = JMP_JLT;
      else if (code == JMP_JGT) code = JMP_JLE;
      else if (code == JMP_JLE) code = JMP_JGT;
      else if (code == JMP_JEQ) code = JMP_JNE;
      else if (code == JMP_JNE) code = JMP_JEQ;
      else return; // JSET
    }
    const bNotZero = x ? this.nz(s) : imm != 0;
    if (code == JMP_JLT || code == JMP_JLE) {
      // d < b, d <= b: d is no wider than b; d < b also puts d below b's top and makes b at least 1
      const strict = code == JMP_JLT;
      if (b < this.w(d) || (b == this.w(d) && strict && x)) this.set(d, b, this.nz(d), strict && x);
      if (strict && x) this.set(s, this.w(s), true, this.below(s));
    } else if (code == JMP_JGT || code == JMP_JGE) {
      // d > b, d >= b: b is no wider than d; d > b puts b below d's top; d > b, or d >= b > 0, makes d at least 1
      const strict = code == JMP_JGT;
      if (x && (this.w(d) < this.w(s) || (this.w(d) == this.w(s) && strict))) this.set(s, this.w(d), this.nz(s), strict);
      if (strict || bNotZero) this.set(d, this.w(d), true, this.below(d));
    } else if (code == JMP_JEQ) {
      const m = min(this.w(d), b);
      const n = this.nz(d) || bNotZero;
      this.set(d, m, n);
      if (x) this.set(s, m, n);
    } else if (code == JMP_JNE && !x && imm == 0) this.set(d, this.w(d), true, this.below(d));
  }
}
