// Helpers about the running task and plain numbers, with the interpreter's semantics (assembly/helpers.ts,
// src/runtime/host-helpers.ts): get_current_pid_tgid (14), get_current_uid_gid (15), get_current_comm (16),
// get_prandom_u32 (7) and jiffies64 (118). The task is the executable's own process: getpid / gettid, getuid32 /
// getgid32. Its comm is "tinybpf", the name the interpreter reports (`tinybpf run`), so that outputs compare.

import {
  AL, EQ, HI, IP, LR, NE, OP_EOR, OP_ORR, R0, R1, R10, R11, R2, R3, R4, R7, SH_LSL, SH_LSR, SVC0, addImm, bit, bx,
  cmpImm, dpReg, ldr, ldrb, mla, movImm, movImmC, movReg, opRegS, str, strb, subImm, umull,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import { HC_CHECK, HC_FILL, HC_RETURN, argHi, argLo, helperEntry } from "./common";
import { L_HELPERS, L_UDIVMOD64, S_HELPER_STATE } from "../image";

export const H_PID_TGID = L_HELPERS + 5;
export const H_UID_GID = L_HELPERS + 6;
export const H_COMM = L_HELPERS + 7;
export const H_PRANDOM = L_HELPERS + 8;
export const H_JIFFIES = L_HELPERS + 9;
const TL = block("helpers/task", 8); // local labels
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

function syscall(c: Context, n: u32): void {
  c.emitConst(R7, n);
  c.emit(SVC0);
}

/**
 * The helpers whose bit is set in `used` (bit 0: pid_tgid, 1: uid_gid, 2: comm, 3: prandom, 4: jiffies64);
 * `boottime` is the label of the CLOCK_BOOTTIME routine (calls.ts) that jiffies64 divides.
 */
export function emitTaskHelpers(c: Context, used: u32, boottime: i32): void {
  if (used & (1 << 0)) {
    // pid_tgid: the thread group id (getpid) in the high word, the thread id in the low word
    c.routine(H_PID_TGID, bit(R4) | bit(R7) | bit(LR));
    syscall(c, SYS_GETPID);
    c.emit(movReg(R4, R0));
    syscall(c, SYS_GETTID);
    c.emit(movReg(R1, R4));
    c.routineEnd(bit(R4) | bit(R7) | bit(LR));
  }
  if (used & (1 << 1)) {
    c.routine(H_UID_GID, bit(R4) | bit(R7) | bit(LR));
    syscall(c, SYS_GETGID32);
    c.emit(movReg(R4, R0));
    syscall(c, SYS_GETUID32);
    c.emit(movReg(R1, R4));
    c.routineEnd(bit(R4) | bit(R7) | bit(LR));
  }
  if (used & (1 << 2)) {
    // get_current_comm(buf, size): size bytes zeroed, then at most size - 1 (and 15) bytes of the name
    c.label(H_COMM);
    helperEntry(c);
    argLo(c, R10, 1);
    argHi(c, IP, 1);
    argLo(c, R4, 2);
    c.emit(movReg(R0, R4));
    c.emit(movImm(R1, 1));
    c.bl(HC_CHECK);
    c.emit(cmpImm(R4, 0));
    c.jump(EQ, COMM_DONE);
    c.emit(movReg(R0, R10));
    c.emit(movReg(R1, R4));
    c.emit(movImm(R2, 0));
    c.bl(HC_FILL);
    c.emit(subImm(R4, R4, 1)); // room for the name: size - 1, at most 15
    c.emit(cmpImm(R4, COMM_LEN - 1));
    c.emit(movImmC(HI, R4, COMM_LEN - 1));
    c.addressOf(R3, COMM_NAME, 0);
    c.label(COMM_LOOP);
    c.emit(cmpImm(R4, 0));
    c.jump(EQ, COMM_DONE);
    c.emit(ldrb(R2, R3, 0));
    c.emit(cmpImm(R2, 0));
    c.jump(EQ, COMM_DONE);
    c.emit(strb(R2, R10, 0));
    c.emit(addImm(R3, R3, 1));
    c.emit(addImm(R10, R10, 1));
    c.emit(subImm(R4, R4, 1));
    c.b(COMM_LOOP);
    c.label(COMM_DONE);
    c.emit(movImm(R0, 0));
    c.emit(movImm(R1, 0));
    c.b(HC_RETURN);
    c.label(COMM_NAME);
    for (let i = 0; i < COMM.length; i++) c.emitByte(<u32>COMM.charCodeAt(i));
    c.emitByte(0);
    c.align4();
  }
  if (used & (1 << 3)) {
    // xorshift64* over the state, as the core's prandomU32: the upper half of the low 64 bits of state * M
    c.label(H_PRANDOM);
    c.emit(ldr(R0, R11, S_PRANDOM));
    c.emit(ldr(R1, R11, S_PRANDOM + 4));
    c.emit(opRegS(OP_ORR, R2, R0, R1));
    c.jump(NE, PR_SEEDED);
    c.emitWide(R0, PRANDOM_START_LO);
    c.emitWide(R1, PRANDOM_START_HI);
    c.label(PR_SEEDED);
    // x ^= x >> 12
    c.emit(dpReg(AL, OP_EOR, 0, R0, R0, R0, SH_LSR, 12));
    c.emit(dpReg(AL, OP_EOR, 0, R0, R0, R1, SH_LSL, 20));
    c.emit(dpReg(AL, OP_EOR, 0, R1, R1, R1, SH_LSR, 12));
    // x ^= x << 25
    c.emit(dpReg(AL, OP_EOR, 0, R1, R1, R1, SH_LSL, 25));
    c.emit(dpReg(AL, OP_EOR, 0, R1, R1, R0, SH_LSR, 7));
    c.emit(dpReg(AL, OP_EOR, 0, R0, R0, R0, SH_LSL, 25));
    // x ^= x >> 27
    c.emit(dpReg(AL, OP_EOR, 0, R0, R0, R0, SH_LSR, 27));
    c.emit(dpReg(AL, OP_EOR, 0, R0, R0, R1, SH_LSL, 5));
    c.emit(dpReg(AL, OP_EOR, 0, R1, R1, R1, SH_LSR, 27));
    c.emit(str(R0, R11, S_PRANDOM));
    c.emit(str(R1, R11, S_PRANDOM + 4));
    c.emitWide(R2, PRANDOM_MUL_LO);
    c.emit(umull(IP, R3, R0, R2)); // r3 = the high word of x.lo * M.lo
    c.emit(mla(R3, R1, R2, R3)); // + x.hi * M.lo
    c.emitWide(R2, PRANDOM_MUL_HI);
    c.emit(mla(R0, R0, R2, R3)); // + x.lo * M.hi
    c.emit(movImm(R1, 0));
    c.emit(bx(LR));
  }
  if (used & (1 << 4)) {
    // jiffies64: CLOCK_BOOTTIME / 10 ms (CONFIG_HZ=100, as the core)
    c.routine(H_JIFFIES, bit(R4) | bit(LR));
    c.bl(boottime);
    c.emitConst(R2, 10000000);
    c.emit(movImm(R3, 0));
    c.bl(L_UDIVMOD64);
    c.routineEnd(bit(R4) | bit(LR));
  }
}
