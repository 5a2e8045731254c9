// Helpers that call back into the program, with the interpreter's semantics (assembly/helpers.ts loop and
// forEachMapElem, assembly/maps/foreach.ts): bpf_loop (181) and for_each_map_elem (164). A callback is a
// subprogram named by a function handle (FUNC_HANDLE_TAG:instruction index, what lddw PSEUDO_FUNC loads); it runs
// like a bpf-to-bpf call: a new stack frame, r1-r4 the helper's arguments, r6-r10 of the caller kept, r0 its result.
// The instruction-offset table (L_TABLE) gives its code address. A fault inside a callback names the callback's
// own instruction, as in the interpreter.

import {
  AL, EQ, HI, HS, IP, LR, MI, NE, NOP, OP_ADD, OP_AND, OP_BIC, OP_MVN, OP_ORR, OP_SUB, OP_TST, PC, R0, R1, R10, R11,
  R2, R3, R4, R5, R6, R7, R8, R9, SH_LSL, addImm, bit, bx, bxC, cmpImm, cmpReg, dpImm, dpReg, immRot, ldmia, ldr,
  ldrb, mla, movImm, movImmC, movReg, opImm, opImmS, opReg, opRegS, pop, push, stmia, str, strb, subImm,
  when,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context, SECOND_SLOT } from "../../../assembly/arm32/jit/context";
import { inArm } from "../../../assembly/arm32/jit/regs";
import { MAX_CALL_DEPTH, STACK_SIZE } from "../../../assembly/isa";
import {
  FAULT_BAD_MAP, FAULT_CALL_DEPTH, FAULT_HELPER, FUNC_HANDLE_TAG, MAP_HANDLE_TAG,
} from "../../../assembly/layout";
import {
  DATA_BASE, DESC_SIZE, D_BUCKETS, D_KEY_SIZE, D_MASK, D_MAX, D_RECORDS, D_REC_STRIDE, D_REGION, D_STRIDE, D_TYPE,
  D_VALUES, K_ARRAY, K_HASH, V_INNER,
} from "../abi";
import { HC_RETURN, argHi, argLo, helperEntry } from "./common";
import {
  L_CODE, L_EPILOGUE, L_FAULT, L_HELPERS, L_TABLE, S_DEPTH, S_FAULT, S_FAULT_ADDR, S_FAULT_PC, S_HELPER_LR,
  S_RCACHE, S_REGIONS, S_REGS,
} from "../image";
import { DESC_BASE } from "../maps/common";

export const H_LOOP = L_HELPERS + 13;
export const H_FOR_EACH = L_HELPERS + 14;
const LL = block("helpers/loop", 20); // local labels
const INVOKE = LL + 0;
const DEPTH = LL + 1;
const BAD_FUNC = LL + 2;
const EINVAL = LL + 3;
const LOOP_NEXT = LL + 4;
const LOOP_DONE = LL + 5;
const CODE_OF = LL + 6;
const BAD_MAP = LL + 7;
const A_NEXT = LL + 8;
const EACH_DONE = LL + 9;
const H_NEXT = LL + 10;
const HASH_AFTER = LL + 11;
const HA_BUCKET = LL + 12;
const HA_FOUND = LL + 13;
const KEY_COPY = LL + 14;
const E2BIG = LL + 15;
const H_START = LL + 16;
const KEY_DONE = LL + 17;

const MAX_LOOPS: u32 = 1 << 23; // BPF_MAX_LOOPS

/** The callback's argument n (1-4) in the register file, from (lo, hi). */
function setArg(c: Context, n: i32, lo: i32, hi: i32): void {
  c.emit(str(lo, R11, S_REGS + 8 * n));
  c.emit(str(hi, R11, S_REGS + 8 * n + 4));
}

/**
 * bpf_loop and for_each_map_elem as `loop`, `forEach` ask; `count` instructions in the image (function handles
 * name one of them); `maps`: the image has maps (the map segment exists).
 */
