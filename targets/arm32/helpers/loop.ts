// Helpers that call back into the program, with the interpreter's semantics (assembly/helpers.ts loop and
// forEachMapElem, assembly/maps/foreach.ts): bpf_loop (181) and for_each_map_elem (164). A callback is a
// subprogram named by a function handle (FUNC_HANDLE_TAG:instruction index, what lddw PSEUDO_FUNC loads); it runs
// like a bpf-to-bpf call: a new stack frame, r1-r4 the helper's arguments, r6-r10 of the caller kept, r0 its result.
// The instruction-offset table (L_TABLE) gives its code address. A fault inside a callback names the callback's
// own instruction, as in the interpreter.

import {
  emit, emitConst, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, LR, PC, AL, EQ, NE, HS, HI, MI, OP_ADD,
  OP_SUB, OP_ORR, OP_AND, OP_MVN, OP_BIC, OP_TST, ldr, str, ldrb, strb, movImm, movImmC, movReg, cmpImm, cmpReg, opReg, opRegS,
  opImm, opImmS, dpImm, dpReg, immRot, mla, push, pop, bit, bx, addImm, subImm, ldmia, stmia, SH_LSL, movw, movt,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, addressOf, S_REGS, S_DEPTH, S_REGIONS, S_RCACHE, S_HELPER_LR, S_FAULT, S_FAULT_PC,
  S_FAULT_ADDR, L_FAULT, L_EPILOGUE, L_CODE, L_TABLE, L_HELPERS,
} from "../image";
import { helperEntry, argLo, argHi, HC_RETURN } from "./common";
import { inArm, ARM_LO, ARM_HI } from "../../../assembly/arm32/jit/translate";
import { SECOND_SLOT } from "../runtime/routines";
import { DATA_BASE, DESC_BASE, DESC_SIZE, D_TYPE, D_MAX, D_VALUES, D_STRIDE, D_REGION, D_RECORDS, D_REC_STRIDE,
  D_KEY_SIZE, D_BUCKETS, D_MASK, K_HASH, K_ARRAY, V_INNER } from "../maps/index";
import { FUNC_HANDLE_TAG, MAP_HANDLE_TAG, FAULT_HELPER, FAULT_BAD_MAP, FAULT_CALL_DEPTH } from "../../../assembly/layout";
import { STACK_SIZE, MAX_CALL_DEPTH } from "../../../assembly/isa";

export const H_LOOP = L_HELPERS + 13;
export const H_FOR_EACH = L_HELPERS + 14;
const LL = L_HELPERS + 100; // local labels: L_HELPERS + 100 .. 119
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
const NOP: u32 = 0xe1a00000; // mov r0, r0

/** The callback's argument n (1-4) in the register file, from (lo, hi). */
function setArg(n: i32, lo: i32, hi: i32): void {
  emit(str(lo, R11, S_REGS + 8 * n));
  emit(str(hi, R11, S_REGS + 8 * n + 4));
}

/**
 * bpf_loop and for_each_map_elem as `loop`, `forEach` ask; `count` instructions in the image (function handles
 * name one of them); `maps`: the image has maps (the map segment exists).
 */
