// The ordinary code's register choice with low words alone: translate.ts allocateRegisters gives three eBPF
// registers an ARM pair each (r4:r5, r6:r7, r8:r9), but a loop that is not versioned (its accesses depend on
// loaded data: a header walk, a lookup per frame) often works on more registers than that, most of them 32-bit
// values whose high words are known to be zero wherever they are used. Such a register gains almost as much from
// one ARM register for its low word, its high word staying in the register file (regs.ts keeps the two words'
// places apart, as in a loop copy, loopregs.ts), so up to six eBPF registers fit in r4-r9 instead of three.
//
// The choice: per register, what keeping its low word in an ARM register saves (allocateRegisters' weighted use
// counts) and what keeping its high word there too saves on top (the weighted loads and stores of a high word not
// known to be zero at that instruction, from the high-word analysis's block states and the value widths); then the
// set that saves the most within six ARM registers (a knapsack over "pair" and "low word only"), taken only when
// it beats the three pairs. How often a high word not known to be zero is really touched the estimate cannot
// tell: of the knapsack's choices counting those accesses fully and by half, the one whose ordinary code is
// smaller, each instruction weighted by its loop depth, wins (the blocks translated without writing anything, as
// the high-word analysis does). Where a frame other than the entry's can run (bpf-to-bpf calls, callx, bpf_loop and
// for_each_map_elem, whose code saves and reloads pairs), the three pairs stay; a 64-bit atomic operation's
// operands (read from the register file where not in a pair) keep both words or neither.

import { R4 } from "../a32/encoder";
import { Context, F_LEADER, dstOf, flagOf, immOf, offOf, opcode, srcOf } from "./context";
import { fixedFrame } from "./regs";
import { ERR_NONE } from "../../../targets/arm32/abi";
import { afterInsn, emitInsn, enterBlock, widthsAt } from "./step";
import {
  ALU_ARSH, ALU_LSH, ALU_MOV, ALU_RSH, ATOMIC_CMPXCHG, CALL_HELPER, CLS_ALU, CLS_ALU64, CLS_JMP, CLS_LD, CLS_LDX, CLS_ST, CLS_STX,
  JMP_CALL, JMP_EXIT, JMP_JA, OP_CALLX, SRC_X,
} from "../../isa";

const SLOTS = 6; // r4-r9
const hiSaves = new StaticArray<i64>(10); // per register: what its high word in an ARM register saves
const best = new StaticArray<i64>(SLOTS + 1); // the knapsack: the best savings within n ARM registers
const pairs = new StaticArray<u32>(SLOTS + 1); // ... its registers kept in pairs
const singles = new StaticArray<u32>(SLOTS + 1); // ... and those kept by their low word alone

/**
 * After the high-word analysis (translate.ts analyseHighWords) of the measuring pass: replaces the three pairs of
 * allocateRegisters with pairs and low-word-only registers where that saves more. `weights` holds each
 * instruction's loop weight (u32 per instruction, allocateRegisters' scratch), c.score the use counts.
 */
export function chooseLowWords(c: Context, weights: usize): void {
  if (!fixedFrame(c)) return;
  const pairOnly = pairsOnly(c);
  countHighUses(c, weights);
  knapsack(c, pairOnly, 0);
  // the three pairs' savings, as allocateRegisters chose them
  let current: i64 = 0;
  for (let r = 0; r < 10; r++) {
    if (unchecked(c.armLo[r]) >= 0) current += unchecked(c.score[r]) + unchecked(hiSaves[r]);
  }
  if (unchecked(best[SLOTS]) <= current) return;
  // The estimate cannot tell how often a high word not known to be zero is really touched: the choice counting
  // those accesses fully and the one counting them by half, whichever emits less code, weighted by loop depth
  // (the ordinary code's: a versioned loop's copy, emitted later, chooses again on its own).
  const fullPairs = unchecked(pairs[SLOTS]);
  const fullSingles = unchecked(singles[SLOTS]);
  knapsack(c, pairOnly, 1);
  const halfPairs = unchecked(pairs[SLOTS]);
  const halfSingles = unchecked(singles[SLOTS]);
  place(c, fullPairs, fullSingles);
  if (halfPairs == fullPairs && halfSingles == fullSingles) return;
  const full = emittedCost(c, weights);
  place(c, halfPairs, halfSingles);
  if (emittedCost(c, weights) >= full) place(c, fullPairs, fullSingles);
}

/** The best pairs and single low words within n ARM registers (n = 0..SLOTS), the high words' savings >> shift. */
function knapsack(c: Context, pairOnly: u32, shift: i32): void {
  for (let n = 0; n <= SLOTS; n++) {
    unchecked(best[n] = 0);
    unchecked(pairs[n] = 0);
    unchecked(singles[n] = 0);
  }
  for (let r = 0; r < 10; r++) {
    const low = unchecked(c.score[r]);
    if (low <= 0) continue;
    const both = low + (unchecked(hiSaves[r]) >> shift);
    const bit = <u32>1 << <u32>r;
    for (let n = SLOTS; n >= 1; n--) {
      // (n - 1 and n - 2 still hold the choice without r: n goes down)
      const single = (pairOnly >> <u32>r) & 1 ? <i64>-1 : unchecked(best[n - 1]) + low;
      const pair = n >= 2 ? unchecked(best[n - 2]) + both : <i64>-1;
      if (pair > unchecked(best[n]) && pair >= single) {
        unchecked(best[n] = pair);
        unchecked(pairs[n] = pairs[n - 2] | bit);
        unchecked(singles[n] = singles[n - 2]);
      } else if (single > unchecked(best[n])) {
        unchecked(best[n] = single);
        unchecked(pairs[n] = pairs[n - 1]);
        unchecked(singles[n] = singles[n - 1] | bit);
      }
    }
  }
}

