// The output buffer the A32 words go to, with the emitters that choose an instruction sequence from a value alone
// (constants, additions of constants). One Code per translation; the translator's context (jit/context.ts) is one.
//
// Every image is emitted twice: the first pass only measures (`measuring`, nothing is stored, `out` may be 0), the
// second writes the same words at `out`. Sizes therefore depend only on values known in both passes.
//
// It keeps the last few words it wrote and where (histWord, histPos) for the changes that reach a few instructions
// back without moving any code: an S bit that makes a later compare with zero unnecessary (flagSetterOf), a load
// made post-indexed so that a later ADD to its base is not emitted (postIndex), a register still holding the 0 a
// MOV set (holdsZero). They stop at anything that may enter the code between (forget(), skip targets) and at
// anything between that the change would alter.
//
// `armv6` is the one switch between ARMv7-A and ARMv6 (ARM1176) code: the emitters below (and Labels.addressOf)
// choose the sequence, so the rest of the translator and the device code never test it. ARMv6 lacks MOVW/MOVT
// (constants come from a32/constants.ts), MLS, SBFX and UDIV/SDIV (the host never asks for both).

import {
  AL, OP_ADD, OP_MVN, OP_SUB, SH_ASR, SH_LSL, branch, dpImm, immRot, mls, movImm, movt, movw, mul, opImm, opImmS,
  opReg, opRegS, sbfx, shiftImm, ubfx, uxth,
} from "./encoder";
import { constWord, constWords } from "./constants";
import { ALL, mentionedBy, writtenBy } from "./writes";

const NONE: i32 = -1;
const HISTORY: i32 = 8; // a power of two
const R11_WORD: u32 = 0x058b0000; // LDR / STR rt, [r11, #+imm12]: bits 27-16 but L (20)
const R11_PAIR: u32 = 0x01cb00d0; // LDRD / STRD rt, rt + 1, [r11, #+imm8]: bits 27-16, 7, 6 and 4 (5: which)

export class Code {
  out: usize = 0;
  pos: i32 = 0; // bytes written
  measuring: bool = true;
  lastWord: u32 = 0; // the instruction emit() wrote last (also while measuring)
  armv6: bool = false; // ARMv6 code (see the header)
  // What registers hold (holds()): per ARM register, the word [r11, #offset] it was loaded from or stored to,
  // NONE; and the position of that instruction. Words below heldLimit are written only by r11-based stores.
  heldLimit: i32 = 0;
  held: StaticArray<i32> = new StaticArray<i32>(16);
  heldAt: StaticArray<i32> = new StaticArray<i32>(16);
  skipEnd: i32 = -1; // skip()'s last target: instructions before it may be skipped, and hold nothing new
  forgotAt: i32 = 0; // where forget() was called last: code from here on may have been entered from elsewhere
  // The last HISTORY words and their positions (a ring indexed by position): flagSetterOf looks a few back
  histWord: StaticArray<u32> = new StaticArray<u32>(HISTORY);
  histPos: StaticArray<i32> = new StaticArray<i32>(HISTORY);
  // A trial emission (checkpoint, rollback: jit/select.ts): whether every word since could run under a condition
  watching: bool = false;
  watchOk: bool = true;
  // Every register the words emitted (or rewritten in place) since it was last cleared may name (mentionedBy): a
  // loop copy's use of the scratch registers (jit/borrowed.ts)
  touched: u32 = 0;
  wrote: u32 = 0; // ... and every register they may write (writtenBy)
  private saved: StaticArray<i32> = new StaticArray<i32>(4 + 2 * 16 + 2 * HISTORY);

  /** Start a pass: writing at `buffer`, or only measuring. */
  reset(buffer: usize, measure: bool): void {
    this.out = buffer;
    this.pos = 0;
    this.measuring = measure;
    this.skipEnd = -1;
    this.forget();
    for (let k = 0; k < HISTORY; k++) unchecked(this.histPos[k] = NONE);
  }

