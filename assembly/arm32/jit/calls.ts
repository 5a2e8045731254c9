// Calls: helpers compiled into the image, and bpf-to-bpf calls with their own stack frames.
// Register access goes through jit/regs.ts.

import {
  AL, EQ, HS, IP, LR, NE, OP_ADC, OP_ADD, OP_CMP, PC, R0, R1, R11, R2, R3, R7, SH_LSL, SP, SVC0, addImm, bit,
  branch, bx, bxC, cmpImm, dpImm, dpReg, immRot, ldr, movImm, movReg, mul, opReg, opRegS, pop, push, str, subImm,
  umull,
} from "../a32/encoder";
import { one } from "../a32/labels";
import { Context, dstOf, fail, immOf, targetPos } from "./context";
import { inlineMapLookup } from "./lookup";
import { hi, inArm, lo, pairInto, setHi, setLo } from "./regs";
import { HELPER_FOR_EACH_MAP_ELEM, HELPER_LOOP, MAX_CALL_DEPTH, MAX_TAIL_CALLS, OP_CALLX, STACK_SIZE } from "../../isa";
import { FAULT_BAD_MAP, MAP_HANDLE_TAG } from "../../layout";
import { DESC_SIZE, D_MAX, D_TYPE, D_VALUES, ERR_TAIL_CALL, OPT_CONFORMANCE } from "../../../targets/arm32/abi";
import { emitHelperCommon } from "../../../targets/arm32/helpers/common";
import { forgetStackWindows } from "../../../targets/arm32/runtime/rcache";
import { H_PRINTK, H_SNPRINTF, emitFormatHelpers } from "../../../targets/arm32/helpers/format";
import { H_FOR_EACH, H_LOOP, emitLoopHelpers } from "../../../targets/arm32/helpers/loop";
import { H_PROBE_READ, H_PROBE_STR, H_SKB_LOAD, emitMemHelpers } from "../../../targets/arm32/helpers/mem";
import { H_STRTOL, H_STRTOUL, emitStrtoHelpers } from "../../../targets/arm32/helpers/strto";
import {
  H_COMM, H_JIFFIES, H_PID_TGID, H_PRANDOM, H_UID_GID, emitTaskHelpers,
} from "../../../targets/arm32/helpers/task";
import {
  L_DEPTH_FAULT, L_FAULT, L_HELPERS, L_HELPER_FAULT, L_HELPER_LOOKUP, L_HELPER_UNWIND, L_PROGS, L_TAIL_CALL,
  S_DEPTH, S_REGIONS, S_REGS, S_TAIL_CALLS,
} from "../../../targets/arm32/image";
import { DESC_BASE, moreMapHelper } from "../../../targets/arm32/maps/common";

// The helpers besides the map helpers and bpf_tail_call, compiled in when a program calls them: routine k of the
// image is at label L_HELPERS + k (k < 24; helpers/common.ts has 24-29), the code in targets/arm32/helpers/*.ts.
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
  if (id == HELPER_LOOP) return H_LOOP;
  if (id == HELPER_FOR_EACH_MAP_ELEM) return H_FOR_EACH;
  if (id == 6) return H_PRINTK;
  if (id == 165) return H_SNPRINTF;
  return -1;
}

@inline function uses(c: Context, routine: i32): bool { return ((c.usedHostless >> <u32>(routine - L_HELPERS)) & 1) != 0; }

/** Helpers compiled into the image: id -> routine label, or -1. */
function helperLabel(c: Context, id: i32): i32 {
  if ((c.options & OPT_CONFORMANCE) && id == 5) return L_HELPER_UNWIND;
  if (c.mapCount > 0 && id >= 1 && id <= 3) return L_HELPER_LOOKUP + id - 1;
  if (moreMapHelper(c, id) >= 0) return moreMapHelper(c, id); // queue, ring buffer and perf helpers (maps/common.ts)
  const r = routineOf(id);
  return r >= 0 && uses(c, r) ? r : -1;
}