/** The registers of `p` in pairs from r4:r5 on (even first registers: memory.ts's pair checks), then those of `s`. */
function place(c: Context, p: u32, s: u32): void {
  let next = R4;
  for (let r = 0; r <= 10; r++) {
    unchecked(c.armLo[r] = -1);
    unchecked(c.armHi[r] = -1);
    if ((p >> <u32>r) & 1) {
      unchecked(c.armLo[r] = next);
      unchecked(c.armHi[r] = next + 1);
      next += 2;
    }
  }
  for (let r = 0; r < 10; r++) {
    if (((s >> <u32>r) & 1) == 0) continue;
    unchecked(c.armLo[r] = next);
    next++;
  }
}

/**
 * The ARM instructions of every basic block under the current choice, each weighted by its instruction's loop
 * weight: the blocks translated without writing anything, as analyseHighWords does, from its block states.
 */
function emittedCost(c: Context, weights: usize): i64 {
  const start = c.pos;
  let total: i64 = 0;
  for (let b = 0; b < c.count; b++) {
    if ((flagOf(c, b) & F_LEADER) == 0) continue;
    enterBlock(c, b);
    c.blockStart = c.pos;
    let j = b;
    do {
      c.insnStart = c.pos;
      c.forwardFrom = c.pos;
      c.insnIndex = j;
      const before = c.pos;
      if (!emitInsn(c, j, true)) break;
      afterInsn(c, j);
      total += <i64>((c.pos - before) >> 2) * <i64>load<u32>(weights + (<usize>j << 2));
      j += opcode(c, j) == 0x18 ? 2 : 1;
    } while (j < c.count && (flagOf(c, j) & F_LEADER) == 0);
    c.rewind(start);
  }
  c.errorCode = ERR_NONE;
  return total;
}

/**
 * The registers that must keep both words in ARM registers or neither: a 64-bit atomic operation's operand, and r0
 * where one compares with it (memory.ts reads their words from the register file where they are not in a pair).
 */
function pairsOnly(c: Context): u32 {
  let m: u32 = 0;
  for (let i = 0; i < c.count; i++) {
    const op = opcode(c, i);
    if (op == 0x18) { i++; continue; }
    if (op != 0xdb) continue;
    m |= <u32>1 << <u32>srcOf(c, i);
    if (immOf(c, i) == ATOMIC_CMPXCHG) m |= 1;
  }
  return m;
}

/**
 * hiSaves: per register, the weighted loads and stores of its high word the ordinary code would make with it in
 * the register file, roughly: reads of a high word not known to be zero (64-bit operands, 64-bit comparisons,
 * the bases of checked accesses, 64-bit stores' values), writes of one not known to be zero afterwards, and a
 * zero written where it was not known before; less a helper argument's extra store when kept in ARM registers.
 */
function countHighUses(c: Context, weights: usize): void {
  for (let r = 0; r < 10; r++) unchecked(hiSaves[r] = 0);
  let known: u32 = 0;
  for (let i = 0; i < c.count; i++) {
    const op = opcode(c, i);
    if (flagOf(c, i) & F_LEADER) {
      c.ranges.loadState(widthsAt(c, i));
      known = load<u32>(c.states + (<usize>i << 2)) | c.ranges.highZeroMask();
    }
    const w = <i64>load<u32>(weights + (<usize>i << 2));
    const cls = op & 7;
    const code = op & 0xf0;
    const d = dstOf(c, i);
    const s = srcOf(c, i);
    const x = (op & SRC_X) != 0;
    let writes = false;
    if (cls == CLS_ALU64) {
      if (code != ALU_MOV) read(d, known, w);
      if (x && code != ALU_LSH && code != ALU_RSH && code != ALU_ARSH) read(s, known, w);
      writes = true;
    } else if (cls == CLS_ALU) writes = true;
    else if (cls == CLS_LDX) {
      read(s, known, w);
      writes = true;
    } else if (cls == CLS_STX) {
      read(d, known, w);
      if ((op & 0x18) == 0x18) read(s, known, w); // a 64-bit value
    } else if (cls == CLS_ST) read(d, known, w);
    else if (cls == CLS_JMP && code != JMP_JA && code != JMP_CALL && code != JMP_EXIT) {
      read(d, known, w);
      if (x) read(s, known, w);
    } else if (cls == CLS_JMP && code == JMP_CALL) {
      if (op == <u32>OP_CALLX || s == CALL_HELPER) for (let r = 1; r <= 5; r++) unchecked(hiSaves[r] -= w);
      unchecked(hiSaves[0] += w); // the result's high word
    }
    const wasKnown = d < 10 && ((known >> <u32>d) & 1) != 0;
    c.ranges.step(op, d, s, offOf(c, i), immOf(c, i), op == 0x18 ? immOf(c, i + 1) : 0);
    if (op == 0x18) writes = true;
    if (cls == CLS_LD && op != 0x18) writes = false; // legacy packet loads: r0, counted with calls' results
    if (cls == CLS_JMP && code == JMP_CALL) known &= ~0x3f;
    if (writes && d < 10) {
      const zero = c.ranges.widthNow(d) <= 32;
      if (!zero || !wasKnown) unchecked(hiSaves[d] += w);
      known = zero ? known | (<u32>1 << <u32>d) : known & ~(<u32>1 << <u32>d);
    }
    if (op == 0x18) i++;
  }
}

function read(r: i32, known: u32, w: i64): void {
  if (r < 10 && ((known >> <u32>r) & 1) == 0) unchecked(hiSaves[r] += w);
}