  /** Forget everything written after position p (a dry run of the translator). */
  rewind(p: i32): void {
    // one instruction replaced (by one doing at least as much); else a dry run's code dropped
    if (p < this.pos - 4) this.skipEnd = -1;
    this.pos = p;
    for (let r = 0; r < 16; r++) if (unchecked(this.heldAt[r]) >= p) unchecked(this.held[r] = NONE);
  }

  emit(word: u32): void {
    if (this.watching && !conditionable(word)) this.watchOk = false;
    if (!this.measuring) store<u32>(this.out + <usize>this.pos, word);
    this.touched |= mentionedBy(word);
    this.note(word);
    const k = (this.pos >> 2) & (HISTORY - 1);
    unchecked(this.histWord[k] = word);
    unchecked(this.histPos[k] = this.pos);
    this.pos += 4;
    this.lastWord = word;
  }

  /**
   * Remembers the position and everything the records above know there, and starts watching the words emitted
   * (watchOk: each could run under a condition, conditionable) until rollback, which forgets those words and gives
   * the records back as they were: a dry run of a few instructions.
   */
  checkpoint(): void {
    const s = this.saved;
    unchecked(s[0] = this.pos);
    unchecked(s[1] = <i32>this.lastWord);
    unchecked(s[2] = this.skipEnd);
    unchecked(s[3] = this.forgotAt);
    for (let r = 0; r < 16; r++) {
      unchecked(s[4 + r] = this.held[r]);
      unchecked(s[20 + r] = this.heldAt[r]);
    }
    for (let k = 0; k < HISTORY; k++) {
      unchecked(s[36 + k] = <i32>this.histWord[k]);
      unchecked(s[36 + HISTORY + k] = this.histPos[k]);
    }
    this.watching = true;
    this.watchOk = true;
  }

  rollback(): void {
    const s = this.saved;
    this.watching = false;
    this.pos = unchecked(s[0]);
    this.lastWord = <u32>unchecked(s[1]);
    this.skipEnd = unchecked(s[2]);
    this.forgotAt = unchecked(s[3]);
    for (let r = 0; r < 16; r++) {
      unchecked(this.held[r] = s[4 + r]);
      unchecked(this.heldAt[r] = s[20 + r]);
    }
    for (let k = 0; k < HISTORY; k++) {
      unchecked(this.histWord[k] = <u32>s[36 + k]);
      unchecked(this.histPos[k] = s[36 + HISTORY + k]);
    }
  }

  /**
   * The words from position `from` on, each conditionable, made to run only when `cond` holds; what the records
   * knew of them is forgotten (they may not have run).
   */
  conditionFrom(from: i32, cond: u32): void {
    for (let p = from; p < this.pos; p += 4) {
      const k = (p >> 2) & (HISTORY - 1);
      if (!this.measuring) store<u32>(this.out + <usize>p, (load<u32>(this.out + <usize>p) & 0x0fffffff) | (cond << 28));
      if (unchecked(this.histPos[k]) == p) unchecked(this.histWord[k] = (this.histWord[k] & 0x0fffffff) | (cond << 28));
      if (p == this.pos - 4) this.lastWord = (this.lastWord & 0x0fffffff) | (cond << 28);
    }
    this.forget();
  }

  /** Whether every word from position `from` on is among the last HISTORY words and leaves the flags (keepsFlags). */
  flagsKeptSince(from: i32): bool {
    if (from < this.pos - 4 * HISTORY) return false;
    for (let p = from; p < this.pos; p += 4) {
      const k = (p >> 2) & (HISTORY - 1);
      if (unchecked(this.histPos[k]) != p || !keepsFlags(unchecked(this.histWord[k]))) return false;
    }
    return true;
  }

  /**
   * The word written `back` words ago (1: the last), when nothing can have jumped in after it (branches into code
   * emitted since forget): an instruction emitted now may be folded into it (replaceBack). 0 (none) otherwise.
   */
  wordBack(back: i32): u32 {
    const p = this.pos - 4 * back;
    const k = (p >> 2) & (HISTORY - 1);
    // not before a trial's checkpoint either: its words may run under a condition, those before it do not
    if (p < 0 || p < this.forgotAt || (this.watching && p < unchecked(this.saved[0]))) return 0;
    return unchecked(this.histPos[k]) == p ? unchecked(this.histWord[k]) : 0;
  }

