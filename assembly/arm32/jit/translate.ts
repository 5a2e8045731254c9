// eBPF -> ARM32 (A32) translator. Reference design: the Linux kernel's arch/arm/net/bpf_jit_32.c, plus what that
// JIT leaves to the interpreter (bpf-to-bpf calls, atomics) and a memory check on every access.
//
// Where each eBPF register lives (ARM low word, ARM high word; -1: in the register file at [r11 + 8 * n]): three
// of r0-r9 in the ARM pairs r4:r5, r6:r7, r8:r9, chosen per program (allocateRegisters: the most used, uses in
// loops counting 8 times per loop level, 64 at most; helper arguments that would have to be spilled before each
// helper call count against r1-r5), the others in memory; r10 (frame pointer, read-only, high word always 0)
// always in memory. Without loops the choice is the kernel JIT's: r0 (return value), r1 (context), r6
// (callee-saved, where clang keeps the context), unless the program uses others more. In a loop's unchecked copy
// one more register may live in r10:ip (versioned.ts).
//
// Scratch: r0:r1 (first operand / destination when in memory), r2:r3 (second operand), r10:ip (the address of
// a memory access, low and high word, checked by the runtime), XR (ip; lr in a copy that keeps a register in
// r10:ip), lr. r11 points at the state block, sp is the native stack (bpf-to-bpf return addresses and saved
// r6-r9). A register's two words in memory move with one LDRD / STRD where they go to or come from r0:r1 or
// r2:r3, and a register just stored is not loaded again by the next instruction of the block (pairWith, stored).
//
// Beyond the kernel JIT: the translator tracks which registers have a high word known to be zero (after ALU32
// results, zero-extending loads, small constants, and wherever the value widths of ranges.ts prove it), within
// basic blocks and across them (analyseHighWords), and there emits 32-bit operations only: comparisons,
// AND/OR/XOR, ADD/SUB/MUL/LSH whose result fits, MUL (one UMULL), RSH, division by constants, and no high-word
// writes that would store a zero again. fuse.ts emits some pairs of instructions as one. Counted loops are
// emitted twice (loops.ts, versioned.ts): a test on entry, then a copy without memory checks when it passes.
//
// This file: the register table and access, basic blocks, the prologue and the instruction loop. The emitters
// for each instruction family are in alu.ts, jumps.ts, memory.ts and calls.ts.

import {
  measuring, rewind, emit, emitConst, pos, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R11, IP, SP, LR, PC, LO,
  OP_SUB, OP_ADD, OP_MVN, AL, dpImm, immRot, movReg, movImm, opReg, opRegS, opImmS, ldr, str, push, pop, bit, subImm,
  ldrd, strd, lastWord,
} from "../a32/encoder";
import {
  label, at, b, jump, call, addressOf, stateBase, S_REGS, S_BUDGET, S_BUDGET_INIT, S_DEPTH, S_SAVED_SP,
  S_FAULT, S_REGIONS, S_HELPER_LR, S_STACK, S_RCACHE, L_ENTRY, L_EPILOGUE, L_EXIT_ZERO, L_CODE, L_TABLE,
  L_STATE, L_BUDGET_FAULT, S_TAIL_CALLS, L_PROGS, L_PROG_STARTS, imageBase,
} from "../../../targets/arm32/image";
import { SECOND_SLOT } from "../../../targets/arm32/runtime/routines";
import {
  CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64, SZ_DW, MODE_ABS, MODE_IND,
  MODE_MEM, MODE_MEMSX, MODE_ATOMIC, SRC_X, JMP_JA, JMP_CALL, JMP_EXIT, CALL_HELPER, CALL_LOCAL, PSEUDO_IMM64,
  STACK_SIZE, OP_CALLX, ALU_ADD, ALU_SUB, ALU_MUL, ALU_LSH,
} from "../../isa";
import { emitAlu64, emitAlu32 } from "./alu";
import { emitJump } from "./jumps";
import { emitLoad, emitStore, emitAtomic, emitPacketLoad } from "./memory";
import { emitHelperCall, emitLocalCall } from "./calls";
import * as ranges from "../analysis/ranges";
import { fusable, emitFused } from "./fuse";
import { findLoops, loopAt } from "../analysis/loops";
import {
  resetCopies, inCopy, emitVersioned, bodyStarts, copyBudget, addressAdd, emitRangeRoutine, copyZeroHigh, loopConstant,
} from "../versioned";

