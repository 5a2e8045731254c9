// Map helpers of families the image holds no map of (maps/common.ts F_MISSING): the faults the core gives for them
// (assembly/helpers.ts), so that an object without a ring buffer, or without any map, reports what the
// interpreter reports: the map argument (r1; r2 for perf_event_output) is no map of the right kind, and
// ringbuf_submit / ringbuf_discard name a pointer that is not a reserved sample. Emitted only when a program calls
// such a helper, or calls helpers through a register.

import { IP, LR, R0, R1, R11, R2, R3, ldr, movImm, movReg } from "../../../assembly/arm32/a32/encoder";
import { Context } from "../../../assembly/arm32/jit/context";
import { FAULT_BAD_MAP, FAULT_BAD_RECORD } from "../../../assembly/layout";
import { L_FAULT, S_REGS } from "../image";
import { F_MISSING, NM_ARG1, NM_ARG2, NM_FAULT, NM_RECORD } from "./common";

export function emitMissingMapHelpers(c: Context): void {
  if (!(c.families & F_MISSING)) return;
  for (let k = 0; k < 3; k++) {
    // r2:r3 = the argument the fault names, r0 = the fault
    const arg = k == 1 ? 2 : 1;
    c.label(k == 0 ? NM_ARG1 : k == 1 ? NM_ARG2 : NM_RECORD);
    c.emit(ldr(R2, R11, S_REGS + 8 * arg));
    c.emit(ldr(R3, R11, S_REGS + 8 * arg + 4));
    c.emit(movImm(R0, k == 2 ? FAULT_BAD_RECORD : FAULT_BAD_MAP));
    if (k < 2) c.b(NM_FAULT);
  }
  c.label(NM_FAULT);
  c.emit(movReg(R1, LR));
  c.emit(movImm(IP, 0));
  c.b(L_FAULT);
}