  /** Writes `word` over the one wordBack(back) returned: it does that one's work and more, writing no other register. */
  replaceBack(back: i32, word: u32): void {
    const p = this.pos - 4 * back;
    // (the registers the word it replaces named were counted with that word)
    const k = (p >> 2) & (HISTORY - 1);
    const before = unchecked(this.histPos[k]) == p ? unchecked(this.histWord[k]) : 0;
    this.touched |= mentionedBy(word) & ~mentionedBy(before);
    this.wrote |= writtenBy(word) & ~writtenBy(before);
    if (!this.measuring) store<u32>(this.out + <usize>p, word);
    unchecked(this.histWord[k] = word);
    if (back == 1) this.lastWord = word;
  }

  /** A data word (a table in the image), not an instruction. */
  data(word: u32): void {
    this.emit(word);
    this.forget();
  }

  /**
   * Whether register r holds the word [r11, #offset] (offset below heldLimit): it was loaded from or stored to it,
   * at or after position `from`, and nothing since wrote r or that word. The caller's `from` is where code may be
   * entered from elsewhere last; branches into code emitted since (labels, patched branches, skips) forget.
   */
  holds(r: i32, offset: i32, from: i32): bool {
    return unchecked(this.held[r]) == offset && unchecked(this.heldAt[r]) >= from;
  }

  /** Nothing is known to be held: code here may be reached from elsewhere. */
  forget(): void {
    for (let r = 0; r < 16; r++) unchecked(this.held[r] = NONE);
    this.forgotAt = this.pos;
  }

  /** Updates what registers hold for instruction `w`, about to be written at pos. */
  private note(w: u32): void {
    if ((w & 0x0f000000) == 0x0a000000) return; // B without link: the code after it runs as before it
    const written = writtenBy(w);
    this.wrote |= written;
    if (written == ALL) {
      this.forget();
      return;
    }
    for (let r = 0; r < 16; r++) if ((written >> <u32>r) & 1) unchecked(this.held[r] = NONE);
    // transfers with base r11 (others do not reach the words tracked; writeback was ALL above)
    const op1 = (w >> 25) & 7;
    const single = op1 == 2 || (op1 == 3 && (w & 0x10) == 0);
    const extra = op1 == 0 && (w & 0x90) == 0x90 && (w & 0x60) != 0;
    if ((!single && !extra) || ((w >> 16) & 15) != 11) return;
    const store = (w & 0x00100000) == 0 && (single || ((w >> 5) & 3) != 2); // not LDRD (L clear, 10)
    const rt = <i32>((w >> 12) & 15);
    let offset = -1;
    let words = 1;
    if (single && (w & 0x0fef0000) == R11_WORD) offset = <i32>(w & 0xfff);
    else if (extra && (w & 0x0fff00d0) == R11_PAIR && (rt & 1) == 0 && rt < 14) {
      offset = <i32>(((w >> 4) & 0xf0) | (w & 0xf));
      words = 2;
    }
    if (offset < 0) {
      if (store) this.forget(); // a byte, a halfword or a word at an offset not decoded here
      return;
    }
    if (store) {
      // other registers' copies of these words are old now
      for (let r = 0; r < 16; r++) {
        const h = unchecked(this.held[r]);
        if (h != NONE && h + 4 > offset && h < offset + 4 * words) unchecked(this.held[r] = NONE);
      }
    }
    if ((w >>> 28) != 0xe || this.pos < this.skipEnd || offset + 4 * words > this.heldLimit) return;
    for (let k = 0; k < words; k++) {
      unchecked(this.held[rt + k] = offset + 4 * k);
      unchecked(this.heldAt[rt + k] = this.pos);
    }
  }

  /** A branch whose target comes later: a placeholder word, and its position for patchBranch. */
  forwardBranch(): i32 {
    const at = this.pos;
    this.emit(0);
    return at;
  }

