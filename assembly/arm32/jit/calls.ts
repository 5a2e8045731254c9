// Calls: helpers compiled into the image, and bpf-to-bpf calls with their own stack frames.
// Register access goes through the table in translate.ts.

import {
  emit, emitConst, skip, pos, R0, R1, R2, R3, R11, LR, PC, AL, EQ, NE, HS, OP_CMP, OP_MVN, immRot, dpImm, movImm,
  cmpImm, ldr, str, push, pop, bit, addImm, subImm, branch, mul, opReg, dpReg, movReg, bx, OP_ADD, SH_LSL, IP,
  SP, SVC0, umull, R4, R5, R6, R7, R8, R10, opRegS, opImmS, ldrb, strb, cmpReg, MI, LO, HI, OP_ADC, OP_SUB,
} from "../a32/encoder";
import {
  label, bl, b, jump, call, addressOf, S_REGS, S_DEPTH, S_REGIONS, S_RCACHE, S_TAIL_CALLS, L_DEPTH_FAULT,
  L_HELPER_FAULT, L_HELPER_UNWIND, L_HELPER_LOOKUP, L_TAIL_CALL, L_PROGS, L_FAULT, L_CHECK_COMMON, S_HELPER_LR,
  S_NREGIONS, REGION_BYTES,
  L_HELPERS,
} from "../../../targets/arm32/image";
import { emitHelperCommon } from "../../../targets/arm32/helpers/common";
import { emitMemHelpers, H_PROBE_READ, H_PROBE_STR, H_SKB_LOAD } from "../../../targets/arm32/helpers/mem";
import { emitTaskHelpers, H_PID_TGID, H_UID_GID, H_COMM, H_PRANDOM, H_JIFFIES } from "../../../targets/arm32/helpers/task";
import { emitStrtoHelpers, H_STRTOL, H_STRTOUL } from "../../../targets/arm32/helpers/strto";
import { emitLoopHelpers, H_LOOP, H_FOR_EACH } from "../../../targets/arm32/helpers/loop";
import { emitFormatHelpers, H_PRINTK, H_SNPRINTF } from "../../../targets/arm32/helpers/format";
import { DESC_BASE, DESC_SIZE, D_TYPE, D_MAX, D_VALUES, moreMapHelper } from "../../../targets/arm32/maps/index";
import { FAULT_BAD_MAP, MAP_HANDLE_TAG } from "../../layout";
import { MAX_TAIL_CALLS } from "../../isa";

import { STACK_SIZE, MAX_CALL_DEPTH, OP_CALLX } from "../../isa";
import {
  inArm, lo, hi, setLo, setHi, pairInto, ARM_LO, ARM_HI, options, dstOf, immOf, OPT_CONFORMANCE, fail,
  ERR_TAIL_CALL,
} from "./translate";
import { targetPos } from "./jumps";

// The helpers besides the map helpers and bpf_tail_call, compiled in when a program calls them: routine k of the
// image is at label L_HELPERS + k (k < 24; helpers-common.ts has 24-31), the code in helpers-*.ts.
const H_ZERO = L_HELPERS + 0; // get_smp_processor_id (8), get_numa_node_id (42): one CPU, one node
const H_MONOTONIC = L_HELPERS + 1; // ktime_get_ns (5), ktime_get_coarse_ns (160): CLOCK_MONOTONIC
const H_BOOTTIME = L_HELPERS + 2; // ktime_get_boot_ns (125): CLOCK_BOOTTIME

/** The routine (label) that runs helper `id` when compiled in, or -1. */
function routineOf(id: i32): i32 {
  if (id == 8 || id == 42) return H_ZERO;
  if (id == 5 || id == 160) return H_MONOTONIC;
  if (id == 125) return H_BOOTTIME;
  if (id == 4 || id == 112 || id == 113) return H_PROBE_READ;
  if (id == 45 || id == 114 || id == 115) return H_PROBE_STR;
  if (id == 14) return H_PID_TGID;
  if (id == 15) return H_UID_GID;
  if (id == 16) return H_COMM;
  if (id == 7) return H_PRANDOM;
  if (id == 118) return H_JIFFIES;
  if (id == 26) return H_SKB_LOAD;
  if (id == 105) return H_STRTOL;
  if (id == 106) return H_STRTOUL;
  if (id == 181) return H_LOOP;
  if (id == 164) return H_FOR_EACH;
  if (id == 6) return H_PRINTK;
  if (id == 165) return H_SNPRINTF;
  return -1;
}

@inline function uses(routine: i32): bool { return ((usedHostless >> <u32>(routine - L_HELPERS)) & 1) != 0; }

