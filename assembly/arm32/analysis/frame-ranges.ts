// Accesses to a table in the program's own frame through an index whose range is known: clang -O2 keeps RC4's
// `u8 S[256]` on the stack and reaches S[(a + b) & 0xff] as `r5 = r10; r5 += -256; w0 &= 0xff; r5 += r0;
// r0 = *(u8 *)(r5 + 0)`. Checked like any access, each costs a compare with the region cache (and the cache then
// no longer holds the input's region). When the address lies in [r10 - STACK_SIZE, r10) whatever the index holds,
// the access is in the frame, which is always allowed: it needs no check, as an access through r10 at a constant
// offset does not, in the ordinary code and in loop copies alike (the proof is about eBPF values, which both
// compute).
//
// A forward analysis over the blocks (translate.ts F_LEADER), per register either an unsigned value in [lo, hi]
// (below 2^32: a zero-extending load, a 32-bit result, an `and` with a constant or with a register in a range, a
// right shift, a left shift, add, multiply or modulo that stays in range, a constant) or r10 + [lo, hi] (r10 moved,
// plus or minus constants and registers in a range), else nothing known. At a block reached several ways the
// ranges are joined (their hull; different kinds: nothing known); a block whose state keeps growing (a counter
// around a loop) forgets the registers that grow. A subprogram's or program's entry knows nothing but r10 (its own
// frame: the relation `rn = r10 + k` holds whatever frame r10 names, and a call returns to the same r10 with r6-r9
// kept), a call forgets r0-r5 (a helper writes r0, a callee any of them), an atomic the register it writes. Where a
// function may be entered through a handle (bpf_loop, for_each_map_elem, callx: mapvalue.ts enteredByHandle), at
// any instruction the handle names, nothing is proven.
//
// Results, per instruction (Context.frames, computed once before the measuring pass: noteChecks already reads
// them): FRAME_ACCESS on a load or store (not an atomic) through a register other than r10 whose whole span lies in
// the frame; FRAME_SUM on a 64-bit ADD whose result is r10 + [lo, hi] inside [-STACK_SIZE, 0]: a frame address,
// below 2^32 (r10 is at least STACK_SIZE), so the 32-bit add computes it (jit/copies.ts addressAdd).

import { Context, F_FUNC, F_LEADER, F_PROG } from "../jit/context";
import { enteredByHandle } from "../jit/mapvalue";
import { dstAt, immAt, offAt, opAt, srcAt } from "./fields";
import { sizeBytes } from "./loops";
import {
  ALU_ADD, ALU_AND, ALU_ARSH, ALU_DIV, ALU_END, ALU_LSH, ALU_MOD, ALU_MOV, ALU_MUL, ALU_OR, ALU_RSH, ALU_SUB,
  ALU_XOR, ATOMIC_CMPXCHG, ATOMIC_FETCH, CLS_ALU, CLS_ALU64, CLS_JMP, CLS_JMP32, CLS_LD, CLS_LDX, CLS_ST, CLS_STX,
  JMP_CALL, JMP_EXIT, MODE_ATOMIC, MODE_MEM, SRC_X, STACK_SIZE, SZ_B, SZ_DW, SZ_H, SZ_W,
} from "../../isa";

export const FRAME_ACCESS: u8 = 1;
export const FRAME_SUM: u8 = 2;

/** Whether the load or store at i lies in the program's own frame whatever its registers hold (see above). */
@inline export function frameAccess(c: Context, i: i32): bool {
  return (load<u8>(c.frames + <usize>i) & FRAME_ACCESS) != 0;
}

/** Whether the 64-bit ADD at i computes a frame address, below 2^32 (see above). */
@inline export function frameSum(c: Context, i: i32): bool { return (load<u8>(c.frames + <usize>i) & FRAME_SUM) != 0; }

