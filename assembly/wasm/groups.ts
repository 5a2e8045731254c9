// Region checks shared by a group of accesses in a basic block (translate.ts: grouped). A header walk reads
// p[12], p[13], p[23], ... off one pointer that does not change in between; checked one by one, each costs a
// compare with the region cache. Instead, one compare per group of their whole span [base + lo, base + end) with
// the cache, at the first of them, picks a copy of the rest of the block without the group's checks.
// This file finds the segment to copy and its groups; it emits nothing.
//
// The segment starts at the first access whose base and kind (load or store: each kind has a cache of its own)
// another access shares with no write to the base in between, and runs to the block's end or to the first call
// (a helper may change the region table). A group is the accesses of one base and kind in the segment whose base
// nothing in the segment wrote before them: the base holds its value from the segment's start. Groups of one access
// gain nothing and stay checked. Accesses that a versioned loop's copy already proves (translate.ts: proven) are
// not grouped, nor stack accesses through r10 that need no check, nor atomics.
import { CLS_LDX, CLS_ST, CLS_STX, MODE_ATOMIC, STACK_SIZE } from "../isa";
import { insnLen } from "./cfg";
import { written } from "./hoist";

export const KEYS: i32 = 22; // base register * 2 + 1 for stores

export class Groups {
  /** The segment, first and last instruction (first -1: none). */
  first: i32 = -1;
  last: i32 = -1;
  /** Per key: the span [lo, end) from the base of its accesses in the segment, and how many they are. */
  lo: StaticArray<i32> = new StaticArray<i32>(KEYS);
  end: StaticArray<i32> = new StaticArray<i32>(KEYS);
  count: StaticArray<i32> = new StaticArray<i32>(KEYS);
  /** Per instruction of the segment: the key of its group, -1 when it is not grouped. */
  member: StaticArray<i8>;
  /** Per key, while looking for the segment: the last access with no write to its base since (+1), else 0. */
  open: StaticArray<i32> = new StaticArray<i32>(KEYS);

  constructor(insns: i32) { this.member = new StaticArray<i8>(insns); }
}

@inline function sizeOf(op: u32): i32 { return 1 << ((0x3012 >> (((op >> 3) & 3) << 2)) & 0xf); } // W, H, B, DW

/** The key of the access at `pc` that a group can take (base * 2 + store), -1 when it is none. */
function keyOf(code: usize, pc: i32, proven: StaticArray<u8>): i32 {
  const q = code + (<usize>pc << 3);
  const op = <u32>load<u8>(q);
  const cls = op & 7;
  const store = cls == CLS_ST || cls == CLS_STX;
  const base = <i32>(cls == CLS_LDX ? load<u8>(q, 1) >> 4 : load<u8>(q, 1) & 0xf);
  const off = <i32>load<i16>(q, 2);
  if (!(cls == CLS_LDX || store && (op & 0xe0) != MODE_ATOMIC) || proven[pc] != 0 || base > 10) return -1;
  if (base == 10 && off >= -STACK_SIZE && off + sizeOf(op) <= 0) return -1; // in the frame: no check
  return base * 2 + (store ? 1 : 0);
}

/** The segment and groups of the instructions [from, to) of one block (`to` not included). */
export function planGroups(p: Groups, code: usize, from: i32, to: i32, proven: StaticArray<u8>): void {
  p.first = -1;
  const open = p.open;
  for (let k = 0; k < KEYS; k++) { open[k] = 0; p.count[k] = 0; }
  for (let pc = from; pc < to && p.first < 0; pc += insnLen(code, pc)) {
    const k = keyOf(code, pc, proven);
    if (k >= 0) {
      if (open[k] > 0) p.first = open[k] - 1;
      open[k] = pc + 1;
    }
    const w = written(code, pc);
    for (let r = 0; r <= 10; r++) if ((w & (1 << r)) != 0) { open[r * 2] = 0; open[r * 2 + 1] = 0; }
  }
  if (p.first < 0) return;
  let changed = 0;
  for (let pc = p.first; pc < to; pc += insnLen(code, pc)) {
    const w = written(code, pc);
    if (w < 0) break; // a call
    const k = keyOf(code, pc, proven);
    p.member[pc] = -1;
    if (k >= 0 && (changed & (1 << (k >> 1))) == 0) {
      const q = code + (<usize>pc << 3);
      const off = <i32>load<i16>(q, 2);
      const end = off + sizeOf(<u32>load<u8>(q));
      if (p.count[k] == 0 || off < p.lo[k]) p.lo[k] = off;
      if (p.count[k] == 0 || end > p.end[k]) p.end[k] = end;
      p.count[k]++;
      p.member[pc] = <i8>k;
    }
    changed |= w;
    p.last = pc;
  }
}
