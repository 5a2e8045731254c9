// Runtime routines emitted into every image: memory checks, fault reports, 64-bit division, packet loads and the
// helpers compiled in. Translated code calls them with BL; unless noted they follow the AAPCS (arguments and
// results in r0-r3, r4-r11 preserved) so that helpers written later in C or by hand can use the same path.

import { pairChecks } from "../../../assembly/arm32/jit/memory";
import {
  emit, emitConst, skip, R0, R1, R2, R3, R4, R5, R6, R7, R10, R11, IP, LR, PC, AL, EQ, NE, HS, LO, HI, LS, MI, GE,
  ldr, str, ldrb, ldrh, rev, rev16, movReg, movRegC, movImm, cmpImm, cmpReg, opImm, opImmS, opReg, opRegS, dpReg, dpImm,
  immRot, push, pop, bit, bx, subImm, addImm, OP_ADD, OP_ADC, OP_SUB, OP_SBC, OP_RSB, OP_RSC, OP_ORR, OP_EOR,
  OP_BIC, OP_TST, OP_MOV, SH_LSL, SH_LSR, PL, movImmC, cmpRegC, udiv, mls, clz, dpRegShift, shiftImm,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, addressOf, S_FAULT, S_FAULT_PC, S_FAULT_ADDR, S_FAULT_SIZE, S_BUDGET, S_BUDGET_INIT,
  S_NREGIONS, S_REGIONS, REGION_BYTES, S_PKT, S_PKT_LEN, S_REGS, L_FAULT, L_FAULT_INDEX, L_BUDGET_FAULT,
  L_DEPTH_FAULT, L_HELPER_FAULT, L_UDIVMOD64, L_SDIVMOD64, L_CHECK, L_CHECK_COMMON, L_CHECK_PAIR, L_LDPKT, L_HELPER_UNWIND,
  L_EPILOGUE, L_EXIT_ZERO, L_CODE, L_TABLE, L_LOCAL, S_HELPER_LR, S_RCACHE,
} from "../image";
import {
  FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER,
} from "../../../assembly/layout";
import {
  MAX_CALL_DEPTH,
} from "../../../assembly/isa";

/** Flag set in an instruction-offset table entry for the second slot of lddw (it has no code of its own). */
export const SECOND_SLOT: u32 = 0x80000000;

const F_LOOP = L_LOCAL + 0;
const F_DONE = L_LOCAL + 1;
const B_LOOP = L_LOCAL + 2;
const B_DONE = L_LOCAL + 3;
const C_LOOP = L_LOCAL + 4;
const C_NEXT = L_LOCAL + 5;
const C_OK = L_LOCAL + 6;
const C_FAIL = L_LOCAL + 7;
const D_NONZERO = L_LOCAL + 8;
const D_LOOP = L_LOCAL + 9;
const D_BIG = L_LOCAL + 10;
const D_NEXT = L_LOCAL + 11;
const S_NONZERO = L_LOCAL + 12;
const C_DONE = L_LOCAL + 13;
const D_WIDE = L_LOCAL + 14;
const D_LOOP32 = L_LOCAL + 15;

/** emitRuntime option (translate.ts OPT_IDIV): the core has UDIV/SDIV. */
const OPT_IDIV_RT: u32 = 1;

function bxC(cond: u32): u32 { return (cond << 28) | 0x012fff10 | <u32>LR; }

function neg64(lo: i32, hi: i32): void {
  emit(opImmS(OP_RSB, lo, lo, 0));
  emit(opImm(OP_RSC, hi, hi, 0));
}

