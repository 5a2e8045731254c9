// A32 instruction encoder: one function per ARM instruction form, each returning the 32-bit instruction word,
// and nothing else: every instruction word of an image comes from here. It knows the ARM manual, not eBPF. The
// buffer the words go to is code.ts.
//
// Why A32 and not Thumb-2: every A32 instruction is 4 bytes and conditional, so the translator's first pass can
// size each eBPF instruction without knowing branch distances, conditional moves need no IT blocks, and B/BL
// reach +-32 MB with one encoding. Thumb-2 would be ~25% smaller but needs width selection and IT blocks.
//
// ARMv7-A only features used here: MOVW/MOVT (constants), MLS, SBFX, UDIV/SDIV (only when the target has them).
// ARMv6 executables (ARM1176) do without them: code.ts chooses the sequences (`armv6`). LDREXD/STREXD and CLREX
// are ARMv6K, which the ARM1176 has (plain ARMv6 has only LDREX/STREX: 64-bit atomics would need a lock). DMB is
// defined below but not emitted.
// No VFP or NEON instruction is emitted.

// Registers
export const R0: i32 = 0;
export const R1: i32 = 1;
export const R2: i32 = 2;
export const R3: i32 = 3;
export const R4: i32 = 4;
export const R5: i32 = 5;
export const R6: i32 = 6;
export const R7: i32 = 7;
export const R8: i32 = 8;
export const R9: i32 = 9;
export const R10: i32 = 10;
export const R11: i32 = 11;
export const IP: i32 = 12;
export const SP: i32 = 13;
export const LR: i32 = 14;
export const PC: i32 = 15;

// Condition codes
export const EQ: u32 = 0x0;
export const NE: u32 = 0x1;
export const HS: u32 = 0x2; // carry set, unsigned >=
export const LO: u32 = 0x3; // carry clear, unsigned <
export const MI: u32 = 0x4;
export const PL: u32 = 0x5;
export const HI: u32 = 0x8; // unsigned >
export const LS: u32 = 0x9; // unsigned <=
export const GE: u32 = 0xa;
export const LT: u32 = 0xb;
export const GT: u32 = 0xc;
export const LE: u32 = 0xd;
export const AL: u32 = 0xe;

// Data-processing opcodes
export const OP_AND: u32 = 0x0;
export const OP_EOR: u32 = 0x1;
export const OP_SUB: u32 = 0x2;
export const OP_RSB: u32 = 0x3;
export const OP_ADD: u32 = 0x4;
export const OP_ADC: u32 = 0x5;
export const OP_SBC: u32 = 0x6;
export const OP_RSC: u32 = 0x7;
export const OP_TST: u32 = 0x8;
export const OP_TEQ: u32 = 0x9;
export const OP_CMP: u32 = 0xa;
export const OP_CMN: u32 = 0xb;
export const OP_ORR: u32 = 0xc;
export const OP_MOV: u32 = 0xd;
export const OP_BIC: u32 = 0xe;
export const OP_MVN: u32 = 0xf;

// Shift types
export const SH_LSL: u32 = 0;
export const SH_LSR: u32 = 1;
export const SH_ASR: u32 = 2;
export const SH_ROR: u32 = 3;

// ---------------------------------------------------------------------------------------------------------------
// Data processing

/** The 12-bit "modified immediate" for v (an 8-bit value rotated right by an even amount), or -1. */
export function immRot(v: u32): i32 {
  for (let rot: u32 = 0; rot < 16; rot++) {
    const x = rotl<u32>(v, rot * 2);
    if (x < 256) return <i32>((rot << 8) | x);
  }
  return -1;
}

export function dpImm(cond: u32, op: u32, s: u32, rd: i32, rn: i32, imm12: i32): u32 {
  return (cond << 28) | (1 << 25) | (op << 21) | (s << 20) | (<u32>rn << 16) | (<u32>rd << 12) | <u32>imm12;
}

export function dpReg(cond: u32, op: u32, s: u32, rd: i32, rn: i32, rm: i32, sh: u32, amount: u32): u32 {
  return (cond << 28) | (op << 21) | (s << 20) | (<u32>rn << 16) | (<u32>rd << 12) | ((amount & 31) << 7) |
    (sh << 5) | <u32>rm;
}