/** Helpers compiled into the image: id -> routine label, or -1. */
function helperLabel(id: i32): i32 {
  if ((options & OPT_CONFORMANCE) && id == 5) return L_HELPER_UNWIND;
  if (mapCount > 0 && id >= 1 && id <= 3) return L_HELPER_LOOKUP + id - 1;
  if (moreMapHelper(id) >= 0) return moreMapHelper(id); // queue, ring buffer and perf helpers (maps.ts)
  const r = routineOf(id);
  return r >= 0 && uses(r) ? r : -1;
}

const MAX_CALLX_ID = 255; // callx compares its register with each helper compiled in, up to this id
let insnCount: i32 = 0; // instructions in the image: function handles name one of them
let usedHostless: u32 = 0; // bit k: routine L_HELPERS + k is compiled in

/**
 * Notes which of the helpers that need no host the program calls (`insns`, n instructions), before the runtime is
 * emitted; with the conformance option helper 5 is the suite's own.
 */
export function noteHelpers(insns: usize, n: i32, opts: u32): void {
  usedHostless = 0;
  insnCount = n;
  for (let i = 0; i < n; i++) {
    const p = insns + (<usize>i << 3);
    const op = load<u8>(p);
    if (op == 0x18) { i++; continue; }
    if (op != 0x85 || (load<u8>(p + 1) >> 4) != 0) continue;
    const id = load<i32>(p + 4);
    if ((opts & OPT_CONFORMANCE) && id == 5) continue;
    const l = routineOf(id);
    if (l >= 0) usedHostless |= <u32>1 << <u32>(l - L_HELPERS);
  }
  if (uses(H_JIFFIES)) usedHostless |= <u32>1 << <u32>(H_BOOTTIME - L_HELPERS);
}

/**
 * The helpers that need no host, with the interpreter's semantics (assembly/helpers.ts): the ones noteHelpers
 * found. Arguments in the register file (spilled before the call), result in r0:r1, r4-r11 preserved.
 */
export function emitHostlessHelpers(): void {
  const probe = uses(H_PROBE_READ);
  const str = uses(H_PROBE_STR);
  const skb = uses(H_SKB_LOAD);
  const comm = uses(H_COMM);
  const strto = uses(H_STRTOL) || uses(H_STRTOUL);
  const loops = uses(H_LOOP) || uses(H_FOR_EACH);
  const format = uses(H_PRINTK) || uses(H_SNPRINTF);
  if (probe || str || skb || comm || strto || loops || format) {
    emitHelperCommon(probe || str || skb || comm, probe || skb, format, str || format);
  }
  if (uses(H_ZERO)) {
    label(H_ZERO);
    emit(movImm(R0, 0));
    emit(movImm(R1, 0));
    emit(bx(LR));
  }
  for (let k = 1; k <= 2; k++) {
    if (!uses(k == 1 ? H_MONOTONIC : H_BOOTTIME)) continue;
    // clock_gettime(clock, &timespec) -> seconds * 10^9 + nanoseconds (32-bit time_t: the EABI call)
    label(k == 1 ? H_MONOTONIC : H_BOOTTIME);
    emit(push(bit(R7) | bit(LR)));
    emit(subImm(SP, SP, 8));
    emit(movImm(R0, k == 1 ? 1 : 7)); // CLOCK_MONOTONIC, CLOCK_BOOTTIME
    emit(movReg(R1, SP));
    emitConst(R7, 263);
    emit(SVC0);
    emit(ldr(R2, SP, 0));
    emit(ldr(R3, SP, 4));
    emit(addImm(SP, SP, 8));
    emitConst(IP, 1000000000);
    emit(umull(R0, R1, R2, IP));
    emit(opRegS(OP_ADD, R0, R0, R3));
    emit(dpImm(AL, OP_ADC, 0, R1, R1, 0));
    emit(pop(bit(R7) | bit(PC)));
  }
  emitMemHelpers((probe ? 1 : 0) | (str ? 2 : 0) | (skb ? 4 : 0));
  emitTaskHelpers((uses(H_PID_TGID) ? 1 : 0) | (uses(H_UID_GID) ? 2 : 0) | (comm ? 4 : 0) |
    (uses(H_PRANDOM) ? 8 : 0) | (uses(H_JIFFIES) ? 16 : 0), H_BOOTTIME);
  if (strto) emitStrtoHelpers(uses(H_STRTOL), uses(H_STRTOUL));
  if (loops) emitLoopHelpers(uses(H_LOOP), uses(H_FOR_EACH), insnCount, mapCount > 0);
  if (format) emitFormatHelpers(uses(H_PRINTK), uses(H_SNPRINTF));
}

let mapCount: i32 = 0;
/** Maps in the image: the map helpers are compiled in when there is at least one. */
export function setMapCount(n: i32): void { mapCount = n; }

/** Program ids the image knows (tail calls): 0 = bpf_tail_call is not compiled in. */
export let programIds: i32 = 0;
/** Programs in the image (their instructions follow each other); the driver maps fault indexes back to them. */
export let programStarts: i32 = 1;
export function setPrograms(ids: i32, starts: i32): void {
  programIds = ids;
  programStarts = starts;
}

