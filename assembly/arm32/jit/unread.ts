// Arguments nothing reads: clang sets up a helper call's r1 and r2 right before it (`r1 = map ll; r2 = r10;
// r2 += -4` for bpf_map_lookup_elem with a key in the frame), and a lookup emitted inline (lookupplan.ts) reads
// neither; where nothing after the call reads them either (liveness.ts), their code is left out.
//
// What the translator knows of a register's high word must stay true of what its words hold, since a later 32-bit
// write leaves out the store of a zero high word it knows is there (regs.ts setHiZero). So only two set-ups are
// left out, both with nothing to know of their low word:
//   lddw d, K          with K's high word not 0: nothing records d's high word as 0 (the emitters forget it, the
//                      value widths and the loop analyses see K)
//   mov d, r10         (and add d, imm with -STACK_SIZE <= imm <= 0): a frame address, whose high word is 0: d's
//   [add d, imm]       high word is set to 0 (no instruction where it is already known to be)

import { Context, F_LEADER, dstOf, flagOf, immOf, opcode, srcOf } from "./context";
import { liveAt } from "./liveness";
import { PSEUDO_IMM64, STACK_SIZE } from "../../isa";

/** The slots of instructions from i that set up a register nothing reads (see above), or 0. */
export function unreadSetup(c: Context, i: i32): i32 {
  const op = opcode(c, i);
  const d = dstOf(c, i);
  let end = i + 1;
  if (op == 0x18) {
    if (i + 1 >= c.count || srcOf(c, i) != PSEUDO_IMM64 || immOf(c, i + 1) == 0) return 0;
    end = i + 2;
  } else if (op == 0xbf && srcOf(c, i) == 10) {
    // add d, imm (ALU64, an immediate) down into the frame
    if (end < c.count && (flagOf(c, end) & F_LEADER) == 0 && opcode(c, end) == 0x07 && dstOf(c, end) == d &&
      immOf(c, end) >= -STACK_SIZE && immOf(c, end) <= 0) end++;
  } else return 0;
  return d < 10 && !liveAt(c, end, d) ? end - i : 0;
}
