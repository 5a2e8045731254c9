// eBPF -> ARM32 (A32) translator. Reference design: the Linux kernel's arch/arm/net/bpf_jit_32.c, plus what that
// JIT leaves to the interpreter (bpf-to-bpf calls, atomics) and a memory check on every access.
//
// Where each eBPF register lives (ARM low word, ARM high word; -1: in the register file at [r11 + 8 * n]):
//
//   eBPF   ARM       why
//   r0     r4:r5     return value: every exit, helper call and LD_ABS writes it
//   r1     r6:r7     the context / input pointer, first argument
//   r2-r5  memory    helper arguments: helpers read them from the register file anyway
//   r6     r8:r9     callee-saved: clang keeps loop variables and the context there
//   r7-r9  memory
//   r10    memory    frame pointer, read-only, high word always 0
//
// Scratch: r0:r1 (first operand / destination when in memory), r2:r3 (second operand), r10:ip (the address of
// a memory access, low and high word, checked by the runtime), lr. r11 points at the state block, sp is the
// native stack (bpf-to-bpf return addresses and saved r6-r9).
//
// Beyond the kernel JIT: per basic block, the translator tracks which registers have a high word known to be
// zero (after ALU32 results, zero-extending loads, small constants) and then emits 32-bit operations only:
// comparisons, AND/OR/XOR, MUL (one UMULL), RSH, and no high-word writes that would store a zero again.

import {
  emit, emitConst, emitAddConst, emitAddConstS, skip, pos,
  R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, SP, LR, PC,
  AL, EQ, NE, HS, LO, HI, LS, GE, LT, GT, LE, PL,
  OP_AND, OP_EOR, OP_SUB, OP_RSB, OP_ADD, OP_ADC, OP_SBC, OP_RSC, OP_TST, OP_CMP, OP_CMN, OP_ORR, OP_MOV,
  SH_LSL, SH_LSR, SH_ASR,
  immRot, dpImm, dpReg, dpRegShift, movReg, movImm, cmpImm, opReg, opRegS, opImm, opImmS, cmpReg, cmpRegC, tstReg, tstRegC,
  shiftImm, shiftReg, mul, mla, mls, umull, udiv, sdiv,
  ldr, str, ldrb, strb, ldrh, strh, ldrsb, ldrsh, push, pop, bit, bx, addImm, subImm,
  ldrex, strex, ldrexd, strexd, CLREX, rev, rev16, sxtb, sxth, uxth, branch,
} from "./encoder";
import {
  label, at, b, bl, jump, call, addressOf, stateBase,
  S_REGS, S_BUDGET, S_BUDGET_INIT, S_DEPTH, S_SAVED_SP, S_FAULT, S_NREGIONS, S_REGIONS, S_PKT, S_PKT_LEN,
  S_STACK, STATE_SIZE,
  L_ENTRY, L_EPILOGUE, L_EXIT_ZERO, L_CODE, L_TABLE, L_STATE, L_BUDGET_FAULT, L_DEPTH_FAULT, L_HELPER_FAULT,
  L_UDIVMOD64, L_SDIVMOD64, L_CHECK, L_LDPKT, L_HELPER_UNWIND,
} from "./image";
import { SECOND_SLOT } from "./runtime";
import {
  CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64,
  SZ_W, SZ_H, SZ_B, SZ_DW, MODE_IMM, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX, MODE_ATOMIC, SRC_X,
  ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH, ALU_NEG, ALU_MOD, ALU_XOR, ALU_MOV,
  ALU_ARSH, ALU_END, END_TO_BE,
  JMP_JA, JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE, JMP_JSGT, JMP_JSGE, JMP_CALL, JMP_EXIT, JMP_JLT, JMP_JLE,
  JMP_JSLT, JMP_JSLE,
  ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_XOR, ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_CMPXCHG,
  CALL_HELPER, CALL_LOCAL, PSEUDO_IMM64, STACK_SIZE, MAX_CALL_DEPTH, OP_CALLX,
} from "../isa";

const ARM_LO: StaticArray<i32> = [R4, R6, -1, -1, -1, -1, R8, -1, -1, -1, -1];
const ARM_HI: StaticArray<i32> = [R5, R7, -1, -1, -1, -1, R9, -1, -1, -1, -1];

// Translation options (flags of translate())
export const OPT_IDIV: u32 = 1; // the core has UDIV/SDIV (Cortex-A7/A15); else division calls a runtime routine
export const OPT_CONFORMANCE: u32 = 2; // helper 5 is the conformance suite's "unwind" helper

// Translation errors
export const ERR_NONE = 0;
export const ERR_OPCODE = 1; // an opcode this translator does not know
export const ERR_PSEUDO = 2; // lddw of a map or function (maps come later)
export const ERR_TARGET = 3; // a jump or call outside the program

export let errorCode: i32 = ERR_NONE;
export let errorIndex: i32 = 0;

let insns: usize = 0; // the eBPF program
let count: i32 = 0;
let offsets: usize = 0; // u32 per instruction: code offset from L_CODE (| SECOND_SLOT)
let flags: usize = 0; // u8 per instruction: F_* below
let options: u32 = 0;
let budget: u32 = 0;
let hiZero: u32 = 0; // bit n: eBPF rn's high word is known to be 0 here

