// Helpers about the running task and plain numbers, with the interpreter's semantics (assembly/helpers.ts,
// src/host-helpers.ts): get_current_pid_tgid (14), get_current_uid_gid (15), get_current_comm (16),
// get_prandom_u32 (7) and jiffies64 (118). The task is the executable's own process: getpid / gettid, getuid32 /
// getgid32. Its comm is "tinybpf", the name the interpreter reports (`tinybpf run`), so that outputs compare.

import {
  emit, emitConst, emitByte, align4, R0, R1, R2, R3, R4, R7, R10, R11, IP, LR, PC, AL, EQ, NE, HI, SVC0, ldr, str, ldrb,
  strb, movImm, movImmC, movReg, cmpImm, opRegS, dpReg, umull, mla, push, pop, bit, bx, addImm, subImm, movw, movt,
  OP_EOR, OP_ORR, SH_LSL, SH_LSR,
} from "../../../assembly/arm32/a32/encoder";
import { label, b, bl, jump, addressOf, S_HELPER_STATE, L_UDIVMOD64, L_HELPERS } from "../image";
import { helperEntry, argLo, argHi, HC_CHECK, HC_FILL, HC_RETURN } from "./common";

export const H_PID_TGID = L_HELPERS + 5;
export const H_UID_GID = L_HELPERS + 6;
export const H_COMM = L_HELPERS + 7;
export const H_PRANDOM = L_HELPERS + 8;
export const H_JIFFIES = L_HELPERS + 9;
const TL = L_HELPERS + 48; // local labels: L_HELPERS + 48 .. 55
const COMM_NAME = TL + 0;
const COMM_LOOP = TL + 1;
const COMM_DONE = TL + 2;
const PR_SEEDED = TL + 3;

const S_PRANDOM = S_HELPER_STATE; // u64 xorshift state (0: not started)
const PRANDOM_START_LO: u32 = 0x4f6cdd1d; // the core's initial state (assembly/index.ts init)
const PRANDOM_START_HI: u32 = 0x2545f491;
const PRANDOM_MUL_LO: u32 = 0x4f6cdd1d; // xorshift64* multiplier 0x2545f4914f6cdd1d
const PRANDOM_MUL_HI: u32 = 0x2545f491;
const COMM = "tinybpf";
const COMM_LEN: u32 = 16;

const SYS_GETPID = 20;
const SYS_GETUID32 = 199;
const SYS_GETGID32 = 200;
const SYS_GETTID = 224;

function syscall(n: u32): void {
  emitConst(R7, n);
  emit(SVC0);
}

/**
 * The helpers whose bit is set in `used` (bit 0: pid_tgid, 1: uid_gid, 2: comm, 3: prandom, 4: jiffies64);
 * `boottime` is the label of the CLOCK_BOOTTIME routine (calls.ts) that jiffies64 divides.
 */