/** Register operand shifted by the bottom byte of rs. */
export function dpRegShift(cond: u32, op: u32, s: u32, rd: i32, rn: i32, rm: i32, sh: u32, rs: i32): u32 {
  return (cond << 28) | (op << 21) | (s << 20) | (<u32>rn << 16) | (<u32>rd << 12) | (<u32>rs << 8) | (sh << 5) |
    (1 << 4) | <u32>rm;
}

export function movReg(rd: i32, rm: i32): u32 { return dpReg(AL, OP_MOV, 0, rd, 0, rm, SH_LSL, 0); }
export function movRegC(cond: u32, rd: i32, rm: i32): u32 { return dpReg(cond, OP_MOV, 0, rd, 0, rm, SH_LSL, 0); }
export function shiftImm(sh: u32, rd: i32, rm: i32, amount: u32): u32 { return dpReg(AL, OP_MOV, 0, rd, 0, rm, sh, amount); }
export function shiftReg(sh: u32, rd: i32, rm: i32, rs: i32): u32 { return dpRegShift(AL, OP_MOV, 0, rd, 0, rm, sh, rs); }
export function opReg(op: u32, rd: i32, rn: i32, rm: i32): u32 { return dpReg(AL, op, 0, rd, rn, rm, SH_LSL, 0); }
export function opRegS(op: u32, rd: i32, rn: i32, rm: i32): u32 { return dpReg(AL, op, 1, rd, rn, rm, SH_LSL, 0); }
export function opImm(op: u32, rd: i32, rn: i32, imm12: i32): u32 { return dpImm(AL, op, 0, rd, rn, imm12); }
export function opImmS(op: u32, rd: i32, rn: i32, imm12: i32): u32 { return dpImm(AL, op, 1, rd, rn, imm12); }
export function cmpReg(rn: i32, rm: i32): u32 { return dpReg(AL, OP_CMP, 1, 0, rn, rm, SH_LSL, 0); }
export function cmpRegC(cond: u32, rn: i32, rm: i32): u32 { return dpReg(cond, OP_CMP, 1, 0, rn, rm, SH_LSL, 0); }
/** cmp rn, #v for v < 256 (and any value immRot accepts). */
export function cmpImm(rn: i32, v: u32): u32 { return dpImm(AL, OP_CMP, 1, 0, rn, immRot(v)); }
export function tstReg(rn: i32, rm: i32): u32 { return dpReg(AL, OP_TST, 1, 0, rn, rm, SH_LSL, 0); }
export function tstRegC(cond: u32, rn: i32, rm: i32): u32 { return dpReg(cond, OP_TST, 1, 0, rn, rm, SH_LSL, 0); }
export function movImm(rd: i32, v: u32): u32 { return dpImm(AL, OP_MOV, 0, rd, 0, immRot(v)); }
export function movImmC(cond: u32, rd: i32, v: u32): u32 { return dpImm(cond, OP_MOV, 0, rd, 0, immRot(v)); }
export function addImm(rd: i32, rn: i32, v: u32): u32 { return dpImm(AL, OP_ADD, 0, rd, rn, immRot(v)); }
export function subImm(rd: i32, rn: i32, v: u32): u32 { return dpImm(AL, OP_SUB, 0, rd, rn, immRot(v)); }

export function movw(rd: i32, v: u32): u32 {
  return 0xe3000000 | (((v >> 12) & 15) << 16) | (<u32>rd << 12) | (v & 0xfff);
}
export function movt(rd: i32, v: u32): u32 {
  return 0xe3400000 | (((v >> 12) & 15) << 16) | (<u32>rd << 12) | (v & 0xfff);
}

// ---------------------------------------------------------------------------------------------------------------
// Multiply and divide (UDIV/SDIV exist on Cortex-A7/A15, not on Cortex-A8/A9)