export const ARM_LO: StaticArray<i32> = [R4, R6, -1, -1, -1, -1, R8, -1, -1, -1, -1];
export const ARM_HI: StaticArray<i32> = [R5, R7, -1, -1, -1, -1, R9, -1, -1, -1, -1];
const PREFERRED: u32 = (1 << 0) | (1 << 1) | (1 << 6); // ties go to these
const SCORE: StaticArray<i64> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // static data: the module has no heap to spare

// Translation options (flags of translate())
export const OPT_IDIV: u32 = 1; // the core has UDIV/SDIV (Cortex-A7/A15); else division calls a runtime routine
export const OPT_CONFORMANCE: u32 = 2; // helper 5 is the conformance suite's "unwind" helper

// Translation errors
export const ERR_NONE = 0;
export const ERR_OPCODE = 1; // an opcode this translator does not know
export const ERR_PSEUDO = 2; // lddw of a map or function (maps come later)
export const ERR_TARGET = 3; // a jump or call outside the program
export const ERR_TAIL_CALL = 4; // bpf_tail_call inside a bpf-to-bpf subprogram

export let errorCode: i32 = ERR_NONE;
export let errorIndex: i32 = 0;

let insns: usize = 0; // the eBPF program
let count: i32 = 0;
export let offsets: usize = 0; // u32 per instruction: code offset from L_CODE (| SECOND_SLOT)
let flags: usize = 0; // u8 per instruction: F_* below
export let options: u32 = 0;
let budget: u32 = 0;
export let hiZero: u32 = 0; // bit n: eBPF rn's high word is known to be 0 here
export let blockStart: i32 = 0; // code position where the current basic block's instructions begin
let states: usize = 0; // u32 per instruction: hiZero at the start of each basic block (leaders only)
let widths: usize = 0; // ranges.STATE_BYTES per instruction: the value widths there (leaders only, see ranges.ts)

const KNOWN_AT_ENTRY: u32 = 1 << 10; // r10, and nothing else, at a program's or subprogram's entry
const UNREACHED: u32 = 0xffffffff;

const F_LEADER: u8 = 1; // starts a basic block
const F_FUNC: u8 = 2; // starts a subprogram (target of a bpf-to-bpf call)
const F_PROG: u8 = 4; // starts a program (the image's first, or a tail call's target)

// per program id: the instruction where that program starts (-1: not in the image), its name's address and length
let progTable: usize = 0;
let progIds: i32 = 0;
/** The programs of the image (tail calls): `ids` entries of three i32 at `table`. */
export function setProgramTable(table: usize, ids: i32): void {
  progTable = table;
  progIds = ids;
}

@inline export function opcode(i: i32): u32 { return load<u8>(insns + (<usize>i << 3)); }
@inline export function dstOf(i: i32): i32 { return load<u8>(insns + (<usize>i << 3) + 1) & 15; }
@inline export function srcOf(i: i32): i32 { return load<u8>(insns + (<usize>i << 3) + 1) >> 4; }
@inline export function offOf(i: i32): i32 { return load<i16>(insns + (<usize>i << 3) + 2); }
@inline export function immOf(i: i32): i32 { return load<i32>(insns + (<usize>i << 3) + 4); }
@inline function flagOf(i: i32): u8 { return load<u8>(flags + <usize>i); }

// ---------------------------------------------------------------------------------------------------------------
// Register access through the table

/** The emitters' fifth scratch register: ip, or lr in a loop copy that keeps an eBPF register in r10:ip. */
export let XR: i32 = IP;
export function setXR(r: i32): void { XR = r; }

export function inArm(r: i32): bool { return unchecked(ARM_LO[r]) >= 0; }
export function known0(r: i32): bool { return ((hiZero >> <u32>r) & 1) != 0; }