  /** Turn the placeholder at `at` into b<cond> to the current position. */
  patchBranch(at: i32, cond: u32): void {
    if (!this.measuring) store<u32>(this.out + <usize>at, branch(cond, false, at, this.pos));
    this.forget();
  }

  /**
   * The position of the instruction that last wrote r, when a compare of r with 0 for Z (EQ, NE) may be left out
   * by setting that instruction's S bit: it is an unconditional data-processing instruction that can set the flags
   * (not a compare or test, a multiply or a halfword transfer, MOVW or MOVT), at or after `from`, among the last
   * HISTORY words; and the instructions after it run only after it (no label, patched branch or skip target in
   * between: forgotAt, skipEnd), do not write r, and neither read nor set the flags. Else -1.
   */
  flagSetterOf(r: i32, from: i32): i32 {
    const limit = max(max(from, this.forgotAt), this.skipEnd);
    let p = this.pos - 4;
    for (let n = 0; n < HISTORY && p >= limit; n++) {
      const k = (p >> 2) & (HISTORY - 1);
      if (unchecked(this.histPos[k]) != p) return -1;
      const w = unchecked(this.histWord[k]);
      if (flagSettable(w) == r) return p;
      if (!flagsUntouched(w) || (writtenBy(w) >> <u32>r) & 1) return -1;
      p -= 4;
    }
    return -1;
  }

  /** Sets the S bit of the instruction at p (see flagSetterOf): its result sets Z. */
  setFlagsAt(p: i32): void {
    const k = (p >> 2) & (HISTORY - 1);
    const w = unchecked(this.histWord[k]) | (1 << 20);
    unchecked(this.histWord[k] = w);
    if (p == this.pos - 4) this.lastWord = w;
    if (!this.measuring) store<u32>(this.out + <usize>p, w);
  }

  /**
   * Whether register r holds 0 from a `mov r, #0` among the last HISTORY words, at or after `from`, that nothing
   * since wrote r and that ran before everything after it (no label, patched branch or skip target in between: see
   * flagSetterOf). A second zero high word stored to the register file stores r again instead of setting it.
   */
  holdsZero(r: i32, from: i32): bool {
    const limit = max(max(from, this.forgotAt), this.skipEnd);
    let p = this.pos - 4;
    for (let n = 0; n < HISTORY && p >= limit; n++) {
      const k = (p >> 2) & (HISTORY - 1);
      if (unchecked(this.histPos[k]) != p) return false;
      const w = unchecked(this.histWord[k]);
      if (w == movImm(r, 0)) return true;
      if ((writtenBy(w) >> <u32>r) & 1) return false;
      p -= 4;
    }
    return false;
  }

  /**
   * Instead of `add rn, rn, #imm` (rm < 0) or `add rn, rn, rm` about to be emitted: an earlier load through [rn]
   * (LDR, LDRB, LDRH, LDRSB, LDRSH, offset 0) becomes post-indexed, `ldr rt, [rn], #imm`, when nothing between it
   * and here mentions rn, writes rm or branches, and nothing enters the code between (see flagSetterOf); the load's
   * address and rn's final value are the same. Returns whether it did (then the ADD is not to be emitted).
   */
  postIndex(rn: i32, rm: i32, imm: i32, from: i32): bool {
    const limit = max(max(from, this.forgotAt), this.skipEnd);
    let p = this.pos - 4;
    for (let n = 0; n < HISTORY && p >= limit; n++) {
      const k = (p >> 2) & (HISTORY - 1);
      if (unchecked(this.histPos[k]) != p) return false;
      const w = unchecked(this.histWord[k]);
      const rt = <i32>((w >> 12) & 15);
      if (<i32>((w >> 16) & 15) == rn && rt != rn && rt != rm && (w >>> 28) == 0xe) {
        let indexed: u32 = 0;
        if ((w & 0x0f300fff) == 0x05100000 && imm < 4096) {
          // LDR, LDRB: P clear, U set, the immediate or the register (bit 25)
          indexed = (w & ~0x01000fff) | 0x00800000 | (rm >= 0 ? 0x02000000 | <u32>rm : <u32>imm);
        } else if ((w & 0x0f700f0f) == 0x01500000 && (w & 0x90) == 0x90 && (w & 0x60) != 0 && imm < 256) {
          // LDRH, LDRSB, LDRSH: P clear, U set, the split immediate (I set) or the register (I clear)
          indexed = rm >= 0 ? (w & ~0x01400f0f) | 0x00800000 | <u32>rm :
            (w & ~0x01000f0f) | 0x00800000 | ((<u32>imm >> 4) << 8) | (<u32>imm & 15);
        }
        if (indexed == 0) return false;
        unchecked(this.histWord[k] = indexed);
        this.touched |= mentionedBy(indexed) & ~mentionedBy(w);
        this.wrote |= <u32>1 << <u32>rn; // (written back: the ADD it replaces wrote it)
        if (p == this.pos - 4) this.lastWord = indexed;
        if (!this.measuring) store<u32>(this.out + <usize>p, indexed);
        unchecked(this.held[rn] = NONE);
        return true;
      }
      const written = writtenBy(w);
      if (written == ALL || (rm >= 0 && ((written >> <u32>rm) & 1) != 0) || mentions(w, rn)) return false;
      p -= 4;
    }
    return false;
  }

