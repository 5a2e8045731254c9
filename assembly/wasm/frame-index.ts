// Accesses to a stack array through an index whose range is known (translate.ts: proven): clang -O2 keeps
// `u32 hist[64]; hist[data[i] >> 2]++` on the frame and reaches it as r10 - 256 + ((byte << 2) & 0xfc). Checked like
// any access, each costs a compare with the region cache (and the cache then no longer holds the input's region).
// When the address lies in [r10 - 512, r10) whatever the index, the access is in the frame, which is always
// allowed: it needs no check, as an access through r10 with a constant offset does not.
//
// This file finds them, block by block from each block's start (nothing known there), tracking per register either
// a range [lo, hi] of its unsigned value (a zero-extending load, an `and` with a constant >= 0 or with a register
// in a range, a right shift, a left shift or an add that stays below 2^31, a 32-bit right shift of anything, a
// constant) or r10 + [lo, hi] (r10 moved, plus constants and registers in a range). Any other write forgets it, a
// call forgets r0-r5. It marks the accesses in `proven` (as a versioned loop's copy does for the accesses its test
// covered) and emits nothing.
import { CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_ALU64, CLS_JMP, CLS_JMP32, MODE_ATOMIC, STACK_SIZE } from "../isa";
import { Cfg, insnLen } from "./cfg";
import { written } from "./hoist";

const NONE: u8 = 0;
const RANGE: u8 = 1; // an unsigned value in [lo, hi]
const FRAME: u8 = 2; // r10 + [lo, hi]
const LIMIT: i64 = 0x7fffffff; // a left shift's result, and r10's offsets, stay within 2^31
const U32_MAX: i64 = 0xffffffff; // ranges stay below 2^32: a 32-bit operation's operand is the value

/** Marks in `proven` the accesses of g's blocks whose address lies in the frame whatever the indexes hold. */
export function markFrameIndexed(code: usize, g: Cfg, proven: StaticArray<u8>): void {
  const kind = new StaticArray<u8>(11);
  const lo = new StaticArray<i64>(11);
  const hi = new StaticArray<i64>(11);
  for (let x = 0; x < g.n; x++) {
    for (let r = 0; r < 10; r++) kind[r] = NONE;
    kind[10] = FRAME; lo[10] = 0; hi[10] = 0;
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) {
      const p = code + (<usize>pc << 3);
      const op = <u32>load<u8>(p);
      const dst = <i32>(load<u8>(p, 1) & 0xf), src = <i32>(load<u8>(p, 1) >> 4);
      const off = <i64>load<i16>(p, 2), imm = <i64>load<i32>(p, 4);
      const cls = op & 7;
      const access = cls == CLS_LDX || (cls == CLS_ST || cls == CLS_STX) && (op & 0xe0) != MODE_ATOMIC;
      if (access) {
        const base = cls == CLS_LDX ? src : dst;
        const size = <i64>(1 << ((0x3012 >> (((op >> 3) & 3) << 2)) & 0xf)); // W, H, B, DW: 4, 2, 1, 8
        if (base < 10 && kind[base] == FRAME && lo[base] + off >= -STACK_SIZE && hi[base] + off + size <= 0) {
          proven[pc] = 1;
        }
      }
      const w = written(code, pc);
      if (w == 0) continue;
      if (w < 0) { for (let r = 0; r <= 5; r++) kind[r] = NONE; continue; } // a call
      if (dst > 9 || (w & ~(1 << dst)) != 0) { for (let r = 0; r < 10; r++) if ((w >> r & 1) != 0) kind[r] = NONE; continue; }
      let k = NONE, a: i64 = 0, b: i64 = 0;
      const x64 = cls == CLS_ALU64, aop = op & 0xf0, reg = (op & 8) != 0;
      const sk = reg && src <= 10 ? kind[src] : NONE, slo = sk != NONE ? lo[src] : 0, shi = sk != NONE ? hi[src] : 0;
      const dk = kind[dst], dlo = lo[dst], dhi = hi[dst];
      if (cls == CLS_LDX && (op & 0xe0) == 0x60 && op != 0x79) { // ldxb, ldxh, ldxw: zero-extended
        k = RANGE; b = op == 0x71 ? 0xff : op == 0x69 ? 0xffff : U32_MAX;
      } else if (cls == CLS_ALU || cls == CLS_ALU64) {
        if (aop == 0xb0 && off == 0) { // mov
          if (!reg) { if (imm >= 0) { k = RANGE; a = imm; b = imm; } }
          else if (x64 || sk == RANGE) { k = sk; a = slo; b = shi; } // (a range stays below 2^32)
        } else if (aop == 0x50) { // and
          if (!reg && imm >= 0) { k = RANGE; b = imm; }
          else if (reg && sk == RANGE) { k = RANGE; b = shi; }
        } else if (aop == 0x70 && !reg && imm > 0 && imm < <i64>(x64 ? 64 : 32)) { // rsh
          if (dk == RANGE) { k = RANGE; a = dlo >> imm; b = dhi >> imm; }
          else if (!x64) { k = RANGE; b = U32_MAX >> imm; }
        } else if (aop == 0x60 && !reg && dk == RANGE && imm < 32 && (dhi << imm) <= LIMIT) { // lsh
          k = RANGE; a = dlo << imm; b = dhi << imm;
        } else if (aop == 0x90 && !reg && off == 0 && imm > 0) { // mod (unsigned)
          k = RANGE; b = imm - 1;
        } else if ((aop == 0x00 || aop == 0x10) && x64) { // add, sub
          const s = aop == 0x10;
          if (!reg) {
            const c = s ? -imm : imm;
            if (dk == FRAME || dk == RANGE && dlo + c >= 0) { k = dk; a = dlo + c; b = dhi + c; }
          } else if (!s && (dk == FRAME && sk == RANGE || dk == RANGE && (sk == RANGE || sk == FRAME))) {
            k = dk == FRAME || sk == FRAME ? FRAME : RANGE; a = dlo + slo; b = dhi + shi;
          }
        }
      }
      if (k == RANGE && b > U32_MAX || k == FRAME && (a < -LIMIT || b > LIMIT)) k = NONE;
      kind[dst] = k; lo[dst] = a; hi[dst] = b;
    }
  }
}
