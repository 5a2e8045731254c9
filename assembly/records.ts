// The layout of the interpreter's pre-decoded records (decode.ts describes each field) and their handler indices:
// untyped integer constants only, which both AssemblyScript and TypeScript accept, so that the host's tests can
// read the records a program was decoded to.

export const RECORD_SIZE = 32;
export const RECORD_SHIFT = 5;
export const R_SIZE = 2;
export const R_EXTRA = 3;
export const R_TARGET = 4;
export const R_IMM = 8;
export const R_A = 16;
export const R_B = 20;
export const R_C = 24; // an add fused with a jump: where the jump's b is read; with a load: the add's dst; an or's dst;
// a mov fused with a jump: where the mov's value is read
export const R_REM = 28;

// Handler indices run from 1 to H_BAD without gaps, and the loop's switch lists them in this order: asc compiles a
// switch into compare-and-branch steps in source order, and Binaryen turns only runs of ordered cases into one
// br_table (a jump table); a gap, two labels on one case, or an index 0 (tested apart, as an if) split the table,
// and each piece costs a compare or a second indirect jump on every instruction.
//
// ALU64: H_ALU64 + 2 * (operation >> 4), ALU: H_ALU32 + 2 * (operation >> 4), in ISA order (add sub mul div or
// and lsh rsh neg mod xor mov arsh end). The index just below each is the fused mov + operation (for those in
// FUSABLE; for the others an index with no record): the loop's case for it counts the mov and falls into the
// operation's own case.
export const H_ALU64 = 2;
export const H_MOVSX64 = 29;
export const H_MOVSX32 = 30;
export const H_ALU32 = 32;
// Conditional jumps: H_JMP64 + 2 * (operation >> 4) and H_JMP32 + (operation >> 4), jeq .. jsle. The index just
// below each 64-bit one is an add (or sub of an immediate) on rA fused with the jump on rA after it, a loop's
// counter and test (fuseAddJump); the loop's case for it does the add and falls into the jump's case.
export const H_JMP64 = 60;
export const H_JMP32 = 87;
// Operations that share no arithmetic with their neighbours, in the slots of the jumps that do not exist.
export const H_JA = 60; // ja and gotol (JMP_JA has no condition, so the slot is free)
export const H_CALL_LOCAL = 76; // the slot of JMP_CALL
export const H_EXIT = 78; // the slot of JMP_EXIT
export const H_LDDW = 87; // the slot of JMP32's ja (gotol is H_JA)
export const H_HELPER = 95; // JMP32's call; callx (b is then dst) and bpf_tail_call too, the loop tells it by id
export const H_ATOMIC = 96; // JMP32's exit; byte 2: the size
// Loads: H_LDX + 3 * size index (W H B DW = 0..3). The two indices just below each are the load fused with the
// 64-bit add that computes its address (- 1) and with a mov and that add (- 2) (fuseAddLoad): their cases do the
// add and fall into the load's own case.
export const H_LDX = 103;
export const H_LDXSX = 113; // + size index (W H B)
export const H_ST = 116; // + size index; ST takes the immediate, STX the register
export const H_LD_PACKET = 120; // LD_ABS and LD_IND (byte 2: 1 for LD_IND), t: the size
export const H_LDXB_LSH = 121; // a byte load and a shift of it by an immediate (fuseByteShift)
// The same and a 64-bit (32-bit) or of the shifted byte into another register after them (fuseByteShift).
export const H_LDXB_LSH_OR64 = 122;
export const H_LDXB_LSH_OR32 = 123;
// A shift left and an arithmetic shift right of one register by immediates (fuseShiftPair), 64- then 32-bit;
// the index just below each is the same with a mov in front, whose case steps over one more record.
export const H_LSH_ARSH64 = 125;
export const H_LSH_ARSH32 = 127;
// A mov and the conditional jump after it, how compiled C copies a value into the register a branch's other arm
// expects (fuseMovJump): H_MOV_JMP64 + j for the 64-bit jumps, H_MOV_JMP32 + j for the 32-bit ones, j the jump's
// rank among jeq jgt jge jne jsgt jlt jle jslt (0..7; jset, jsge and jsle stay apart, each fused case costing the
// tiny core a byte of its budget, fusion.ts). The record's a and b are the jump's, its dst and R_C the mov's
// (R_SIZE: 1 when the mov is 32-bit from a register, whose value is then truncated).
export const H_MOV_JMP64 = 128;
export const H_MOV_JMP32 = 136;
export const H_MOV_JA = 144; // the same with ja (or gotol) after the mov
export const H_BAD = 145;
