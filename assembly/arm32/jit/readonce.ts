// A 32-bit product by a constant that one operation reads and nothing reads after: clang's `x - (x / 10) * 10`
// (`mov32 t, q; mul32 t, 10; mov32 d, x; sub32 d, t`) and `cur * 10 + d` (`...; add32 d, t`). ARM's second operand
// is shifted for free and MLA / MLS add or subtract a product in one, so the product itself is never written:
//
//   [mov32 t, a]        (a copy first, a not t; without it a is t)
//   mul32 t, K | lsh32 t, k
//   [mov32 d, b]        (b neither d nor t; without it b is d)
//   op32  d, t          (ADD, SUB, AND, OR, XOR; d not t)
//
// with no block start after the first and t read nowhere after (liveness.ts). With K = m * 2^q and m one of 1,
// 2^p + 1, 2^p - 1 (k: m = 1, q = k): `s = a * m` by the shifter (none for m = 1) and `d = b OP (s << q)`.
// Otherwise, an add or a subtraction: `d = b +- a * K`, one MLA or MLS with K in a register (kept by the loop copy,
// else moved first). An AND, OR or XOR by another K, or a subtraction on ARMv6 (no MLS), is left to the pairs.
// t keeps the value it had (as fuse.ts's load through a dead sum does): nothing reads it.

import { AL, OP_ADD, OP_AND, OP_EOR, OP_ORR, OP_RSB, OP_SUB, R0, R2, R3, SH_LSL, dpReg, mla, mls } from "../a32/encoder";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { liveAt } from "./liveness";
import { loopConstant } from "./loopregs";
import { constIn, lo, loDst, setHiZero, setLo } from "./regs";
import { ALU_ADD, ALU_AND, ALU_LSH, ALU_MOV, ALU_MUL, ALU_OR, ALU_SUB, ALU_XOR, CLS_ALU, SRC_X } from "../../isa";

const COPY32: u32 = CLS_ALU | ALU_MOV | SRC_X;

/** Whether i is `mov32 d, s` (a register, no sign extension), d not s. */
function isCopy32(c: Context, i: i32): bool {
  return opcode(c, i) == COPY32 && offOf(c, i) == 0 && dstOf(c, i) != srcOf(c, i) && dstOf(c, i) < 10 &&
    srcOf(c, i) < 10;
}

/** The constant factor of `mul32 t, K` or `lsh32 t, k` (1 <= k <= 31) at i, 0 when i is neither. */
function factorAt(c: Context, i: i32): u32 {
  const op = opcode(c, i);
  if (offOf(c, i) != 0) return 0;
  if (op == (CLS_ALU | ALU_MUL)) return <u32>immOf(c, i);
  const k = immOf(c, i);
  return op == (CLS_ALU | ALU_LSH) && k >= 1 && k <= 31 ? <u32>1 << <u32>k : 0;
}

/** The shifter's form of K: q (K = m * 2^q) in the low byte, p + 1 in the next (m = 2^p + 1), p + 1 in the third
 * (m = 2^p - 1), neither for m = 1; -1 when m is none of those. */
function shifterForm(v: u32): i32 {
  const q = ctz(v);
  const m = v >> q;
  if (m == 1) return q;
  if (((m - 1) & (m - 2)) == 0) return q | ((ctz(m - 1) + 1) << 8);
  if (((m + 1) & m) == 0 && m != 0xffffffff) return q | ((ctz(m + 1) + 1) << 16);
  return -1;
}

/** The length of the group at i (2 to 4 instructions), 0 when none starts there. */
export function readOnceLength(c: Context, i: i32): i32 {
  let p = i;
  if (isCopy32(c, p)) p++;
  if (p >= c.count) return 0;
  const t = dstOf(c, p);
  const v = factorAt(c, p);
  if (v == 0 || t >= 10 || p > i && dstOf(c, i) != t) return 0;
  let q = p + 1;
  if (q < c.count && isCopy32(c, q) && srcOf(c, q) != t) q++;
  if (q >= c.count) return 0;
  const op = opcode(c, q);
  const code = op & 0xf0;
  if ((op & 7) != CLS_ALU || (op & SRC_X) == 0 || offOf(c, q) != 0 || srcOf(c, q) != t) return 0;
  const d = dstOf(c, q);
  if (d == t || d >= 10 || q > p + 1 && dstOf(c, p + 1) != d) return 0;
  if (code != ALU_ADD && code != ALU_SUB && code != ALU_AND && code != ALU_OR && code != ALU_XOR) return 0;
  for (let j = i + 1; j <= q; j++) if ((flagOf(c, j) & F_LEADER) != 0) return 0;
  if (shifterForm(v) < 0 && code != ALU_ADD && (code != ALU_SUB || c.armv6)) return 0;
  if (liveAt(c, q + 1, t)) return 0;
  return q + 1 - i;
}

/** Emits the group at i of n instructions (readOnceLength). */
export function emitReadOnce(c: Context, i: i32, n: i32): void {
  const p = isCopy32(c, i) ? i + 1 : i;
  const a = p > i ? srcOf(c, i) : dstOf(c, p);
  const last = i + n - 1;
  const d = dstOf(c, last);
  const b = last > p + 1 ? srcOf(c, p + 1) : d;
  const code = opcode(c, last) & 0xf0;
  const v = factorAt(c, p);
  const form = shifterForm(v);
  const al = lo(c, a, R0);
  const scaled = form >= 0 && (form >> 8) != 0; // m is not 1: the shifter's form takes two instructions
  if (form < 0 || scaled && (code == ALU_ADD || code == ALU_SUB && !c.armv6) && loopConstant(c, <i32>v) >= 0) {
    // b +- a * K in one: K from the register the loop copy keeps it in, else moved into r2
    const kl = constIn(c, R2, v);
    const bl = lo(c, b, R3);
    const dl = loDst(c, d);
    c.emit(code == ALU_ADD ? mla(dl, al, kl, bl) : mls(dl, al, kl, bl));
    setLo(c, d, dl);
    setHiZero(c, d);
    return;
  }
  let sl = al;
  const plus = (form >> 8) & 0xff;
  const minus = (form >> 16) & 0xff;
  if (plus != 0 || minus != 0) {
    // s = a * (2^p +- 1), in r0 (a's own register is not written)
    const k = <u32>(plus != 0 ? plus - 1 : minus - 1);
    c.emit(dpReg(AL, plus != 0 ? OP_ADD : OP_RSB, 0, R0, al, al, SH_LSL, k));
    sl = R0;
  }
  const bl = lo(c, b, R2);
  const dl = loDst(c, d);
  const aop = code == ALU_ADD ? OP_ADD : code == ALU_SUB ? OP_SUB : code == ALU_AND ? OP_AND : code == ALU_OR ? OP_ORR : OP_EOR;
  c.emit(dpReg(AL, aop, 0, dl, bl, sl, SH_LSL, <u32>(form & 0xff)));
  setLo(c, d, dl);
  setHiZero(c, d);
}