  emitByte(b: u32): void {
    this.watchOk = false;
    this.forget();
    if (!this.measuring) store<u8>(this.out + <usize>this.pos, <u8>b);
    this.pos += 1;
  }

  align4(): void {
    while (this.pos & 3) this.emitByte(0);
  }

  /** rd = v (sizes depend only on the value, never on labels). */
  emitConst(rd: i32, v: u32): void {
    if (immRot(v) >= 0) this.emit(movImm(rd, v));
    else if (immRot(~v) >= 0) this.emit(dpImm(AL, OP_MVN, 0, rd, 0, immRot(~v)));
    else if (this.armv6) this.emitConstV6(rd, v);
    else {
      this.emit(movw(rd, v & 0xffff));
      if (v >>> 16) this.emit(movt(rd, v >>> 16));
    }
  }

  /** rd = v: MOVW + MOVT whatever v is (ARMv7), or the shortest sequence (ARMv6). */
  emitWide(rd: i32, v: u32): void {
    if (this.armv6) this.emitConstV6(rd, v);
    else {
      this.emit(movw(rd, v & 0xffff));
      this.emit(movt(rd, v >>> 16));
    }
  }

  private emitConstV6(rd: i32, v: u32): void {
    const n = constWords(v);
    for (let k = 0; k < n; k++) this.emit(constWord(rd, v, k));
  }

  /**
   * rd = ra - rn * rm. ARMv6 has no MLS: MUL into rn, then SUB, so rn is lost there (pass a scratch register, not
   * rm). The MUL keeps its destination out of the operand field at bits 0-3, as ARMv5 required (ARMv6 no longer does).
   */
  emitMulSub(rd: i32, rn: i32, rm: i32, ra: i32): void {
    if (!this.armv6) this.emit(mls(rd, rn, rm, ra));
    else {
      this.emit(mul(rn, rm, rn));
      this.emit(opReg(OP_SUB, rd, ra, rn));
    }
  }

  /** rd = the signed bit field of rn at bit lsb, `width` bits wide: SBFX, or two shifts on ARMv6. */
  emitSbfx(rd: i32, rn: i32, lsb: u32, width: u32): void {
    if (!this.armv6) this.emit(sbfx(rd, rn, lsb, width));
    else {
      this.emit(shiftImm(SH_LSL, rd, rn, 32 - lsb - width));
      this.emit(shiftImm(SH_ASR, rd, rd, 32 - width));
    }
  }

  /**
   * rd = rn & v where v is a mask of the low bits no ARM immediate encodes (2^w - 1, 9 <= w <= 31: a checksum's
   * 0xffff, a counter's 4095): one UXTH or UBFX, no constant in a register. False where it takes more (ARMv6 has
   * UXTH but no UBFX: the caller ANDs with the constant).
   */
  emitLowBits(rd: i32, rn: i32, v: u32): bool {
    if (!isLowMask(v)) return false;
    const width = <u32>(32 - clz(v));
    if (width == 16) this.emit(uxth(rd, rn));
    else if (!this.armv6) this.emit(ubfx(rd, rn, 0, width));
    else return false;
    return true;
  }