const F_LEADER: u8 = 1; // starts a basic block
const F_FUNC: u8 = 2; // starts a subprogram (target of a bpf-to-bpf call)

@inline function opcode(i: i32): u32 { return load<u8>(insns + (<usize>i << 3)); }
@inline function dstOf(i: i32): i32 { return load<u8>(insns + (<usize>i << 3) + 1) & 15; }
@inline function srcOf(i: i32): i32 { return load<u8>(insns + (<usize>i << 3) + 1) >> 4; }
@inline function offOf(i: i32): i32 { return load<i16>(insns + (<usize>i << 3) + 2); }
@inline function immOf(i: i32): i32 { return load<i32>(insns + (<usize>i << 3) + 4); }
@inline function flagOf(i: i32): u8 { return load<u8>(flags + <usize>i); }

// ---------------------------------------------------------------------------------------------------------------
// Register access through the table

function inArm(r: i32): bool { return unchecked(ARM_LO[r]) >= 0; }
function known0(r: i32): bool { return ((hiZero >> <u32>r) & 1) != 0; }

/** The ARM register holding rn's low word: its own, or tmp after loading it. */
function lo(r: i32, tmp: i32): i32 {
  if (inArm(r)) return unchecked(ARM_LO[r]);
  emit(ldr(tmp, R11, S_REGS + 8 * r));
  return tmp;
}
function hi(r: i32, tmp: i32): i32 {
  if (inArm(r)) return unchecked(ARM_HI[r]);
  emit(ldr(tmp, R11, S_REGS + 8 * r + 4));
  return tmp;
}
/** Where to compute rn's new low / high word. */
function loDst(r: i32): i32 { return inArm(r) ? unchecked(ARM_LO[r]) : R0; }
function hiDst(r: i32): i32 { return inArm(r) ? unchecked(ARM_HI[r]) : R1; }

function setLo(r: i32, src: i32): void {
  if (inArm(r)) {
    if (unchecked(ARM_LO[r]) != src) emit(movReg(unchecked(ARM_LO[r]), src));
  } else emit(str(src, R11, S_REGS + 8 * r));
}
function setHi(r: i32, src: i32): void {
  hiZero &= ~(<u32>1 << <u32>r);
  if (inArm(r)) {
    if (unchecked(ARM_HI[r]) != src) emit(movReg(unchecked(ARM_HI[r]), src));
  } else emit(str(src, R11, S_REGS + 8 * r + 4));
}
function setHiZero(r: i32): void {
  if (known0(r)) return;
  hiZero |= <u32>1 << <u32>r;
  if (inArm(r)) emit(movImm(unchecked(ARM_HI[r]), 0));
  else {
    emit(movImm(IP, 0));
    emit(str(IP, R11, S_REGS + 8 * r + 4));
  }
}
/** Copy rn into (rl, rh). */
function pairInto(r: i32, rl: i32, rh: i32): void {
  const l = lo(r, rl);
  if (l != rl) emit(movReg(rl, l));
  const h = hi(r, rh);
  if (h != rh) emit(movReg(rh, h));
}

/** Second operand, low word: a register, or the immediate in r2. */
function operandLo(x: bool, src: i32, imm: i32): i32 {
  if (x) return lo(src, R2);
  emitConst(R2, <u32>imm);
  return R2;
}
function operandHi(x: bool, src: i32, imm: i32): i32 {
  if (x) return hi(src, R3);
  emitConst(R3, imm < 0 ? 0xffffffff : 0);
  return R3;
}
function operandKnown0(x: bool, src: i32, imm: i32): bool { return x ? known0(src) : imm >= 0; }

// ---------------------------------------------------------------------------------------------------------------
// Pass 0: basic blocks and subprograms

function mark(i: i32, f: u8): bool {
  if (i < 0 || i >= count) return false;
  store<u8>(flags + <usize>i, flagOf(i) | f);
  return true;
}