export function emitTaskHelpers(used: u32, boottime: i32): void {
  if (used & (1 << 0)) {
    // pid_tgid: the thread group id (getpid) in the high word, the thread id in the low word
    label(H_PID_TGID);
    emit(push(bit(R4) | bit(R7) | bit(LR)));
    syscall(SYS_GETPID);
    emit(movReg(R4, R0));
    syscall(SYS_GETTID);
    emit(movReg(R1, R4));
    emit(pop(bit(R4) | bit(R7) | bit(PC)));
  }
  if (used & (1 << 1)) {
    label(H_UID_GID);
    emit(push(bit(R4) | bit(R7) | bit(LR)));
    syscall(SYS_GETGID32);
    emit(movReg(R4, R0));
    syscall(SYS_GETUID32);
    emit(movReg(R1, R4));
    emit(pop(bit(R4) | bit(R7) | bit(PC)));
  }
  if (used & (1 << 2)) {
    // get_current_comm(buf, size): size bytes zeroed, then at most size - 1 (and 15) bytes of the name
    label(H_COMM);
    helperEntry();
    argLo(R10, 1);
    argHi(IP, 1);
    argLo(R4, 2);
    emit(movReg(R0, R4));
    emit(movImm(R1, 1));
    bl(HC_CHECK);
    emit(cmpImm(R4, 0));
    jump(EQ, COMM_DONE);
    emit(movReg(R0, R10));
    emit(movReg(R1, R4));
    emit(movImm(R2, 0));
    bl(HC_FILL);
    emit(subImm(R4, R4, 1)); // room for the name: size - 1, at most 15
    emit(cmpImm(R4, COMM_LEN - 1));
    emit(movImmC(HI, R4, COMM_LEN - 1));
    addressOf(R3, COMM_NAME, 0);
    label(COMM_LOOP);
    emit(cmpImm(R4, 0));
    jump(EQ, COMM_DONE);
    emit(ldrb(R2, R3, 0));
    emit(cmpImm(R2, 0));
    jump(EQ, COMM_DONE);
    emit(strb(R2, R10, 0));
    emit(addImm(R3, R3, 1));
    emit(addImm(R10, R10, 1));
    emit(subImm(R4, R4, 1));
    b(COMM_LOOP);
    label(COMM_DONE);
    emit(movImm(R0, 0));
    emit(movImm(R1, 0));
    b(HC_RETURN);
    label(COMM_NAME);
    for (let i = 0; i < COMM.length; i++) emitByte(<u32>COMM.charCodeAt(i));
    emitByte(0);
    align4();
  }
  if (used & (1 << 3)) {
    // xorshift64* over the state, as the core's prandomU32: the upper half of the low 64 bits of state * M
    label(H_PRANDOM);
    emit(ldr(R0, R11, S_PRANDOM));
    emit(ldr(R1, R11, S_PRANDOM + 4));
    emit(opRegS(OP_ORR, R2, R0, R1));
    jump(NE, PR_SEEDED);
    emit(movw(R0, PRANDOM_START_LO & 0xffff));
    emit(movt(R0, PRANDOM_START_LO >>> 16));
    emit(movw(R1, PRANDOM_START_HI & 0xffff));
    emit(movt(R1, PRANDOM_START_HI >>> 16));
    label(PR_SEEDED);
    // x ^= x >> 12
    emit(dpReg(AL, OP_EOR, 0, R0, R0, R0, SH_LSR, 12));
    emit(dpReg(AL, OP_EOR, 0, R0, R0, R1, SH_LSL, 20));
    emit(dpReg(AL, OP_EOR, 0, R1, R1, R1, SH_LSR, 12));
    // x ^= x << 25
    emit(dpReg(AL, OP_EOR, 0, R1, R1, R1, SH_LSL, 25));
    emit(dpReg(AL, OP_EOR, 0, R1, R1, R0, SH_LSR, 7));
    emit(dpReg(AL, OP_EOR, 0, R0, R0, R0, SH_LSL, 25));
    // x ^= x >> 27
    emit(dpReg(AL, OP_EOR, 0, R0, R0, R0, SH_LSR, 27));
    emit(dpReg(AL, OP_EOR, 0, R0, R0, R1, SH_LSL, 5));
    emit(dpReg(AL, OP_EOR, 0, R1, R1, R1, SH_LSR, 27));
    emit(str(R0, R11, S_PRANDOM));
    emit(str(R1, R11, S_PRANDOM + 4));
    emit(movw(R2, PRANDOM_MUL_LO & 0xffff));
    emit(movt(R2, PRANDOM_MUL_LO >>> 16));
    emit(umull(IP, R3, R0, R2)); // r3 = the high word of x.lo * M.lo
    emit(mla(R3, R1, R2, R3)); // + x.hi * M.lo
    emit(movw(R2, PRANDOM_MUL_HI & 0xffff));
    emit(movt(R2, PRANDOM_MUL_HI >>> 16));
    emit(mla(R0, R0, R2, R3)); // + x.lo * M.hi
    emit(movImm(R1, 0));
    emit(bx(LR));
  }
  if (used & (1 << 4)) {
    // jiffies64: CLOCK_BOOTTIME / 10 ms (CONFIG_HZ=100, as the core)
    label(H_JIFFIES);
    emit(push(bit(R4) | bit(LR)));
    bl(boottime);
    emitConst(R2, 10000000);
    emit(movImm(R3, 0));
    bl(L_UDIVMOD64);
    emit(pop(bit(R4) | bit(PC)));
  }
}
