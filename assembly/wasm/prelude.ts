// The fixed part of every generated module: its types, the indices of its imports, functions and globals, and
// the bodies of the functions that do not depend on the program (fault recording, the budget fault,
// the entry points, the cold path of checked accesses). translate.ts emits the program's own functions.
import {
  STACK_SIZE,
} from "../isa";
import {
  STATE, REGS, REGIONS, STACK_BASE, ST_FAULT, ST_FAULT_PC, ST_FAULT_ADDR,
  ST_FAULT_SIZE, ST_BUDGET, ST_EXECUTED, ST_STOPPED, FAULT_READ, FAULT_WRITE, FAULT_BUDGET, FAULT_CALL_DEPTH,
} from "../layout";
import {
  Buf, T_I32, T_I64, W_RETURN, W_DROP, W_I32_LOAD, W_I64_LOAD, W_I64_LOAD32_U, W_I32_STORE, W_I64_STORE, W_I32_EQZ,
  W_I32_GT_S, W_I32_GE_U, W_I32_ADD, W_I32_SUB, W_I32_AND, W_I32_SHR_U, W_I64_SUB, W_I32_MUL, W_I64_EXTEND_I32_U,
} from "./emitter";

// Types
export const TY_FUNC: u32 = 0; // (r1..r5: i64, fp: i32, r0, r6..r9: i64) -> (r0..r5: i64): an eBPF function
export const TY_HELPER: u32 = 1; // (i32, i32) -> i32
export const TY_TAIL: u32 = 2; // (i32) -> i32
export const TY_ACCESS: u32 = 3; // (i64, i32, i32) -> i32
export const TY_TAIL_RUN: u32 = 4; // (prog: i32, r1..r5, fp: i32, r0, r6..r9) -> r0; r1..r5 come back in REGS
export const TY_FAULT: u32 = 5; // (i32, i32, i64, i32) -> ()
export const TY_BUDGET: u32 = 6; // (i32, i32, i32) -> ()
export const TY_RUN: u32 = 7; // (i64, i64, i64) -> i64
export const TY_CALLBACK: u32 = 8; // (i64 x5) -> i64
export const TY_GETTER: u32 = 9; // () -> i64
export const TY_CHECK: u32 = 10; // (i64, i32, i32, i32) -> i32
export const TY_TAIL_ENTRY: u32 = 11; // (r1..r5, fp, r0, r6..r9) -> r0; r1..r5 go to REGS
export const TY_LOOKUP: u32 = 12; // (map id, key address) -> value address or 0

// Functions: imports first
export const F_HELPER: u32 = 0;
export const F_TAIL: u32 = 1;
export const F_ACCESS: u32 = 2;
export const F_TAIL_RUN: u32 = 3;
export const F_LOOKUP: u32 = 4; // the core's mapLookup (inline-lookup.ts)
export const F_FAULT: u32 = 5;
export const F_BUDGET: u32 = 6;
export const F_RUN: u32 = 7;
export const F_CALLBACK: u32 = 8;
export const F_TAIL_ENTRY: u32 = 9;
export const F_REMAINING: u32 = 10;
export const F_CHECK: u32 = 11;
export const F_FIRST: u32 = 12; // translated eBPF functions
export const G_REMAINING: u32 = 0; // instructions left; functions keep it in `cnt` and sync it around calls
export const G_START: u32 = 1; // i32: the block a function's exact copy starts at

export function sig(b: Buf, params: StaticArray<u32>, result: u32, results: u32 = 1): void {
  b.byte(0x60);
  b.u32(<u32>params.length);
  for (let i = 0; i < params.length; i++) b.byte(params[i]);
  if (result == 0) b.u32(0);
  else { b.u32(results); for (let i: u32 = 0; i < results; i++) b.byte(result); }
}

/** Arguments of an eBPF function whose registers are all 0 but r1, r2 (in locals `r1`, `r2`) and fp. */
function entryArgs(b: Buf, r1: u32, r2: u32, fp: i32): void {
  b.get(r1); b.get(r2); b.i64c(0); b.i64c(0); b.i64c(0); b.i32c(fp);
  for (let i = 0; i < 5; i++) b.i64c(0);
}

export function addBody(codes: Buf, body: Buf): void {
  codes.u32(body.len);
  codes.append(body);
}

/**
 * Records a fault as fault(kind, pc, addr, size) does (constants; the address, an i64, from `addr` when it is
 * not a constant), inline: a call would make V8 spill the eBPF registers that the function returns after it, at
 * every definition, also in the loops that reach it.
 */
function faultStores(b: Buf, kind: i32, pc: i32, addr: i64, size: i32, fpLocal: i32 = -1): void {
  b.i32c(0); b.i32c(kind); b.mem(W_I32_STORE, 2, STATE + ST_FAULT);
  b.i32c(0); b.i32c(pc); b.mem(W_I32_STORE, 2, STATE + ST_FAULT_PC);
  b.i32c(0);
  if (fpLocal < 0) b.i64c(addr);
  else {
    b.get(<u32>fpLocal); b.i32c(STACK_BASE); b.op(W_I32_SUB); b.i32c(9); b.op(W_I32_SHR_U); b.op(W_I64_EXTEND_I32_U);
  }
  b.mem(W_I64_STORE, 3, STATE + ST_FAULT_ADDR);
  b.i32c(0); b.i32c(size); b.mem(W_I32_STORE, 2, STATE + ST_FAULT_SIZE);
}