/** The ARM register holding rn's low word: its own, or tmp after loading it. */
export function lo(r: i32, tmp: i32): i32 {
  if (inArm(r)) return unchecked(ARM_LO[r]);
  const slot = S_REGS + 8 * r;
  if (!stored(str(tmp, R11, slot)) && !((tmp & 1) == 0 && stored(strd(tmp, R11, slot)))) emit(ldr(tmp, R11, slot));
  return tmp;
}
export function hi(r: i32, tmp: i32): i32 {
  if (inArm(r)) return unchecked(ARM_HI[r]);
  const slot = S_REGS + 8 * r;
  if (stored(str(tmp, R11, slot + 4)) || (tmp & 1) != 0 && stored(strd(tmp - 1, R11, slot))) return tmp;
  if (!pairWith(ldr(tmp - 1, R11, slot), tmp)) emit(ldr(tmp, R11, slot + 4));
  return tmp;
}

/** Code from here on runs only after the code before it (see emitStep): a store there may be forwarded. */
let forwardFrom: i32 = 0x7fffffff;

/** Code emitted from here on may be reached by a jump: no pairing or forwarding with what comes before. */
export function barrier(): void {
  insnStart = pos;
  forwardFrom = pos;
}

/**
 * Whether the last instruction was `store` (a STR or STRD of the register a load would load, to the same word)
 * and nothing can reach the load without it: then the register still holds the value.
 */
function stored(store: u32): bool {
  return lastWord == store && pos - 4 >= forwardFrom;
}
export let insnStart: i32 = 0; // code position where the current eBPF instruction's code begins

/**
 * An access to a high word in the register file right after the same access to its low word, from and to
 * consecutive ARM registers (even, odd), becomes one LDRD / STRD: the last instruction, `first`, is replaced.
 * Only within one eBPF instruction's code, where nothing can branch between the two.
 */
function pairWith(first: u32, rh: i32): bool {
  if ((rh & 1) == 0 || rh > R9 || lastWord != first || pos - 4 < insnStart) return false;
  rewind(pos - 4);
  const off = <i32>(first & 0xfff);
  emit((first & 0x00100000) != 0 ? ldrd(rh - 1, R11, off) : strd(rh - 1, R11, off));
  return true;
}
/** Where to compute rn's new low / high word. */
export function loDst(r: i32): i32 { return inArm(r) ? unchecked(ARM_LO[r]) : R0; }
export function hiDst(r: i32): i32 { return inArm(r) ? unchecked(ARM_HI[r]) : R1; }

export function setLo(r: i32, src: i32): void {
  if (inArm(r)) {
    if (unchecked(ARM_LO[r]) != src) emit(movReg(unchecked(ARM_LO[r]), src));
  } else emit(str(src, R11, S_REGS + 8 * r));
}
export function setHi(r: i32, src: i32): void {
  hiZero &= ~(<u32>1 << <u32>r);
  if (inArm(r)) {
    if (unchecked(ARM_HI[r]) != src) emit(movReg(unchecked(ARM_HI[r]), src));
  } else if (!pairWith(str(src - 1, R11, S_REGS + 8 * r), src)) emit(str(src, R11, S_REGS + 8 * r + 4));
}
export function setHiZero(r: i32): void {
  if (known0(r)) return;
  hiZero |= <u32>1 << <u32>r;
  if (inArm(r)) emit(movImm(unchecked(ARM_HI[r]), 0));
  else {
    emit(movImm(XR, 0));
    emit(str(XR, R11, S_REGS + 8 * r + 4));
  }
}
/** Copy rn into (rl, rh). */
export function pairInto(r: i32, rl: i32, rh: i32): void {
  const l = lo(r, rl);
  if (l != rl) emit(movReg(rl, l));
  const h = hi(r, rh);
  if (h != rh) emit(movReg(rh, h));
}

/** Second operand, low word: a register, or the immediate in r2. */
export function operandLo(x: bool, src: i32, imm: i32): i32 {
  if (x) return lo(src, R2);
  const kept = loopConstant(imm);
  if (kept >= 0) return kept;
  emitConst(R2, <u32>imm);
  return R2;
}
export function operandHi(x: bool, src: i32, imm: i32): i32 {
  if (x) return hi(src, R3);
  emitConst(R3, imm < 0 ? 0xffffffff : 0);
  return R3;
}
export function operandKnown0(x: bool, src: i32, imm: i32): bool { return x ? known0(src) : imm >= 0; }

// ---------------------------------------------------------------------------------------------------------------
// Pass 0: basic blocks and subprograms

function mark(i: i32, f: u8): bool {
  if (i < 0 || i >= count) return false;
  store<u8>(flags + <usize>i, flagOf(i) | f);
  return true;
}

