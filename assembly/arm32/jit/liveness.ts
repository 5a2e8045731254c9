// Whether an eBPF register's value may still be read: some path from an instruction reads it before writing it.
// bytes.ts asks before it emits a deferred value that nothing would read (a temporary of a byte-assembled word,
// left over at the loop's end). The walk follows the program's jumps from that instruction, a path ending where
// the register is written; anything it does not model (a bpf-to-bpf call, a tail call, a legacy packet load, an
// atomic operation's own registers and r0, more paths than it keeps track of) counts as a read. A helper call reads r1-r5, but for a
// bpf_map_lookup_elem emitted inline (lookupplan.ts), which reads none of them: what clang sets them to for it is
// read by nothing (unread.ts).

import { Context, F_FUNC, F_PROG, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { inlinedLookup } from "./lookupplan";
import {
  ALU_MOV, CALL_HELPER, CLS_ALU, CLS_ALU64, CLS_JMP, CLS_JMP32, CLS_LDX, CLS_ST, CLS_STX, JMP_CALL, JMP_EXIT,
  JMP_JA, MODE_MEM, MODE_MEMSX, SRC_X,
} from "../../isa";

const MAX_PATHS = 32;
const MAX_STEPS = 2048;
const TAIL_CALL = 12;
const HELPER_MAP_LOOKUP = 1;

/** Whether register r (0-9) may be read on some path from instruction t before it is written. */
export function liveAt(c: Context, t: i32, r: i32): bool {
  const bit = <u32>1 << <u32>r;
  let paths = 1; // the starts found (c.liveStarts), each walked once
  let walked = 0;
  let steps = 0;
  unchecked(c.liveStarts[0] = t);
  while (walked < paths) {
    let i = unchecked(c.liveStarts[walked++]);
    while (true) {
      if (i < 0 || i >= c.count || ++steps > MAX_STEPS) return true;
      const op = opcode(c, i);
      const cls = op & 7;
      const d = dstOf(c, i);
      const dbit = <u32>1 << <u32>d;
      const sbit = <u32>1 << <u32>srcOf(c, i);
      if (cls == CLS_ALU || cls == CLS_ALU64) {
        if ((op & SRC_X) != 0 && (sbit & bit) != 0) return true;
        if ((op & 0xf0) != ALU_MOV && (dbit & bit) != 0) return true;
        if (dbit & bit) break;
        i++;
        continue;
      }
      if (cls == CLS_LDX) {
        const mode = op & 0xe0;
        if ((mode != MODE_MEM && mode != MODE_MEMSX) || (sbit & bit) != 0) return true;
        if (dbit & bit) break;
        i++;
        continue;
      }
      if (cls == CLS_ST || cls == CLS_STX) {
        // atomics read their address and src, and cmpxchg r0 too (the others they read and write nothing of)
        if ((op & 0xe0) != MODE_MEM && (r == 0 || (dbit & bit) != 0 || (sbit & bit) != 0)) return true;
        if ((dbit & bit) != 0 || (cls == CLS_STX && (sbit & bit) != 0)) return true;
        i++;
        continue;
      }
      if (op == 0x18) {
        if (dbit & bit) break;
        i += 2;
        continue;
      }
      if (cls != CLS_JMP && cls != CLS_JMP32) return true; // legacy packet loads
      const code = op & 0xf0;
      if (code == JMP_EXIT) {
        if (r == 0 || (r <= 5 && !inProgram(c, i))) return true; // what a bpf-to-bpf caller may find in r1-r5
        break; // r6-r9: the caller's are restored
      }
      if (code == JMP_CALL) {
        if (op != 0x85 || srcOf(c, i) != CALL_HELPER || immOf(c, i) == TAIL_CALL) return true;
        if (r == 0) break; // the helper's result
        // the helper's arguments; a lookup emitted inline reads its key through r10 and none of them
        if (r <= 5 && !(immOf(c, i) == HELPER_MAP_LOOKUP && inlinedLookup(c, i))) return true;
        i++;
        continue;
      }
      const target = op == 0x06 ? i + 1 + immOf(c, i) : i + 1 + offOf(c, i);
      if (code != JMP_JA && ((dbit & bit) != 0 || ((op & SRC_X) != 0 && (sbit & bit) != 0))) return true;
      paths = push(c, target, paths);
      if (paths < 0) return true;
      if (code == JMP_JA) break;
      i++;
    }
  }
  return false;
}

/** Whether instruction i is in a program's own code, not in a bpf-to-bpf function. */
function inProgram(c: Context, i: i32): bool {
  for (let j = i; j >= 0; j--) {
    const f = flagOf(c, j);
    if (f & F_FUNC) return (f & F_PROG) != 0;
  }
  return true;
}

/** Instruction t among the starts to walk: the new count of starts, -1 when there is no room. */
function push(c: Context, t: i32, paths: i32): i32 {
  for (let k = 0; k < paths; k++) if (unchecked(c.liveStarts[k]) == t) return paths;
  if (paths >= MAX_PATHS) return -1;
  unchecked(c.liveStarts[paths] = t);
  return paths + 1;
}
