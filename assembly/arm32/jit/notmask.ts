// A flag negated and masked: clang's `!a && !b` of two flags is `or32 x, y; xor32 x, -1; and x, 1`. Where x is
// below 2^w (ranges.ts) and the mask is 2^w - 1, (~x) & mask is x ^ mask: one EOR instead of MVN and AND.
//
//   xor32 x, -1
//   and   x, 2^w - 1      (ALU64 or ALU32, 1 <= w <= 8: the mask an ARM immediate; not a block start)

import { OP_EOR, R0, immRot, opImm } from "../a32/encoder";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode } from "./context";
import { lo, loDst, setHiZero, setLo } from "./regs";
import { ALU_AND, ALU_XOR, CLS_ALU, CLS_ALU64 } from "../../isa";

/** Whether i starts the pair above. */
export function isNotMask(c: Context, i: i32): bool {
  if (i + 1 >= c.count || (flagOf(c, i + 1) & F_LEADER) != 0) return false;
  if (opcode(c, i) != (CLS_ALU | ALU_XOR) || immOf(c, i) != -1 || offOf(c, i) != 0) return false;
  const x = dstOf(c, i);
  const and = opcode(c, i + 1);
  if ((and != (CLS_ALU | ALU_AND) && and != (CLS_ALU64 | ALU_AND)) || dstOf(c, i + 1) != x || offOf(c, i + 1) != 0) {
    return false;
  }
  const mask = immOf(c, i + 1);
  if (x >= 10 || mask <= 0 || mask > 0xff || (mask & (mask + 1)) != 0) return false;
  return c.ranges.widthNow(x) <= 32 - clz(mask);
}

/** Emits the pair at i (isNotMask): x = x ^ mask, its high word 0. */
export function emitNotMask(c: Context, i: i32): void {
  const x = dstOf(c, i);
  const xl = lo(c, x, R0);
  const dl = loDst(c, x);
  c.emit(opImm(OP_EOR, dl, xl, immRot(<u32>immOf(c, i + 1))));
  setLo(c, x, dl);
  setHiZero(c, x);
}