const NONE: u8 = 0;
const RANGE: u8 = 1; // an unsigned value in [lo, hi], below 2^32 (stored as u32)
const FRAME: u8 = 2; // r10 + [lo, hi] (stored as i32)
const U32_MAX: i64 = 0xffffffff;
const LIMIT: i64 = 0x7fffffff; // r10's offsets stay within +-2^31
const GROWTHS: u8 = 8; // joins that widen a block's state before registers that still grow are forgotten

// A state: kinds (u8 per register, r0-r10), then two flags, then lo and hi (32 bits per register each)
const KINDS = 0;
const REACHED = 11;
const GROWN = 12;
const LO = 16;
const HI = LO + 44;
const STATE = 112;
const UNSEEN: i32 = -1; // slotOf: not a leader

// The working memory, from Context.spare (free while measuring): the current state, a state per leader, then the
// leader's slot per instruction
let cur: usize = 0;
let slots: usize = 0;
let slotTable: usize = 0;

@inline function kindOf(s: usize, r: i32): u8 { return load<u8>(s + KINDS + <usize>r); }
@inline function loOf(s: usize, r: i32): i64 {
  return kindOf(s, r) == RANGE ? <i64>load<u32>(s + LO + (<usize>r << 2)) : <i64>load<i32>(s + LO + (<usize>r << 2));
}
@inline function hiOf(s: usize, r: i32): i64 {
  return kindOf(s, r) == RANGE ? <i64>load<u32>(s + HI + (<usize>r << 2)) : <i64>load<i32>(s + HI + (<usize>r << 2));
}

/** rn = kind [lo, hi], or nothing known where the bounds do not fit the kind. */
function set(s: usize, r: i32, kind: u8, lo: i64, hi: i64): void {
  if (r >= 10) return; // r10 is read-only (the verifier refuses writes)
  if (kind == RANGE && (lo < 0 || hi > U32_MAX || lo > hi)) kind = NONE;
  if (kind == FRAME && (lo < -LIMIT || hi > LIMIT || lo > hi)) kind = NONE;
  store<u8>(s + KINDS + <usize>r, kind);
  store<u32>(s + LO + (<usize>r << 2), kind == NONE ? 0 : <u32>lo);
  store<u32>(s + HI + (<usize>r << 2), kind == NONE ? 0 : <u32>hi);
}

@inline function forget(s: usize, r: i32): void { set(s, r, NONE, 0, 0); }

/** Nothing known but r10, the frame pointer: a subprogram's or program's entry. */
function unknown(s: usize): void {
  memory.fill(s, 0, STATE);
  store<u8>(s + KINDS + 10, FRAME);
  store<u8>(s + REACHED, 1);
}

@inline function slotAt(c: Context, i: i32): i32 { return load<i32>(slotTable + (<usize>i << 2)); }
@inline function slot(k: i32): usize { return slots + <usize>k * STATE; }

/** Fills Context.frames for the program (its leaders marked: translate.ts analyse). */
export function markFrameRanges(c: Context): void {
  memory.fill(c.frames, 0, <usize>c.count);
  if (c.count == 0 || enteredByHandle(c)) return;
  let leaders = 0;
  for (let i = 0; i < c.count; i++) if ((load<u8>(c.flags + <usize>i) & F_LEADER) != 0) leaders++;
  cur = (c.spare + 15) & ~15;
  slots = cur + STATE;
  slotTable = slots + <usize>leaders * STATE;
  const end = slotTable + (<usize>c.count << 2);
  const have = <usize>memory.size() << 16;
  if (end > have) memory.grow(<i32>((end - have + 0xffff) >> 16));
  let n = 0;
  for (let i = 0; i < c.count; i++) {
    const f = load<u8>(c.flags + <usize>i);
    if ((f & F_LEADER) == 0) {
      store<i32>(slotTable + (<usize>i << 2), UNSEEN);
      continue;
    }
    store<i32>(slotTable + (<usize>i << 2), n);
    if ((f & (F_FUNC | F_PROG)) != 0) unknown(slot(n));
    else memory.fill(slot(n), 0, STATE); // not reached yet
    n++;
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = 0; b < c.count; b++) {
      const k = slotAt(c, b);
      if (k == UNSEEN || load<u8>(slot(k) + REACHED) == 0) continue;
      changed = walk(c, b, false) || changed;
    }
  }
  for (let b = 0; b < c.count; b++) {
    const k = slotAt(c, b);
    if (k != UNSEEN && load<u8>(slot(k) + REACHED) != 0) walk(c, b, true);
  }
}