export function emitLoopHelpers(c: Context, loop: bool, forEach: bool, count: i32, maps: bool): void {
  // invoke: r0 = the callback's code address, its r1-r4 in the register file -> r0:r1 = its r0.
  // Keeps ARM r4-r10, S_HELPER_LR, and the caller's r6-r10 in the register file.
  c.routine(INVOKE, 0x47f0); // r4-r10, lr
  c.emit(ldr(R1, R11, S_HELPER_LR));
  c.emit(push(bit(R1)));
  c.emit(addImm(LR, R11, S_REGS + 48));
  c.emit(ldmia(LR, 0x17fc)); // r2-r10, ip: eBPF r6-r10
  c.emit(push(0x17fc));
  c.emit(ldr(R1, R11, S_DEPTH));
  c.emit(cmpImm(R1, MAX_CALL_DEPTH - 1));
  c.jump(HS, DEPTH);
  c.emit(addImm(R1, R1, 1));
  c.emit(str(R1, R11, S_DEPTH));
  c.emit(ldr(R1, R11, S_REGIONS + 4));
  c.emit(addImm(R1, R1, STACK_SIZE));
  c.emit(str(R1, R11, S_REGIONS + 4)); // the stack region grows by the callee's frame
  c.emit(str(R1, R11, S_REGIONS + 12));
  c.emit(str(R1, R11, S_REGS + 80)); // its r10
  c.emit(movImm(R1, 0));
  c.emit(str(R1, R11, S_RCACHE + 4));
  c.emit(str(R1, R11, S_RCACHE + 12));
  c.emit(str(R1, R11, S_HELPER_LR)); // faults in the callback name its own instructions
  // r1-r4 where the translated code keeps them (same size whichever registers that is)
  for (let r = 1; r <= 4; r++) {
    if (inArm(c, r)) {
      c.emit(ldr(unchecked(c.armLo[r]), R11, S_REGS + 8 * r));
      c.emit(ldr(unchecked(c.armHi[r]), R11, S_REGS + 8 * r + 4));
    } else {
      c.emit(NOP);
      c.emit(NOP);
    }
  }
  c.emit(addImm(LR, PC, 4)); // the callback's exit pops this return address, as after a bpf-to-bpf call
  c.emit(push(bit(LR)));
  c.emit(bx(R0));
  if (inArm(c, 0)) {
    c.emit(movReg(R0, unchecked(c.armLo[0])));
    c.emit(movReg(R1, unchecked(c.armHi[0])));
  } else {
    c.emit(ldr(R0, R11, S_REGS));
    c.emit(ldr(R1, R11, S_REGS + 4));
  }
  c.emit(ldr(R2, R11, S_DEPTH));
  c.emit(subImm(R2, R2, 1));
  c.emit(str(R2, R11, S_DEPTH));
  c.emit(ldr(R2, R11, S_REGIONS + 4));
  c.emit(subImm(R2, R2, STACK_SIZE));
  c.emit(str(R2, R11, S_REGIONS + 4));
  c.emit(str(R2, R11, S_REGIONS + 12));
  c.emit(movImm(R2, 0)); // the stack region shrank: forget the inline checks' regions
  c.emit(str(R2, R11, S_RCACHE + 4));
  c.emit(str(R2, R11, S_RCACHE + 12));
  c.emit(pop(0x17fc));
  c.emit(addImm(LR, R11, S_REGS + 48));
  c.emit(stmia(LR, 0x17fc));
  c.emit(pop(bit(R2)));
  c.emit(str(R2, R11, S_HELPER_LR));
  c.routineEnd(0x47f0); // r4-r10, pc

  // every frame in use: the interpreter's fault for a callback that cannot get one (instruction 0)
  c.label(DEPTH);
  c.emit(movImm(R0, FAULT_CALL_DEPTH));
  c.emit(str(R0, R11, S_FAULT));
  c.emit(movImm(R0, MAX_CALL_DEPTH));
  c.emit(str(R0, R11, S_FAULT_ADDR));
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R11, S_FAULT_ADDR + 4));
  c.emit(str(R0, R11, S_FAULT_PC));
  c.b(L_EPILOGUE);

  // code_of: the function handle in argument 2 -> r5 = the callback's code address; else a fault naming it.
  // Flags (argument 4) other than 0 -> -EINVAL. Uses r0-r3, ip.
  c.label(CODE_OF);
  argLo(c, R0, 2);
  argHi(c, R1, 2);
  c.emitConst(IP, <u32>FUNC_HANDLE_TAG);
  c.emit(cmpReg(R1, IP));
  c.jump(NE, BAD_FUNC);
  c.emitConst(IP, <u32>count);
  c.emit(cmpReg(R0, IP));
  c.jump(HS, BAD_FUNC);
  c.addressOf(R1, L_TABLE, 0);
  c.emit(dpReg(AL, OP_ADD, 0, R1, R1, R0, SH_LSL, 2));
  c.emit(ldr(R1, R1, 0));
  c.emit(opImm(OP_BIC, R1, R1, immRot(SECOND_SLOT)));
  c.addressOf(R5, L_CODE, 0);
  c.emit(opReg(OP_ADD, R5, R5, R1));
  argLo(c, R0, 4);
  argHi(c, R1, 4);
  c.emit(opRegS(OP_ORR, R0, R0, R1));
  c.emit(bx(LR));
  c.label(BAD_FUNC);
  argLo(c, R2, 2);
  argHi(c, R3, 2);
  c.emit(movImm(R0, FAULT_HELPER));
  c.emit(ldr(R1, R11, S_HELPER_LR));
  c.emit(movImm(IP, 0));
  c.b(L_FAULT);
  c.label(EINVAL);
  c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 21)); // -EINVAL
  c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  c.b(HC_RETURN);

  if (loop) {
    // bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) for i = 0 .. nr_loops - 1 until it returns
    // nonzero; r0 = the calls made. More than 2^23 loops: -E2BIG.
    c.label(H_LOOP);
    helperEntry(c);
    c.bl(CODE_OF);
    c.jump(NE, EINVAL);
    argLo(c, R6, 1); // nr_loops: the low word
    c.emitConst(IP, MAX_LOOPS);
    c.emit(cmpReg(R6, IP));
    c.jump(HI, E2BIG);
    argLo(c, R8, 3); // ctx
    argHi(c, R9, 3);
    c.emit(movImm(R7, 0));
    c.emit(movImm(R4, 0));
    c.label(LOOP_NEXT);
    c.emit(cmpReg(R7, R6));
    c.jump(HS, LOOP_DONE);
    setArg(c, 1, R7, R4);
    setArg(c, 2, R8, R9);
    setArg(c, 3, R4, R4);
    setArg(c, 4, R4, R4);
    c.emit(addImm(R7, R7, 1));
    c.emit(movReg(R0, R5));
    c.bl(INVOKE);
    c.emit(opRegS(OP_ORR, R0, R0, R1));
    c.jump(EQ, LOOP_NEXT);
    c.label(LOOP_DONE);
    c.emit(movReg(R0, R7));
    c.emit(movImm(R1, 0));
    c.b(HC_RETURN);
    c.label(E2BIG);
    c.emit(dpImm(AL, OP_MVN, 0, R0, 0, 6)); // -E2BIG
    c.emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
    c.b(HC_RETURN);
  }

  if (forEach) {
    // for_each_map_elem(map, callback, ctx, flags): callback(map, &key, &value, ctx) per element (arrays: every
    // index; hash maps: in get_next_key order, the next element taken before the call) until it returns
    // nonzero; r0 = the elements visited. The key is copied into the map's read-only key window.
    c.label(H_FOR_EACH);
    helperEntry(c);
    if (!maps) c.b(BAD_MAP); // no map in the image: the argument cannot be one
    argLo(c, R4, 1);
    argHi(c, R0, 1);
    c.emitConst(IP, <u32>MAP_HANDLE_TAG);
    c.emit(cmpReg(R0, IP));
    c.jump(NE, BAD_MAP);
    c.emitWide(R0, DATA_BASE);
    c.emit(ldr(R0, R0, 0)); // maps in the image
    c.emit(cmpReg(R4, R0));
    c.jump(HS, BAD_MAP);
    c.emitConst(R6, DESC_SIZE);
    c.emitConst(R0, DESC_BASE);
    c.emit(mla(R6, R4, R6, R0)); // the descriptor
    c.emit(ldr(R0, R6, D_TYPE)); // hash maps (LRU too) and arrays, not maps of maps
    c.emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(V_INNER)));
    c.jump(NE, BAD_MAP);
    c.emit(opImm(OP_AND, R0, R0, 0xff));
    c.emit(cmpImm(R0, K_HASH));
    c.emit(when(NE, cmpImm(R0, K_ARRAY))); // cmpne
    c.jump(NE, BAD_MAP);
    c.bl(CODE_OF);
    c.jump(NE, EINVAL);
    argLo(c, R8, 3); // ctx
    argHi(c, R9, 3);
    c.emit(ldr(R10, R6, D_REGION)); // the key window: in front of the values
    c.emit(movImm(R7, 0)); // visited
    c.emit(ldrb(R0, R6, D_TYPE));
    c.emit(cmpImm(R0, K_HASH));
    c.jump(EQ, H_START);
    c.label(A_NEXT);
    c.emit(ldr(R0, R6, D_MAX));
    c.emit(cmpReg(R7, R0));
    c.jump(HS, EACH_DONE);
    c.emit(str(R7, R10, 0)); // the key: the index
    c.emit(ldr(R0, R6, D_VALUES));
    c.emit(ldr(IP, R6, D_STRIDE));
    c.emit(mla(R1, R7, IP, R0));
    callEach(c);
    c.emit(opRegS(OP_ORR, R0, R0, R1));
    c.jump(EQ, A_NEXT);
    c.label(EACH_DONE);
    c.emit(movReg(R0, R7));
    c.emit(movImm(R1, 0));
    c.b(HC_RETURN);
    c.label(BAD_MAP);
    argLo(c, R2, 1);
    argHi(c, R3, 1);
    c.emit(movImm(R0, FAULT_BAD_MAP));
    c.emit(ldr(R1, R11, S_HELPER_LR));
    c.emit(movImm(IP, 0));
    c.b(L_FAULT);

    c.label(H_START);
    c.emit(movImm(R0, 0));
    c.bl(HASH_AFTER);
    c.label(H_NEXT);
    c.emit(cmpImm(R0, 0));
    c.jump(EQ, EACH_DONE);
    c.emit(push(bit(R0)));
    c.bl(HASH_AFTER); // the next element, taken first: the callback may delete the one it is given
    c.emit(pop(bit(R1)));
    c.emit(push(bit(R0)));
    c.emit(subImm(R3, R1, 1)); // element index
    c.emit(ldr(R2, R6, D_RECORDS));
    c.emit(ldr(IP, R6, D_REC_STRIDE));
    c.emit(mla(R2, R3, IP, R2));
    c.emit(addImm(R2, R2, 16)); // its key
    c.emit(ldr(IP, R6, D_KEY_SIZE));
    c.emit(movReg(R0, R10));
    c.label(KEY_COPY);
    c.emit(opImmS(OP_SUB, IP, IP, 1));
    c.jump(MI, KEY_DONE);
    c.emit(ldrb(LR, R2, 0));
    c.emit(strb(LR, R0, 0));
    c.emit(addImm(R2, R2, 1));
    c.emit(addImm(R0, R0, 1));
    c.b(KEY_COPY);
    c.label(KEY_DONE);
    c.emit(ldr(R0, R6, D_VALUES));
    c.emit(ldr(IP, R6, D_STRIDE));
    c.emit(mla(R1, R3, IP, R0));
    callEach(c);
    c.emit(pop(bit(R2)));
    c.emit(opRegS(OP_ORR, R0, R0, R1));
    c.emit(movReg(R0, R2));
    c.jump(EQ, H_NEXT);
    c.b(EACH_DONE);

    // hash_after: r0 = element (0: none) -> r0 = the next one in get_next_key order, or 0 (desc in r6; uses
    // r1-r3, ip), as the core's hashAfter: the rest of the chain, then the next non-empty bucket.
    c.label(HASH_AFTER);
    c.emit(cmpImm(R0, 0));
    c.emit(movImmC(EQ, R1, 0));
    c.jump(EQ, HA_BUCKET);
    c.emit(ldr(R1, R6, D_RECORDS));
    c.emit(ldr(IP, R6, D_REC_STRIDE));
    c.emit(subImm(R0, R0, 1));
    c.emit(mla(R1, R0, IP, R1));
    c.emit(ldr(R0, R1, 0)); // chain
    c.emit(cmpImm(R0, 0));
    c.emit(bxC(NE, LR));
    c.emit(ldr(R1, R1, 4)); // hash
    c.emit(ldr(IP, R6, D_MASK));
    c.emit(opReg(OP_AND, R1, R1, IP));
    c.emit(addImm(R1, R1, 1));
    c.label(HA_BUCKET);
    c.emit(ldr(IP, R6, D_MASK));
    c.emit(cmpReg(R1, IP));
    c.emit(movImmC(HI, R0, 0));
    c.emit(bxC(HI, LR));
    c.emit(ldr(R2, R6, D_BUCKETS));
    c.emit(dpReg(AL, OP_ADD, 0, R2, R2, R1, SH_LSL, 2));
    c.emit(ldr(R0, R2, 0));
    c.emit(cmpImm(R0, 0));
    c.emit(bxC(NE, LR));
    c.emit(addImm(R1, R1, 1));
    c.b(HA_BUCKET);
  }
}

/** callback(map, key window, value r1, ctx), counted in r7; r0:r1 = its result. */
function callEach(c: Context): void {
  c.emit(movImm(R2, 0));
  c.emitConst(R3, <u32>MAP_HANDLE_TAG);
  setArg(c, 1, R4, R3);
  setArg(c, 2, R10, R2);
  setArg(c, 3, R1, R2);
  setArg(c, 4, R8, R9);
  c.emit(addImm(R7, R7, 1));
  c.emit(movReg(R0, R5));
  c.bl(INVOKE);
}