export function mul(rd: i32, rn: i32, rm: i32): u32 { return 0xe0000090 | (<u32>rd << 16) | (<u32>rm << 8) | <u32>rn; }
/** rd = rn * rm + ra */
export function mla(rd: i32, rn: i32, rm: i32, ra: i32): u32 {
  return 0xe0200090 | (<u32>rd << 16) | (<u32>ra << 12) | (<u32>rm << 8) | <u32>rn;
}
/** rd = ra - rn * rm */
export function mls(rd: i32, rn: i32, rm: i32, ra: i32): u32 {
  return 0xe0600090 | (<u32>rd << 16) | (<u32>ra << 12) | (<u32>rm << 8) | <u32>rn;
}
export function umull(lo: i32, hi: i32, rn: i32, rm: i32): u32 {
  return 0xe0800090 | (<u32>hi << 16) | (<u32>lo << 12) | (<u32>rm << 8) | <u32>rn;
}
/** (lo, hi) += rn * rm, unsigned 64-bit product and accumulator */
export function umlal(lo: i32, hi: i32, rn: i32, rm: i32): u32 {
  return 0xe0a00090 | (<u32>hi << 16) | (<u32>lo << 12) | (<u32>rm << 8) | <u32>rn;
}
/** (lo, hi) = rn * rm, signed 64-bit product */
export function smull(lo: i32, hi: i32, rn: i32, rm: i32): u32 {
  return 0xe0c00090 | (<u32>hi << 16) | (<u32>lo << 12) | (<u32>rm << 8) | <u32>rn;
}
/** rd = the high word of the signed product rn * rm (ARMv6 and later) */
export function smmul(rd: i32, rn: i32, rm: i32): u32 { return 0xe750f010 | (<u32>rd << 16) | (<u32>rm << 8) | <u32>rn; }
export function udiv(rd: i32, rn: i32, rm: i32): u32 { return 0xe730f010 | (<u32>rd << 16) | (<u32>rm << 8) | <u32>rn; }
export function sdiv(rd: i32, rn: i32, rm: i32): u32 { return 0xe710f010 | (<u32>rd << 16) | (<u32>rm << 8) | <u32>rn; }

// ---------------------------------------------------------------------------------------------------------------
// Loads and stores (immediate offset, no writeback). Word/byte: |off| < 4096; halfword/signed: |off| < 256.

function ls12(l: u32, b: u32, rt: i32, rn: i32, off: i32): u32 {
  const u: u32 = off >= 0 ? 1 : 0;
  const a: u32 = <u32>(off >= 0 ? off : -off) & 0xfff;
  return 0xe5000000 | (u << 23) | (b << 22) | (l << 20) | (<u32>rn << 16) | (<u32>rt << 12) | a;
}
function ls8(l: u32, sh: u32, rt: i32, rn: i32, off: i32): u32 {
  const u: u32 = off >= 0 ? 1 : 0;
  const a: u32 = <u32>(off >= 0 ? off : -off) & 0xff;
  return 0xe1400000 | (u << 23) | (l << 20) | (<u32>rn << 16) | (<u32>rt << 12) | ((a >> 4) << 8) | sh | (a & 15);
}
export function ldr(rt: i32, rn: i32, off: i32): u32 { return ls12(1, 0, rt, rn, off); }
export function str(rt: i32, rn: i32, off: i32): u32 { return ls12(0, 0, rt, rn, off); }
export function ldrb(rt: i32, rn: i32, off: i32): u32 { return ls12(1, 1, rt, rn, off); }
export function strb(rt: i32, rn: i32, off: i32): u32 { return ls12(0, 1, rt, rn, off); }
export function ldrh(rt: i32, rn: i32, off: i32): u32 { return ls8(1, 0xb0, rt, rn, off); }
export function strh(rt: i32, rn: i32, off: i32): u32 { return ls8(0, 0xb0, rt, rn, off); }
export function ldrsb(rt: i32, rn: i32, off: i32): u32 { return ls8(1, 0xd0, rt, rn, off); }
export function ldrsh(rt: i32, rn: i32, off: i32): u32 { return ls8(1, 0xf0, rt, rn, off); }
/** rt, rt + 1 = the two words at rn + off (rt even, not lr; |off| < 256). Encoded with L = 0, as ARM does. */
export function ldrd(rt: i32, rn: i32, off: i32): u32 { return ls8(0, 0xd0, rt, rn, off); }
/** sbfx rd, rn, #lsb, #width: the signed bit field */
export function sbfx(rd: i32, rn: i32, lsb: u32, width: u32): u32 {
  return 0xe7a00050 | ((width - 1) << 16) | (<u32>rd << 12) | (lsb << 7) | <u32>rn;
}
/** ubfx rd, rn, #lsb, #width: the unsigned bit field (ARMv6T2 and later) */
export function ubfx(rd: i32, rn: i32, lsb: u32, width: u32): u32 {
  return 0xe7e00050 | ((width - 1) << 16) | (<u32>rd << 12) | (lsb << 7) | <u32>rn;
}
/** strd rt, rt + 1, [rn, #off] (rt even, |off| < 256) */
export function strd(rt: i32, rn: i32, off: i32): u32 { return ls8(0, 0xf0, rt, rn, off); }
/** ldr rt, [rn, rm] */
export function ldrReg(rt: i32, rn: i32, rm: i32): u32 { return 0xe7900000 | (<u32>rn << 16) | (<u32>rt << 12) | <u32>rm; }
/** ldrb rt, [rn, rm] */
export function ldrbReg(rt: i32, rn: i32, rm: i32): u32 { return 0xe7d00000 | (<u32>rn << 16) | (<u32>rt << 12) | <u32>rm; }
/** ldrh rt, [rn, rm] */
export function ldrhReg(rt: i32, rn: i32, rm: i32): u32 { return 0xe19000b0 | (<u32>rn << 16) | (<u32>rt << 12) | <u32>rm; }
/** strb rt, [rn, rm] */
export function strbReg(rt: i32, rn: i32, rm: i32): u32 { return 0xe7c00000 | (<u32>rn << 16) | (<u32>rt << 12) | <u32>rm; }
/** strb rt, [rn, #-1]! (pre-decrement, for writing digits backwards) */
export function strbPreDec(rt: i32, rn: i32): u32 { return 0xe5600001 | (<u32>rn << 16) | (<u32>rt << 12); }