/** The block at leader b from its state: its effect joined into its successors' (true when one changed), or marked. */
function walk(c: Context, b: i32, marking: bool): bool {
  memory.copy(cur, slot(slotAt(c, b)), STATE);
  let i = b;
  let last = b;
  do {
    last = i;
    if (marking) markAccess(c, i);
    step(c, i);
    if (marking) markSum(c, i);
    i += opAt(c, i) == 0x18 ? 2 : 1;
  } while (i < c.count && slotAt(c, i) == UNSEEN);
  if (marking) return false;
  const op = opAt(c, last);
  const cls = op & 7;
  let changed = false;
  if (cls == CLS_JMP || cls == CLS_JMP32) {
    const code = op & 0xf0;
    if (code == JMP_EXIT) return false;
    if (code == 0x00) return join(c, cls == CLS_JMP32 ? last + 1 + immAt(c, last) : last + 1 + offAt(c, last)); // ja
    if (code != JMP_CALL) changed = join(c, last + 1 + offAt(c, last));
  }
  const fell = join(c, i);
  return fell || changed;
}

/** Joins the current state into the state of leader t. */
function join(c: Context, t: i32): bool {
  if (t < 0 || t >= c.count) return false;
  const k = slotAt(c, t);
  if (k == UNSEEN) return false; // (translate.ts marks every jump target and fall-through after a jump)
  const s = slot(k);
  if (load<u8>(s + REACHED) == 0) {
    memory.copy(s, cur, STATE);
    return true;
  }
  let changed = false;
  let grown = false;
  for (let r = 0; r < 10; r++) {
    const a = kindOf(s, r);
    if (a == NONE) continue;
    if (kindOf(cur, r) != a) {
      forget(s, r);
      changed = true;
      continue;
    }
    const lo = min(loOf(s, r), loOf(cur, r)), hi = max(hiOf(s, r), hiOf(cur, r));
    if (lo == loOf(s, r) && hi == hiOf(s, r)) continue;
    // a range that keeps growing (a counter around a loop) is forgotten once the block has grown GROWTHS times
    if (load<u8>(s + GROWN) >= GROWTHS) forget(s, r);
    else set(s, r, a, lo, hi);
    changed = true;
    grown = true;
  }
  if (grown && load<u8>(s + GROWN) < GROWTHS) store<u8>(s + GROWN, load<u8>(s + GROWN) + 1);
  return changed;
}

/** Marks the access at i when its base's range keeps its whole span in the frame. */
function markAccess(c: Context, i: i32): void {
  const op = opAt(c, i);
  const cls = op & 7;
  const mode = op & 0xe0;
  if (!(cls == CLS_LDX || ((cls == CLS_ST || cls == CLS_STX) && mode == MODE_MEM))) return;
  const base = cls == CLS_LDX ? srcAt(c, i) : dstAt(c, i);
  if (base >= 10 || kindOf(cur, base) != FRAME) return;
  const off = <i64>offAt(c, i);
  if (loOf(cur, base) + off >= -STACK_SIZE && hiOf(cur, base) + off + <i64>sizeBytes(op & 0x18) <= 0) {
    store<u8>(c.frames + <usize>i, load<u8>(c.frames + <usize>i) | FRAME_ACCESS);
  }
}