function analyse(): bool {
  memory.fill(flags, 0, <usize>count);
  mark(0, F_LEADER | F_FUNC);
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

function fail(code: i32, i: i32): bool {
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

// ---------------------------------------------------------------------------------------------------------------
// Entry and exit

function emitEntry(): void {
  // Unwinding target of every exit, fault and early stop: returns eBPF r0 in r0:r1 to the driver.
  label(L_EXIT_ZERO);
  emit(movImm(R0, 0));
  setLo(0, R0);
  setHi(0, R0);
  label(L_EPILOGUE);
  emit(ldr(SP, R11, S_SAVED_SP));
  const l = lo(0, R0);
  const h = hi(0, R1);
  if (l != R0) emit(movReg(R0, l));
  if (h != R1) emit(movReg(R1, h));
  emit(pop(0x8ff0)); // r4-r11, pc

  // entry(r0 = input address, r1 = input length): AAPCS, called by the driver.
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
  emit(str(R0, R11, S_PKT));
  emit(str(R1, R11, S_PKT_LEN));
  setLo(1, R0);
  setLo(2, R1);
  // regions: 0 = the stack frames in use (grows down by a frame per call), 1 = the input memory
  addressOf(R3, L_STATE, S_STACK + MAX_CALL_DEPTH * STACK_SIZE);
  setLo(10, R3);
  emit(str(R3, R11, S_REGIONS + 4));
  emit(subImm(R3, R3, STACK_SIZE));
  emit(str(R3, R11, S_REGIONS));
  emit(movImm(R3, 1));
  emit(str(R3, R11, S_REGIONS + 8));
  emit(str(R0, R11, S_REGIONS + 12));
  emit(opReg(OP_ADD, R1, R0, R1));
  emit(str(R1, R11, S_REGIONS + 16));
  emit(str(R3, R11, S_REGIONS + 20));
  emit(movImm(R3, 2));
  emit(str(R3, R11, S_NREGIONS));
  emitConst(R3, budget);
  emit(str(R3, R11, S_BUDGET));
  emit(str(R3, R11, S_BUDGET_INIT));
}

// ---------------------------------------------------------------------------------------------------------------
// ALU

function emitAlu64(i: i32, op: u32, x: bool, dst: i32, src: i32, imm: i32, off: i32): bool {
  if (op == ALU_MOV) {
    const dl = loDst(dst);
    if (!x) {
      emitConst(dl, <u32>imm);
      setLo(dst, dl);
      if (imm >= 0) setHiZero(dst);
      else {
        const dh = hiDst(dst);
        emitConst(dh, 0xffffffff);
        setHi(dst, dh);
      }
      return true;
    }
    if (off == 0) {
      const keep0 = known0(src);
      setLo(dst, lo(src, R2));
      if (keep0) setHiZero(dst);
      else setHi(dst, hi(src, R3));
      return true;
    }
    const sl = lo(src, R2);
    if (off == 8) emit(sxtb(dl, sl));
    else if (off == 16) emit(sxth(dl, sl));
    else if (off == 32) { if (dl != sl) emit(movReg(dl, sl)); }
    else return fail(ERR_OPCODE, i);
    setLo(dst, dl);
    const dh = hiDst(dst);
    emit(shiftImm(SH_ASR, dh, dl, 31));
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_END) return emitSwap(dst, imm, true);

  const dl = lo(dst, R0);
  const d0 = known0(dst);
  const b0 = operandKnown0(x, src, imm);

  if (!x && emitAlu64Imm(op, dst, dl, imm)) return true;
  if (op == ALU_OR || op == ALU_XOR || op == ALU_AND) {
    const aop = op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND;
    const bl_ = operandLo(x, src, imm);
    if ((d0 && b0) || (op == ALU_AND && d0)) {
      emit(opReg(aop, dl, dl, bl_));
      setLo(dst, dl);
      return true;
    }
    if (op == ALU_AND && b0) {
      emit(opReg(aop, dl, dl, bl_));
      setLo(dst, dl);
      setHiZero(dst);
      return true;
    }
    const dh = hi(dst, R1);
    const bh = operandHi(x, src, imm);
    emit(opReg(aop, dl, dl, bl_));
    emit(opReg(aop, dh, dh, bh));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_ADD || op == ALU_SUB) {
    const dh = hi(dst, R1);
    const bl_ = operandLo(x, src, imm);
    const bh = operandHi(x, src, imm);
    emit(opRegS(op == ALU_ADD ? OP_ADD : OP_SUB, dl, dl, bl_));
    emit(opReg(op == ALU_ADD ? OP_ADC : OP_SBC, dh, dh, bh));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_MUL) {
    const bl_ = operandLo(x, src, imm);
    const dh = hiDst(dst);
    if (d0 && b0) {
      emit(umull(dl, dh, dl, bl_));
    } else {
      const ah = hi(dst, R1);
      const bh = operandHi(x, src, imm);
      emit(mul(IP, dl, bh));
      emit(mla(IP, ah, bl_, IP));
      emit(umull(dl, dh, dl, bl_));
      emit(opReg(OP_ADD, dh, dh, IP));
    }
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_DIV || op == ALU_MOD) {
    if (off != 0 && off != 1) return fail(ERR_OPCODE, i);
    if (dl != R0) emit(movReg(R0, dl));
    const ah = hi(dst, R1);
    if (ah != R1) emit(movReg(R1, ah));
    if (x) pairInto(src, R2, R3);
    else {
      emitConst(R2, <u32>imm);
      emitConst(R3, imm < 0 ? 0xffffffff : 0);
    }
    bl(off == 1 ? L_SDIVMOD64 : L_UDIVMOD64);
    setLo(dst, op == ALU_DIV ? R0 : R2);
    setHi(dst, op == ALU_DIV ? R1 : R3);
    return true;
  }
  if (op == ALU_NEG) {
    const dh = hi(dst, R1);
    emit(opImmS(OP_RSB, dl, dl, 0));
    emit(opImm(OP_RSC, dh, dh, 0));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op == ALU_LSH || op == ALU_RSH || op == ALU_ARSH) {
    if (!x) return emitShift64Imm(op, dst, dl, <u32>imm & 63);
    const s = lo(src, R2);
    emit(opImm(OP_AND, R2, s, 63));
    const dh = hi(dst, R1);
    if (op == ALU_LSH) {
      emit(subImm(R3, R2, 32));
      emit(dpImm(AL, OP_RSB, 0, IP, R2, 32));
      emit(shiftReg(SH_LSL, dh, dh, R2));
      emit(dpRegShift(AL, OP_ORR, 0, dh, dh, dl, SH_LSL, R3));
      emit(dpRegShift(AL, OP_ORR, 0, dh, dh, dl, SH_LSR, IP));
      emit(shiftReg(SH_LSL, dl, dl, R2));
    } else if (op == ALU_RSH) {
      emit(subImm(R3, R2, 32));
      emit(dpImm(AL, OP_RSB, 0, IP, R2, 32));
      emit(shiftReg(SH_LSR, dl, dl, R2));
      emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, IP));
      emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSR, R3));
      emit(shiftReg(SH_LSR, dh, dh, R2));
    } else {
      emit(dpImm(AL, OP_RSB, 0, IP, R2, 32));
      emit(opImmS(OP_SUB, R3, R2, 32));
      emit(shiftReg(SH_LSR, dl, dl, R2));
      emit(dpRegShift(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, IP));
      emit(dpRegShift(PL, OP_MOV, 0, dl, 0, dh, SH_ASR, R3));
      emit(shiftReg(SH_ASR, dh, dh, R2));
    }
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  return fail(ERR_OPCODE, i);
}

