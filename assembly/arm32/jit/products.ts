// A product rotated, MurmurHash3's `k *= c1; k = rotl32(k, r)`: clang folds the rotation's left shift into a
// second product, by c1 << r, so that eBPF gets
//
//   mov32 t, x;  mul32 t, c1 << r;  mul32 x, c1;  rsh32 x, 32 - r;  or32 x, t
//
// which is x * c1 rotated: one MUL (or the shifter's form of it) and one ROR (rotate.ts emits it), when t is not
// read afterwards. Apart from rotate.ts because a loop copy's register choice (loopregs.ts) asks too: the product
// by c1 << r is never made, so its constant and t are no candidates for an ARM register.

import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { liveAt } from "./liveness";

/** Whether the five instructions at i are a product rotated (above). */
export function productRotation(c: Context, i: i32): bool {
  if (opcode(c, i) != 0xbc || offOf(c, i) != 0 || i + 4 >= c.count) return false;
  const t = dstOf(c, i);
  const x = srcOf(c, i);
  if (t == x || t > 9 || x > 9) return false;
  if (opcode(c, i + 1) != 0x24 || dstOf(c, i + 1) != t || opcode(c, i + 2) != 0x24 || dstOf(c, i + 2) != x) return false;
  const m = immOf(c, i + 3);
  if (opcode(c, i + 3) != 0x74 || dstOf(c, i + 3) != x || m < 1 || m > 31) return false;
  if (opcode(c, i + 4) != 0x4c || dstOf(c, i + 4) != x || srcOf(c, i + 4) != t) return false;
  if (<u32>immOf(c, i + 1) != <u32>immOf(c, i + 2) << <u32>(32 - m)) return false;
  for (let q = i + 1; q <= i + 4; q++) if (flagOf(c, q) & F_LEADER) return false;
  return !liveAt(c, i + 5, t);
}