/** Marks the 64-bit ADD at i (after its step) when its result is a frame address. */
function markSum(c: Context, i: i32): void {
  if ((opAt(c, i) & ~SRC_X) != (CLS_ALU64 | ALU_ADD) || offAt(c, i) != 0) return;
  const d = dstAt(c, i);
  if (d < 10 && kindOf(cur, d) == FRAME && loOf(cur, d) >= -STACK_SIZE && hiOf(cur, d) <= 0) {
    store<u8>(c.frames + <usize>i, load<u8>(c.frames + <usize>i) | FRAME_SUM);
  }
}

/** The effect of instruction i on the current state. */
function step(c: Context, i: i32): void {
  const op = opAt(c, i);
  const cls = op & 7;
  const d = dstAt(c, i);
  if (cls == CLS_ALU64 || cls == CLS_ALU) {
    alu(c, i, op, cls == CLS_ALU64, d);
    return;
  }
  if (cls == CLS_LDX) {
    const sz = op & 0x18;
    if ((op & 0xe0) != MODE_MEM || sz == SZ_DW) forget(cur, d); // sign-extending loads: any 64-bit value
    else set(cur, d, RANGE, 0, sz == SZ_B ? 0xff : sz == SZ_H ? 0xffff : U32_MAX);
    return;
  }
  if (cls == CLS_STX && (op & 0xe0) == MODE_ATOMIC) {
    const imm = immAt(c, i);
    if (imm == ATOMIC_CMPXCHG) forget(cur, 0);
    else if (imm & ATOMIC_FETCH) forget(cur, srcAt(c, i));
    return;
  }
  if (cls == CLS_LD) {
    if (op == 0x18) {
      const v = (<u64><u32>immAt(c, i + 1) << 32) | <u64><u32>immAt(c, i);
      if (srcAt(c, i) == 0 && v <= <u64>U32_MAX) set(cur, d, RANGE, <i64>v, <i64>v);
      else forget(cur, d);
      return;
    }
    for (let r = 0; r <= 5; r++) forget(cur, r); // packet loads
    return;
  }
  if ((cls == CLS_JMP || cls == CLS_JMP32) && (op & 0xf0) == JMP_CALL) {
    for (let r = 0; r <= 5; r++) forget(cur, r);
  }
  // ST, STX and the other jumps write no register
}

