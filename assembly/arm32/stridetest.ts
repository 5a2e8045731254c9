// The span of an access analysis/strides.ts bounds by a counter stepped next to its pointer, in the entry test of
// the loop analysis/facts.ts planned (facttest.ts emitFactSpan): R * (U - E_q), U the counter's bound at the trip's
// start (B + adj for a bound register B, whose high word facttest.ts tested zero, or the constant adj), E_q the
// counter's value on entry. A span below 0 (the counter already past U) or of 2^32 or more fails: the head's
// ordinary code. Uses r0, r1 and lr.
import { HI, HS, LO, LR, NE, R0, R1, cmpImm, dpReg, movReg, opRegS, shiftImm, AL, OP_MOV, OP_SUB, SH_LSL, SH_LSR } from "./a32/encoder";
import { factAdj, factBound } from "./analysis/facts";
import { accRegs, accWord, loopBodyAt, loopHead } from "./analysis/loops";
import { strideCounter, strideLogR } from "./analysis/strides";
import { Context } from "./jit/context";
import { leave } from "./jit/copies";
import { hi, known0, lo } from "./jit/regs";

/** Whether access a is bounded by a counter stepped next to its pointer (analysis/strides.ts). */
export function isStrideAccess(a: i32): bool { return strideCounter(accWord(a)) >= 0; }

/** r1 = access a's span (see above). */
export function emitStrideSpan(c: Context, k: i32, a: i32): void {
  const q = strideCounter(accWord(a));
  const b = factBound(a), adj = factAdj(a);
  if (b >= 0) {
    const l = lo(c, b, R1);
    if (adj != 0) {
      c.emitAddConstS(R1, l, <u32>adj, LR); // the carry: a wrap-around above or below
      fail(c, adj > 0 ? HS : LO, k);
    } else if (l != R1) c.emit(movReg(R1, l));
  } else c.emitConst(R1, <u32>adj);
  if (!known0(c, q)) {
    c.emit(cmpImm(hi(c, q, R0), 0));
    fail(c, NE, k);
  }
  c.emit(opRegS(OP_SUB, R1, R1, lo(c, q, R0)));
  fail(c, LO, k);
  const logR = strideLogR(accRegs(a));
  if (logR != 0) {
    c.emit(dpReg(AL, OP_MOV, 1, R0, 0, R1, SH_LSR, <u32>(32 - logR))); // the bits shifted out: none
    fail(c, NE, k);
    c.emit(shiftImm(SH_LSL, R1, R1, <u32>logR));
  }
}

function fail(c: Context, cond: u32, k: i32): void {
  leave(c, cond, loopBodyAt(k), loopHead(k));
}
