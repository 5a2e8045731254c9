// Calls: helpers compiled into the image, and bpf-to-bpf calls with their own stack frames.
// Register access goes through the table in translate.ts.

import {
  emit, emitConst, skip, pos, R0, R1, R2, R3, R11, LR, PC, AL, EQ, NE, HS, OP_CMP, OP_MVN, immRot, dpImm, movImm,
  cmpImm, ldr, str, push, pop, bit, addImm, subImm, branch,
} from "./encoder";
import {
  label, bl, call, S_REGS, S_DEPTH, S_REGIONS, S_RCACHE, L_DEPTH_FAULT, L_HELPER_FAULT, L_HELPER_UNWIND, L_HELPER_LOOKUP,
} from "./image";

import { STACK_SIZE, MAX_CALL_DEPTH, OP_CALLX } from "../isa";
import {
  inArm, lo, hi, setLo, setHi, pairInto, ARM_LO, ARM_HI, options, dstOf, immOf, OPT_CONFORMANCE,
} from "./translate";
import { targetPos } from "./jumps";

/** Helpers compiled into the image: id -> routine label, or -1. */
function helperLabel(id: i32): i32 {
  if ((options & OPT_CONFORMANCE) && id == 5) return L_HELPER_UNWIND;
  if (mapCount > 0 && id >= 1 && id <= 3) return L_HELPER_LOOKUP + id - 1;
  return -1;
}

let mapCount: i32 = 0;
/** Maps in the image: the map helpers are compiled in when there is at least one. */
export function setMapCount(n: i32): void { mapCount = n; }

function spillArguments(): void {
  for (let r = 1; r <= 5; r++) {
    if (inArm(r)) {
      emit(str(unchecked(ARM_LO[r]), R11, S_REGS + 8 * r));
      emit(str(unchecked(ARM_HI[r]), R11, S_REGS + 8 * r + 4));
    }
  }
}

export function emitHelperCall(i: i32, op: u32): bool {
  spillArguments();
  if (op == <u32>OP_CALLX) {
    // Helper id in a register, known at run time only: compare against every helper compiled in.
    pairInto(dstOf(i), R2, R3);
    for (let id = 1; id <= 5; id++) {
      const target = helperLabel(id);
      if (target < 0) continue;
      emit(cmpImm(R3, 0));
      emit(dpImm(EQ, OP_CMP, 1, 0, R2, immRot(<u32>id)));
      skip(NE, 2);
      bl(target);
      let later = 0;
      for (let k = id + 1; k <= 5; k++) if (helperLabel(k) >= 0) later++;
      skip(AL, 1 + 5 * later); // past the other comparisons and the fault
    }
    bl(L_HELPER_FAULT);
  } else {
    const target = helperLabel(immOf(i));
    if (target < 0) {
      emitConst(R2, <u32>immOf(i));
      emit(movImm(R3, 0));
      bl(L_HELPER_FAULT);
      return true;
    }
    bl(target);
  }
  setLo(0, R0);
  setHi(0, R1);
  return true;
}

export function emitLocalCall(i: i32): void {
  const t = i + 1 + immOf(i);
  emit(ldr(R0, R11, S_DEPTH));
  emit(cmpImm(R0, MAX_CALL_DEPTH - 1));
  call(HS, L_DEPTH_FAULT);
  emit(addImm(R0, R0, 1));
  emit(str(R0, R11, S_DEPTH));
  emit(ldr(R0, R11, S_REGIONS + 4));
  emit(addImm(R0, R0, STACK_SIZE));
  emit(str(R0, R11, S_REGIONS + 4));
  emit(str(R0, R11, S_REGIONS + 12));
  emit(str(R0, R11, S_REGS + 80)); // the callee's r10: the top of its new frame
  // r6-r9 survive the call: saved on the native stack with the return address
  for (let r = 9; r >= 6; r--) {
    const l = lo(r, R0);
    const h = hi(r, R1);
    emit(push(bit(l) | bit(h)));
  }
  emit(addImm(LR, PC, 4)); // the instruction after the branch
  emit(push(bit(LR)));
  emit(branch(AL, false, pos, targetPos(t)));
  for (let r = 6; r <= 9; r++) {
    if (inArm(r)) emit(pop(bit(unchecked(ARM_LO[r])) | bit(unchecked(ARM_HI[r]))));
    else {
      emit(pop(bit(R0) | bit(R1)));
      setLo(r, R0);
      setHi(r, R1);
    }
  }
  emit(ldr(R0, R11, S_DEPTH));
  emit(subImm(R0, R0, 1));
  emit(str(R0, R11, S_DEPTH));
  emit(ldr(R0, R11, S_REGIONS + 4));
  emit(subImm(R0, R0, STACK_SIZE));
  emit(str(R0, R11, S_REGIONS + 4));
  emit(str(R0, R11, S_REGIONS + 12));
  emit(str(R0, R11, S_REGS + 80));
  // the stack region shrank: the inline memory checks' region may have been the larger one
  emit(dpImm(AL, OP_MVN, 0, R0, 0, 0));
  emit(str(R0, R11, S_RCACHE));
  emit(str(R0, R11, S_RCACHE + 8));
}
