// Map value pointers known from the data flow (translate.ts: checked). clang -O2 code reads and writes a map value
// right after its lookup: `call bpf_map_lookup_elem; if r0 == 0 goto out; *(u64 *)(r0 + 0) += 1`. Checked like any
// access, that costs a compare with the region cache that waits for the lookup's own loads. When the lookup was
// done inline (inline-lookup.ts) on an array or a hash map, the translated code knows the value's size at run time
// (local L_VALUE: the size of the value r0 points at; 0 when the lookup went another way or programs may not write
// the map), and r0, when not null, points at a whole value inside the map's arena, one region of the table
// (maps/common.ts: allocArena). An access [r0 + off, r0 + off + size) with 0 <= off and off + size <= L_VALUE then
// lies in that region, as the interpreter's check finds: one compare of a local with a constant, which does not wait
// for the lookup.
//
// This file finds, block by block as they are emitted, the registers that hold such a pointer, not null: those equal
// to r0 after a lookup (moves copy it; any other write, and any call, forgets it), in the block where a test of one
// of them against 0 says it is not null, and in the blocks after it that have no other predecessor. It emits
// nothing.
import { CLS_JMP, CLS_STX, MODE_ATOMIC, ATOMIC_FETCH, ATOMIC_CMPXCHG, CALL_HELPER } from "../isa";
import { Cfg, END_COND, opAt, immAt } from "./cfg";
import { written } from "./hoist";

const HELPER_LOOKUP_ELEM: i32 = 1;
const MOV64_X: u32 = 0xbf;
const JEQ_K: u32 = 0x15; // if dst == imm goto
const JNE_K: u32 = 0x55; // if dst != imm goto

/** A state: the registers equal to the last lookup's result (bits 0..9), and bit 15 when that is not null. */
export const NOT_NULL: i32 = 1 << 15;

/**
 * After block x of function graph `g`, in state `s`: passes the state on to each successor that x is the only
 * predecessor of (`into`, per block: the state it starts with; 0, nothing known, for the others), with a test
 * against 0 of a pointer that may be null telling which way it is not.
 */
export function leaveBlock(code: usize, g: Cfg, x: i32, s: i32, into: StaticArray<i32>): void {
  const last = g.last[x];
  let s0 = s, s1 = s;
  const cond = g.kind[x] == END_COND;
  if (cond && (s >> (<i32>load<u8>(code + (<usize>last << 3), 1) & 0xf) & 1) != 0 && immAt(code, last) == 0) {
    const op = opAt(code, last);
    if (op == JEQ_K) { s0 = 0; s1 = s | NOT_NULL; } // taken: null; not taken: not null
    else if (op == JNE_K) { s0 = s | NOT_NULL; s1 = 0; }
  }
  // A block takes the state of the edge into it when that is its only one (no merge, no loop back to it).
  let y = g.succ0[x];
  if (y > x && !g.merge[y] && !g.loopHeader[y]) into[y] = s0;
  y = cond ? g.succ1[x] : -1;
  if (y > x && !g.merge[y] && !g.loopHeader[y]) into[y] = s1;
}

/** The state after instruction `pc`. */
export function step(code: usize, pc: i32, s: i32): i32 {
  const op = opAt(code, pc);
  const regs = <i32>load<u8>(code + (<usize>pc << 3), 1);
  if ((op & 7) == CLS_JMP && (op & 0xf0) == 0x80) { // a call: a lookup's r0 is a new value, anything else forgets
    const lookup = op == 0x85 && (regs >> 4) == CALL_HELPER && immAt(code, pc) == HELPER_LOOKUP_ELEM;
    return lookup ? 1 : 0;
  }
  const dst = regs & 0xf, src = regs >> 4;
  if (op == MOV64_X) return (s & (1 << src)) != 0 ? s | (1 << dst) : s & ~(1 << dst);
  if ((op & 7) == CLS_STX && (op & 0xe0) == MODE_ATOMIC) { // `lock add` writes no register (hoist.ts's written: r0)
    const imm = immAt(code, pc);
    if (imm == ATOMIC_CMPXCHG) return s & ~1;
    return (imm & ATOMIC_FETCH) != 0 ? s & ~(1 << src) : s;
  }
  const w = written(code, pc);
  return w < 0 ? 0 : s & ~w;
}