/** An ALU instruction (`wide`: ALU64) into d. */
function alu(c: Context, i: i32, op: u32, wide: bool, d: i32): void {
  const code = op & 0xf0;
  const x = (op & SRC_X) != 0;
  const s = srcAt(c, i);
  const off = offAt(c, i);
  const imm = <i64>immAt(c, i);
  const dk = kindOf(cur, d);
  const dlo = loOf(cur, d), dhi = hiOf(cur, d);
  const sk = x ? kindOf(cur, s) : RANGE;
  // the operand: a register, or the immediate (sign-extended to 64 bits, in 32-bit operations its low 32 bits)
  const k32: i64 = <i64><u32>immAt(c, i);
  const slo = x ? loOf(cur, s) : wide ? imm : k32, shi = x ? hiOf(cur, s) : wide ? imm : k32;
  const sRange = x ? sk == RANGE : wide ? imm >= 0 : true;
  const dRange = dk == RANGE;
  let kind = NONE;
  let lo: i64 = 0, hi: i64 = 0;
  switch (code) {
    case ALU_MOV: {
      if (off != 0) {
        // sign extension of a value whose sign bit is 0 changes nothing
        if (x && sk == RANGE && shi < (<i64>1 << (off - 1))) { kind = RANGE; lo = slo; hi = shi; }
      } else if (!x) { kind = RANGE; lo = slo; hi = shi; } // (a negative 64-bit constant: nothing)
      else if (sk == RANGE || (wide && sk == FRAME)) { kind = sk; lo = slo; hi = shi; }
      break;
    }
    case ALU_ADD: case ALU_SUB: {
      const sub = code == ALU_SUB;
      if (!x) {
        // a constant: exact while the result stays in the kind's bounds (no wrap in 64 bits, nor in 32)
        const add = sub ? -imm : imm;
        if (dRange || (wide && dk == FRAME)) { kind = dk; lo = dlo + add; hi = dhi + add; }
      } else if (!sub && wide && ((dk == FRAME && sk == RANGE) || (dRange && sk == FRAME))) {
        kind = FRAME; lo = dlo + slo; hi = dhi + shi;
      } else if (sub && wide && dk == FRAME && sk == RANGE) {
        kind = FRAME; lo = dlo - shi; hi = dhi - slo;
      } else if (dRange && sk == RANGE) {
        kind = RANGE; lo = sub ? dlo - shi : dlo + slo; hi = sub ? dhi - slo : dhi + shi;
      }
      break;
    }
    case ALU_AND: {
      // no more than either operand that is a range (a negative 64-bit mask clears bits of d alone)
      if (sRange || dRange) {
        kind = RANGE;
        hi = sRange && dRange ? min(shi, dhi) : sRange ? shi : dhi;
      }
      break;
    }
    case ALU_OR: case ALU_XOR: {
      if (sRange && dRange) { kind = RANGE; hi = below(max(shi, dhi)); }
      break;
    }
    case ALU_LSH: {
      if (!x && dRange && (imm & 63) < 32) { kind = RANGE; lo = dlo << (imm & 63); hi = dhi << (imm & 63); }
      break;
    }
    case ALU_RSH: case ALU_ARSH: {
      // (an arithmetic shift of a range below 2^31, whose sign bit is 0 in 32 bits and in 64, is a logical one)
      const n = imm & (wide ? 63 : 31);
      if (!x && dRange && (code == ALU_RSH || dhi <= LIMIT)) { kind = RANGE; lo = dlo >> n; hi = dhi >> n; }
      else if (!x && code == ALU_RSH && n > 0) { kind = RANGE; hi = (wide ? <i64>-1 >>> n : U32_MAX >> n); }
      else if (x && dRange && code == ALU_RSH) { kind = RANGE; hi = dhi; }
      if (hi > U32_MAX) kind = NONE;
      break;
    }
    case ALU_MUL: {
      if (dRange && sRange && (shi == 0 || dhi <= U32_MAX / shi)) { kind = RANGE; lo = dlo * slo; hi = dhi * shi; }
      break;
    }
    case ALU_DIV: case ALU_MOD: {
      if (off != 0) break; // signed
      // unsigned: no larger than the dividend (x / 0 = 0, x % 0 = x); a remainder below a divisor at least 1
      if (dRange) { kind = RANGE; hi = dhi; }
      if (code == ALU_MOD && sRange && slo >= 1) { kind = RANGE; hi = dRange ? min(dhi, shi - 1) : shi - 1; }
      break;
    }
    case ALU_END: {
      // 16 bits: truncated, swapped or not; a 32-bit value to little-endian: unchanged
      if (imm == 16) { kind = RANGE; hi = 0xffff; }
      else if (!wide && !x && imm == 32 && dRange) { kind = RANGE; lo = dlo; hi = dhi; }
      else if (!wide && imm != 32) {
        // all 64 bits (any other width): to little-endian (this machine's order) changes nothing, to big-endian
        // anything
        if (x) forget(cur, d);
        return;
      }
      break;
    }
  }
  if (!wide) {
    // a 32-bit result is the low word zero-extended: exact when the computed range stays below 2^32
    if (kind != RANGE || lo < 0 || hi > U32_MAX) { kind = RANGE; lo = 0; hi = U32_MAX; }
  }
  set(cur, d, kind, lo, hi);
}

/** 2^w - 1 for the smallest w with v < 2^w: an OR or XOR of values up to v stays there. */
function below(v: i64): i64 { return v <= 0 ? 0 : <i64>(<u64>-1 >>> <u64>clz<u64>(<u64>v)); }