const MAX_CALLX_ID = 255; // callx compares its register with each helper compiled in, up to this id

/**
 * Notes which of the helpers that need no host the program calls (`insns`, n instructions), before the runtime is
 * emitted; with the conformance option helper 5 is the suite's own.
 */
export function noteHelpers(c: Context, insns: usize, n: i32, opts: u32): void {
  c.usedHostless = 0;
  c.insnCount = n;
  for (let i = 0; i < n; i++) {
    const p = insns + (<usize>i << 3);
    const op = load<u8>(p);
    if (op == 0x18) { i++; continue; }
    if (op != 0x85 || (load<u8>(p + 1) >> 4) != 0) continue;
    const id = load<i32>(p + 4);
    if ((opts & OPT_CONFORMANCE) && id == 5) continue;
    const l = routineOf(id);
    if (l >= 0) c.usedHostless |= <u32>1 << <u32>(l - L_HELPERS);
  }
  if (uses(c, H_JIFFIES)) c.usedHostless |= <u32>1 << <u32>(H_BOOTTIME - L_HELPERS);
}

/**
 * The helpers that need no host, with the interpreter's semantics (assembly/helpers.ts): the ones noteHelpers
 * found. Arguments in the register file (spilled before the call), result in r0:r1, r4-r11 preserved.
 */
export function emitHostlessHelpers(c: Context): void {
  const probe = uses(c, H_PROBE_READ);
  const str = uses(c, H_PROBE_STR);
  const skb = uses(c, H_SKB_LOAD);
  const comm = uses(c, H_COMM);
  const strto = uses(c, H_STRTOL) || uses(c, H_STRTOUL);
  const loops = uses(c, H_LOOP) || uses(c, H_FOR_EACH);
  const format = uses(c, H_PRINTK) || uses(c, H_SNPRINTF);
  if (probe || str || skb || comm || strto || loops || format) {
    emitHelperCommon(c, probe || str || skb || comm, probe || skb, format, str || format);
  }
  if (uses(c, H_ZERO)) {
    c.label(H_ZERO);
    c.emit(movImm(R0, 0));
    c.emit(movImm(R1, 0));
    c.emit(bx(LR));
  }
  for (let k = 1; k <= 2; k++) {
    if (!uses(c, k == 1 ? H_MONOTONIC : H_BOOTTIME)) continue;
    // clock_gettime(clock, &timespec) -> seconds * 10^9 + nanoseconds (32-bit time_t: the EABI call)
    c.routine(k == 1 ? H_MONOTONIC : H_BOOTTIME, bit(R7) | bit(LR));
    c.emit(subImm(SP, SP, 8));
    c.emit(movImm(R0, k == 1 ? 1 : 7)); // CLOCK_MONOTONIC, CLOCK_BOOTTIME
    c.emit(movReg(R1, SP));
    c.emitConst(R7, 263);
    c.emit(SVC0);
    c.emit(ldr(R2, SP, 0));
    c.emit(ldr(R3, SP, 4));
    c.emit(addImm(SP, SP, 8));
    c.emitConst(IP, 1000000000);
    c.emit(umull(R0, R1, R2, IP));
    c.emit(opRegS(OP_ADD, R0, R0, R3));
    c.emit(dpImm(AL, OP_ADC, 0, R1, R1, 0));
    c.routineEnd(bit(R7) | bit(LR));
  }
  emitMemHelpers(c, (probe ? 1 : 0) | (str ? 2 : 0) | (skb ? 4 : 0));
  emitTaskHelpers(c, (uses(c, H_PID_TGID) ? 1 : 0) | (uses(c, H_UID_GID) ? 2 : 0) | (comm ? 4 : 0) |
    (uses(c, H_PRANDOM) ? 8 : 0) | (uses(c, H_JIFFIES) ? 16 : 0), H_BOOTTIME);
  if (strto) emitStrtoHelpers(c, uses(c, H_STRTOL), uses(c, H_STRTOUL));
  if (loops) emitLoopHelpers(c, uses(c, H_LOOP), uses(c, H_FOR_EACH), c.insnCount, c.mapCount > 0);
  if (format) emitFormatHelpers(c, uses(c, H_PRINTK), uses(c, H_SNPRINTF));
}

