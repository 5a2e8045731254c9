// Magic numbers for division by a constant, shared by both translators (assembly/wasm/translate.ts and
// assembly/arm32/jit/divide.ts): the multipliers and shifts that turn n / d into a multiply-high and shifts. Only
// the numbers live here; each translator emits its own sequence and says why that sequence and not another.

/**
 * The multiplier of an unsigned 32-bit division by d (2 < d < 2^31, not a power of two) of a dividend below
 * 2^bits, the shift in the high word: the shortest exact reciprocal m = ceil(2^s / d) < 2^32 with q = (n * m) >> s,
 * exact when m * d - 2^s <= 2^(s - bits); when there is none, the round-up multiplier (Granlund and Montgomery)
 * m = floor(2^(32 + l) / d) + 1 - 2^32, l = ceil(log2 d), with a shift of 0.
 */
export function unsignedMagic32(d: u32, bits: i32): u64 {
  for (let sh: u64 = 32; sh < 64; sh++) {
    const m = ((<u64>1 << sh) + <u64>d - 1) / <u64>d;
    if (m >> 32) break;
    if (m * <u64>d - (<u64>1 << sh) <= (<u64>1 << (sh - <u64>bits))) return m | (sh << 32);
  }
  const l: u32 = 32 - clz<u32>(d - 1);
  return <u64><u32>(((<u64>1 << <u64>(32 + l)) / <u64>d) + 1);
}

/**
 * The signed magic number of Hacker's Delight (10-1) for 2 <= |d| < 2^31, |d| not a power of two: the multiplier
 * M in the low word, the shift s in the high word. q = hi(n * M) (+ n when d > 0 > M, - n when d < 0 < M),
 * shifted right arithmetically by s, plus one when negative.
 */
export function signedMagic32(d: i32): u64 {
  const two31: u32 = 0x80000000;
  const ad: u32 = <u32>(d < 0 ? -d : d);
  const t: u32 = two31 + (<u32>d >>> 31);
  const anc: u32 = t - 1 - t % ad;
  let p: u32 = 31;
  let q1: u32 = two31 / anc;
  let r1: u32 = two31 - q1 * anc;
  let q2: u32 = two31 / ad;
  let r2: u32 = two31 - q2 * ad;
  let delta: u32 = 0;
  do {
    p++;
    q1 <<= 1; r1 <<= 1;
    if (r1 >= anc) { q1++; r1 -= anc; }
    q2 <<= 1; r2 <<= 1;
    if (r2 >= ad) { q2++; r2 -= ad; }
    delta = ad - r2;
  } while (q1 < delta || (q1 == delta && r1 == 0));
  let m: u32 = q2 + 1;
  if (d < 0) m = -m;
  return (<u64>(p - 32) << 32) | <u64>m;
}

/** The result of unsignedMagic64: q = n / d for every 64-bit n. */
export class Magic64 {
  /** The multiplier's low 64 bits. */
  m: u64 = 0;
  /** The shift: q = hi64(n * m) >> shift, or (n + hi64(n * m)) >> shift (65 bits, see add). */
  shift: u32 = 0;
  /** The multiplier is 2^64 + m: the sum n + hi64(n * m) has 65 bits before the shift. */
  add: bool = false;
}

/**
 * Unsigned 64-bit division by a constant 3 <= d < 2^32 that is not a power of two (Granlund and Montgomery):
 * with k = floor(log2 d), m = ceil(2^(64 + k) / d) < 2^64 gives q = hi64(n * m) >> k for every n < 2^64 when its
 * error m * d - 2^(64 + k) is at most 2^k; otherwise the 65-bit m = floor(2^(65 + k) / d) + 1 is, with
 * q = (n + hi64(n * (m - 2^64))) >> (k + 1). The quotients 2^(64 + j) / d come from a long division by 32-bit
 * digits (d < 2^32 keeps each partial remainder below 2^64).
 * Fills and returns `r`: the caller's one object, as a translator emits a division many times (every pass, every
 * block revisited) and its heap is never freed.
 */
export function unsignedMagic64(d: u32, r: Magic64): Magic64 {
  const k: u32 = 31 - clz<u32>(d);
  const dd = <u64>d;
  // 2^(64 + k) = 2^k * 2^64: its top digit 2^k is below d, so the quotient's digits are the next two
  let rem = (<u64>1 << <u64>k) % dd;
  let cur = rem << 32;
  const q1 = cur / dd;
  rem = cur % dd;
  cur = rem << 32;
  const q0 = cur / dd;
  rem = cur % dd;
  // ceil: 2^(64 + k) is not a multiple of d (d has an odd factor above 1)
  const error = dd - rem;
  if (error <= (<u64>1 << <u64>k)) {
    r.m = ((q1 << 32) | q0) + 1;
    r.shift = k;
    r.add = false;
    return r;
  }
  // floor(2^(65 + k) / d) = 2 * floor(2^(64 + k) / d) + (2 * rem >= d), and it is at least 2^64
  const low = ((q1 << 32) | q0) << 1;
  r.m = low + (rem << 1 >= dd ? 1 : 0) + 1;
  r.shift = k + 1;
  r.add = true;
  return r;
}
