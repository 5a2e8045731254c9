// The output buffer the A32 words go to, with the emitters that choose an instruction sequence from a value alone
// (constants, additions of constants). One Code per translation; the translator's context (jit/context.ts) is one.
//
// Every image is emitted twice: the first pass only measures (`measuring`, nothing is stored, `out` may be 0), the
// second writes the same words at `out`. Sizes therefore depend only on values known in both passes.
//
// `armv6` is the one switch between ARMv7-A and ARMv6 (ARM1176) code: the emitters below (and Labels.addressOf)
// choose the sequence, so the rest of the translator and the device code never test it. ARMv6 lacks MOVW/MOVT
// (constants come from a32/constants.ts), MLS, SBFX and UDIV/SDIV (the host never asks for both).

import {
  AL, OP_ADD, OP_MVN, OP_SUB, SH_ASR, SH_LSL, branch, dpImm, immRot, mls, movImm, movt, movw, mul, opImm, opImmS,
  opReg, opRegS, sbfx, shiftImm,
} from "./encoder";
import { constWord, constWords } from "./constants";

export class Code {
  out: usize = 0;
  pos: i32 = 0; // bytes written
  measuring: bool = true;
  lastWord: u32 = 0; // the instruction emit() wrote last (also while measuring)
  armv6: bool = false; // ARMv6 code (see the header)

  /** Start a pass: writing at `buffer`, or only measuring. */
  reset(buffer: usize, measure: bool): void {
    this.out = buffer;
    this.pos = 0;
    this.measuring = measure;
  }

  /** Forget everything written after position p (a dry run of the translator). */
  rewind(p: i32): void {
    this.pos = p;
  }

  emit(word: u32): void {
    if (!this.measuring) store<u32>(this.out + <usize>this.pos, word);
    this.pos += 4;
    this.lastWord = word;
  }

  /** A data word (a table in the image), not an instruction. */
  data(word: u32): void {
    this.emit(word);
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
  }

  /**
   * The register the last instruction wrote when it is an unconditional data-processing instruction that can set
   * the flags (not a compare or test, a multiply or a halfword transfer, MOVW or MOVT); else -1.
   */
  lastFlagSettable(): i32 {
    const w = this.lastWord;
    if ((w >>> 28) != 0xe || (w & 0x0c000000) != 0) return -1;
    if ((w & 0x02000000) == 0 && (w & 0x90) == 0x90) return -1;
    const op = (w >> 21) & 15;
    if (op >= 8 && op <= 11) return -1;
    return <i32>((w >> 12) & 15);
  }

  /** Sets the S bit of the instruction at pos - 4 (see lastFlagSettable): its result sets Z. */
  setFlagsOfLast(): void {
    this.lastWord |= 1 << 20;
    if (!this.measuring) store<u32>(this.out + <usize>(this.pos - 4), this.lastWord);
  }

  emitByte(b: u32): void {
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
  }
}
