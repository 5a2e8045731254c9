// Runtime routines emitted into every image: memory checks, fault reports, 64-bit division, packet loads and the
// helpers compiled in. Translated code calls them with BL; unless noted they follow the AAPCS (arguments and
// results in r0-r3, r4-r11 preserved) so that helpers written later in C or by hand can use the same path.

import {
  AL, EQ, GE, HI, HS, IP, LO, LR, LS, MI, NE, OP_ADC, OP_ADD, OP_BIC, OP_EOR, OP_MOV, OP_ORR, OP_RSB, OP_RSC,
  OP_CMN, OP_SBC, OP_SUB, OP_TST, PL, R0, R1, R10, R11, R2, R3, R4, R5, R6, R7, SH_LSL, SH_LSR, addImm, bit, bx, bxC,
  clz, cmpImm, cmpReg, cmpRegC, dpImm, dpReg, dpRegShift, immRot, ldr, ldrb, ldrh, mls, movImm, movImmC, movReg,
  movRegC, opImm, opImmS, opReg, opRegS, pop, rev, rev16, shiftImm, str, subImm, udiv,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context, SECOND_SLOT } from "../../../assembly/arm32/jit/context";
import { MAX_CALL_DEPTH } from "../../../assembly/isa";
import { FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER } from "../../../assembly/layout";
import {
  L_BUDGET_FAULT, L_CHECK, L_CHECK_COMMON, L_CHECK_PAIR, L_CODE, L_DEPTH_FAULT, L_EPILOGUE, L_EXIT_ZERO, L_FAULT,
  L_FAULT_INDEX, L_HELPER_FAULT, L_HELPER_UNWIND, L_LDPKT, L_RECHECK, L_SDIVMOD64, L_TABLE, L_UDIVMOD64, REGION_BYTES,
  S_BUDGET, S_BUDGET_INIT, S_FAULT, S_FAULT_ADDR, S_FAULT_PC, S_FAULT_SIZE, S_HELPER_LR, S_NREGIONS, S_PKT,
  S_PKT_LEN, S_RCACHE, S_REGIONS, S_REGS,
} from "../image";
import { emitMissingMapHelpers } from "../maps/missing";
import { checkNeeded, needed, recheckNeeded } from "./needed";

/** Flag set in an instruction-offset table entry for the second slot of lddw (it has no code of its own). */

const R = block("runtime/routines", 20); // this file's labels
const F_LOOP = R + 0;
const F_DONE = R + 1;
const B_LOOP = R + 2;
const B_DONE = R + 3;
const C_LOOP = R + 4;
const C_NEXT = R + 5;
const C_OK = R + 6;
const C_FAIL = R + 7;
const D_NONZERO = R + 8;
const D_LOOP = R + 9;
const D_BIG = R + 10;
const D_NEXT = R + 11;
const S_NONZERO = R + 12;
const C_DONE = R + 13;
const D_WIDE = R + 14;
const D_LOOP32 = R + 15;
const C_WALK = R + 16;
const C_SOFT = R + 17;
const C_SOFT_FAIL = R + 18;
const C_HARD_FAIL = R + 19;

/** emitRuntime option (abi.ts OPT_IDIV): the core has UDIV/SDIV. */
const OPT_IDIV_RT: u32 = 1;

function neg64(c: Context, lo: i32, hi: i32): void {
  c.emit(opImmS(OP_RSB, lo, lo, 0));
  c.emit(opImm(OP_RSC, hi, hi, 0));
}

