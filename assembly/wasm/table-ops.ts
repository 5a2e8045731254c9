// What the byte tables of code (inline-lookup.ts, inline-hash.ts) are written in: the opcodes as bytes, the locals
// of a translated function they use (translate.ts numbers them: its L_* and regLocal), and the LEB128 bytes of a
// constant, computed where the table is compiled. A table of bytes costs the translator a fraction of the code that
// would emit the same instructions one call at a time.
import {
  T_VOID, W_BLOCK, W_LOOP, W_IF, W_ELSE, W_END, W_BR, W_BR_IF, W_CALL, W_SELECT, W_LOCAL_GET, W_LOCAL_SET,
  W_LOCAL_TEE, W_I32_LOAD, W_I32_LOAD8_U, W_I64_LOAD, W_I64_LOAD32_U, W_I32_STORE, W_PREFIX_FC, W_FC_MEMORY_COPY,
  W_FC_MEMORY_FILL, W_I32_CONST, W_I64_CONST, W_I32_EQZ, W_I32_EQ, W_I32_NE, W_I32_LT_U, W_I32_GT_U, W_I32_GE_U,
  W_I32_CLZ, W_I32_ADD, W_I32_SUB, W_I32_MUL, W_I32_AND, W_I32_OR, W_I32_XOR, W_I32_SHL, W_I32_SHR_U, W_I32_ROTL,
  W_I64_NE, W_I64_LT_U, W_I64_GT_U, W_I64_ADD, W_I64_SUB, W_I64_MUL, W_I64_XOR, W_I64_SHL, W_I64_SHR_U,
  W_I32_WRAP_I64, W_I64_EXTEND_I32_U,
} from "./emitter";
import { L_FP, L_R0, L_T2, L_TI, L_MAP, L_VALUE } from "./locals";

// Locals of a translated function (locals.ts): r0..r4, fp, k (L_T2, an i64 scratch), d (L_TI, an i32 scratch: a
// map descriptor's address), the seven i32 locals from MAP_SCRATCH on and value (L_VALUE, values.ts). Each is one
// LEB128 byte (below 128).
export const R1: u8 = 0; // regLocal(1): r1..r5 are the first parameters
export const R2: u8 = 1;
export const R3: u8 = 2;
export const R4: u8 = 3;
export const FP: u8 = <u8>L_FP;
export const R0: u8 = <u8>L_R0;
export const K: u8 = <u8>L_T2;
export const D: u8 = <u8>L_TI;
export const MAP_SCRATCH: u8 = <u8>L_MAP;
export const VALUE: u8 = <u8>L_VALUE;

export const VOID: u8 = <u8>T_VOID;
export const BLOCK: u8 = <u8>W_BLOCK;
export const LOOP: u8 = <u8>W_LOOP;
export const IF: u8 = <u8>W_IF;
export const ELSE: u8 = <u8>W_ELSE;
export const END: u8 = <u8>W_END;
export const BR: u8 = <u8>W_BR;
export const BR_IF: u8 = <u8>W_BR_IF;
export const CALL: u8 = <u8>W_CALL;
export const SELECT: u8 = <u8>W_SELECT;
export const GET: u8 = <u8>W_LOCAL_GET;
export const SET: u8 = <u8>W_LOCAL_SET;
export const TEE: u8 = <u8>W_LOCAL_TEE;
export const LOAD: u8 = <u8>W_I32_LOAD;
export const LOAD8: u8 = <u8>W_I32_LOAD8_U;
export const LOAD64: u8 = <u8>W_I64_LOAD;
export const LOAD64_32: u8 = <u8>W_I64_LOAD32_U;
export const STORE: u8 = <u8>W_I32_STORE;
export const FC: u8 = <u8>W_PREFIX_FC;
export const COPY: u8 = <u8>W_FC_MEMORY_COPY;
export const FILL: u8 = <u8>W_FC_MEMORY_FILL;
export const CONST: u8 = <u8>W_I32_CONST;
export const CONST64: u8 = <u8>W_I64_CONST;
export const EQZ: u8 = <u8>W_I32_EQZ;
export const EQ: u8 = <u8>W_I32_EQ;
export const NE: u8 = <u8>W_I32_NE;
export const LT_U: u8 = <u8>W_I32_LT_U;
export const GT_U: u8 = <u8>W_I32_GT_U;
export const GE_U: u8 = <u8>W_I32_GE_U;
export const CLZ: u8 = <u8>W_I32_CLZ;
export const ADD: u8 = <u8>W_I32_ADD;
export const SUB: u8 = <u8>W_I32_SUB;
export const MUL: u8 = <u8>W_I32_MUL;
export const AND: u8 = <u8>W_I32_AND;
export const OR: u8 = <u8>W_I32_OR;
export const XOR: u8 = <u8>W_I32_XOR;
export const SHL: u8 = <u8>W_I32_SHL;
export const SHR_U: u8 = <u8>W_I32_SHR_U;
export const ROTL: u8 = <u8>W_I32_ROTL;
export const NE64: u8 = <u8>W_I64_NE;
export const LT_U64: u8 = <u8>W_I64_LT_U;
export const GT_U64: u8 = <u8>W_I64_GT_U;
export const ADD64: u8 = <u8>W_I64_ADD;
export const SUB64: u8 = <u8>W_I64_SUB;
export const MUL64: u8 = <u8>W_I64_MUL;
export const XOR64: u8 = <u8>W_I64_XOR;
export const SHL64: u8 = <u8>W_I64_SHL;
export const SHR_U64: u8 = <u8>W_I64_SHR_U;
export const WRAP: u8 = <u8>W_I32_WRAP_I64;
export const EXTEND_U: u8 = <u8>W_I64_EXTEND_I32_U;
