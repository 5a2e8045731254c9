// Bounds that grow with a multiple of a register, for analysis/facts.ts: a value in [lo, (B << scale) + hi], B a
// register the loop does not write. A sum of two values below the same B is below 2B (scale 1), halving it gives
// back B (a binary search's `mid = (lo + hi) / 2` with lo < hi <= n lies in [lo, n)), and an index shifted left
// to bytes grows with B << k (`a + (mid << 2)`). B's value is tested below 2^SMALL_BITS on entry wherever a scale
// or a 32-bit operation relies on it (facttest.ts), so that B << MAX_SCALE plus any offset below 2^20 stays below
// 2^32: such a value, at least 0, is its own low word.
export const SCALE_AT: i32 = 4; // in a bound: the register + 1 (4 bits), then the scale
export const MAX_SCALE: i32 = 3;
export const SMALL_BITS: i32 = 28;
const REGISTER_BOUNDS: i32 = 14; // bounds 1-14 (and their scaled forms): a register's (15 is a constant bound)

/** A register bound's scale (0 for B itself). */
@inline export function scaleOf(bound: i32): i32 { return bound >> SCALE_AT; }
/** A register bound's register. */
@inline export function boundReg(bound: i32): i32 { return (bound & 15) - 1; }
/** Whether a bound grows with a register (not none, 0, nor a constant, 15). */
@inline export function isRegBound(bound: i32): bool { return bound != 0 && (bound & 15) <= REGISTER_BOUNDS; }
/** The bound of (B << scale) << k, or -1 past MAX_SCALE. */
export function scaledBy(bound: i32, k: i32): i32 {
  const s = scaleOf(bound) + k;
  return s < 0 || s > MAX_SCALE ? -1 : (bound & 15) | s << SCALE_AT;
}
