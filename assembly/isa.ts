// The eBPF instruction set (RFC 9669), in one place for every engine, the assembler and the disassembler.
//
// This file is compiled twice: by AssemblyScript into the core and by TypeScript into the host. It therefore
// holds only untyped integer constants (i32 in AssemblyScript, number in TypeScript) and nothing else.
//
// An instruction is 8 bytes, little-endian:
//   byte 0: opcode = operation | source-or-size-or-mode | class
//   byte 1: dst register (low nibble), src register (high nibble)
//   bytes 2-3: signed 16-bit offset;  bytes 4-7: signed 32-bit immediate
// lddw (LD | IMM | DW) takes two slots; the second slot's immediate holds the upper 32 bits.

export const INSN_SIZE = 8;
export const MAX_INSNS = 1000000;
export const STACK_SIZE = 512; // bytes per frame
export const MAX_CALL_DEPTH = 8; // frames, the entry frame included
export const MAX_TAIL_CALLS = 33;

// Classes (opcode & 0x07)
export const CLS_LD = 0x00;
export const CLS_LDX = 0x01;
export const CLS_ST = 0x02;
export const CLS_STX = 0x03;
export const CLS_ALU = 0x04;
export const CLS_JMP = 0x05;
export const CLS_JMP32 = 0x06;
export const CLS_ALU64 = 0x07;

// Load/store size (opcode & 0x18)
export const SZ_W = 0x00;
export const SZ_H = 0x08;
export const SZ_B = 0x10;
export const SZ_DW = 0x18;

// Load/store mode (opcode & 0xe0)
export const MODE_IMM = 0x00;
export const MODE_ABS = 0x20;
export const MODE_IND = 0x40;
export const MODE_MEM = 0x60;
export const MODE_MEMSX = 0x80;
export const MODE_ATOMIC = 0xc0;

// ALU and JMP source (opcode & 0x08)
export const SRC_K = 0x00; // immediate
export const SRC_X = 0x08; // register

// ALU operations (opcode & 0xf0)
export const ALU_ADD = 0x00;
export const ALU_SUB = 0x10;
export const ALU_MUL = 0x20;
export const ALU_DIV = 0x30; // offset 1: sdiv
export const ALU_OR = 0x40;
export const ALU_AND = 0x50;
export const ALU_LSH = 0x60;
export const ALU_RSH = 0x70;
export const ALU_NEG = 0x80;
export const ALU_MOD = 0x90; // offset 1: smod
export const ALU_XOR = 0xa0;
export const ALU_MOV = 0xb0; // offset 8/16/32: movsx
export const ALU_ARSH = 0xc0;
export const ALU_END = 0xd0; // ALU: le/be by source bit and imm 16/32/64; ALU64: bswap

// Byte-order source bit of ALU_END in the ALU class
export const END_TO_LE = 0x00;
export const END_TO_BE = 0x08;

// Jump operations (opcode & 0xf0)
export const JMP_JA = 0x00; // JMP32 class: gotol, target in imm
export const JMP_JEQ = 0x10;
export const JMP_JGT = 0x20;
export const JMP_JGE = 0x30;
export const JMP_JSET = 0x40;
export const JMP_JNE = 0x50;
export const JMP_JSGT = 0x60;
export const JMP_JSGE = 0x70;
export const JMP_CALL = 0x80;
export const JMP_EXIT = 0x90;
export const JMP_JLT = 0xa0;
export const JMP_JLE = 0xb0;
export const JMP_JSLT = 0xc0;
export const JMP_JSLE = 0xd0;

// Atomic operations (imm of STX | ATOMIC, sizes W and DW)
export const ATOMIC_ADD = 0x00;
export const ATOMIC_OR = 0x40;
export const ATOMIC_AND = 0x50;
export const ATOMIC_XOR = 0xa0;
export const ATOMIC_FETCH = 0x01;
export const ATOMIC_XCHG = 0xe1; // 0xe0 | FETCH
export const ATOMIC_CMPXCHG = 0xf1; // 0xf0 | FETCH

// Source-register values of CALL
export const CALL_HELPER = 0; // imm = helper id
export const CALL_LOCAL = 1; // imm = pc-relative target (bpf-to-bpf call)
export const CALL_KFUNC = 2; // imm = BTF id of a kernel function (not supported: no kernel)

// The helpers that call back into the program (each callback in a frame of its own): the core runs them
// (helpers.ts), the ARM32 translator emits them (jit/calls.ts) and knows r10 is not fixed where they are called
export const HELPER_FOR_EACH_MAP_ELEM = 164;
export const HELPER_LOOP = 181;

// Source-register values of lddw (pseudo sources, as in the Linux uapi)
export const PSEUDO_IMM64 = 0; // plain 64-bit constant
export const PSEUDO_MAP_FD = 1; // imm = map; result: the map
export const PSEUDO_MAP_VALUE = 2; // imm = map, next imm = offset; result: address of the value
export const PSEUDO_BTF_ID = 3;
export const PSEUDO_FUNC = 4; // imm = pc-relative subprogram; result: the function (for bpf_loop etc.)
export const PSEUDO_MAP_IDX = 5;
export const PSEUDO_MAP_IDX_VALUE = 6;

// Whole opcodes used often enough to deserve names
export const OP_LDDW = 0x18; // LD | IMM | DW
export const OP_CALL = 0x85; // JMP | CALL | K
export const OP_CALLX = 0x8d; // JMP | CALL | X: helper id in dst register
export const OP_EXIT = 0x95; // JMP | EXIT
export const OP_JA = 0x05; // JMP | JA
export const OP_GOTOL = 0x06; // JMP32 | JA: 32-bit offset in imm