export function emitRuntime(c: Context, tableCount: i32, opts: u32): void {
  // fault: r0 = FAULT_* code, r1 = return address of the BL inside the faulting instruction's code,
  // r2:r3 = address (or other detail), ip = access size. Records the fault and unwinds.
  c.label(L_FAULT);
  c.emit(str(R0, R11, S_FAULT));
  c.emit(str(R2, R11, S_FAULT_ADDR));
  c.emit(str(R3, R11, S_FAULT_ADDR + 4));
  c.emit(str(IP, R11, S_FAULT_SIZE));
  c.emit(subImm(R0, R1, 4));
  c.addressOf(R1, L_CODE, 0);
  c.emit(opReg(OP_SUB, R0, R0, R1));
  c.bl(L_FAULT_INDEX);
  c.emit(str(R0, R11, S_FAULT_PC));
  c.b(L_EPILOGUE);

  // fault_index: r0 = code offset -> r0 = index of the eBPF instruction whose code holds it (uses r1-r3, ip).
  c.label(L_FAULT_INDEX);
  c.addressOf(R1, L_TABLE, 0);
  c.emit(movImm(R2, 0));
  c.emitConst(IP, <u32>tableCount);
  c.label(F_LOOP);
  c.emit(addImm(R3, R2, 1));
  c.emit(cmpReg(R3, IP));
  c.jump(HS, F_DONE);
  c.emit(dpReg(AL, OP_ADD, 0, R3, R1, R3, SH_LSL, 2));
  c.emit(ldr(R3, R3, 0));
  c.emit(opImm(OP_BIC, R3, R3, immRot(SECOND_SLOT)));
  c.emit(cmpReg(R3, R0));
  c.jump(HI, F_DONE);
  c.emit(addImm(R2, R2, 1));
  c.b(F_LOOP);
  c.label(F_DONE);
  c.emit(dpReg(AL, OP_ADD, 0, R3, R1, R2, SH_LSL, 2));
  c.emit(ldr(R3, R3, 0));
  c.emit(dpImm(AL, OP_TST, 1, 0, R3, immRot(SECOND_SLOT)));
  c.emit(dpImm(NE, OP_SUB, 0, R2, R2, 1));
  c.emit(movReg(R0, R2));
  c.emit(bx(LR));

  if (needed(c, L_BUDGET_FAULT)) {
    // budget_fault: reached by BLLO from the budget check at a basic block's start or after an access that may
    // fault in it (jit/segments.ts), before the instructions it charges ran (or by B with lr set so, from a
    // conversion's join: jit/budget.ts joinCharge). Those may still run S_BUDGET instructions, from the one whose
    // code holds the check; the next one is the faulting one (lddw counts once).
    c.label(L_BUDGET_FAULT);
    c.emit(subImm(R0, LR, 4));
    c.addressOf(R1, L_CODE, 0);
    c.emit(opReg(OP_SUB, R0, R0, R1));
    c.bl(L_FAULT_INDEX);
    c.emit(ldr(R2, R11, S_BUDGET));
    c.addressOf(R1, L_TABLE, 0);
    c.label(B_LOOP);
    c.emit(cmpImm(R2, 0));
    c.jump(EQ, B_DONE);
    c.emit(addImm(R0, R0, 1));
    c.emit(dpReg(AL, OP_ADD, 0, R3, R1, R0, SH_LSL, 2));
    c.emit(ldr(R3, R3, 0));
    c.emit(dpImm(AL, OP_TST, 1, 0, R3, immRot(SECOND_SLOT)));
    c.emit(dpImm(NE, OP_ADD, 0, R0, R0, 1));
    c.emit(subImm(R2, R2, 1));
    c.b(B_LOOP);
    c.label(B_DONE);
    c.emit(str(R0, R11, S_FAULT_PC));
    c.emit(movImm(R0, FAULT_BUDGET));
    c.emit(str(R0, R11, S_FAULT));
    c.emit(ldr(R0, R11, S_BUDGET_INIT));
    c.emit(str(R0, R11, S_FAULT_ADDR));
    c.emit(movImm(R0, 0));
    c.emit(str(R0, R11, S_FAULT_ADDR + 4));
    c.b(L_EPILOGUE);
  }

  if (needed(c, L_DEPTH_FAULT)) {
    // depth_fault: reached by BLHS from a bpf-to-bpf call when all frames are in use.
    c.label(L_DEPTH_FAULT);
    c.emit(movReg(R1, LR));
    c.emit(movImm(R0, FAULT_CALL_DEPTH));
    c.emit(movImm(R2, MAX_CALL_DEPTH));
    c.emit(movImm(R3, 0));
    c.emit(movImm(IP, 0));
    c.b(L_FAULT);
  }

  // helper_fault: r2:r3 = the helper id nobody compiled in.
  c.label(L_HELPER_FAULT);
  c.emit(movReg(R1, LR));
  c.emit(movImm(R0, FAULT_HELPER));
  c.emit(movImm(IP, 0));
  c.b(L_FAULT);

  // Memory check: r10 = address low word, ip = high word (any non-zero high word is out of bounds).
  // Returns when [address, address + size) lies inside one region (a writable one for writes), else faults.
  // Preserves everything but ip, lr and the flags. Entries: read 1/2/4/8, then write 1/2/4/8.
  for (let k = 0; k < 8; k++) {
    if (!checkNeeded(c, k)) continue;
    c.routine(L_CHECK + k, 0x3f); // r0-r5
    c.emit(movImm(R0, <u32>1 << <u32>(k & 3)));
    c.emit(movImm(R1, <u32>(k >> 2)));
    c.b(L_CHECK_COMMON);
  }
  // The same entries for an address held in an ARM register pair (r4:r5, r6:r7, r8:r9: an eBPF register accessed
  // with offset 0): copy it to r10:ip first. Only for the entries the program may use (memory.ts noteChecks: c.pairChecks), at
  // L_CHECK_PAIR + pairStub(p, k); BL leaves lr pointing into the instruction's code, so faults name it.
  c.label(L_CHECK_PAIR);
  for (let k = 0; k < 8; k++) {
    if (((c.pairChecks >> <u32>k) & 1) == 0) continue;
    for (let p = 0; p < 3; p++) {
      c.emit(movReg(R10, 4 + 2 * p));
      c.emit(movReg(IP, 5 + 2 * p));
      c.b(L_CHECK + k);
    }
  }
  // The same entries for a loop copy's access whose inline check missed (jit/copies.ts copyMiss): they return with the
  // flags LO when a region holds the access (the window cached, the copy goes on) and HS otherwise (the copy leaves
  // for the ordinary code, whose check of the same access reports the fault). Only in images that may have loops.
  // L_RECHECK + 8 + k: the same, for an address whose high word the caller knows is zero (not set in ip).
  let rechecks = false;
  for (let k = 0; k < 8; k++) {
    if (!recheckNeeded(c, k)) continue;
    rechecks = true;
    c.label(L_RECHECK + 8 + k); // (the high word known zero, not in ip)
    c.emit(movImm(IP, 0));
    c.routine(L_RECHECK + k, 0x3f);
    c.emit(movImm(R0, <u32>1 << <u32>(k & 3)));
    c.emit(movImm(R1, <u32>(k >> 2)));
    c.b(C_SOFT);
  }
  if (rechecks) {
    c.label(C_SOFT);
    c.emit(cmpImm(IP, 0)); // any high word: no region holds it
    c.jump(NE, C_SOFT_FAIL);
    c.emit(movImm(IP, 1)); // (ip: 1 here, 0 in L_CHECK's walk: where C_FAIL goes)
    c.b(C_WALK);
  }
  c.label(L_CHECK_COMMON);
  c.emit(cmpImm(IP, 0));
  c.jump(NE, C_HARD_FAIL);
  c.label(C_WALK);
  c.emit(ldr(R3, R11, S_NREGIONS));
  c.emit(addImm(R2, R11, S_REGIONS));
  c.emit(dpReg(AL, OP_ADD, 0, R2, R2, R1, SH_LSL, 3)); // writes: the writable window, 8 bytes further
  c.label(C_LOOP);
  c.emit(opImmS(OP_SUB, R3, R3, 1));
  c.jump(MI, C_FAIL);
  c.emit(ldr(R4, R2, 0));
  c.emit(ldr(R5, R2, 4));
  c.emit(cmpReg(R10, R4));
  c.jump(LO, C_NEXT);
  c.emit(opRegS(OP_SUB, R5, R5, R0));
  c.jump(LO, C_NEXT); // region shorter than the access
  c.emit(cmpReg(R10, R5));
  c.jump(LS, C_OK);
  c.label(C_NEXT);
  c.emit(addImm(R2, R2, REGION_BYTES));
  c.b(C_LOOP);
  c.label(C_OK);
  // remember the window for the inline checks (memory.ts), when it holds at least 8 bytes
  c.emit(ldr(R5, R2, 4));
  c.emit(opImmS(OP_SUB, R5, R5, 8));
  c.emit(cmpRegC(HS, R5, R4));
  c.jump(LO, C_DONE);
  c.emit(addImm(R3, R11, S_RCACHE));
  c.emit(dpReg(AL, OP_ADD, 0, R3, R3, R1, SH_LSL, 3));
  c.emit(opReg(OP_SUB, R5, R5, R4)); // span: the offsets from start an access of up to 8 bytes may have
  c.emit(addImm(R5, R5, 1));
  c.emit(str(R4, R3, 0));
  c.emit(str(R5, R3, 4));
  c.label(C_DONE);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, 0)); // carry clear: LO, a region holds it (for L_RECHECK's callers)
  c.emit(pop(0x3f));
  c.emit(bx(LR));
  c.label(C_FAIL);
  if (rechecks) {
    c.emit(cmpImm(IP, 1));
    c.jump(NE, C_HARD_FAIL);
    c.label(C_SOFT_FAIL);
    c.emit(cmpReg(R0, R0)); // carry set: HS, no region holds it
    c.emit(pop(0x3f));
    c.emit(bx(LR));
  }
  c.label(C_HARD_FAIL);
  c.emit(movReg(R3, IP));
  c.emit(movReg(IP, R0));
  c.emit(addImm(R0, R1, 1)); // FAULT_READ = 1, FAULT_WRITE = 2
  c.emit(movReg(R2, R10));
  c.emit(ldr(R1, R11, S_HELPER_LR)); // inside a helper: the helper call is the faulting instruction
  c.emit(cmpImm(R1, 0));
  c.emit(movRegC(EQ, R1, LR));
  c.b(L_FAULT);

  // udivmod64: r0:r1 / r2:r3 -> quotient r0:r1, remainder r2:r3; by zero: quotient 0, remainder the dividend.
  // Both high words zero (the common case, and every 32-bit division): UDIV + MLS where the core has them, else
  // a shift-subtract loop over the quotient's significant bits only (CLZ). Otherwise restoring shift-subtract,
  // one quotient bit per round: cores without UDIV (Cortex-A8/A9) need it.
  c.label(L_UDIVMOD64);
  c.emit(opRegS(OP_ORR, IP, R1, R3));
  c.jump(NE, D_WIDE);
  c.emit(cmpImm(R2, 0));
  c.emit(movRegC(EQ, R2, R0));
  c.emit(movImmC(EQ, R0, 0));
  c.emit(bxC(EQ, LR));
  if (opts & OPT_IDIV_RT) {
    c.emit(udiv(IP, R0, R2));
    c.emit(mls(R2, IP, R2, R0));
    c.emit(movReg(R0, IP));
    c.emit(bx(LR));
  } else {
    c.emit(cmpReg(R0, R2));
    c.emit(movRegC(LO, R2, R0)); // dividend < divisor: quotient 0, remainder the dividend
    c.emit(movImmC(LO, R0, 0));
    c.emit(bxC(LO, LR));
    c.emit(clz(IP, R2));
    c.emit(clz(R3, R0));
    c.emit(opReg(OP_SUB, IP, IP, R3)); // quotient bits - 1
    c.emit(dpRegShift(AL, OP_MOV, 0, R2, 0, R2, SH_LSL, IP)); // divisor aligned with the dividend's top bit
    c.label(D_LOOP32);
    c.emit(cmpReg(R0, R2));
    c.emit(dpReg(HS, OP_SUB, 0, R0, R0, R2, SH_LSL, 0));
    c.emit(opReg(OP_ADC, R1, R1, R1)); // next quotient bit: the carry
    c.emit(shiftImm(SH_LSR, R2, R2, 1));
    c.emit(opImmS(OP_SUB, IP, IP, 1));
    c.jump(PL, D_LOOP32);
    c.emit(movReg(R2, R0));
    c.emit(movReg(R0, R1));
    c.emit(movImm(R1, 0));
    c.emit(movImm(R3, 0));
    c.emit(bx(LR));
  }
  c.routine(D_WIDE, bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR));
  c.emit(opRegS(OP_ORR, IP, R2, R3));
  c.jump(NE, D_NONZERO);
  c.emit(movReg(R2, R0));
  c.emit(movReg(R3, R1));
  c.emit(movImm(R0, 0));
  c.emit(movImm(R1, 0));
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR));
  c.label(D_NONZERO);
  c.emit(movImm(R4, 0));
  c.emit(movImm(R5, 0));
  c.emit(movImm(IP, 64));
  c.label(D_LOOP);
  c.emit(opRegS(OP_ADD, R0, R0, R0));
  c.emit(opRegS(OP_ADC, R1, R1, R1));
  c.emit(opRegS(OP_ADC, R4, R4, R4));
  c.emit(opRegS(OP_ADC, R5, R5, R5)); // carry out = bit 64 of the shifted remainder
  c.jump(HS, D_BIG);
  c.emit(opRegS(OP_SUB, R6, R4, R2));
  c.emit(opRegS(OP_SBC, R7, R5, R3));
  c.jump(LO, D_NEXT);
  c.emit(movReg(R4, R6));
  c.emit(movReg(R5, R7));
  c.emit(opImm(OP_ORR, R0, R0, 1));
  c.b(D_NEXT);
  c.label(D_BIG);
  c.emit(opRegS(OP_SUB, R4, R4, R2));
  c.emit(opReg(OP_SBC, R5, R5, R3));
  c.emit(opImm(OP_ORR, R0, R0, 1));
  c.label(D_NEXT);
  c.emit(opImmS(OP_SUB, IP, IP, 1));
  c.jump(NE, D_LOOP);
  c.emit(movReg(R2, R4));
  c.emit(movReg(R3, R5));
  c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(R7) | bit(LR));

  if (needed(c, L_SDIVMOD64)) {
    // sdivmod64: signed, truncating; the remainder takes the dividend's sign. By zero: quotient 0, remainder the
    // dividend; INT64_MIN / -1 = INT64_MIN, remainder 0 (the unsigned quotient 2^63 negates to itself).
    c.routine(L_SDIVMOD64, bit(R4) | bit(R5) | bit(R6) | bit(LR));
    c.emit(opRegS(OP_ORR, IP, R2, R3));
    c.jump(NE, S_NONZERO);
    c.emit(movReg(R2, R0));
    c.emit(movReg(R3, R1));
    c.emit(movImm(R0, 0));
    c.emit(movImm(R1, 0));
    c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
    c.label(S_NONZERO);
    c.emit(movReg(R4, R1)); // dividend sign
    c.emit(opReg(OP_EOR, R5, R1, R3)); // quotient sign
    c.emit(cmpImm(R1, 0));
    c.skip(GE, 2);
    neg64(c, R0, R1);
    c.emit(cmpImm(R3, 0));
    c.skip(GE, 2);
    neg64(c, R2, R3);
    c.bl(L_UDIVMOD64);
    c.emit(cmpImm(R5, 0));
    c.skip(GE, 2);
    neg64(c, R0, R1);
    c.emit(cmpImm(R4, 0));
    c.skip(GE, 2);
    neg64(c, R2, R3);
    c.routineEnd(bit(R4) | bit(R5) | bit(R6) | bit(LR));
  }

  if (needed(c, L_LDPKT)) {
    // ldpkt{1,2,4}: r0 = offset in the packet -> r0:r1 = the big-endian value; outside the packet the program ends
    // with r0 = 0, as in the kernel.
    for (let k = 0; k < 3; k++) {
      const size: u32 = <u32>1 << <u32>k;
      c.label(L_LDPKT + k);
      c.emit(ldr(R2, R11, S_PKT_LEN));
      c.emit(opImmS(OP_SUB, R2, R2, immRot(size)));
      c.jump(LO, L_EXIT_ZERO);
      c.emit(cmpReg(R0, R2));
      c.jump(HI, L_EXIT_ZERO);
      c.emit(ldr(R2, R11, S_PKT));
      c.emit(opReg(OP_ADD, R2, R2, R0));
      if (k == 0) c.emit(ldrb(R0, R2, 0));
      if (k == 1) c.emit(ldrh(R0, R2, 0));
      if (k == 2) c.emit(ldr(R0, R2, 0));
      if (k == 1) c.emit(rev16(R0, R0));
      if (k == 2) c.emit(rev(R0, R0));
      c.emit(movImm(R1, 0));
      c.emit(bx(LR));
    }
  }

  if (needed(c, L_HELPER_UNWIND)) {
    // Helper 5 of the conformance suite ("unwind"): returns its argument, or ends the program with r0 = 0 when
    // the argument is 0. Arguments come from the register file (the caller spills r1-r5 there).
    c.label(L_HELPER_UNWIND);
    c.emit(ldr(R0, R11, S_REGS + 8));
    c.emit(ldr(R1, R11, S_REGS + 12));
    c.emit(opRegS(OP_ORR, R2, R0, R1));
    c.jump(EQ, L_EXIT_ZERO);
    c.emit(bx(LR));
  }

  emitMissingMapHelpers(c);
}