/** ADD/SUB/AND/OR/XOR with an immediate that fits an A32 operand: no constant loads, and a high word touched
 * only when the sign-extended immediate changes it. False when the immediate does not fit. */
function emitAlu64Imm(op: u32, dst: i32, dl: i32, imm: i32): bool {
  if (op == ALU_ADD || op == ALU_SUB) {
    if (imm == i32.MIN_VALUE) return false;
    const v = op == ALU_SUB ? -imm : imm; // add v
    const mag = <u32>(v < 0 ? -v : v);
    if (immRot(mag) < 0) return false;
    const dh = hi(dst, R1);
    emit(opImmS(v < 0 ? OP_SUB : OP_ADD, dl, dl, immRot(mag)));
    emit(opImm(v < 0 ? OP_SBC : OP_ADC, dh, dh, 0)); // sbc #0 adds 0xffffffff and the carry
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  }
  if (op != ALU_OR && op != ALU_XOR && op != ALU_AND) return false;
  if (immRot(<u32>imm) < 0) return false;
  emit(opImm(op == ALU_OR ? OP_ORR : op == ALU_XOR ? OP_EOR : OP_AND, dl, dl, immRot(<u32>imm)));
  setLo(dst, dl);
  if (imm >= 0) {
    if (op == ALU_AND) setHiZero(dst); // OR/XOR with 0 leave the high word alone
    return true;
  }
  if (op == ALU_AND) return true; // AND with all ones
  const dh = op == ALU_OR ? hiDst(dst) : hi(dst, R1);
  if (op == ALU_OR) emitConst(dh, 0xffffffff);
  else emit(dpReg(AL, 0xf /* MVN */, 0, dh, 0, dh, SH_LSL, 0));
  setHi(dst, dh);
  return true;
}

function emitShift64Imm(op: u32, dst: i32, dl: i32, n: u32): bool {
  if (n == 0) {
    setLo(dst, dl);
    return true;
  }
  if (op == ALU_RSH && known0(dst)) {
    if (n < 32) emit(shiftImm(SH_LSR, dl, dl, n));
    else emit(movImm(dl, 0));
    setLo(dst, dl);
    return true;
  }
  const dh = hi(dst, R1);
  if (op == ALU_LSH) {
    if (n < 32) {
      emit(shiftImm(SH_LSL, dh, dh, n));
      emit(dpReg(AL, OP_ORR, 0, dh, dh, dl, SH_LSR, 32 - n));
      emit(shiftImm(SH_LSL, dl, dl, n));
    } else {
      emit(shiftImm(SH_LSL, dh, dl, n - 32));
      emit(movImm(dl, 0));
    }
  } else if (op == ALU_RSH) {
    if (n < 32) {
      emit(shiftImm(SH_LSR, dl, dl, n));
      emit(dpReg(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, 32 - n));
      emit(shiftImm(SH_LSR, dh, dh, n));
    } else {
      if (n == 32) emit(movReg(dl, dh)); // LSR #0 would encode LSR #32
      else emit(shiftImm(SH_LSR, dl, dh, n - 32));
      emit(movImm(dh, 0));
    }
  } else {
    if (n < 32) {
      emit(shiftImm(SH_LSR, dl, dl, n));
      emit(dpReg(AL, OP_ORR, 0, dl, dl, dh, SH_LSL, 32 - n));
      emit(shiftImm(SH_ASR, dh, dh, n));
    } else {
      if (n == 32) emit(movReg(dl, dh));
      else emit(shiftImm(SH_ASR, dl, dh, n - 32));
      emit(shiftImm(SH_ASR, dh, dh, 31));
    }
  }
  setLo(dst, dl);
  setHi(dst, dh);
  return true;
}

/** Byte swaps: to big-endian / bswap (swap) or to little-endian (truncate only); width 16, 32 or 64. */
function emitSwap(dst: i32, width: i32, swap: bool): bool {
  const dl = lo(dst, R0);
  if (width == 16) {
    if (swap) emit(rev16(dl, dl));
    emit(uxth(dl, dl));
  } else if (width == 32) {
    if (swap) emit(rev(dl, dl));
  } else if (width == 64) {
    if (!swap) return true;
    const dh = hi(dst, R1);
    emit(rev(IP, dl));
    emit(rev(dl, dh));
    emit(movReg(dh, IP));
    setLo(dst, dl);
    setHi(dst, dh);
    return true;
  } else return false;
  setLo(dst, dl);
  setHiZero(dst);
  return true;
}