function analyse(): bool {
  memory.fill(flags, 0, <usize>count);
  mark(0, F_LEADER | F_FUNC | F_PROG);
  for (let k = 0; k < progIds; k++) {
    const start = load<i32>(progTable + (<usize>k * 12));
    if (start >= 0 && !mark(start, F_LEADER | F_FUNC | F_PROG)) return fail(ERR_TARGET, 0);
  }
  for (let i = 0; i < count; i++) {
    const op = opcode(i);
    const cls = op & 7;
    if (op == 0x18) { i++; continue; }
    if (cls != CLS_JMP && cls != CLS_JMP32) continue;
    const code = op & 0xf0;
    if (code == JMP_EXIT) { mark(i + 1, F_LEADER); continue; }
    if (code == JMP_CALL) {
      mark(i + 1, F_LEADER);
      if (op != <u32>OP_CALLX && srcOf(i) == CALL_LOCAL && !mark(i + 1 + immOf(i), F_LEADER | F_FUNC)) return fail(ERR_TARGET, i);
      continue;
    }
    const target = op == 0x06 ? i + 1 + immOf(i) : i + 1 + offOf(i);
    if (!mark(target, F_LEADER)) return fail(ERR_TARGET, i);
    mark(i + 1, F_LEADER);
  }
  return true;
}

export function fail(code: i32, i: i32): bool {
  errorCode = code;
  errorIndex = i;
  return false;
}

/** Instructions in the basic block starting at leader i (lddw counts once). */
function blockLength(i: i32): u32 {
  let n: u32 = 0;
  let j = i;
  do {
    n++;
    j += opcode(j) == 0x18 ? 2 : 1;
  } while (j < count && (flagOf(j) & F_LEADER) == 0);
  return n;
}

/**
 * Which high words are known to be zero at the start of each basic block: the meet (AND) over every way into
 * the block, iterated to a fixed point. A block's effect is found by translating it without writing anything,
 * so the knowledge used here is exactly what the emitters track. Runs in the measuring pass; the writing pass
 * reuses the states, so both passes emit the same sizes.
 */
function analyseHighWords(): void {
  for (let i = 0; i < count; i++) {
    store<u32>(states + (<usize>i << 2), UNREACHED);
    store<u8>(widthsAt(i), 0xff);
  }
  ranges.unknownState();
  for (let i = 0; i < count; i++) {
    if (flagOf(i) & F_FUNC) {
      store<u32>(states + (<usize>i << 2), KNOWN_AT_ENTRY);
      ranges.saveState(widthsAt(i));
    }
  }
  // The image's first instruction, entered only from the prologue (no tail calls, no bpf-to-bpf call to it):
  // every register's high word is 0 there (r1, r2: the input's address and length, the others zeroed).
  let entryOnly = progIds == 0;
  for (let i = 0; i < count && entryOnly; i++) {
    const op = opcode(i);
    if (op == 0x18) { i++; continue; }
    if ((op & 7) == CLS_JMP && (op & 0xf0) == JMP_CALL && op != <u32>OP_CALLX && srcOf(i) == CALL_LOCAL &&
      i + 1 + immOf(i) == 0) entryOnly = false;
  }
  if (entryOnly && count > 0) {
    store<u32>(states, 0x7ff);
    ranges.entryState();
    ranges.saveState(widthsAt(0));
  }
  const start = pos;
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = 0; b < count; b++) {
      if ((flagOf(b) & F_LEADER) == 0) continue;
      const entry = load<u32>(states + (<usize>b << 2));
      if (entry == UNREACHED) continue;
      enterBlock(b);
      blockStart = pos;
      let j = b;
      let last = b;
      let ok = true;
      do {
        last = j;
        insnStart = pos;
        forwardFrom = pos;
        if (!emitInsn(j, true)) { ok = false; break; }
        afterInsn(j);
        j += opcode(j) == 0x18 ? 2 : 1;
      } while (j < count && (flagOf(j) & F_LEADER) == 0);
      rewind(start);
      if (!ok) continue;
      const op = opcode(last);
      const cls = op & 7;
      const code = op & 0xf0;
      const jump = cls == CLS_JMP || cls == CLS_JMP32;
      if (jump && code == JMP_EXIT) continue;
      if (jump && code == JMP_CALL) {
        ranges.unknownState(); // a callee or helper may change any register
        changed = meet(last + 1, KNOWN_AT_ENTRY) || changed;
        continue;
      }
      if (jump && code == JMP_JA) {
        changed = meet(cls == CLS_JMP32 ? last + 1 + immOf(last) : last + 1 + offOf(last), hiZero) || changed;
        continue;
      }
      if (jump) {
        ranges.keep();
        ranges.refine(op, dstOf(last), srcOf(last), immOf(last), true);
        changed = meet(last + 1 + offOf(last), hiZero | ranges.highZeroMask()) || changed;
        ranges.restore();
        ranges.refine(op, dstOf(last), srcOf(last), immOf(last), false);
      }
      if (j < count) changed = meet(j, hiZero | ranges.highZeroMask()) || changed;
    }
  }
  ranges.unknownState();
  for (let i = 0; i < count; i++) {
    if (load<u32>(states + (<usize>i << 2)) == UNREACHED) {
      store<u32>(states + (<usize>i << 2), KNOWN_AT_ENTRY);
      ranges.saveState(widthsAt(i));
    }
  }
  errorCode = ERR_NONE;
}