const TC_BAD = one("bpf_tail_call: not a map handle");

/**
 * bpf_tail_call(ctx, prog_array, index), with the interpreter's semantics (assembly/interp.ts tailCallTarget):
 * r2 not a map handle: a fault; after MAX_TAIL_CALLS taken, for a map that is not a program array, an index out of
 * range or an empty slot: return, the program goes on (r0 unchanged). Else jump to the slot's program, which keeps
 * the registers, the stack frame and the native stack. Uses r0-r3, ip only (eBPF registers stay in r4-r9).
 */
export function emitTailCallRuntime(c: Context, nmaps: i32): void {
  c.label(L_TAIL_CALL);
  c.emit(ldr(R2, R11, S_REGS + 16));
  c.emit(ldr(R3, R11, S_REGS + 20));
  c.emitConst(IP, <u32>MAP_HANDLE_TAG);
  c.emit(dpReg(AL, OP_CMP, 1, 0, R3, IP, SH_LSL, 0));
  c.jump(NE, TC_BAD);
  c.emit(ldr(R0, R11, S_TAIL_CALLS));
  c.emit(cmpImm(R0, <u32>MAX_TAIL_CALLS));
  c.emit(bxC(HS, LR));
  c.emitConst(IP, <u32>nmaps);
  c.emit(dpReg(AL, OP_CMP, 1, 0, R2, IP, SH_LSL, 0));
  c.emit(bxC(HS, LR));
  c.emitConst(IP, DESC_SIZE);
  c.emit(mul(R1, R2, IP));
  c.emitConst(IP, DESC_BASE);
  c.emit(opReg(OP_ADD, R1, R1, IP));
  c.emit(ldr(IP, R1, D_TYPE));
  c.emit(cmpImm(IP, 3)); // PROG_ARRAY
  c.emit(bxC(NE, LR));
  c.emit(ldr(R3, R11, S_REGS + 24)); // the index: r3's low word
  c.emit(ldr(IP, R1, D_MAX));
  c.emit(dpReg(AL, OP_CMP, 1, 0, R3, IP, SH_LSL, 0));
  c.emit(bxC(HS, LR));
  c.emit(ldr(IP, R1, D_VALUES));
  c.emit(dpReg(AL, OP_ADD, 0, IP, IP, R3, SH_LSL, 3)); // slots are 8 bytes apart
  c.emit(ldr(R3, IP, 0));
  c.emitConst(IP, <u32>c.programIds);
  c.emit(dpReg(AL, OP_CMP, 1, 0, R3, IP, SH_LSL, 0));
  c.emit(bxC(HS, LR)); // an empty slot (-1)
  c.addressOf(R1, L_PROGS, 0);
  c.emit(dpReg(AL, OP_ADD, 0, R1, R1, R3, SH_LSL, 2));
  c.emit(ldr(R1, R1, 0));
  c.emit(cmpImm(R1, 0));
  c.emit(bxC(EQ, LR));
  c.emit(addImm(R0, R0, 1));
  c.emit(str(R0, R11, S_TAIL_CALLS));
  c.emit(bx(R1));
  c.label(TC_BAD);
  c.emit(movReg(R1, LR));
  c.emit(movImm(R0, FAULT_BAD_MAP));
  c.emit(movImm(IP, 0));
  c.b(L_FAULT);
}

function spillArguments(c: Context): void {
  // (each word where it is in an ARM register: a register may keep its low word alone there, lowords.ts)
  for (let r = 1; r <= 5; r++) {
    if (unchecked(c.armLo[r]) >= 0) c.emit(str(unchecked(c.armLo[r]), R11, S_REGS + 8 * r));
    if (unchecked(c.armHi[r]) >= 0) c.emit(str(unchecked(c.armHi[r]), R11, S_REGS + 8 * r + 4));
  }
}