export function push(list: u32): u32 { return 0xe92d0000 | list; }
export function pop(list: u32): u32 { return 0xe8bd0000 | list; }
export function ldmia(rn: i32, list: u32): u32 { return 0xe8900000 | (<u32>rn << 16) | list; }
export function stmia(rn: i32, list: u32): u32 { return 0xe8800000 | (<u32>rn << 16) | list; }
export function bit(r: i32): u32 { return <u32>1 << <u32>r; }

// Exclusive access and barriers
export function ldrex(rt: i32, rn: i32): u32 { return 0xe1900f9f | (<u32>rn << 16) | (<u32>rt << 12); }
export function strex(rd: i32, rt: i32, rn: i32): u32 { return 0xe1800f90 | (<u32>rn << 16) | (<u32>rd << 12) | <u32>rt; }
/** rt must be even; rt+1 is the second register */
export function ldrexd(rt: i32, rn: i32): u32 { return 0xe1b00f9f | (<u32>rn << 16) | (<u32>rt << 12); }
export function strexd(rd: i32, rt: i32, rn: i32): u32 { return 0xe1a00f90 | (<u32>rn << 16) | (<u32>rd << 12) | <u32>rt; }
export const CLREX: u32 = 0xf57ff01f;
export const DMB_ISH: u32 = 0xf57ff05b;

// Byte order and extension
export function rev(rd: i32, rm: i32): u32 { return 0xe6bf0f30 | (<u32>rd << 12) | <u32>rm; }
export function rev16(rd: i32, rm: i32): u32 { return 0xe6bf0fb0 | (<u32>rd << 12) | <u32>rm; }
export function sxtb(rd: i32, rm: i32): u32 { return 0xe6af0070 | (<u32>rd << 12) | <u32>rm; }
export function sxth(rd: i32, rm: i32): u32 { return 0xe6bf0070 | (<u32>rd << 12) | <u32>rm; }
export function uxth(rd: i32, rm: i32): u32 { return 0xe6ff0070 | (<u32>rd << 12) | <u32>rm; }
/** Count leading zeros (ARMv5 and later). */
export function clz(rd: i32, rm: i32): u32 { return 0xe16f0f10 | (<u32>rd << 12) | <u32>rm; }

// Branches. `from` and `to` are byte positions in the output; A32 reads PC as the instruction address + 8.
export function branch(cond: u32, link: bool, from: i32, to: i32): u32 {
  const delta = ((to - (from + 8)) >> 2) & 0xffffff;
  return (cond << 28) | (link ? 0x0b000000 : 0x0a000000) | <u32>delta;
}
export function bx(rm: i32): u32 { return 0xe12fff10 | <u32>rm; }
/** bx<cond> rm */
export function bxC(cond: u32, rm: i32): u32 { return (cond << 28) | 0x012fff10 | <u32>rm; }
export function blx(rm: i32): u32 { return 0xe12fff30 | <u32>rm; }
export const SVC0: u32 = 0xef000000;
export const NOP: u32 = 0xe1a00000; // mov r0, r0

/** An unconditional instruction word made conditional: `word` executes only when cond holds. */
@inline export function when(cond: u32, word: u32): u32 { return (word & 0x0fffffff) | (cond << 28); }
