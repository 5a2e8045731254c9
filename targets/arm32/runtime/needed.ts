// Which runtime routines an image needs. Module executables have them all; a trace script's executable
// (OPT_BPFTRACE) leaves out those its program cannot reach, and the fault lines that only they report: the budget
// fault without a budget, the call depth fault without bpf-to-bpf calls, signed division without signed divisions
// (in the program or the printer's signed averages), packet loads without LD_ABS/LD_IND, map_delete_elem when the
// program never calls it, the conformance suite's helper outside it. Every image leaves out the memory check
// entries no access of the program takes (memory.ts checks every access but those of the frame pointer into its
// own frame; an entry it needed and did not get is a label never bound: the translation fails).

import { inOwnFrame } from "../../../assembly/arm32/analysis/loops";
import { Context } from "../../../assembly/arm32/jit/context";
import { OPT_BPFTRACE, OPT_BT_AVG, OPT_BT_SIGNED, OPT_CONFORMANCE } from "../abi";
import {
  L_BUDGET_FAULT, L_DEPTH_FAULT, L_HELPER_DELETE, L_HELPER_UNWIND, L_LDPKT, L_SDIVMOD64,
} from "../image";

/** Does the image need the routine at label `routine` (one of those above)? */
export function needed(c: Context, routine: i32): bool {
  if ((c.options & OPT_BPFTRACE) == 0) return true;
  if (routine == L_BUDGET_FAULT) return c.budget != 0;
  if (routine == L_HELPER_UNWIND) return (c.options & OPT_CONFORMANCE) != 0;
  if (routine == L_SDIVMOD64 && (c.options & OPT_BT_AVG) && (c.options & OPT_BT_SIGNED)) return true;
  for (let i = 0; i < c.count; i++) {
    const p = c.insns + (<usize>i << 3);
    const op = <u32>load<u8>(p);
    if (op == 0x18) { i++; continue; }
    const cls = op & 7;
    const call = op == 0x85;
    if (routine == L_DEPTH_FAULT && call && (load<u8>(p + 1) >> 4) == 1) return true;
    if (routine == L_HELPER_DELETE && call && (load<u8>(p + 1) >> 4) == 0 && load<i32>(p + 4) == 3) return true;
    if (routine == L_LDPKT && cls == 0 && ((op & 0xe0) == 0x20 || (op & 0xe0) == 0x40)) return true;
    const divides = (cls == 4 || cls == 7) && ((op & 0xf0) == 0x30 || (op & 0xf0) == 0x90);
    if (routine == L_SDIVMOD64 && divides && load<i16>(p + 2) == 1) return true;
  }
  return false;
}

/** Does the image need memory check entry k (L_CHECK + k: read 1/2/4/8, then write 1/2/4/8)? */
export function checkNeeded(c: Context, k: i32): bool {
  for (let i = 0; i < c.count; i++) {
    const p = c.insns + (<usize>i << 3);
    const op = <u32>load<u8>(p);
    if (op == 0x18) { i++; continue; }
    const cls = op & 7;
    if (cls < 1 || cls > 3) continue; // LDX, ST, STX
    const size = (op >> 3) & 3; // W, H, B, DW
    const bytes = size == 0 ? 4 : size == 1 ? 2 : size == 2 ? 1 : 8;
    if (((k >> 2) == 1) != (cls != 1) || (1 << (k & 3)) != bytes) continue;
    const regs = <i32>load<u8>(p + 1);
    const base = cls == 1 ? regs >> 4 : regs & 15;
    const atomic = (op & 0xe0) == 0xc0; // an atomic operation's address is always checked
    if (atomic || !inOwnFrame(base, <i32>load<i16>(p + 2), bytes)) return true;
  }
  return false;
}

/**
 * Does the image need memory recheck entry k (L_RECHECK + k, for loop copies)? Only when it needs L_CHECK + k and
 * the program jumps backwards somewhere (no loop, no copy). Decided from the instructions alone: the runtime is
 * emitted before the loops are found, and must be the same size in every pass.
 */
export function recheckNeeded(c: Context, k: i32): bool {
  if (!checkNeeded(c, k)) return false;
  for (let i = 0; i < c.count; i++) {
    const p = c.insns + (<usize>i << 3);
    const op = <u32>load<u8>(p);
    if (op == 0x18) { i++; continue; }
    const cls = op & 7;
    const jump = (cls == 5 || cls == 6) && op != 0x85 && op != 0x95; // JMP, JMP32, not call or exit
    const off = op == 0x06 ? load<i32>(p + 4) : <i32>load<i16>(p + 2); // (gotol: a 32-bit offset)
    if (jump && off < 0) return true;
  }
  return false;
}
