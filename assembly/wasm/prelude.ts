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

// The sections that are the same in every module, byte for byte: their indices are the TY_, F_ and G_ numbers
// above (a table of bytes costs the translator less than the code that would emit them).
const L: u8 = <u8>T_I64;
const I: u8 = <u8>T_I32;

/** Magic and version, the type section (TY_*) and the import section (F_HELPER .. F_LOOKUP) of every module. */
export const HEAD: StaticArray<u8> = [
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // \0asm, version 1
  1, 117, 13, // types: section 1, bytes, count; each 0x60, parameters, results
  96, 11, L, L, L, L, L, I, L, L, L, L, L, 6, L, L, L, L, L, L, // TY_FUNC
  96, 2, I, I, 1, I, // TY_HELPER
  96, 1, I, 1, I, // TY_TAIL
  96, 3, L, I, I, 1, I, // TY_ACCESS
  96, 12, I, L, L, L, L, L, I, L, L, L, L, L, 1, L, // TY_TAIL_RUN
  96, 4, I, I, L, I, 0, // TY_FAULT
  96, 3, I, I, I, 0, // TY_BUDGET
  96, 3, L, L, L, 1, L, // TY_RUN
  96, 5, L, L, L, L, L, 1, L, // TY_CALLBACK
  96, 0, 1, L, // TY_GETTER
  96, 4, L, I, I, I, 1, I, // TY_CHECK
  96, 11, L, L, L, L, L, I, L, L, L, L, L, 1, L, // TY_TAIL_ENTRY
  96, 2, I, I, 1, L, // TY_LOOKUP
  2, 84, 6, // imports: section 2, bytes, count; each "env", its name, kind, type
  3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2, 0, 0, // env.memory: a memory of at least 0 pages
  3, 101, 110, 118, 6, 104, 101, 108, 112, 101, 114, 0, 1, // env.helper (F_HELPER): TY_HELPER
  3, 101, 110, 118, 4, 116, 97, 105, 108, 0, 2, // env.tail (F_TAIL): TY_TAIL
  3, 101, 110, 118, 6, 97, 99, 99, 101, 115, 115, 0, 3, // env.access (F_ACCESS): TY_ACCESS
  3, 101, 110, 118, 8, 116, 97, 105, 108, 95, 114, 117, 110, 0, 4, // env.tail_run (F_TAIL_RUN): TY_TAIL_RUN
  3, 101, 110, 118, 10, 109, 97, 112, 95, 108, 111, 111, 107, 117, 112, 0, 12, // env.map_lookup (F_LOOKUP): TY_LOOKUP
];

/** The global section (G_REMAINING, G_START) and the export section of every module. */
export const GLOBALS_EXPORTS: StaticArray<u8> = [
  6, 11, 2, L, 1, 0x42, 0, 0x0b, I, 1, 0x41, 0, 0x0b, // globals: section 6, bytes, count; mutable i64 0, i32 0
  7, 43, 4, // exports: section 7, bytes, count; each its name, kind (a function), index
  3, 114, 117, 110, 0, 7, // run (F_RUN)
  8, 99, 97, 108, 108, 98, 97, 99, 107, 0, 8, // callback (F_CALLBACK)
  10, 116, 97, 105, 108, 95, 101, 110, 116, 114, 121, 0, 9, // tail_entry (F_TAIL_ENTRY)
  9, 114, 101, 109, 97, 105, 110, 105, 110, 103, 0, 10, // remaining (F_REMAINING)
];

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