function emitAlu32(i: i32, op: u32, x: bool, dst: i32, src: i32, imm: i32, off: i32): bool {
  if (op == ALU_END) {
    if (!emitSwap(dst, imm, x /* END_TO_BE is the source bit */)) return fail(ERR_OPCODE, i);
    return true;
  }
  const dl = op == ALU_MOV ? loDst(dst) : lo(dst, R0);
  if (op == ALU_MOV) {
    if (!x) emitConst(dl, <u32>imm);
    else {
      const sl = lo(src, R2);
      if (off == 0) { if (dl != sl) emit(movReg(dl, sl)); }
      else if (off == 8) emit(sxtb(dl, sl));
      else if (off == 16) emit(sxth(dl, sl));
      else return fail(ERR_OPCODE, i);
    }
  } else if (op == ALU_ADD || op == ALU_SUB || op == ALU_OR || op == ALU_AND || op == ALU_XOR || op == ALU_MUL) {
    const bl_ = operandLo(x, src, imm);
    if (op == ALU_MUL) emit(mul(dl, dl, bl_));
    else {
      const aop = op == ALU_ADD ? OP_ADD : op == ALU_SUB ? OP_SUB : op == ALU_OR ? OP_ORR : op == ALU_AND ? OP_AND : OP_EOR;
      emit(opReg(aop, dl, dl, bl_));
    }
  } else if (op == ALU_DIV || op == ALU_MOD) {
    if (off != 0 && off != 1) return fail(ERR_OPCODE, i);
    const bl_ = operandLo(x, src, imm);
    if (options & OPT_IDIV) {
      emit(off == 1 ? sdiv(IP, dl, bl_) : udiv(IP, dl, bl_));
      if (op == ALU_DIV) emit(movReg(dl, IP));
      else emit(mls(dl, IP, bl_, dl)); // by zero: quotient 0, so the remainder is the dividend
    } else {
      // Widen to 64 bits and use the 64-bit routine: its zero and INT_MIN / -1 rules give the 32-bit ones.
      if (bl_ != R2) emit(movReg(R2, bl_));
      if (dl != R0) emit(movReg(R0, dl));
      if (off == 1) {
        emit(shiftImm(SH_ASR, R1, R0, 31));
        emit(shiftImm(SH_ASR, R3, R2, 31));
      } else {
        emit(movImm(R1, 0));
        emit(movImm(R3, 0));
      }
      bl(off == 1 ? L_SDIVMOD64 : L_UDIVMOD64);
      if (op == ALU_MOD) emit(movReg(R0, R2));
      if (dl != R0) emit(movReg(dl, R0));
    }
  } else if (op == ALU_LSH || op == ALU_RSH || op == ALU_ARSH) {
    const sh = op == ALU_LSH ? SH_LSL : op == ALU_RSH ? SH_LSR : SH_ASR;
    if (!x) {
      const n = <u32>imm & 31;
      if (n) emit(shiftImm(sh, dl, dl, n));
    } else {
      const s = lo(src, R2);
      emit(opImm(OP_AND, IP, s, 31));
      emit(shiftReg(sh, dl, dl, IP));
    }
  } else if (op == ALU_NEG) {
    emit(opImm(OP_RSB, dl, dl, 0));
  } else return fail(ERR_OPCODE, i);
  setLo(dst, dl);
  setHiZero(dst);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Jumps

function condition(code: u32): u32 {
  switch (code) {
    case JMP_JEQ: return EQ;
    case JMP_JNE: return NE;
    case JMP_JSET: return NE;
    case JMP_JGT: return HI;
    case JMP_JGE: return HS;
    case JMP_JLT: return LO;
    case JMP_JLE: return LS;
    case JMP_JSGT: return GT;
    case JMP_JSGE: return GE;
    case JMP_JSLT: return LT;
    case JMP_JSLE: return LE;
  }
  return 0xf;
}

/** The unsigned condition that decides a signed comparison of two non-negative values. */
function unsignedOf(cond: u32): u32 {
  if (cond == GT) return HI;
  if (cond == GE) return HS;
  if (cond == LT) return LO;
  if (cond == LE) return LS;
  return cond;
}

function targetPos(t: i32): i32 { return at(L_CODE) + <i32>(load<u32>(offsets + (<usize>t << 2)) & ~SECOND_SLOT); }

/** cmp/tst of a 32-bit register against the second operand's low word. */
function compareLo(code: u32, a: i32, x: bool, src: i32, imm: i32): void {
  const aop = code == JMP_JSET ? OP_TST : OP_CMP;
  if (!x) {
    const v = <u32>imm;
    if (immRot(v) >= 0) { emit(dpImm(AL, aop, 1, 0, a, immRot(v))); return; }
    if (aop == OP_CMP && v != 0 && immRot(-v) >= 0) { emit(dpImm(AL, OP_CMN, 1, 0, a, immRot(-v))); return; }
  }
  const b_ = operandLo(x, src, imm);
  emit(dpReg(AL, aop, 1, 0, a, b_, SH_LSL, 0));
}

/** cmp rn, #v (or cmn rn, #-v); false when neither fits. */
function compareImm(rn: i32, v: u32): bool {
  if (immRot(v) >= 0) emit(dpImm(AL, OP_CMP, 1, 0, rn, immRot(v)));
  else if (v != 0 && immRot(-v) >= 0) emit(dpImm(AL, OP_CMN, 1, 0, rn, immRot(-v)));
  else return false;
  return true;
}

/** A 64-bit comparison against a sign-extended immediate, without loading it: high word 0 or -1. Leaves the
 * flags for `cond`, except that GT / LE become LT / GE on swapped operands. False when the immediate does not fit. */
function emitCompare64Imm(code: u32, cond: u32, dst: i32, imm: i32): bool {
  const v = <u32>imm;
  const fits = immRot(v) >= 0 || (v != 0 && immRot(-v) >= 0);
  if (code == JMP_JSET) {
    if (immRot(v) < 0) return false;
    const al = lo(dst, R0);
    if (imm >= 0) {
      emit(dpImm(AL, OP_TST, 1, 0, al, immRot(v)));
    } else {
      const ah = hi(dst, R1);
      emit(dpImm(AL, OP_TST, 1, 0, al, immRot(v)));
      emit(tstRegC(EQ, ah, ah));
    }
    return true;
  }
  if (!fits) return false;
  if (cond == LT || cond == GE) {
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    compareImm(al, v);
    // a.hi - b.hi - borrow, with b.hi = 0 (sbcs #0) or -1 (adcs #0 is the same addition, same flags)
    emit(dpImm(AL, imm >= 0 ? OP_SBC : OP_ADC, 1, IP, ah, 0));
    return true;
  }
  if (cond == GT || cond == LE) {
    if (imm < 0 || immRot(v) < 0) return false;
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    emit(dpImm(AL, OP_RSB, 1, IP, al, immRot(v))); // b - a
    emit(dpImm(AL, OP_RSC, 1, IP, ah, 0));
    return true;
  }
  // equality and unsigned: high words first, then the low words when they are equal
  const ah = hi(dst, R1);
  if (imm >= 0) emit(cmpImm(ah, 0));
  else emit(dpImm(AL, OP_CMN, 1, 0, ah, 1));
  const al = lo(dst, R0);
  if (immRot(v) >= 0) emit(dpImm(EQ, OP_CMP, 1, 0, al, immRot(v)));
  else emit(dpImm(EQ, OP_CMN, 1, 0, al, immRot(-v)));
  return true;
}

function emitJump(i: i32, op: u32): bool {
  const cls = op & 7;
  const code = op & 0xf0;
  const x = (op & SRC_X) != 0;
  const dst = dstOf(i);
  const src = srcOf(i);
  const imm = immOf(i);
  if (code == JMP_JA) {
    const t = cls == CLS_JMP32 ? i + 1 + imm : i + 1 + offOf(i);
    emit(branch(AL, false, pos, targetPos(t)));
    return true;
  }
  let cond = condition(code);
  if (cond == 0xf) return fail(ERR_OPCODE, i);
  const t = i + 1 + offOf(i);
  if (cls == CLS_JMP32 || (known0(dst) && operandKnown0(x, src, imm))) {
    if (cls == CLS_JMP) cond = unsignedOf(cond);
    compareLo(code, lo(dst, R0), x, src, imm);
  } else if (!x && emitCompare64Imm(code, cond, dst, imm)) {
    if (cond == GT) cond = LT;
    else if (cond == LE) cond = GE;
  } else {
    const al = lo(dst, R0);
    const ah = hi(dst, R1);
    const bl_ = operandLo(x, src, imm);
    const bh = operandHi(x, src, imm);
    if (code == JMP_JSET) {
      emit(tstReg(al, bl_));
      emit(tstRegC(EQ, ah, bh));
    } else if (cond == LT || cond == GE) {
      emit(cmpReg(al, bl_));
      emit(opRegS(OP_SBC, IP, ah, bh));
    } else if (cond == GT || cond == LE) {
      emit(cmpReg(bl_, al));
      emit(opRegS(OP_SBC, IP, bh, ah));
      cond = cond == GT ? LT : GE;
    } else {
      emit(cmpReg(ah, bh));
      emit(cmpRegC(EQ, al, bl_));
    }
  }
  emit(branch(cond, false, pos, targetPos(t)));
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Memory

function sizeBytes(sz: u32): i32 {
  return sz == SZ_B ? 1 : sz == SZ_H ? 2 : sz == SZ_W ? 4 : 8;
}
function log2Size(bytes: i32): i32 { return bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3; }

/** r10 = base + off, checked for an access of `bytes` (statically for the frame pointer's own frame). */
function address(base: i32, off: i32, bytes: i32, write: bool): void {
  if (base == 10 && off >= -STACK_SIZE && off + bytes <= 0) {
    emitAddConst(R10, lo(10, R2), <u32>off, IP);
    return;
  }
  const bl_ = lo(base, R2);
  const bh = hi(base, R3);
  emitAddConstS(R10, bl_, <u32>off, IP);
  emit(dpImm(AL, off >= 0 ? OP_ADC : OP_SBC, 0, IP, bh, 0));
  bl(L_CHECK + (write ? 4 : 0) + log2Size(bytes));
}

function emitLoad(i: i32, op: u32): bool {
  const dst = dstOf(i);
  const bytes = sizeBytes(op & 0x18);
  const sx = (op & 0xe0) == MODE_MEMSX;
  address(srcOf(i), offOf(i), bytes, false);
  const dl = loDst(dst);
  if (bytes == 1) emit(sx ? ldrsb(dl, R10, 0) : ldrb(dl, R10, 0));
  else if (bytes == 2) emit(sx ? ldrsh(dl, R10, 0) : ldrh(dl, R10, 0));
  else emit(ldr(dl, R10, 0));
  setLo(dst, dl);
  if (bytes == 8) {
    const dh = hiDst(dst);
    emit(ldr(dh, R10, 4));
    setHi(dst, dh);
  } else if (sx) {
    const dh = hiDst(dst);
    emit(shiftImm(SH_ASR, dh, dl, 31));
    setHi(dst, dh);
  } else setHiZero(dst);
  return true;
}

function emitStore(i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  const x = (op & 7) == CLS_STX;
  const src = srcOf(i);
  const imm = immOf(i);
  address(dstOf(i), offOf(i), bytes, true);
  let vl: i32, vh: i32 = R1;
  if (x) vl = lo(src, R0);
  else {
    vl = R0;
    emitConst(R0, <u32>imm);
  }
  if (bytes == 1) emit(strb(vl, R10, 0));
  else if (bytes == 2) emit(strh(vl, R10, 0));
  else emit(str(vl, R10, 0));
  if (bytes == 8) {
    if (x) vh = hi(src, R1);
    else emitConst(R1, imm < 0 ? 0xffffffff : 0);
    emit(str(vh, R10, 4));
  }
  return true;
}

function emitAtomic(i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  if (bytes != 4 && bytes != 8) return fail(ERR_OPCODE, i);
  const src = srcOf(i);
  const aop = <u32>immOf(i);
  const base = aop & ~ATOMIC_FETCH;
  const fetch = (aop & ATOMIC_FETCH) != 0;
  let arith: u32 = 0;
  if (aop == ATOMIC_XCHG || aop == ATOMIC_CMPXCHG) arith = OP_MOV;
  else if (base == ATOMIC_ADD) arith = OP_ADD;
  else if (base == ATOMIC_OR) arith = OP_ORR;
  else if (base == ATOMIC_AND) arith = OP_AND;
  else if (base == ATOMIC_XOR) arith = OP_EOR;
  else return fail(ERR_OPCODE, i);
  address(dstOf(i), offOf(i), bytes, true);
  const cas = aop == ATOMIC_CMPXCHG;
  // r0(:r1) = old value, r2(:r3) = new value, ip = strex status
  if (bytes == 4) {
    const v = lo(src, R3); // loaded once, outside the retry loop
    const expected = cas ? lo(0, R1) : R1;
    const loop = pos;
    emit(ldrex(R0, R10));
    if (cas) {
      emit(cmpReg(R0, expected));
      skip(NE, 5); // to the clrex
    }
    if (arith == OP_MOV) emit(movReg(R2, v));
    else emit(opReg(arith, R2, R0, v));
    emit(strex(IP, R2, R10));
    emit(cmpImm(IP, 0));
    emit(branch(NE, false, pos, loop));
    if (cas) {
      skip(AL, 1);
      emit(CLREX);
      setLo(0, R0);
      setHiZero(0);
    } else if (fetch) {
      setLo(src, R0);
      setHiZero(src);
    }
    return true;
  }
  const loop = pos;
  emit(ldrexd(R0, R10));
  if (cas) {
    // eBPF r0 against the old value; on a match store src
    const el = inArm(0) ? unchecked(ARM_LO[0]) : R2;
    const eh = inArm(0) ? unchecked(ARM_HI[0]) : R3;
    if (!inArm(0)) {
      emit(ldr(R2, R11, S_REGS));
      emit(ldr(R3, R11, S_REGS + 4));
    }
    emit(cmpReg(R0, el));
    emit(cmpRegC(EQ, R1, eh));
    skip(NE, 6); // to the clrex
    pairInto(src, R2, R3); // always two words: two moves or two loads
    emit(strexd(IP, R2, R10));
    emit(cmpImm(IP, 0));
    emit(branch(NE, false, pos, loop));
    skip(AL, 1);
    emit(CLREX);
    setLo(0, R0);
    setHi(0, R1);
    return true;
  }
  if (inArm(src)) {
    if (arith == OP_MOV) {
      emit(movReg(R2, unchecked(ARM_LO[src])));
      emit(movReg(R3, unchecked(ARM_HI[src])));
    } else {
      emit(opRegS(arith, R2, R0, unchecked(ARM_LO[src])));
      emit(opReg(arith == OP_ADD ? OP_ADC : arith, R3, R1, unchecked(ARM_HI[src])));
    }
  } else {
    emit(ldr(R2, R11, S_REGS + 8 * src));
    emit(ldr(R3, R11, S_REGS + 8 * src + 4));
    if (arith != OP_MOV) {
      emit(opRegS(arith, R2, R0, R2));
      emit(opReg(arith == OP_ADD ? OP_ADC : arith, R3, R1, R3));
    }
  }
  emit(strexd(IP, R2, R10));
  emit(cmpImm(IP, 0));
  emit(branch(NE, false, pos, loop));
  if (fetch) {
    setLo(src, R0);
    setHi(src, R1);
  }
  return true;
}

/** LD_ABS / LD_IND: r0 = big-endian packet bytes at imm (+ src); outside the packet the program ends, r0 = 0. */
function emitPacketLoad(i: i32, op: u32): bool {
  const bytes = sizeBytes(op & 0x18);
  if (bytes == 8) return fail(ERR_OPCODE, i);
  if ((op & 0xe0) == MODE_IND) emitAddConst(R0, lo(srcOf(i), R0), <u32>immOf(i), IP);
  else emitConst(R0, <u32>immOf(i));
  bl(L_LDPKT + log2Size(bytes));
  setLo(0, R0);
  setHiZero(0);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Calls and exit

/** Helpers compiled into the image: id -> routine label, or -1. */
function helperLabel(id: i32): i32 {
  if ((options & OPT_CONFORMANCE) && id == 5) return L_HELPER_UNWIND;
  return -1;
}

function spillArguments(): void {
  for (let r = 1; r <= 5; r++) {
    if (inArm(r)) {
      emit(str(unchecked(ARM_LO[r]), R11, S_REGS + 8 * r));
      emit(str(unchecked(ARM_HI[r]), R11, S_REGS + 8 * r + 4));
    }
  }
}

function emitHelperCall(i: i32, op: u32): bool {
  spillArguments();
  if (op == <u32>OP_CALLX) {
    // Helper id in a register, known at run time only: compare against every helper compiled in.
    pairInto(dstOf(i), R2, R3);
    const id = 5;
    const target = helperLabel(id);
    if (target >= 0) {
      emit(cmpImm(R3, 0));
      emit(dpImm(EQ, OP_CMP, 1, 0, R2, immRot(<u32>id)));
      skip(NE, 2);
      bl(target);
      skip(AL, 1);
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

function emitLocalCall(i: i32): void {
  const t = i + 1 + immOf(i);
  emit(ldr(R0, R11, S_DEPTH));
  emit(cmpImm(R0, MAX_CALL_DEPTH - 1));
  call(HS, L_DEPTH_FAULT);
  emit(addImm(R0, R0, 1));
  emit(str(R0, R11, S_DEPTH));
  emit(ldr(R0, R11, S_REGIONS));
  emit(subImm(R0, R0, STACK_SIZE));
  emit(str(R0, R11, S_REGIONS));
  emit(ldr(R0, R11, S_REGS + 80));
  emit(subImm(R0, R0, STACK_SIZE));
  emit(str(R0, R11, S_REGS + 80));
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
  emit(ldr(R0, R11, S_REGIONS));
  emit(addImm(R0, R0, STACK_SIZE));
  emit(str(R0, R11, S_REGIONS));
  emit(ldr(R0, R11, S_REGS + 80));
  emit(addImm(R0, R0, STACK_SIZE));
  emit(str(R0, R11, S_REGS + 80));
}

// ---------------------------------------------------------------------------------------------------------------

function emitInsn(i: i32, inMain: bool): bool {
  const op = opcode(i);
  const cls = op & 7;
  const dst = dstOf(i);
  const src = srcOf(i);
  if (cls == CLS_ALU64 || cls == CLS_ALU) {
    const x = (op & SRC_X) != 0;
    if (cls == CLS_ALU64) return emitAlu64(i, op & 0xf0, x, dst, src, immOf(i), offOf(i));
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
      if (op == <u32>OP_CALLX || src == CALL_HELPER) return emitHelperCall(i, op);
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
 * Emit the prologue, every instruction and the instruction-offset table. `code` holds n eBPF instructions;
 * `offsetTable` n u32 entries and `flagTable` n bytes of scratch.
 */
export function emitProgram(code: usize, n: i32, offsetTable: usize, flagTable: usize, opts: u32, budgetLimit: u32): bool {
  insns = code;
  count = n;
  offsets = offsetTable;
  flags = flagTable;
  options = opts;
  budget = budgetLimit;
  errorCode = ERR_NONE;
  if (!analyse()) return false;
  emitEntry();
  label(L_CODE);
  const codeStart = pos;
  let inMain = true;
  for (let i = 0; i < count; i++) {
    const f = flagOf(i);
    if (i > 0 && (f & F_FUNC)) inMain = false;
    store<u32>(offsets + (<usize>i << 2), <u32>(pos - codeStart));
    if (f & F_LEADER) {
      hiZero = 1 << 10;
      if (budget != 0) {
        emit(ldr(IP, R11, S_BUDGET));
        const len = blockLength(i);
        if (immRot(len) >= 0) emit(opImmS(OP_SUB, IP, IP, immRot(len)));
        else {
          emitConst(LR, len);
          emit(opRegS(OP_SUB, IP, IP, LR));
        }
        call(LO, L_BUDGET_FAULT);
        emit(str(IP, R11, S_BUDGET));
      }
    }
    if (!emitInsn(i, inMain)) return false;
    if (opcode(i) == 0x18) {
      i++;
      store<u32>(offsets + (<usize>i << 2), load<u32>(offsets + (<usize>(i - 1) << 2)) | SECOND_SLOT);
    }
  }
  b(L_EPILOGUE); // falling off the end (the validator refuses such programs)
  label(L_TABLE);
  for (let i = 0; i < count; i++) emit(load<u32>(offsets + (<usize>i << 2)));
  return true;
}