export function emitHelperCall(c: Context, i: i32, op: u32, inMain: bool): bool {
  if (op != <u32>OP_CALLX && immOf(c, i) == 1 && inlineMapLookup(c, i)) return true;
  spillArguments(c);
  if (op != <u32>OP_CALLX && immOf(c, i) == 12 && c.programIds > 0) {
    // bpf_tail_call: r0 stays as it was when the call fails
    if (!inMain) return fail(c, ERR_TAIL_CALL, i);
    c.bl(L_TAIL_CALL);
    return true;
  }
  if (op == <u32>OP_CALLX) {
    // Helper id in a register, known at run time only: compare against every helper compiled in.
    pairInto(c, dstOf(c, i), R2, R3);
    let later = 0;
    for (let id = 1; id <= MAX_CALLX_ID; id++) if (helperLabel(c, id) >= 0) later++;
    for (let id = 1; id <= MAX_CALLX_ID; id++) {
      const target = helperLabel(c, id);
      if (target < 0) continue;
      later--;
      c.emit(cmpImm(R3, 0));
      c.emit(dpImm(EQ, OP_CMP, 1, 0, R2, immRot(<u32>id)));
      c.skip(NE, 2);
      c.bl(target);
      c.skip(AL, 1 + 5 * later); // past the other comparisons and the fault
    }
    c.bl(L_HELPER_FAULT);
  } else {
    const target = helperLabel(c, immOf(c, i));
    if (target < 0) {
      c.emitConst(R2, <u32>immOf(c, i));
      c.emit(movImm(R3, 0));
      c.bl(L_HELPER_FAULT);
      return true;
    }
    c.bl(target);
  }
  setLo(c, 0, R0);
  setHi(c, 0, R1);
  return true;
}

export function emitLocalCall(c: Context, i: i32): void {
  const t = i + 1 + immOf(c, i);
  c.emit(ldr(R0, R11, S_DEPTH));
  c.emit(cmpImm(R0, MAX_CALL_DEPTH - 1));
  c.call(HS, L_DEPTH_FAULT);
  c.emit(addImm(R0, R0, 1));
  c.emit(str(R0, R11, S_DEPTH));
  c.emit(ldr(R0, R11, S_REGIONS + 4));
  c.emit(addImm(R0, R0, STACK_SIZE));
  c.emit(str(R0, R11, S_REGIONS + 4));
  c.emit(str(R0, R11, S_REGIONS + 12));
  c.emit(str(R0, R11, S_REGS + 80)); // the callee's r10: the top of its new frame
  // r6-r9 survive the call: saved on the native stack with the return address
  for (let r = 9; r >= 6; r--) {
    const l = lo(c, r, R0);
    const h = hi(c, r, R1);
    c.emit(push(bit(l) | bit(h)));
  }
  c.emit(addImm(LR, PC, 4)); // the instruction after the branch
  c.emit(push(bit(LR)));
  c.emit(branch(AL, false, c.pos, targetPos(c, t)));
  for (let r = 6; r <= 9; r++) {
    if (inArm(c, r)) c.emit(pop(bit(unchecked(c.armLo[r])) | bit(unchecked(c.armHi[r]))));
    else {
      c.emit(pop(bit(R0) | bit(R1)));
      setLo(c, r, R0);
      setHi(c, r, R1);
    }
  }
  c.emit(ldr(R0, R11, S_DEPTH));
  c.emit(subImm(R0, R0, 1));
  c.emit(str(R0, R11, S_DEPTH));
  c.emit(ldr(R0, R11, S_REGIONS + 4));
  c.emit(subImm(R0, R0, STACK_SIZE));
  c.emit(str(R0, R11, S_REGIONS + 4));
  c.emit(str(R0, R11, S_REGIONS + 12));
  c.emit(str(R0, R11, S_REGS + 80));
  forgetStackWindows(c, R1, R0); // the stack region shrank: the cached window may have been the larger one
}