  /** rd = rn + v, setting the carry exactly as `adds` with the 32-bit value v would (subs -v borrows alike). */
  emitAddConstS(rd: i32, rn: i32, v: u32, scratch: i32): void {
    if (immRot(v) >= 0) this.emit(opImmS(OP_ADD, rd, rn, immRot(v)));
    else if (v != 0 && immRot(-v) >= 0) this.emit(opImmS(OP_SUB, rd, rn, immRot(-v)));
    else {
      this.emitConst(scratch, v);
      this.emit(opRegS(OP_ADD, rd, rn, scratch));
    }
  }

  /** rd = rn + v (flags untouched). */
  emitAddConst(rd: i32, rn: i32, v: u32, scratch: i32): void {
    if (immRot(v) >= 0) this.emit(opImm(OP_ADD, rd, rn, immRot(v)));
    else if (immRot(-v) >= 0) this.emit(opImm(OP_SUB, rd, rn, immRot(-v)));
    else {
      this.emitConst(scratch, v);
      this.emit(opReg(OP_ADD, rd, rn, scratch));
    }
  }

  /** Branch forward over the next n instructions when cond holds. */
  skip(cond: u32, n: i32): void {
    this.emit(branch(cond, false, this.pos, this.pos + 4 + 4 * n));
    this.skipEnd = max(this.skipEnd, this.pos + 4 * n);
  }
}

/** Whether v is 2^w - 1 for a w from 9 to 31: a mask of low bits that no ARM immediate (nor its complement) encodes. */
export function isLowMask(v: u32): bool {
  return v > 0x1ff && v < 0x80000000 && (v & (v + 1)) == 0 && immRot(v) < 0;
}

/** The register `w` writes when it is an unconditional data-processing instruction whose S bit may be set; else -1. */
function flagSettable(w: u32): i32 {
  if ((w >>> 28) != 0xe || (w & 0x0c000000) != 0) return -1;
  if ((w & 0x02000000) == 0 && (w & 0x90) == 0x90) return -1; // multiplies, halfword and doubleword transfers
  const op = (w >> 21) & 15;
  if (op >= 8 && op <= 11) return -1; // compares and tests; MOVW, MOVT and the rest of that space
  return <i32>((w >> 12) & 15);
}

/**
 * Whether `w` may be given a condition (jit/select.ts): it runs unconditionally, neither reads nor sets the flags,
 * and is not a branch or a write to pc.
 */
export function conditionable(w: u32): bool {
  return flagsUntouched(w) && (w & 0x0e000000) != 0x0a000000 && writtenBy(w) != ALL;
}

/** Whether `w`, whatever its condition, leaves the flags as they were (it would be conditionable unconditionally). */
export function keepsFlags(w: u32): bool {
  return conditionable((w & 0x0fffffff) | 0xe0000000);
}

/** Whether `w` runs unconditionally and neither reads the flags (ADC, SBC, RSC, RRX) nor sets them. */
function flagsUntouched(w: u32): bool {
  if ((w >>> 28) != 0xe) return false;
  const op1 = (w >> 25) & 7;
  if (op1 == 0 && (w & 0x90) == 0x90) return (w & 0x60) != 0 || (w & 0x00100000) == 0; // transfers; MUL without S
  if (op1 > 1) return true; // loads, stores, media (what writes pc or more is refused through writtenBy)
  const op = (w >> 21) & 15;
  if ((w & 0x00100000) != 0 || (op >= 5 && op <= 7)) return false;
  return op1 == 1 || (w & 0x10) != 0 || (w & 0xfe0) != 0x060; // register form: not ROR #0 (RRX)
}

/** Whether `w` may use r (writes.ts mentionedBy). */
function mentions(w: u32, r: i32): bool {
  return ((mentionedBy(w) >> <u32>r) & 1) != 0;
}
