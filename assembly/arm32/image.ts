// The layout of an output image and its labels, shared by the driver, the runtime routines and the translator.
//
// Image (one read-only executable segment, loaded at `base`):
//   driver (_start)  runtime routines  program prologue + translated code  instruction-offset table  strings
// followed, on the next page and outside the file (bss), by the state block that r11 points to while a program
// runs: registers, fault report, memory regions and the eBPF stack frames.
//
// Everything is emitted twice: the first pass records label positions, the second writes the words with those
// positions. Label-dependent constants therefore always take the same number of words (MOVW+MOVT).

import { emit, pos, movw, movt, branch, AL, R11 } from "./encoder";

// State block offsets (from r11)
export const S_REGS = 0; // eBPF r0..r10 as 64-bit little-endian pairs, for registers not kept in ARM registers
export const S_BUDGET = 88; // instructions the program may still execute
export const S_DEPTH = 92; // bpf-to-bpf call depth, 0 = entry frame
export const S_SAVED_SP = 96; // native sp at program entry: faults and early exits unwind to it
export const S_FAULT = 100; // FAULT_* code, 0 = none
export const S_FAULT_PC = 104; // eBPF instruction index
export const S_FAULT_ADDR = 108; // u64: address, budget, helper id
export const S_FAULT_SIZE = 116;
export const S_PKT = 120; // packet start and length for LD_ABS / LD_IND
export const S_PKT_LEN = 124;
export const S_NREGIONS = 128;
export const S_BUDGET_INIT = 132;
export const S_REPEAT = 136; // driver: runs left
export const S_MEM = 140; // driver: input memory address and length
export const S_LEN = 144;
export const S_FD = 148;
export const S_REGIONS = 152; // memory regions a program may access: start, end, writable (u32 each)
export const REGION_BYTES = 12;
export const MAX_REGIONS = 8;
export const S_BUF = 256; // 64-byte buffer for printing numbers
export const S_STACK = 512; // 8 frames of 512 bytes; frame 0 (the entry frame) is the highest
export const STATE_SIZE = 512 + 8 * 512;

// Labels: positions in the image, in bytes from its start
export const L_START = 0;
export const L_ENTRY = 1;
export const L_EPILOGUE = 2;
export const L_EXIT_ZERO = 3;
export const L_FAULT = 4;
export const L_FAULT_INDEX = 5;
export const L_BUDGET_FAULT = 6;
export const L_DEPTH_FAULT = 7;
export const L_HELPER_FAULT = 8;
export const L_UDIVMOD64 = 9;
export const L_SDIVMOD64 = 10;
export const L_CHECK = 11; // 8 entries: read 1/2/4/8, write 1/2/4/8
export const L_CHECK_COMMON = 19;
export const L_LDPKT = 20; // 3 entries: sizes 1, 2, 4
export const L_HELPER_UNWIND = 23;
export const L_CODE = 24; // first translated instruction
export const L_TABLE = 25;
export const L_STATE = 26;
export const L_LOCAL = 32; // labels local to one routine start here
export const LABEL_COUNT = 256;

const LABELS: usize = 0x8000; // i32 per label, in the module's own memory

export let imageBase: u32 = 0;

export function label(id: i32): void {
  store<i32>(LABELS + (<usize>id << 2), pos);
}
export function labelAt(id: i32, position: i32): void {
  store<i32>(LABELS + (<usize>id << 2), position);
}
export function at(id: i32): i32 {
  return load<i32>(LABELS + (<usize>id << 2));
}
export function clearLabels(): void {
  memory.fill(LABELS, 0, LABEL_COUNT * 4);
}

/** b<cond> / bl<cond> to a label. */
export function jump(cond: u32, id: i32): void { emit(branch(cond, false, pos, at(id))); }
export function call(cond: u32, id: i32): void { emit(branch(cond, true, pos, at(id))); }
export function b(id: i32): void { jump(AL, id); }
export function bl(id: i32): void { call(AL, id); }

/** rd = absolute address of a label plus delta (always MOVW + MOVT). */
export function addressOf(rd: i32, id: i32, delta: u32): void {
  const v = imageBase + <u32>at(id) + delta;
  emit(movw(rd, v & 0xffff));
  emit(movt(rd, v >>> 16));
}

export function stateBase(): void { addressOf(R11, L_STATE, 0); }

export function setImageBase(base: u32): void { imageBase = base; }
