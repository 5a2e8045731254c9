// Loops whose trips a division bounds: a value divided by a constant on every trip, the loop going on while it (or
// its value before the division) is above a constant K: the digit loop of `do { *p++ = '0' + v % 10; v /= 10; }
// while (v);`, clang's `if (w3 > 9) goto head` on the value before the division, or `while ((v >>= 4) != 0)`. No
// compare bounds the counter such a loop writes through; the division does: after j divisions by D, a 32-bit value
// V is at most M_j = (2^32 - 1) / D^j (2^64 - 1 for a 64-bit division; a right shift by s divides by 2^s), whatever
// V was on entry, so once M_j <= K no trip goes on. loops.ts planDivided then plans the loop as a counted one whose
// counter moves at most trips - 1 steps (versioned.ts: the test on entry, the copy without checks).
//
// The loop is one block [h, l] (no jump inside it but the closing one at l, back to h), entered only at h
// (loops.ts planLoop checks that), so every trip runs every instruction once. At l: `jgt X, K` (JMP or JMP32, K a
// constant), `jge X, K + 1` or `jne X, 0`. V is written once in the block, by `div V, D` (D >= 2) or `rsh V, s` (s >=
// 1, unsigned, imm forms, 32 or 64 bits wide); X is V itself, or X's last write before l is `mov X, V` (or mov32:
// at most V). With t the trip (from 0), V at its start is V_t, V_t <= M_t for t >= 1:
//   - X copied before the division: X_t = V_t; trip t >= 1 goes on only while M_t > K, so with J the largest j with
//     M_j > K (0 if none) the last trip is at most J + 1: at most J + 2 trips;
//   - X the divided value (after the division): X_t = V_(t+1), trip t goes on only while M_(t+1) > K: at most J + 1.
// A 32-bit test of a 64-bit division's value is not planned (its low word may be small while the value is not).
import { Context } from "../jit/context";
import { dstAt, immAt, offAt, opAt, srcAt, writes } from "./fields";
import { CLS_JMP, CLS_JMP32, JMP_JGE, JMP_JGT, JMP_JNE } from "../../isa";

/** The divisor of instruction i when it divides its destination by a constant (unsigned), else 0; a shift by s: 2^s. */
function divisor(c: Context, i: i32, wide: bool): u64 {
  const op = opAt(c, i);
  const imm = immAt(c, i);
  if (offAt(c, i) != 0) return 0; // (a signed division)
  if (op == (wide ? 0x37 : 0x34)) return imm >= 2 ? <u64>imm : 0;
  const bits = wide ? 64 : 32;
  if (op == (wide ? 0x77 : 0x74)) return imm >= 1 && imm < bits ? <u64>1 << <u64>imm : 0;
  return 0;
}

/**
 * The most trips loop [h, l] can run (see above), or 0 when it is not of that shape. K stays below 2^31; the
 * result is at most 65 (a 64-bit value halved on every trip).
 */
export function divisionTrips(c: Context, h: i32, l: i32): i32 {
  for (let i = h; i < l; i++) {
    const cls = opAt(c, i) & 7;
    if (cls == CLS_JMP || cls == CLS_JMP32) return 0;
    if (opAt(c, i) == 0x18) i++;
  }
  const test = opAt(c, l);
  const narrow = (test & 7) == CLS_JMP32;
  const kind = test & 0xf0;
  const imm = immAt(c, l);
  if ((test & 0x08) != 0 || offAt(c, l) != -(l - h + 1)) return 0; // a constant compared, the jump back to h
  let k: i64;
  if (kind == JMP_JGT && imm >= 0) k = imm;
  else if (kind == JMP_JGE && imm >= 1) k = <i64>imm - 1;
  else if (kind == JMP_JNE && imm == 0) k = 0;
  else return 0;
  const x = dstAt(c, l);
  // X's last write: the division itself, or a copy of V
  let p = -1;
  for (let i = h; i < l; i++) {
    if ((writes(c, i) >> x) & 1) p = i;
    if (opAt(c, i) == 0x18) i++;
  }
  if (p < 0) return 0;
  let v = x;
  const pop = opAt(c, p);
  if ((pop == 0xbf || pop == 0xbc) && offAt(c, p) == 0 && srcAt(c, p) != x) v = srcAt(c, p);
  // V's one write: the division
  let q = -1;
  for (let i = h; i < l; i++) {
    if ((writes(c, i) >> v) & 1) {
      if (q >= 0) return 0;
      q = i;
    }
    if (opAt(c, i) == 0x18) i++;
  }
  if (q < 0) return 0;
  let wide = false;
  let d = divisor(c, q, false);
  if (d == 0) {
    wide = true;
    d = divisor(c, q, true);
  }
  if (d == 0 || (wide && narrow)) return 0;
  // J: how many divisions leave a value that may still be above K
  let m: u64 = wide ? u64.MAX_VALUE : <u64>u32.MAX_VALUE;
  let j = 0;
  for (;;) {
    m /= d;
    if (m <= <u64>k) break;
    j++;
  }
  return v != x && q > p ? j + 2 : j + 1;
}