export function emitLoopHelpers(loop: bool, forEach: bool, count: i32, maps: bool): void {
  // invoke: r0 = the callback's code address, its r1-r4 in the register file -> r0:r1 = its r0.
  // Keeps ARM r4-r10, S_HELPER_LR, and the caller's r6-r10 in the register file.
  label(INVOKE);
  emit(push(0x47f0)); // r4-r10, lr
  emit(ldr(R1, R11, S_HELPER_LR));
  emit(push(bit(R1)));
  emit(addImm(LR, R11, S_REGS + 48));
  emit(ldmia(LR, 0x17fc)); // r2-r10, ip: eBPF r6-r10
  emit(push(0x17fc));
  emit(ldr(R1, R11, S_DEPTH));
  emit(cmpImm(R1, MAX_CALL_DEPTH - 1));
  jump(HS, DEPTH);
  emit(addImm(R1, R1, 1));
  emit(str(R1, R11, S_DEPTH));
  emit(ldr(R1, R11, S_REGIONS + 4));
  emit(addImm(R1, R1, STACK_SIZE));
  emit(str(R1, R11, S_REGIONS + 4)); // the stack region grows by the callee's frame
  emit(str(R1, R11, S_REGIONS + 12));
  emit(str(R1, R11, S_REGS + 80)); // its r10
  emit(movImm(R1, 0));
  emit(str(R1, R11, S_RCACHE + 4));
  emit(str(R1, R11, S_RCACHE + 12));
  emit(str(R1, R11, S_HELPER_LR)); // faults in the callback name its own instructions
  // r1-r4 where the translated code keeps them (same size whichever registers that is)
  for (let r = 1; r <= 4; r++) {
    if (inArm(r)) {
      emit(ldr(unchecked(ARM_LO[r]), R11, S_REGS + 8 * r));
      emit(ldr(unchecked(ARM_HI[r]), R11, S_REGS + 8 * r + 4));
    } else {
      emit(NOP);
      emit(NOP);
    }
  }
  emit(addImm(LR, PC, 4)); // the callback's exit pops this return address, as after a bpf-to-bpf call
  emit(push(bit(LR)));
  emit(bx(R0));
  if (inArm(0)) {
    emit(movReg(R0, unchecked(ARM_LO[0])));
    emit(movReg(R1, unchecked(ARM_HI[0])));
  } else {
    emit(ldr(R0, R11, S_REGS));
    emit(ldr(R1, R11, S_REGS + 4));
  }
  emit(ldr(R2, R11, S_DEPTH));
  emit(subImm(R2, R2, 1));
  emit(str(R2, R11, S_DEPTH));
  emit(ldr(R2, R11, S_REGIONS + 4));
  emit(subImm(R2, R2, STACK_SIZE));
  emit(str(R2, R11, S_REGIONS + 4));
  emit(str(R2, R11, S_REGIONS + 12));
  emit(movImm(R2, 0)); // the stack region shrank: forget the inline checks' regions
  emit(str(R2, R11, S_RCACHE + 4));
  emit(str(R2, R11, S_RCACHE + 12));
  emit(pop(0x17fc));
  emit(addImm(LR, R11, S_REGS + 48));
  emit(stmia(LR, 0x17fc));
  emit(pop(bit(R2)));
  emit(str(R2, R11, S_HELPER_LR));
  emit(pop(0x87f0)); // r4-r10, pc

  // every frame in use: the interpreter's fault for a callback that cannot get one (instruction 0)
  label(DEPTH);
  emit(movImm(R0, FAULT_CALL_DEPTH));
  emit(str(R0, R11, S_FAULT));
  emit(movImm(R0, MAX_CALL_DEPTH));
  emit(str(R0, R11, S_FAULT_ADDR));
  emit(movImm(R0, 0));
  emit(str(R0, R11, S_FAULT_ADDR + 4));
  emit(str(R0, R11, S_FAULT_PC));
  b(L_EPILOGUE);

  // code_of: the function handle in argument 2 -> r5 = the callback's code address; else a fault naming it.
  // Flags (argument 4) other than 0 -> -EINVAL. Uses r0-r3, ip.
  label(CODE_OF);
  argLo(R0, 2);
  argHi(R1, 2);
  emitConst(IP, <u32>FUNC_HANDLE_TAG);
  emit(cmpReg(R1, IP));
  jump(NE, BAD_FUNC);
  emitConst(IP, <u32>count);
  emit(cmpReg(R0, IP));
  jump(HS, BAD_FUNC);
  addressOf(R1, L_TABLE, 0);
  emit(dpReg(AL, OP_ADD, 0, R1, R1, R0, SH_LSL, 2));
  emit(ldr(R1, R1, 0));
  emit(opImm(OP_BIC, R1, R1, immRot(SECOND_SLOT)));
  addressOf(R5, L_CODE, 0);
  emit(opReg(OP_ADD, R5, R5, R1));
  argLo(R0, 4);
  argHi(R1, 4);
  emit(opRegS(OP_ORR, R0, R0, R1));
  emit(bx(LR));
  label(BAD_FUNC);
  argLo(R2, 2);
  argHi(R3, 2);
  emit(movImm(R0, FAULT_HELPER));
  emit(ldr(R1, R11, S_HELPER_LR));
  emit(movImm(IP, 0));
  b(L_FAULT);
  label(EINVAL);
  emit(dpImm(AL, OP_MVN, 0, R0, 0, 21)); // -EINVAL
  emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
  b(HC_RETURN);

  if (loop) {
    // bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) for i = 0 .. nr_loops - 1 until it returns
    // nonzero; r0 = the calls made. More than 2^23 loops: -E2BIG.
    label(H_LOOP);
    helperEntry();
    bl(CODE_OF);
    jump(NE, EINVAL);
    argLo(R6, 1); // nr_loops: the low word
    emitConst(IP, MAX_LOOPS);
    emit(cmpReg(R6, IP));
    jump(HI, E2BIG);
    argLo(R8, 3); // ctx
    argHi(R9, 3);
    emit(movImm(R7, 0));
    emit(movImm(R4, 0));
    label(LOOP_NEXT);
    emit(cmpReg(R7, R6));
    jump(HS, LOOP_DONE);
    setArg(1, R7, R4);
    setArg(2, R8, R9);
    setArg(3, R4, R4);
    setArg(4, R4, R4);
    emit(addImm(R7, R7, 1));
    emit(movReg(R0, R5));
    bl(INVOKE);
    emit(opRegS(OP_ORR, R0, R0, R1));
    jump(EQ, LOOP_NEXT);
    label(LOOP_DONE);
    emit(movReg(R0, R7));
    emit(movImm(R1, 0));
    b(HC_RETURN);
    label(E2BIG);
    emit(dpImm(AL, OP_MVN, 0, R0, 0, 6)); // -E2BIG
    emit(dpImm(AL, OP_MVN, 0, R1, 0, 0));
    b(HC_RETURN);
  }

  if (forEach) {
    // for_each_map_elem(map, callback, ctx, flags): callback(map, &key, &value, ctx) per element (arrays: every
    // index; hash maps: in get_next_key order, the next element taken before the call) until it returns
    // nonzero; r0 = the elements visited. The key is copied into the map's read-only key window.
    label(H_FOR_EACH);
    helperEntry();
    if (!maps) b(BAD_MAP); // no map in the image: the argument cannot be one
    argLo(R4, 1);
    argHi(R0, 1);
    emitConst(IP, <u32>MAP_HANDLE_TAG);
    emit(cmpReg(R0, IP));
    jump(NE, BAD_MAP);
    emit(movw(R0, DATA_BASE & 0xffff));
    emit(movt(R0, DATA_BASE >>> 16));
    emit(ldr(R0, R0, 0)); // maps in the image
    emit(cmpReg(R4, R0));
    jump(HS, BAD_MAP);
    emitConst(R6, DESC_SIZE);
    emitConst(R0, DESC_BASE);
    emit(mla(R6, R4, R6, R0)); // the descriptor
    emit(ldr(R0, R6, D_TYPE)); // hash maps (LRU too) and arrays, not maps of maps
    emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(V_INNER)));
    jump(NE, BAD_MAP);
    emit(opImm(OP_AND, R0, R0, 0xff));
    emit(cmpImm(R0, K_HASH));
    emit((NE << 28) | (cmpImm(R0, K_ARRAY) & 0x0fffffff)); // cmpne
    jump(NE, BAD_MAP);
    bl(CODE_OF);
    jump(NE, EINVAL);
    argLo(R8, 3); // ctx
    argHi(R9, 3);
    emit(ldr(R10, R6, D_REGION)); // the key window: in front of the values
    emit(movImm(R7, 0)); // visited
    emit(ldrb(R0, R6, D_TYPE));
    emit(cmpImm(R0, K_HASH));
    jump(EQ, H_START);
    label(A_NEXT);
    emit(ldr(R0, R6, D_MAX));
    emit(cmpReg(R7, R0));
    jump(HS, EACH_DONE);
    emit(str(R7, R10, 0)); // the key: the index
    emit(ldr(R0, R6, D_VALUES));
    emit(ldr(IP, R6, D_STRIDE));
    emit(mla(R1, R7, IP, R0));
    callEach();
    emit(opRegS(OP_ORR, R0, R0, R1));
    jump(EQ, A_NEXT);
    label(EACH_DONE);
    emit(movReg(R0, R7));
    emit(movImm(R1, 0));
    b(HC_RETURN);
    label(BAD_MAP);
    argLo(R2, 1);
    argHi(R3, 1);
    emit(movImm(R0, FAULT_BAD_MAP));
    emit(ldr(R1, R11, S_HELPER_LR));
    emit(movImm(IP, 0));
    b(L_FAULT);

    label(H_START);
    emit(movImm(R0, 0));
    bl(HASH_AFTER);
    label(H_NEXT);
    emit(cmpImm(R0, 0));
    jump(EQ, EACH_DONE);
    emit(push(bit(R0)));
    bl(HASH_AFTER); // the next element, taken first: the callback may delete the one it is given
    emit(pop(bit(R1)));
    emit(push(bit(R0)));
    emit(subImm(R3, R1, 1)); // element index
    emit(ldr(R2, R6, D_RECORDS));
    emit(ldr(IP, R6, D_REC_STRIDE));
    emit(mla(R2, R3, IP, R2));
    emit(addImm(R2, R2, 16)); // its key
    emit(ldr(IP, R6, D_KEY_SIZE));
    emit(movReg(R0, R10));
    label(KEY_COPY);
    emit(opImmS(OP_SUB, IP, IP, 1));
    jump(MI, KEY_DONE);
    emit(ldrb(LR, R2, 0));
    emit(strb(LR, R0, 0));
    emit(addImm(R2, R2, 1));
    emit(addImm(R0, R0, 1));
    b(KEY_COPY);
    label(KEY_DONE);
    emit(ldr(R0, R6, D_VALUES));
    emit(ldr(IP, R6, D_STRIDE));
    emit(mla(R1, R3, IP, R0));
    callEach();
    emit(pop(bit(R2)));
    emit(opRegS(OP_ORR, R0, R0, R1));
    emit(movReg(R0, R2));
    jump(EQ, H_NEXT);
    b(EACH_DONE);

    // hash_after: r0 = element (0: none) -> r0 = the next one in get_next_key order, or 0 (desc in r6; uses
    // r1-r3, ip), as the core's hashAfter: the rest of the chain, then the next non-empty bucket.
    label(HASH_AFTER);
    emit(cmpImm(R0, 0));
    emit(movImmC(EQ, R1, 0));
    jump(EQ, HA_BUCKET);
    emit(ldr(R1, R6, D_RECORDS));
    emit(ldr(IP, R6, D_REC_STRIDE));
    emit(subImm(R0, R0, 1));
    emit(mla(R1, R0, IP, R1));
    emit(ldr(R0, R1, 0)); // chain
    emit(cmpImm(R0, 0));
    emit(bxC(NE));
    emit(ldr(R1, R1, 4)); // hash
    emit(ldr(IP, R6, D_MASK));
    emit(opReg(OP_AND, R1, R1, IP));
    emit(addImm(R1, R1, 1));
    label(HA_BUCKET);
    emit(ldr(IP, R6, D_MASK));
    emit(cmpReg(R1, IP));
    emit(movImmC(HI, R0, 0));
    emit(bxC(HI));
    emit(ldr(R2, R6, D_BUCKETS));
    emit(dpReg(AL, OP_ADD, 0, R2, R2, R1, SH_LSL, 2));
    emit(ldr(R0, R2, 0));
    emit(cmpImm(R0, 0));
    emit(bxC(NE));
    emit(addImm(R1, R1, 1));
    b(HA_BUCKET);
  }
}

/** callback(map, key window, value r1, ctx), counted in r7; r0:r1 = its result. */
function callEach(): void {
  emit(movImm(R2, 0));
  emitConst(R3, <u32>MAP_HANDLE_TAG);
  setArg(1, R4, R3);
  setArg(2, R10, R2);
  setArg(3, R1, R2);
  setArg(4, R8, R9);
  emit(addImm(R7, R7, 1));
  emit(movReg(R0, R5));
  bl(INVOKE);
}

function bxC(cond: u32): u32 { return (cond << 28) | 0x012fff10 | <u32>LR; }
