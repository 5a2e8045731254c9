// A byte or halfword range test without its mask: clang's `(u8)(c - 'a') < 26` is
//
//   mov32 y, x         (x below 2^w: ranges.ts; or `ldxb y` / `ldxh y` for w = 8 / 16)
//   add32 y, C         (-2^w < C <= 0)
//   and32 y, 2^w - 1
//   jCC   y, K         (JEQ, JNE, JLT, JGE, JLE, JGT; 32 or 64 bits, against a constant)
//
// with no block start after the first and y read nowhere after the jump, on either path (liveness.ts). x + C lies
// in [C, 2^w - 1 + C]: where it is at least 0 the mask changes nothing, and where it is negative the masked value
// lies in [2^w + C, 2^w) and the unmasked one (as 32 bits) in [2^32 + C, 2^32); every such value compares as at
// least K' (K for < and >=, K + 1 for ==, !=, <= and >) where K' <= 2^w + C, so the jump goes the same way without
// the AND. y keeps x + C: nothing but the jump reads it.

import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { liveAt } from "./liveness";
import {
  ALU_ADD, ALU_MOV, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_LDX, JMP_JEQ, JMP_JGE, JMP_JGT, JMP_JLE, JMP_JLT, JMP_JNE,
  MODE_MEM, SRC_X,
} from "../../isa";

/** Whether instruction i, `and32 y, 2^w - 1`, may be left out (see above). */
export function maskOnlyCompared(c: Context, i: i32): bool {
  if (i < 2 || i + 1 >= c.count) return false;
  const y = dstOf(c, i);
  const mask = <u32>immOf(c, i);
  if (mask != 0xff && mask != 0xffff) return false;
  const w = mask == 0xff ? 8 : 16;
  for (let j = i - 1; j <= i + 1; j++) if ((flagOf(c, j) & F_LEADER) != 0) return false;
  // y = x + C
  const add = i - 1;
  if (opcode(c, add) != (CLS_ALU | ALU_ADD) || dstOf(c, add) != y || offOf(c, add) != 0) return false;
  const k = immOf(c, add);
  if (k > 0 || k <= -(1 << w)) return false;
  // x below 2^w
  const from = i - 2;
  const op = opcode(c, from);
  if (dstOf(c, from) != y) return false;
  if (op == (CLS_ALU | ALU_MOV | SRC_X)) {
    const x = srcOf(c, from);
    if (x == y || x >= 10 || offOf(c, from) != 0 || c.ranges.widthNow(x) > w) return false;
  } else if (op != (CLS_LDX | MODE_MEM | 0x10) && !(w == 16 && op == (CLS_LDX | MODE_MEM | 0x08))) return false;
  // the jump
  const j = i + 1;
  const jop = opcode(c, j);
  const cls = jop & 7;
  const code = jop & 0xf0;
  if ((cls != CLS_JMP && cls != CLS_JMP32) || (jop & SRC_X) != 0 || dstOf(c, j) != y) return false;
  const bound = <i64>immOf(c, j) + (code == JMP_JLT || code == JMP_JGE ? 0 : 1);
  if (code != JMP_JEQ && code != JMP_JNE && code != JMP_JLT && code != JMP_JGE && code != JMP_JLE && code != JMP_JGT) {
    return false;
  }
  if (immOf(c, j) < 0 || bound > (<i64>1 << w) + k) return false;
  return !liveAt(c, j + 1, y) && !liveAt(c, j + 1 + offOf(c, j), y);
}
