// Groups of instructions the emitters take as one, recognized here because a loop copy's register choice
// (loopregs.ts) asks too, to count what the group really emits:
//
// - a rotation (rotate.ts), and a product rotated, MurmurHash3's `k *= c1; k = rotl32(k, r)`: clang folds the
//   rotation's left shift into a second product, by c1 << r, so that eBPF gets
//
//     mov32 t, x;  mul32 t, c1 << r;  mul32 x, c1;  rsh32 x, 32 - r;  or32 x, t
//
//   which is x * c1 rotated: one MUL (or the shifter's form of it) and one ROR, when t is not read afterwards (the
//   product by c1 << r is never made, so its constant and t are no candidates for an ARM register);
// - `lddw k, K` and an operation reading k that nothing reads after (fuse.ts emitConstantOperand): K's words go
//   straight to the operation, from the registers a loop copy keeps them in, where it keeps them.

import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import {
  ALU_ADD, ALU_AND, ALU_MUL, ALU_OR, ALU_SUB, ALU_XOR, CLS_ALU, CLS_ALU64, PSEUDO_IMM64, SRC_X,
} from "../../isa";
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

/** The instructions of a rotation at i (rotate.ts: 4 or 5; a product rotated: 5), else 0. */
export function rotationLength(c: Context, i: i32): i32 {
  if (productRotation(c, i)) return 5;
  const mov = opcode(c, i);
  if ((mov != 0xbc && mov != 0xbf) || offOf(c, i) != 0 || i + 3 >= c.count) return 0;
  const wide = mov == 0xbf;
  const t = dstOf(c, i);
  const x = srcOf(c, i);
  if (t == x || t > 9 || x > 9) return 0;
  const rsh: u32 = wide ? 0x77 : 0x74;
  const lsh: u32 = wide ? 0x67 : 0x64;
  const first = opcode(c, i + 1);
  const m = immOf(c, i + 1);
  const bits = wide ? 64 : 32;
  if ((first != rsh && first != lsh) || dstOf(c, i + 1) != t || m < 1 || m >= bits) return 0;
  const second: u32 = first == rsh ? lsh : rsh;
  let y = x;
  let j = i + 2;
  if (wide && opcode(c, j) == 0xbf && offOf(c, j) == 0 && srcOf(c, j) == x && dstOf(c, j) != x && dstOf(c, j) != t) {
    y = dstOf(c, j); // the third form
    j++;
  }
  if (y > 9 || j + 1 >= c.count || opcode(c, j) != second || dstOf(c, j) != y || immOf(c, j) != bits - m) return 0;
  if (opcode(c, j + 1) != (wide ? 0x4f : 0x4c) || dstOf(c, j + 1) != y || srcOf(c, j + 1) != t) return 0;
  for (let q = i + 1; q <= j + 1; q++) if (flagOf(c, q) & F_LEADER) return 0;
  if (wide && liveAt(c, j + 2, t)) return 0;
  return j + 2 - i;
}

/** Whether instruction i is `lddw k, K` whose one use follows (above). */
export function isConstantPair(c: Context, i: i32): bool {
  if (opcode(c, i) != 0x18 || srcOf(c, i) != PSEUDO_IMM64 || i + 2 >= c.count || (flagOf(c, i + 2) & F_LEADER) != 0) return false;
  const k = dstOf(c, i);
  const op = opcode(c, i + 2);
  const cls = op & 7;
  const code = op & 0xf0;
  if ((cls != CLS_ALU && cls != CLS_ALU64) || (op & SRC_X) == 0 || srcOf(c, i + 2) != k || offOf(c, i + 2) != 0) return false;
  if (k >= 10 || dstOf(c, i + 2) == k || dstOf(c, i + 2) >= 10) return false;
  if (code != ALU_ADD && code != ALU_SUB && code != ALU_AND && code != ALU_OR && code != ALU_XOR && code != ALU_MUL) return false;
  return !liveAt(c, i + 3, k);
}
