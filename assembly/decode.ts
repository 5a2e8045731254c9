// The interpreter's pre-decoded form of a program, built once when the program is installed (programAdd), so that
// the hot loop dispatches on a handler index instead of taking each opcode apart on every execution.
//
// One 16-byte record per eBPF slot, record i for instruction i, so a pc is still the ORIGINAL instruction index
// (fault reports, call frames and function handles need no mapping):
//   byte 0     handler index (H_*), one per operation and width, dense so that the loop's switch is a br_table
//   byte 1     dst register as a byte offset into REGS (dst * 8)
//   byte 2     where the operand b comes from: src * 8 + 8 for a register, 0 for the immediate at bytes 8-15
//   byte 3     a handler's extra byte: the src register of atomics and LD_IND, the opcode of a bad instruction
//   bytes 4-7  i32: a jump's or call's ABSOLUTE target, a memory offset, the offset of div/mod/movsx, the byte
//              order of le/be (1 = swap)
//   bytes 8-15 the immediate, sign-extended to 64 bits; lddw's two halves joined
// lddw's second slot gets a record of its own (a bad instruction): the verifier refuses jumps into it, as before.
//
// The records live on the heap next to the program's code and, like the code, in no region: a program that could
// write them could rewrite its own jumps behind the verifier's back (layout.ts, DECODED).
import {
  CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX,
  MODE_ATOMIC, SZ_W, SZ_H, SZ_B, SZ_DW, CALL_HELPER, CALL_LOCAL, OP_LDDW, ALU_MOV, ALU_END, JMP_JA, JMP_CALL, JMP_EXIT,
  INSN_SIZE,
} from "./isa";

export const RECORD_SIZE = 16;

// ALU64: H_ALU64 + (operation >> 4), ALU: H_ALU32 + (operation >> 4), in ISA order (add sub mul div or and lsh rsh
// neg mod xor mov arsh end).
export const H_ALU64 = 0;
export const H_MOVSX64 = 14;
export const H_ALU32 = 16;
export const H_MOVSX32 = 30;
// Conditional jumps: H_JMP64 + (operation >> 4) and H_JMP32 + (operation >> 4), jeq .. jsle.
export const H_JMP64 = 32;
export const H_JMP32 = 48;
// Operations that share no arithmetic with their neighbours.
export const H_JA = 32; // ja and gotol (JMP_JA has no condition, so the slot is free)
export const H_CALL_LOCAL = 40; // the slot of JMP_CALL
export const H_EXIT = 41; // the slot of JMP_EXIT
export const H_HELPER = 46;
export const H_TAIL_CALL = 47;
export const H_CALLX = 31;
export const H_LDX = 64; // + size index (W H B DW = 0..3)
export const H_LDXSX = 68; // + size index (W H B)
export const H_ST = 72; // + size index; ST takes the immediate, STX the register
export const H_ATOMIC32 = 76;
export const H_ATOMIC64 = 77;
export const H_LDDW = 78;
export const H_LD_ABS = 79;
export const H_LD_IND = 80;
export const H_BAD = 81;

const TAIL_CALL_HELPER = 12;

/** Writes the records of the `count` instructions at `code` to `out`. */
export function decodeProgram(code: u32, count: u32, out: u32): void {
  for (let pc: u32 = 0; pc < count; pc++) decodeOne(code + pc * INSN_SIZE, pc, count, out + pc * RECORD_SIZE);
}

function decodeOne(p: u32, pc: u32, count: u32, r: u32): void {
  const op = <u32>load<u8>(p);
  const regs = <u32>load<u8>(p, 1);
  const src = regs >> 4;
  const off = <i32>load<i16>(p, 2);
  const imm = load<i32>(p, 4);
  const cls = op & 7;
  const x = (op & 8) != 0;
  const size = (op & 0x18) >> 3; // W H B DW = 0 1 2 3
  let h: u32 = H_BAD;
  let t: i32 = off;
  let useReg = x;
  let extra: u32 = op;
  let value: i64 = <i64>imm;
  if (cls == CLS_ALU64 || cls == CLS_ALU) {
    const aop = op >> 4;
    h = (cls == CLS_ALU64 ? H_ALU64 : H_ALU32) + aop;
    if (aop << 4 == ALU_MOV && off != 0) h = cls == CLS_ALU64 ? H_MOVSX64 : H_MOVSX32;
    if (aop << 4 == ALU_END) { t = x ? 1 : 0; useReg = false; } // the source bit picks the byte order here
    if (aop > 0xd) h = H_BAD;
  } else if (cls == CLS_JMP || cls == CLS_JMP32) {
    const jop = op & 0xf0;
    t = <i32>pc + 1 + off;
    h = (cls == CLS_JMP ? H_JMP64 : H_JMP32) + (jop >> 4);
    if (jop == JMP_JA) { h = H_JA; if (cls == CLS_JMP32) t = <i32>pc + 1 + imm; }
    else if (jop == JMP_EXIT) h = H_EXIT;
    else if (jop == JMP_CALL) {
      t = <i32>pc + 1 + imm;
      h = cls != CLS_JMP ? H_BAD : x ? H_CALLX : src == CALL_LOCAL ? H_CALL_LOCAL : src != CALL_HELPER ? H_BAD
        : imm == TAIL_CALL_HELPER ? H_TAIL_CALL : H_HELPER;
    }
    else if (jop > 0xd0) h = H_BAD;
  } else if (cls == CLS_LDX) {
    useReg = true; // b is the base address
    const mode = op & 0xe0;
    if (mode == MODE_MEM) h = H_LDX + size;
    else if (mode == MODE_MEMSX && size != SZ_DW >> 3) h = H_LDXSX + size;
  } else if (cls == CLS_ST || cls == CLS_STX) {
    const mode = op & 0xe0;
    useReg = cls == CLS_STX; // b is the value stored
    if (mode == MODE_MEM) h = H_ST + size;
    else if (mode == MODE_ATOMIC && cls == CLS_STX && (size == SZ_W >> 3 || size == SZ_DW >> 3)) {
      h = size == SZ_W >> 3 ? H_ATOMIC32 : H_ATOMIC64;
      useReg = false; // b is the operation (imm); the value's register is the extra byte
      extra = src;
    }
  } else { // CLS_LD
    const mode = op & 0xe0;
    useReg = false; // bit 3 is part of the size here
    if (op == OP_LDDW && pc + 1 < count) {
      h = H_LDDW;
      value = <i64>(<u64><u32>imm | (<u64>load<u32>(p, 12) << 32));
    } else if ((mode == MODE_ABS || mode == MODE_IND) && size != SZ_DW >> 3) {
      h = mode == MODE_ABS ? H_LD_ABS : H_LD_IND;
      t = size == SZ_B >> 3 ? 1 : size == SZ_H >> 3 ? 2 : 4;
      extra = src;
    }
  }
  if (h == H_BAD) { useReg = false; extra = op; }
  store<u8>(r, <u8>h);
  store<u8>(r, <u8>((regs & 0xf) << 3), 1);
  store<u8>(r, <u8>(useReg ? (src << 3) + 8 : 0), 2);
  store<u8>(r, <u8>extra, 3);
  store<i32>(r, t, 4);
  store<i64>(r, value, 8);
}