@inline function widthsAt(i: i32): usize { return widths + <usize>i * ranges.STATE_BYTES; }

/** The knowledge at the start of basic block b: what the emitters found, and the value widths. */
export function enterBlock(b: i32): void {
  ranges.loadState(widthsAt(b));
  hiZero = load<u32>(states + (<usize>b << 2)) | ranges.highZeroMask();
  if (inCopy()) {
    hiZero |= copyZeroHigh();
    ranges.narrow(hiZero);
  }
}

/**
 * After instruction i was emitted: its effect on the widths, and the high words that makes known. `emitted`:
 * false for the first of a fused pair, whose emitter knowledge (hiZero) is already the pair's.
 */
function afterInsn(i: i32, emitted: bool = true): void {
  const op = opcode(i);
  ranges.step(op, dstOf(i), srcOf(i), offOf(i), immOf(i), op == 0x18 && i + 1 < count ? immOf(i + 1) : 0);
  if (!emitted) return;
  ranges.narrow(hiZero);
  hiZero |= ranges.highZeroMask();
}

/**
 * Chooses the eBPF registers kept in ARM registers (ARM_LO / ARM_HI) from static use counts weighted by loop depth
 * (a backward jump's range is a loop). Uses the state table as scratch: run before analyseHighWords fills it.
 */
function allocateRegisters(): void {
  for (let i = 0; i < count; i++) store<i32>(states + (<usize>i << 2), 0);
  for (let i = 0; i < count; i++) {
    const op = opcode(i);
    if (op == 0x18) { i++; continue; }
    const cls = op & 7;
    if (cls != CLS_JMP && cls != CLS_JMP32) continue;
    const code = op & 0xf0;
    if (code == JMP_EXIT || code == JMP_CALL) continue;
    const t = op == 0x06 ? i + 1 + immOf(i) : i + 1 + offOf(i);
    if (t < 0 || t > i) continue;
    store<i32>(states + (<usize>t << 2), load<i32>(states + (<usize>t << 2)) + 1);
    if (i + 1 < count) store<i32>(states + (<usize>(i + 1) << 2), load<i32>(states + (<usize>(i + 1) << 2)) - 1);
  }
  const score = SCORE;
  for (let r = 0; r < 10; r++) unchecked(score[r] = 0);
  let depth: i32 = 0;
  for (let i = 0; i < count; i++) {
    depth += load<i32>(states + (<usize>i << 2));
    const w: i64 = <i64>1 << <i64>(3 * (depth < 2 ? depth : 2));
    const op = opcode(i);
    const cls = op & 7;
    const d = dstOf(i);
    const s = srcOf(i);
    const x = (op & SRC_X) != 0;
    if (cls == CLS_ALU || cls == CLS_ALU64) {
      use(score, d, w);
      if (x) use(score, s, w);
    } else if (cls == CLS_JMP || cls == CLS_JMP32) {
      const code = op & 0xf0;
      if (code == JMP_EXIT) use(score, 0, w);
      else if (code == JMP_CALL) {
        use(score, 0, w);
        if (op == <u32>OP_CALLX || s == CALL_HELPER) for (let r = 1; r <= 5; r++) use(score, r, -w);
      } else if (code != JMP_JA) {
        use(score, d, w);
        if (x) use(score, s, w);
      }
    } else if (cls == CLS_LDX || cls == CLS_STX) {
      use(score, d, w);
      use(score, s, w);
    } else if (cls == CLS_ST) use(score, d, w);
    else if (cls == CLS_LD) {
      if (op == 0x18) { use(score, d, w); i++; }
      else {
        use(score, 0, w);
        if ((op & 0xe0) == MODE_IND) use(score, s, w);
      }
    }
  }
  let chosen: u32 = 0;
  for (let k = 0; k < 3; k++) {
    let best = -1;
    for (let r = 0; r < 10; r++) {
      if (chosen & (<u32>1 << <u32>r)) continue;
      if (best < 0) { best = r; continue; }
      const a = unchecked(score[r]);
      const c = unchecked(score[best]);
      if (a > c || (a == c && (PREFERRED & (<u32>1 << <u32>r)) != 0 && (PREFERRED & (<u32>1 << <u32>best)) == 0)) best = r;
    }
    chosen |= <u32>1 << <u32>best;
  }
  let pair = R4;
  for (let r = 0; r <= 10; r++) {
    if (chosen & (<u32>1 << <u32>r)) {
      unchecked(ARM_LO[r] = pair);
      unchecked(ARM_HI[r] = pair + 1);
      pair += 2;
    } else {
      unchecked(ARM_LO[r] = -1);
      unchecked(ARM_HI[r] = -1);
    }
  }
}