/** Records the fault (kind, pc, addr, size), constants. */
export function faultCall(b: Buf, kind: i32, pc: i32, addr: i64, size: i32): void {
  faultStores(b, kind, pc, addr, size);
}

/** FAULT_CALL_DEPTH at `pc`: the interpreter reports the frame count the call would need, (fp - STACK_BASE) / 512. */
export function depthFault(b: Buf, pc: i32, fpLocal: u32): void {
  faultStores(b, FAULT_CALL_DEPTH, pc, 0, 0, <i32>fpLocal);
}

/** Region 0 (the stack of the frames in use) ends at the i32 in local `l`. */
export function setStackTop(b: Buf, l: u32): void {
  b.i32c(0); b.get(l); b.mem(W_I32_STORE, 2, REGIONS + 4);
  b.i32c(0); b.get(l); b.mem(W_I32_STORE, 2, REGIONS + 12);
}

export function faultBody(): Buf {
  // (kind, pc, addr, size): records a fault the way the interpreter does.
  const b = new Buf(64);
  b.u32(0);
  b.i32c(0); b.get(0); b.mem(W_I32_STORE, 2, STATE + ST_FAULT);
  b.i32c(0); b.get(1); b.mem(W_I32_STORE, 2, STATE + ST_FAULT_PC);
  b.i32c(0); b.get(2); b.mem(W_I64_STORE, 3, STATE + ST_FAULT_ADDR);
  b.i32c(0); b.get(3); b.mem(W_I32_STORE, 2, STATE + ST_FAULT_SIZE);
  b.end();
  return b;
}

export function budgetBody(): Buf {
  // (k, segStart, lddwFirst): the budget ran out k instructions into the segment (lddw takes two slots).
  const b = new Buf(64);
  b.u32(0);
  b.i32c(FAULT_BUDGET);
  b.get(1); b.get(0); b.op(W_I32_ADD);
  b.get(2); b.get(0); b.i32c(0); b.op(W_I32_GT_S); b.op(W_I32_AND); b.op(W_I32_ADD);
  b.i32c(0); b.mem(W_I64_LOAD, 3, STATE + ST_BUDGET);
  b.i32c(0);
  b.call(F_FAULT);
  b.end();
  return b;
}

export function runBody(): Buf {
  // (r1, r2, budget left) -> r0; the core's runBegin has set up the state.
  const b = new Buf(96);
  b.u32(0);
  b.get(2); b.gset(G_REMAINING);
  entryArgs(b, 0, 1, STACK_BASE + STACK_SIZE);
  b.call(F_FIRST);
  for (let i = 0; i < 5; i++) b.op(W_DROP); // r5..r1
  b.set(2);
  b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_STOPPED);
  b.if_(); b.i32c(0); b.mem(W_I64_LOAD, 3, REGS); b.set(2); b.end();
  b.i32c(0); b.get(2); b.mem(W_I64_STORE, 3, REGS);
  b.get(2);
  b.end();
  return b;
}

export function tailEntryBody(): Buf {
  // (r1..r5, fp, r0, r6..r9) -> r0, with r1..r5 at the end in REGS: a tail call keeps every register, and the
  // program's exit returns them to the caller's caller. The budget left travels in ST_EXECUTED.
  const b = new Buf(96);
  b.u32(0);
  b.i32c(0); b.mem(W_I64_LOAD, 3, STATE + ST_EXECUTED); b.gset(G_REMAINING);
  for (let i: u32 = 0; i <= 10; i++) b.get(i);
  b.call(F_FIRST);
  for (let i: i32 = 4; i >= 0; i--) b.set(<u32>i); // r5..r1 into params 4..0
  b.set(6); // r0
  for (let i: u32 = 0; i < 5; i++) { b.i32c(0); b.get(i); b.mem(W_I64_STORE, 3, REGS + (i + 1) * 8); }
  b.i32c(0); b.gget(G_REMAINING); b.mem(W_I64_STORE, 3, STATE + ST_EXECUTED);
  b.get(6);
  b.end();
  return b;
}

export function checkBody(): Buf {
  // (addr, size, write, pc) -> allowed: a checked access that the region table search did not allow
  // (translate.ts: lookup). The core's accessAllowed decides; a refused access's fault is recorded.
  const b = new Buf(64);
  b.u32(0);
  b.get(0); b.get(1); b.get(2); b.call(F_ACCESS);
  b.op(W_I32_EQZ);
  b.if_();
  b.i32c(FAULT_READ); b.get(2); b.op(W_I32_ADD); // FAULT_WRITE = FAULT_READ + 1
  b.get(3); b.get(0); b.get(1); b.call(F_FAULT);
  b.i32c(0); b.op(W_RETURN);
  b.end();
  b.i32c(1);
  b.end();
  return b;
}

export function remainingBody(): Buf {
  const b = new Buf(8);
  b.u32(0);
  b.gget(G_REMAINING);
  b.end();
  return b;
}