const TC_BAD = 35; // a label of its own (image.ts leaves 35-39 free)

function bxC(cond: u32): u32 { return (cond << 28) | 0x012fff10 | <u32>LR; }

/**
 * bpf_tail_call(ctx, prog_array, index), with the interpreter's semantics (assembly/interp.ts tailCallTarget):
 * r2 not a map handle: a fault; after MAX_TAIL_CALLS taken, for a map that is not a program array, an index out of
 * range or an empty slot: return, the program goes on (r0 unchanged). Else jump to the slot's program, which keeps
 * the registers, the stack frame and the native stack. Uses r0-r3, ip only (eBPF registers stay in r4-r9).
 */
export function emitTailCallRuntime(nmaps: i32): void {
  label(L_TAIL_CALL);
  emit(ldr(R2, R11, S_REGS + 16));
  emit(ldr(R3, R11, S_REGS + 20));
  emitConst(IP, <u32>MAP_HANDLE_TAG);
  emit(dpReg(AL, OP_CMP, 1, 0, R3, IP, SH_LSL, 0));
  jump(NE, TC_BAD);
  emit(ldr(R0, R11, S_TAIL_CALLS));
  emit(cmpImm(R0, <u32>MAX_TAIL_CALLS));
  emit(bxC(HS));
  emitConst(IP, <u32>nmaps);
  emit(dpReg(AL, OP_CMP, 1, 0, R2, IP, SH_LSL, 0));
  emit(bxC(HS));
  emitConst(IP, DESC_SIZE);
  emit(mul(R1, R2, IP));
  emitConst(IP, DESC_BASE);
  emit(opReg(OP_ADD, R1, R1, IP));
  emit(ldr(IP, R1, D_TYPE));
  emit(cmpImm(IP, 3)); // PROG_ARRAY
  emit(bxC(NE));
  emit(ldr(R3, R11, S_REGS + 24)); // the index: r3's low word
  emit(ldr(IP, R1, D_MAX));
  emit(dpReg(AL, OP_CMP, 1, 0, R3, IP, SH_LSL, 0));
  emit(bxC(HS));
  emit(ldr(IP, R1, D_VALUES));
  emit(dpReg(AL, OP_ADD, 0, IP, IP, R3, SH_LSL, 3)); // slots are 8 bytes apart
  emit(ldr(R3, IP, 0));
  emitConst(IP, <u32>programIds);
  emit(dpReg(AL, OP_CMP, 1, 0, R3, IP, SH_LSL, 0));
  emit(bxC(HS)); // an empty slot (-1)
  addressOf(R1, L_PROGS, 0);
  emit(dpReg(AL, OP_ADD, 0, R1, R1, R3, SH_LSL, 2));
  emit(ldr(R1, R1, 0));
  emit(cmpImm(R1, 0));
  emit(bxC(EQ));
  emit(addImm(R0, R0, 1));
  emit(str(R0, R11, S_TAIL_CALLS));
  emit(bx(R1));
  label(TC_BAD);
  emit(movReg(R1, LR));
  emit(movImm(R0, FAULT_BAD_MAP));
  emit(movImm(IP, 0));
  b(L_FAULT);
}

function spillArguments(): void {
  for (let r = 1; r <= 5; r++) {
    if (inArm(r)) {
      emit(str(unchecked(ARM_LO[r]), R11, S_REGS + 8 * r));
      emit(str(unchecked(ARM_HI[r]), R11, S_REGS + 8 * r + 4));
    }
  }
}

export function emitHelperCall(i: i32, op: u32, inMain: bool): bool {
  spillArguments();
  if (op != <u32>OP_CALLX && immOf(i) == 12 && programIds > 0) {
    // bpf_tail_call: r0 stays as it was when the call fails
    if (!inMain) return fail(ERR_TAIL_CALL, i);
    bl(L_TAIL_CALL);
    return true;
  }
  if (op == <u32>OP_CALLX) {
    // Helper id in a register, known at run time only: compare against every helper compiled in.
    pairInto(dstOf(i), R2, R3);
    let later = 0;
    for (let id = 1; id <= MAX_CALLX_ID; id++) if (helperLabel(id) >= 0) later++;
    for (let id = 1; id <= MAX_CALLX_ID; id++) {
      const target = helperLabel(id);
      if (target < 0) continue;
      later--;
      emit(cmpImm(R3, 0));
      emit(dpImm(EQ, OP_CMP, 1, 0, R2, immRot(<u32>id)));
      skip(NE, 2);
      bl(target);
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
  emit(movImm(R0, 0));
  emit(str(R0, R11, S_RCACHE + 4));
  emit(str(R0, R11, S_RCACHE + 12));
}