function use(score: StaticArray<i64>, r: i32, w: i64): void {
  if (r < 10) unchecked(score[r] += w);
}

/** Joins what is known at the end of a block (hiZero `known`, the working widths) into block t's start. */
function meet(t: i32, known: u32): bool {
  if (t < 0 || t >= count) return false;
  const grew = ranges.joinInto(widthsAt(t));
  const old = load<u32>(states + (<usize>t << 2));
  const now = old & known;
  if (now == old) return grew;
  store<u32>(states + (<usize>t << 2), now);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Entry and exit

function emitEntry(): void {
  insnStart = 0x7fffffff; // no LDRD / STRD pairs (pairWith) across the labels here
  forwardFrom = 0x7fffffff;
  // Unwinding target of every exit, fault and early stop: returns eBPF r0 in r0:r1 to the driver.
  label(L_EXIT_ZERO);
  emit(movImm(R0, 0));
  setLo(0, R0);
  setHi(0, R0);
  label(L_EPILOGUE);
  emit(ldr(SP, R11, S_SAVED_SP));
  insnStart = pos;
  const l = lo(0, R0);
  const h = hi(0, R1);
  if (l != R0) emit(movReg(R0, l));
  if (h != R1) emit(movReg(R1, h));
  emit(pop(0x8ff0)); // r4-r11, pc

  // entry(r0 = eBPF r1, r1 = eBPF r2): AAPCS, called by the driver.
  label(L_ENTRY);
  emit(push(0x4ff0)); // r4-r11, lr
  stateBase();
  emit(str(SP, R11, S_SAVED_SP));
  emit(movImm(R2, 0));
  for (let r = 0; r <= 10; r++) {
    if (inArm(r)) {
      emit(movImm(unchecked(ARM_LO[r]), 0));
      emit(movImm(unchecked(ARM_HI[r]), 0));
    } else {
      emit(str(R2, R11, S_REGS + 8 * r));
      emit(str(R2, R11, S_REGS + 8 * r + 4));
    }
  }
  emit(str(R2, R11, S_DEPTH));
  emit(str(R2, R11, S_FAULT));
  emit(str(R2, R11, S_HELPER_LR));
  if (progIds > 0) emit(str(R2, R11, S_TAIL_CALLS));
  emit(str(R2, R11, S_RCACHE + 4)); // the inline memory checks' region: none yet (see S_RCACHE)
  emit(str(R2, R11, S_RCACHE + 12));
  setLo(1, R0);
  setLo(2, R1);
  // region 0: the stack frames in use. As in the interpreter, frame k lies above frame k - 1: a callee may reach
  // its callers' frames below its own (pointers passed down), nothing above r10. The driver sets the others
  // (the input or context, the packet, the maps) before calling.
  addressOf(R3, L_STATE, S_STACK + STACK_SIZE);
  setLo(10, R3);
  emit(str(R3, R11, S_REGIONS + 4));
  emit(str(R3, R11, S_REGIONS + 12));
  emit(subImm(R3, R3, STACK_SIZE));
  emit(str(R3, R11, S_REGIONS));
  emit(str(R3, R11, S_REGIONS + 8));
  emitConst(R3, budget);
  emit(str(R3, R11, S_BUDGET));
  emit(str(R3, R11, S_BUDGET_INIT));
}

// ---------------------------------------------------------------------------------------------------------------

function emitInsn(i: i32, inMain: bool): bool {
  const op = opcode(i);
  const cls = op & 7;
  const dst = dstOf(i);
  const src = srcOf(i);
  if (cls == CLS_ALU64 || cls == CLS_ALU) {
    const x = (op & SRC_X) != 0;
    if (cls == CLS_ALU64) {
      const code = op & 0xf0;
      // Both operands and the result below 2^32: the 32-bit operation computes the same value (no carry,
      // borrow or product reaches the high word, see ranges.ts).
      if ((code == ALU_ADD || code == ALU_SUB || code == ALU_MUL || (code == ALU_LSH && !x)) && known0(dst) &&
        operandKnown0(x, src, immOf(i)) && ranges.widthAfter(op, dst, src, offOf(i), immOf(i)) <= 32) {
        return emitAlu32(i, code, x, dst, src, immOf(i), offOf(i));
      }
      // in a loop copy, a sum that is a tested address (versioned.ts)
      if (code == ALU_ADD && addressAdd(i)) return emitAlu32(i, code, x, dst, src, immOf(i), offOf(i));
      return emitAlu64(i, code, x, dst, src, immOf(i), offOf(i));
    }
    return emitAlu32(i, op & 0xf0, x, dst, src, immOf(i), offOf(i));
  }
  if (cls == CLS_JMP || cls == CLS_JMP32) {
    const code = op & 0xf0;
    if (code == JMP_EXIT) {
      if (inMain) b(L_EPILOGUE);
      else emit(pop(bit(PC)));
      return true;
    }
    if (code == JMP_CALL) {
      if (op == <u32>OP_CALLX || src == CALL_HELPER) return emitHelperCall(i, op, inMain);
      if (src == CALL_LOCAL) {
        emitLocalCall(i);
        return true;
      }
      return fail(ERR_OPCODE, i);
    }
    return emitJump(i, op);
  }
  if (cls == CLS_LDX) {
    const mode = op & 0xe0;
    if (mode != MODE_MEM && mode != MODE_MEMSX) return fail(ERR_OPCODE, i);
    if (mode == MODE_MEMSX && (op & 0x18) == SZ_DW) return fail(ERR_OPCODE, i);
    return emitLoad(i, op);
  }
  if (cls == CLS_ST || cls == CLS_STX) {
    const mode = op & 0xe0;
    if (mode == MODE_MEM) return emitStore(i, op);
    if (mode == MODE_ATOMIC && cls == CLS_STX) return emitAtomic(i, op);
    return fail(ERR_OPCODE, i);
  }
  if (cls == CLS_LD) {
    const mode = op & 0xe0;
    if (mode == MODE_ABS || mode == MODE_IND) return emitPacketLoad(i, op);
    if (op != 0x18 || i + 1 >= count) return fail(ERR_OPCODE, i);
    if (src != PSEUDO_IMM64) return fail(ERR_PSEUDO, i);
    const dl = loDst(dst);
    emitConst(dl, <u32>immOf(i));
    setLo(dst, dl);
    const high = <u32>immOf(i + 1);
    if (high == 0) setHiZero(dst);
    else {
      const dh = hiDst(dst);
      emitConst(dh, high);
      setHi(dst, dh);
    }
    return true;
  }
  return fail(ERR_OPCODE, i);
}

/**
 * Emits instruction i (with i + 1 when they are a fused pair or lddw's two slots) where the code is now, in the
 * ordinary code or in a copy of a loop (versioned.ts). Returns the next instruction, or -1 on a translation error.
 */
export function emitStep(i: i32, inMain: bool): i32 {
  const copy = inCopy();
  if (flagOf(i) & F_LEADER) {
    enterBlock(i);
    if (budget != 0) {
      const len = blockLength(i);
      if (copy) copyBudget(i, len);
      else {
        emit(ldr(IP, R11, S_BUDGET));
        if (immRot(len) >= 0) emit(opImmS(OP_SUB, IP, IP, immRot(len)));
        else {
          emitConst(LR, len);
          emit(opRegS(OP_SUB, IP, IP, LR));
        }
        call(LO, L_BUDGET_FAULT);
        emit(str(IP, R11, S_BUDGET));
      }
    }
    blockStart = pos;
  }
  insnStart = pos;
  // Loads and stores are where a loop copy may resume in this code (versioned.ts), leaders where jumps land
  const cls = opcode(i) & 7;
  const access = cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX || cls == CLS_LD;
  forwardFrom = (flagOf(i) & F_LEADER) != 0 || access ? pos : blockStart;
  if (fusable(i, count) && (flagOf(i + 1) & F_LEADER) == 0) {
    // a copy and the operation on it (fuse.ts): the analysis went through them one by one
    emitFused(i);
    afterInsn(i, false);
    afterInsn(i + 1);
    if (!copy) store<u32>(offsets + (<usize>(i + 1) << 2), <u32>(pos - at(L_CODE)));
    return i + 2;
  }
  if (!emitInsn(i, inMain)) return -1;
  afterInsn(i);
  if (opcode(i) == 0x18) {
    if (!copy) store<u32>(offsets + (<usize>(i + 1) << 2), load<u32>(offsets + (<usize>i << 2)) | SECOND_SLOT);
    return i + 2;
  }
  return i + 1;
}

/**
 * Emit the prologue, every instruction and the instruction-offset table. `code` holds n eBPF instructions;
 * `offsetTable` and `stateTable` n u32 entries, `flagTable` n bytes of scratch.
 */
export function emitProgram(
  code: usize, n: i32, offsetTable: usize, flagTable: usize, stateTable: usize, widthTable: usize, opts: u32,
  budgetLimit: u32,
): bool {
  insns = code;
  count = n;
  offsets = offsetTable;
  flags = flagTable;
  states = stateTable;
  widths = widthTable;
  options = opts;
  budget = budgetLimit;
  errorCode = ERR_NONE;
  if (!analyse()) return false;
  if (measuring) {
    allocateRegisters();
    analyseHighWords();
  }
  emitEntry();
  label(L_CODE);
  findLoops(insns, count, flags, F_LEADER, F_FUNC | F_PROG);
  resetCopies();
  let inMain = true;
  for (let i = 0; i < count;) {
    const f = flagOf(i);
    if (f & F_PROG) inMain = true;
    else if (f & F_FUNC) inMain = false;
    store<u32>(offsets + (<usize>i << 2), <u32>(pos - at(L_CODE)));
    const k = loopAt(i);
    if (k >= 0) {
      // a counted loop: the test and its unchecked copy first (versioned.ts)
      if (!emitVersioned(k, inMain)) return false;
      bodyStarts(k);
    }
    i = emitStep(i, inMain);
    if (i < 0) return false;
  }
  b(L_EPILOGUE); // falling off the end (the validator refuses such programs)
  emitRangeRoutine();
  label(L_TABLE);
  for (let i = 0; i < count; i++) emit(load<u32>(offsets + (<usize>i << 2)));
  if (progIds > 0) {
    // tail-call targets: the code address of each program id; where each program starts (fault reports)
    label(L_PROGS);
    for (let k = 0; k < progIds; k++) {
      const start = load<i32>(progTable + (<usize>k * 12));
      emit(start < 0 ? 0 : imageBase + <u32>at(L_CODE) + load<u32>(offsets + (<usize>start << 2)));
    }
    label(L_PROG_STARTS);
    for (let i = 0; i < count; i++) {
      if ((flagOf(i) & F_PROG) == 0) continue;
      let name: u32 = 0;
      let length: u32 = 0;
      for (let k = 0; k < progIds; k++) {
        if (load<i32>(progTable + (<usize>k * 12)) != i) continue;
        name = load<u32>(progTable + (<usize>k * 12) + 4);
        length = load<u32>(progTable + (<usize>k * 12) + 8);
      }
      emit(<u32>i);
      emit(name);
      emit(length);
    }
  }
  return true;
}