export function emitRuntime(tableCount: i32, opts: u32): void {
  // fault: r0 = FAULT_* code, r1 = return address of the BL inside the faulting instruction's code,
  // r2:r3 = address (or other detail), ip = access size. Records the fault and unwinds.
  label(L_FAULT);
  emit(str(R0, R11, S_FAULT));
  emit(str(R2, R11, S_FAULT_ADDR));
  emit(str(R3, R11, S_FAULT_ADDR + 4));
  emit(str(IP, R11, S_FAULT_SIZE));
  emit(subImm(R0, R1, 4));
  addressOf(R1, L_CODE, 0);
  emit(opReg(OP_SUB, R0, R0, R1));
  bl(L_FAULT_INDEX);
  emit(str(R0, R11, S_FAULT_PC));
  b(L_EPILOGUE);

  // fault_index: r0 = code offset -> r0 = index of the eBPF instruction whose code holds it (uses r1-r3, ip).
  label(L_FAULT_INDEX);
  addressOf(R1, L_TABLE, 0);
  emit(movImm(R2, 0));
  emitConst(IP, <u32>tableCount);
  label(F_LOOP);
  emit(addImm(R3, R2, 1));
  emit(cmpReg(R3, IP));
  jump(HS, F_DONE);
  emit(dpReg(AL, OP_ADD, 0, R3, R1, R3, SH_LSL, 2));
  emit(ldr(R3, R3, 0));
  emit(opImm(OP_BIC, R3, R3, immRot(SECOND_SLOT)));
  emit(cmpReg(R3, R0));
  jump(HI, F_DONE);
  emit(addImm(R2, R2, 1));
  b(F_LOOP);
  label(F_DONE);
  emit(dpReg(AL, OP_ADD, 0, R3, R1, R2, SH_LSL, 2));
  emit(ldr(R3, R3, 0));
  emit(dpImm(AL, OP_TST, 1, 0, R3, immRot(SECOND_SLOT)));
  emit(dpImm(NE, OP_SUB, 0, R2, R2, 1));
  emit(movReg(R0, R2));
  emit(bx(LR));

  // budget_fault: reached by BLLO from a basic block's budget check, before the block ran. The block may still
  // run S_BUDGET instructions; the next one is the faulting one (lddw counts once).
  label(L_BUDGET_FAULT);
  emit(subImm(R0, LR, 4));
  addressOf(R1, L_CODE, 0);
  emit(opReg(OP_SUB, R0, R0, R1));
  bl(L_FAULT_INDEX);
  emit(ldr(R2, R11, S_BUDGET));
  addressOf(R1, L_TABLE, 0);
  label(B_LOOP);
  emit(cmpImm(R2, 0));
  jump(EQ, B_DONE);
  emit(addImm(R0, R0, 1));
  emit(dpReg(AL, OP_ADD, 0, R3, R1, R0, SH_LSL, 2));
  emit(ldr(R3, R3, 0));
  emit(dpImm(AL, OP_TST, 1, 0, R3, immRot(SECOND_SLOT)));
  emit(dpImm(NE, OP_ADD, 0, R0, R0, 1));
  emit(subImm(R2, R2, 1));
  b(B_LOOP);
  label(B_DONE);
  emit(str(R0, R11, S_FAULT_PC));
  emit(movImm(R0, FAULT_BUDGET));
  emit(str(R0, R11, S_FAULT));
  emit(ldr(R0, R11, S_BUDGET_INIT));
  emit(str(R0, R11, S_FAULT_ADDR));
  emit(movImm(R0, 0));
  emit(str(R0, R11, S_FAULT_ADDR + 4));
  b(L_EPILOGUE);

  // depth_fault: reached by BLHS from a bpf-to-bpf call when all frames are in use.
  label(L_DEPTH_FAULT);
  emit(movReg(R1, LR));
  emit(movImm(R0, FAULT_CALL_DEPTH));
  emit(movImm(R2, MAX_CALL_DEPTH));
  emit(movImm(R3, 0));
  emit(movImm(IP, 0));
  b(L_FAULT);

  // helper_fault: r2:r3 = the helper id nobody compiled in.
  label(L_HELPER_FAULT);
  emit(movReg(R1, LR));
  emit(movImm(R0, FAULT_HELPER));
  emit(movImm(IP, 0));
  b(L_FAULT);

  // Memory check: r10 = address low word, ip = high word (any non-zero high word is out of bounds).
  // Returns when [address, address + size) lies inside one region (a writable one for writes), else faults.
  // Preserves everything but ip, lr and the flags. Entries: read 1/2/4/8, then write 1/2/4/8.
  for (let k = 0; k < 8; k++) {
    label(L_CHECK + k);
    emit(push(0x3f)); // r0-r5
    emit(movImm(R0, <u32>1 << <u32>(k & 3)));
    emit(movImm(R1, <u32>(k >> 2)));
    b(L_CHECK_COMMON);
  }
  // The same entries for an address held in an ARM register pair (r4:r5, r6:r7, r8:r9: an eBPF register accessed
  // with offset 0): copy it to r10:ip first. Only for the entries the program may use (memory.ts pairChecks), at
  // L_CHECK_PAIR + pairStub(p, k); BL leaves lr pointing into the instruction's code, so faults name it.
  label(L_CHECK_PAIR);
  for (let k = 0; k < 8; k++) {
    if (((pairChecks >> <u32>k) & 1) == 0) continue;
    for (let p = 0; p < 3; p++) {
      emit(movReg(R10, 4 + 2 * p));
      emit(movReg(IP, 5 + 2 * p));
      b(L_CHECK + k);
    }
  }
  label(L_CHECK_COMMON);
  emit(cmpImm(IP, 0));
  jump(NE, C_FAIL);
  emit(ldr(R3, R11, S_NREGIONS));
  emit(addImm(R2, R11, S_REGIONS));
  emit(dpReg(AL, OP_ADD, 0, R2, R2, R1, SH_LSL, 3)); // writes: the writable window, 8 bytes further
  label(C_LOOP);
  emit(opImmS(OP_SUB, R3, R3, 1));
  jump(MI, C_FAIL);
  emit(ldr(R4, R2, 0));
  emit(ldr(R5, R2, 4));
  emit(cmpReg(R10, R4));
  jump(LO, C_NEXT);
  emit(opRegS(OP_SUB, R5, R5, R0));
  jump(LO, C_NEXT); // region shorter than the access
  emit(cmpReg(R10, R5));
  jump(LS, C_OK);
  label(C_NEXT);
  emit(addImm(R2, R2, REGION_BYTES));
  b(C_LOOP);
  label(C_OK);
  // remember the window for the inline checks (memory.ts), when it holds at least 8 bytes
  emit(ldr(R5, R2, 4));
  emit(opImmS(OP_SUB, R5, R5, 8));
  emit(cmpRegC(HS, R5, R4));
  jump(LO, C_DONE);
  emit(addImm(R3, R11, S_RCACHE));
  emit(dpReg(AL, OP_ADD, 0, R3, R3, R1, SH_LSL, 3));
  emit(opReg(OP_SUB, R5, R5, R4)); // span: the offsets from start an access of up to 8 bytes may have
  emit(addImm(R5, R5, 1));
  emit(str(R4, R3, 0));
  emit(str(R5, R3, 4));
  label(C_DONE);
  emit(pop(0x3f));
  emit(bx(LR));
  label(C_FAIL);
  emit(movReg(R3, IP));
  emit(movReg(IP, R0));
  emit(addImm(R0, R1, 1)); // FAULT_READ = 1, FAULT_WRITE = 2
  emit(movReg(R2, R10));
  emit(ldr(R1, R11, S_HELPER_LR)); // inside a helper: the helper call is the faulting instruction
  emit(cmpImm(R1, 0));
  emit(movRegC(EQ, R1, LR));
  b(L_FAULT);

  // udivmod64: r0:r1 / r2:r3 -> quotient r0:r1, remainder r2:r3; by zero: quotient 0, remainder the dividend.
  // Both high words zero (the common case, and every 32-bit division): UDIV + MLS where the core has them, else
  // a shift-subtract loop over the quotient's significant bits only (CLZ). Otherwise restoring shift-subtract,
  // one quotient bit per round: cores without UDIV (Cortex-A8/A9) need it.
  label(L_UDIVMOD64);
  emit(opRegS(OP_ORR, IP, R1, R3));
  jump(NE, D_WIDE);
  emit(cmpImm(R2, 0));
  emit(movRegC(EQ, R2, R0));
  emit(movImmC(EQ, R0, 0));
  emit(bxC(EQ));
  if (opts & OPT_IDIV_RT) {
    emit(udiv(IP, R0, R2));
    emit(mls(R2, IP, R2, R0));
    emit(movReg(R0, IP));
    emit(bx(LR));
  } else {
    emit(cmpReg(R0, R2));
    emit(movRegC(LO, R2, R0)); // dividend < divisor: quotient 0, remainder the dividend
    emit(movImmC(LO, R0, 0));
    emit(bxC(LO));
    emit(clz(IP, R2));
    emit(clz(R3, R0));
    emit(opReg(OP_SUB, IP, IP, R3)); // quotient bits - 1
    emit(dpRegShift(AL, OP_MOV, 0, R2, 0, R2, SH_LSL, IP)); // divisor aligned with the dividend's top bit
    label(D_LOOP32);
    emit(cmpReg(R0, R2));
    emit(dpReg(HS, OP_SUB, 0, R0, R0, R2, SH_LSL, 0));
    emit(opReg(OP_ADC, R1, R1, R1)); // next quotient bit: the carry
    emit(shiftImm(SH_LSR, R2, R2, 1));
    emit(opImmS(OP_SUB, IP, IP, 1));
    jump(PL, D_LOOP32);
    emit(movReg(R2, R0));
    emit(movReg(R0, R1));
    emit(movImm(R1, 0));
    emit(movImm(R3, 0));
    emit(bx(LR));
  }
  label(D_WIDE);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR)));
  emit(opRegS(OP_ORR, IP, R2, R3));
  jump(NE, D_NONZERO);
  emit(movReg(R2, R0));
  emit(movReg(R3, R1));
  emit(movImm(R0, 0));
  emit(movImm(R1, 0));
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(PC)));
  label(D_NONZERO);
  emit(movImm(R4, 0));
  emit(movImm(R5, 0));
  emit(movImm(IP, 64));
  label(D_LOOP);
  emit(opRegS(OP_ADD, R0, R0, R0));
  emit(opRegS(OP_ADC, R1, R1, R1));
  emit(opRegS(OP_ADC, R4, R4, R4));
  emit(opRegS(OP_ADC, R5, R5, R5)); // carry out = bit 64 of the shifted remainder
  jump(HS, D_BIG);
  emit(opRegS(OP_SUB, R6, R4, R2));
  emit(opRegS(OP_SBC, R7, R5, R3));
  jump(LO, D_NEXT);
  emit(movReg(R4, R6));
  emit(movReg(R5, R7));
  emit(opImm(OP_ORR, R0, R0, 1));
  b(D_NEXT);
  label(D_BIG);
  emit(opRegS(OP_SUB, R4, R4, R2));
  emit(opReg(OP_SBC, R5, R5, R3));
  emit(opImm(OP_ORR, R0, R0, 1));
  label(D_NEXT);
  emit(opImmS(OP_SUB, IP, IP, 1));
  jump(NE, D_LOOP);
  emit(movReg(R2, R4));
  emit(movReg(R3, R5));
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(PC)));

  // sdivmod64: signed, truncating; the remainder takes the dividend's sign. By zero: quotient 0, remainder the
  // dividend; INT64_MIN / -1 = INT64_MIN, remainder 0 (the unsigned quotient 2^63 negates to itself).
  label(L_SDIVMOD64);
  emit(push(bit(R4) | bit(R5) | bit(R6) | bit(LR)));
  emit(opRegS(OP_ORR, IP, R2, R3));
  jump(NE, S_NONZERO);
  emit(movReg(R2, R0));
  emit(movReg(R3, R1));
  emit(movImm(R0, 0));
  emit(movImm(R1, 0));
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));
  label(S_NONZERO);
  emit(movReg(R4, R1)); // dividend sign
  emit(opReg(OP_EOR, R5, R1, R3)); // quotient sign
  emit(cmpImm(R1, 0));
  skip(GE, 2);
  neg64(R0, R1);
  emit(cmpImm(R3, 0));
  skip(GE, 2);
  neg64(R2, R3);
  bl(L_UDIVMOD64);
  emit(cmpImm(R5, 0));
  skip(GE, 2);
  neg64(R0, R1);
  emit(cmpImm(R4, 0));
  skip(GE, 2);
  neg64(R2, R3);
  emit(pop(bit(R4) | bit(R5) | bit(R6) | bit(PC)));

  // ldpkt{1,2,4}: r0 = offset in the packet -> r0:r1 = the big-endian value; outside the packet the program ends
  // with r0 = 0, as in the kernel.
  for (let k = 0; k < 3; k++) {
    const size: u32 = <u32>1 << <u32>k;
    label(L_LDPKT + k);
    emit(ldr(R2, R11, S_PKT_LEN));
    emit(opImmS(OP_SUB, R2, R2, immRot(size)));
    jump(LO, L_EXIT_ZERO);
    emit(cmpReg(R0, R2));
    jump(HI, L_EXIT_ZERO);
    emit(ldr(R2, R11, S_PKT));
    emit(opReg(OP_ADD, R2, R2, R0));
    if (k == 0) emit(ldrb(R0, R2, 0));
    if (k == 1) emit(ldrh(R0, R2, 0));
    if (k == 2) emit(ldr(R0, R2, 0));
    if (k == 1) emit(rev16(R0, R0));
    if (k == 2) emit(rev(R0, R0));
    emit(movImm(R1, 0));
    emit(bx(LR));
  }

  // Helper 5 of the conformance suite ("unwind"): returns its argument, or ends the program with r0 = 0 when
  // the argument is 0. Arguments come from the register file (the caller spills r1-r5 there).
  label(L_HELPER_UNWIND);
  emit(ldr(R0, R11, S_REGS + 8));
  emit(ldr(R1, R11, S_REGS + 12));
  emit(opRegS(OP_ORR, R2, R0, R1));
  jump(EQ, L_EXIT_ZERO);
  emit(bx(LR));
}
