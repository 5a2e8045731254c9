// Loop versioning: region checks hoisted out of the counted loops loops.ts finds. At a loop's head, one test
// checks the whole range each planned access can reach over all trips (one search of the region table per
// access, L_RANGE); when every range is allowed, an unchecked copy of the loop runs, else the ordinary code.
// Nothing in such a loop changes the region table (it makes no calls), so the test holds for all its trips.
//
// In a copy:
//   - planned accesses are not checked; an add that computes such an access's address (offset 0, later in the
//     same block, dst not written between) is 32 bits wide: that address is in the tested range, below 2^32;
//     so is iv's step (the test also checked iv0 + step and bound + step below 2^32). The registers of
//     loops.ts loopZeroHigh have a zero high word at every block start;
//   - nothing faults or calls out: where the ordinary code would (a budget running out at a block, a checked
//     access missing the inline region cache, an inner loop's failing test), the copy resumes in the ordinary
//     code at the same instruction, whose state is the same: it then faults with the right instruction index, or
//     goes on checked. Jumps to instructions outside the copy go to the ordinary code too;
//   - when the loop does not divide and every access in it is planned (by it or by a loop inside it), the
//     outermost copy keeps one more eBPF register in r10:ip (the ordinary code's address scratch, unused here),
//     loaded on entry and stored back on every way out; lr replaces ip as the emitters' scratch (XR). Or, when
//     that saves more, r10 holds a constant operand the loop uses, one an ARM immediate cannot encode (CRC-32's
//     polynomial): loaded once instead of a MOVW and a MOVT at each use.
// Inner loops are versioned again inside a copy, always (loops.ts counts on it); their failing test resumes in the
// ordinary code. The code positions of copied instructions are kept in POOL, one entry per instruction and copy,
// in emission order (loops.ts made sure they fit): the first pass records them, the second reads forward positions.
// The test's code goes where the loop's head was (the instruction-offset table points at it), then the copy, then
// the head's ordinary code (bodyStarts): faults can only happen in the ordinary code, so the table stays exact.

import {
  emit, emitConst, pos, R0, R1, R2, R3, R4, R5, R10, R11, IP, LR, AL, NE, HI, HS, LO, LS, MI, OP_SUB, OP_ADD, OP_ADC,
  OP_BIC, branch, ldr, str, cmpImm, cmpReg, dpImm, opImm, opImmS, opReg, opRegS, immRot, movImm, push, pop,
  bx, bit, rewind, measuring,
} from "./a32/encoder";
import {
  at, label, bl, imageBase, S_REGS, S_BUDGET, S_NREGIONS, S_REGIONS, REGION_BYTES, L_RANGE, L_RANGE_LOCAL,
} from "../../targets/arm32/image";
import {
  loops, loopHead, loopLast, loopIv, loopStepReg, loopStepImm, loopBoundReg, loopBoundImm, loopAccesses,
  loopPromotable, accInsn, accBytes, accStore, accRegs, accConst, loopAt, MAX_ACCESSES, IV_BIT,
  loopIvAt, loopZeroHigh, addressOfPlanned, loopBodyAt, setLoopBodyAt, loopPadded, setLoopPadded, POOL, COPY_TABLE,
} from "./analysis/loops";
import {
  ARM_LO, ARM_HI, lo, hi, known0, enterBlock, emitStep, setXR, opcode, dstOf, srcOf, offOf, immOf, barrier,
} from "./jit/translate";
import { targetPos } from "./jit/jumps";
import { CLS_LDX, CLS_STX, CLS_JMP, CLS_JMP32, CLS_ALU, CLS_ALU64, SRC_X } from "../isa";

const PAGE: u32 = 4096;
const NOP: u32 = 0xe1a00000; // mov r0, r0

let poolUsed: i32 = 0; // entries of POOL (loops.ts) in use: code positions of copied instructions (see above)
let depth: i32 = 0; // copies being emitted, outermost first: their loops and first POOL entries
const ctxLoop: StaticArray<i32> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // MAX_LOOPS deep at most
const ctxBase: StaticArray<i32> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
let promoted: i32 = -1; // the eBPF register kept in r10:ip, or -1
export let copies: i32 = 0; // copies emitted (COPY_TABLE, for the listing)
const SCORES: StaticArray<i32> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // choosePromoted

@inline function poolAt(e: i32): i32 { return load<i32>(POOL + (<usize>e << 2)); }
@inline function setPool(e: i32, at: i32): void { store<i32>(POOL + (<usize>e << 2), at); }

/** Before each pass over the program. */
export function resetCopies(): void {
  constantReg = -1;
  poolUsed = 0;
  copies = 0;
  depth = 0;
  promoted = -1;
}

export function inCopy(): bool { return depth > 0; }

/** Whether instruction i is a planned access of a copy being emitted. */
export function planned(i: i32): bool {
  for (let d = 0; d < depth; d++) {
    const k = unchecked(ctxLoop[d]);
    for (let j = 0; j < loopAccesses(k); j++) if (accInsn(k * MAX_ACCESSES + j) == i) return true;
  }
  return false;
}

/**
 * Whether the ADD at i is 32 bits wide in the copy: iv's step (the test made iv + step below 2^32), or it computes
 * the address of a planned access through its dst with offset 0, later in the same block with no write to dst
 * between: then the sum is below 2^32 (see above).
 */
export function addressAdd(i: i32): bool {
  for (let d = 0; d < depth; d++) {
    const k = unchecked(ctxLoop[d]);
    if (loopIvAt(k) == i || addressOfPlanned(k, i)) return true;
  }
  return false;
}

/** High words known to be zero at every block start of the copies being emitted (loops.ts loopZeroHigh). */
export function copyZeroHigh(): u32 {
  let m: u32 = 0;
  for (let d = 0; d < depth; d++) m |= loopZeroHigh(unchecked(ctxLoop[d]));
  return m;
}

/** Where the code of instruction t is: in a copy being emitted that holds t, else in the ordinary code. */
export function branchTo(cond: u32, t: i32, from: i32): void {
  for (let d = depth - 1; d >= 0; d--) {
    const k = unchecked(ctxLoop[d]);
    const h = loopHead(k);
    if (t >= h && t <= loopLast(k)) {
      emit(branch(cond, false, pos, poolAt(unchecked(ctxBase[d]) + t - h)));
      return;
    }
  }
  const k = loopAt(t);
  // the ordinary code's way back to a versioned head skips its test
  leave(cond, k >= 0 && from >= t && from <= loopLast(k) ? loopBodyAt(k) : targetPos(t));
}

/** The ordinary code of instruction i, where a copy resumes. */
function resumePos(i: i32): i32 {
  const k = loopAt(i);
  return k >= 0 ? loopBodyAt(k) : targetPos(i);
}

/** A branch to the ordinary code at `target`; from a copy that keeps a register in r10:ip, it is stored first. */
function leave(cond: u32, target: i32): void {
  if (promoted < 0) {
    emit(branch(cond, false, pos, target));
    return;
  }
  if (cond != AL) emit(branch(cond ^ 1, false, pos, pos + 16));
  emit(str(R10, R11, S_REGS + 8 * promoted));
  emit(str(IP, R11, S_REGS + 8 * promoted + 4));
  emit(branch(AL, false, pos, target));
}

/** A copy's budget check at the block starting at i (`len` instructions): resumes there when it runs out. */
export function copyBudget(i: i32, len: u32): void {
  emit(ldr(R0, R11, S_BUDGET));
  if (immRot(len) >= 0) emit(opImmS(OP_SUB, R0, R0, immRot(len)));
  else {
    emitConst(R1, len);
    emit(opRegS(OP_SUB, R0, R0, R1));
  }
  leave(LO, resumePos(i));
  emit(str(R0, R11, S_BUDGET));
}

/** A copy's checked access whose inline check missed (flags HS): the ordinary code of i redoes it. */
export function copyMiss(i: i32): void {
  leave(0x2, resumePos(i)); // HS
}

/**
 * At loop k's head in the ordinary code (depth 0) or in a copy: the test and the copy. Returns false on a
 * translation error. At depth 0 the head's ordinary code follows (bodyStarts).
 */
export function emitVersioned(k: i32, inMain: bool): bool {
  if (depth > 0) return emitTestAndCopy(k, inMain);
  // qemu-arm chains its translated blocks only within a guest page: a hot loop across a page boundary would look
  // up the next block on every trip. A copy that would straddle one moves to the next page (a branch over the gap).
  // The first pass decides (the second one must not emit anything twice: forward positions come from the first).
  const start = pos;
  if (measuring) {
    const used = poolUsed;
    const copiesBefore = copies;
    if (!emitTestAndCopy(k, inMain)) return false;
    const first = imageBase + <u32>start;
    setLoopPadded(k, ((first ^ (imageBase + <u32>pos - 1)) & ~(PAGE - 1)) != 0 && <u32>(pos - start) <= PAGE / 2);
    if (!loopPadded(k)) return true;
    rewind(start);
    poolUsed = used;
    copies = copiesBefore;
  }
  if (loopPadded(k)) {
    const next = start + <i32>(PAGE - ((imageBase + <u32>start) & (PAGE - 1)));
    emit(branch(AL, false, pos, next));
    while (pos < next) emit(NOP);
  }
  return emitTestAndCopy(k, inMain);
}

function emitTestAndCopy(k: i32, inMain: bool): bool {
  const h = loopHead(k);
  const l = loopLast(k);
  const n = l - h + 1;
  emitTest(k);
  // r10:ip, free when nothing in the copy is checked: one more eBPF register, or a constant the loop keeps using
  let promote = -1;
  if (depth == 0 && loopPromotable(k)) {
    promote = choosePromoted(k);
    if (chooseConstant(k) > promotedScore) {
      promote = -1;
      emitConst(R10, constantValue);
      constantReg = R10;
    }
  }
  if (promote >= 0) {
    emit(ldr(R10, R11, S_REGS + 8 * promote));
    emit(ldr(IP, R11, S_REGS + 8 * promote + 4));
    unchecked(ARM_LO[promote] = R10);
    unchecked(ARM_HI[promote] = IP);
    promoted = promote;
    setXR(LR);
  }
  const base = poolUsed;
  store<i32>(COPY_TABLE + (<usize>copies << 3), k);
  store<i32>(COPY_TABLE + (<usize>copies << 3), base, 4);
  copies++;
  unchecked(ctxLoop[depth] = k);
  unchecked(ctxBase[depth] = base);
  depth++;
  poolUsed += n;
  for (let i = h; i <= l;) {
    setPool(base + i - h, pos);
    const inner = i != h ? loopAt(i) : -1;
    if (inner >= 0) {
      if (!emitVersioned(inner, inMain)) return false;
      for (let q = i + 1; q <= loopLast(inner); q++) setPool(base + q - h, pos); // not jumped to
      i = loopLast(inner) + 1;
      continue;
    }
    const next = emitStep(i, inMain);
    if (next < 0) return false;
    if (next == i + 2) setPool(base + i + 1 - h, pos); // a fused pair's second, lddw's second slot
    i = next;
  }
  depth--;
  if (depth == 0) {
    leave(AL, targetPos(l + 1)); // the loop ended: on to the ordinary code after it
    constantReg = -1;
    if (promote >= 0) {
      unchecked(ARM_LO[promote] = -1);
      unchecked(ARM_HI[promote] = -1);
      promoted = -1;
      setXR(IP);
    }
  }
  return true;
}

/** At depth 0, after emitVersioned: the head's ordinary code starts here. */
export function bodyStarts(k: i32): void {
  setLoopBodyAt(k, pos);
}

/**
 * The test at loop k's head (registers hold their values on entry): iv0, bound and step below 2^32, then for each
 * planned access, its address with iv = iv0 below 2^32 and [address, address + D + size) in one region's window.
 * Any failure goes to the head's ordinary code. Uses r0-r3 and lr.
 */
function emitTest(k: i32): void {
  const h = loopHead(k);
  barrier(); // jumps land here
  enterBlock(h);
  const iv = loopIv(k);
  const boundReg = loopBoundReg(k);
  const stepReg = loopStepReg(k);
  highWordZero(iv, k);
  if (boundReg >= 0) highWordZero(boundReg, k);
  if (stepReg >= 0) highWordZero(stepReg, k);
  // the copy's zero high words (loopZeroHigh): zero on entry, iv + step below 2^32 on every trip
  const zero = loopZeroHigh(k);
  for (let r = 0; r < 10; r++) {
    if ((zero >> <u32>r) & 1 && r != iv && r != boundReg && r != stepReg) highWordZero(r, k);
  }
  const s_ = stepReg >= 0 ? lo(stepReg, R2) : R2;
  if (stepReg < 0) emitConst(R2, <u32>loopStepImm(k));
  emit(opRegS(OP_ADD, R0, lo(iv, R0), s_));
  fail(HS, k);
  const b0 = boundReg >= 0 ? lo(boundReg, R0) : R0;
  if (boundReg < 0) emitConst(R0, <u32>loopBoundImm(k));
  emit(opRegS(OP_ADD, R0, b0, s_));
  fail(HS, k);
  // r1 = D: bound - 1 - iv0 when iv0 < bound, else 0; a multiple of a constant step that is a power of two
  const b_ = boundReg >= 0 ? lo(boundReg, R3) : R3;
  if (boundReg < 0) emitConst(R3, <u32>loopBoundImm(k));
  emit(opRegS(OP_SUB, R1, b_, lo(iv, R2)));
  emit(dpImm(LS, 0xd, 0, R1, 0, 0)); // movls r1, #0
  emit(dpImm(HI, OP_SUB, 0, R1, R1, 1));
  const step = loopStepImm(k);
  if (stepReg < 0 && (step & (step - 1)) == 0 && step > 1 && immRot(<u32>(step - 1)) >= 0) {
    emit(opImm(OP_BIC, R1, R1, immRot(<u32>(step - 1))));
  }
  for (let j = 0; j < loopAccesses(k); j++) {
    const a = k * MAX_ACCESSES + j;
    const c = accConst(a);
    emitConst(R0, <u32>c);
    emitConst(LR, <u32>(c >> 32));
    const regs = accRegs(a);
    for (let r = 0; r <= 11; r++) {
      if ((regs & (<u32>1 << <u32>r)) == 0) continue;
      const reg = (<u32>1 << <u32>r) == IV_BIT ? iv : r;
      emit(opRegS(OP_ADD, R0, R0, lo(reg, R2)));
      if (known0(reg)) emit(opImm(OP_ADC, LR, LR, 0));
      else emit(opReg(OP_ADC, LR, LR, hi(reg, R3)));
    }
    emit(cmpImm(LR, 0));
    fail(NE, k);
    emit(movImm(R2, <u32>accBytes(a)));
    emit(movImm(R3, accStore(a) ? 8 : 0));
    bl(L_RANGE);
    fail(NE, k);
  }
}

function highWordZero(r: i32, k: i32): void {
  if (known0(r)) return;
  emit(cmpImm(hi(r, R0), 0));
  fail(NE, k);
}

/** The test failed (cond): on to the head's ordinary code. */
function fail(cond: u32, k: i32): void {
  leave(cond, loopBodyAt(k));
}

/** The eBPF register (not r10, not in an ARM register) used most in loop k, inner loops counting 8 times; or -1. */
function choosePromoted(k: i32): i32 {
  const score = SCORES;
  for (let r = 0; r < 10; r++) unchecked(score[r] = 0);
  for (let i = loopHead(k); i <= loopLast(k); i++) {
    const w = weight(k, i);
    const op = opcode(i);
    const cls = op & 7;
    const d = dstOf(i);
    const s = srcOf(i);
    if (d < 10) unchecked(score[d] += w);
    if (s < 10 && ((op & SRC_X) != 0 || cls == CLS_LDX || cls == CLS_STX)) unchecked(score[s] += w);
    if (op == 0x18) i++;
  }
  let best = -1;
  for (let r = 0; r < 10; r++) {
    if (unchecked(ARM_LO[r]) >= 0 || unchecked(score[r]) == 0) continue;
    if (best < 0 || unchecked(score[r]) > unchecked(score[best])) best = r;
  }
  promotedScore = best >= 0 ? unchecked(score[best]) : 0;
  return best;
}
let promotedScore: i32 = 0;

/** How often instruction i of loop k runs, roughly: 8 times per loop around it inside k (a backward jump's range). */
function weight(k: i32, i: i32): i32 {
  let w = 1;
  for (let j = i; j < loopLast(k); j++) {
    const cls = opcode(j) & 7;
    if ((cls == CLS_JMP || cls == CLS_JMP32) && (opcode(j) & 0xf0) != 0x80 && (opcode(j) & 0xf0) != 0x90) {
      const t = opcode(j) == 0x06 ? j + 1 + immOf(j) : j + 1 + offOf(j);
      if (t > loopHead(k) && t <= i && w < 64) w <<= 3;
    }
  }
  return w;
}

/**
 * The constant operand (of an ALU operation or a comparison, none of whose forms fits an ARM immediate: a MOVW
 * and a MOVT each time) that loop k uses most, in constantValue, and its score (2 per use, weighted), or 0.
 */
function chooseConstant(k: i32): i32 {
  let bestScore = 0;
  for (let i = loopHead(k); i <= loopLast(k); i++) {
    const v = <u32>immOf(i);
    if (!wideOperand(i)) continue;
    let score = 0;
    for (let j = loopHead(k); j <= loopLast(k); j++) {
      if (wideOperand(j) && <u32>immOf(j) == v) score += 2 * weight(k, j);
    }
    if (score > bestScore) {
      bestScore = score;
      constantValue = v;
    }
  }
  return bestScore;
}
let constantValue: u32 = 0;

function wideOperand(i: i32): bool {
  const op = opcode(i);
  const cls = op & 7;
  if ((op & SRC_X) != 0 || op == 0x18) return false;
  const code = op & 0xf0;
  if (cls == CLS_ALU || cls == CLS_ALU64) {
    if (code != 0x00 && code != 0x10 && code != 0x20 && code != 0x40 && code != 0x50 && code != 0xa0) return false;
  } else if (cls == CLS_JMP || cls == CLS_JMP32) {
    if (code == 0x00 || code == 0x80 || code == 0x90) return false;
  } else return false;
  const v = <u32>immOf(i);
  return immRot(v) < 0 && immRot(~v) < 0 && immRot(-v) < 0;
}

/** In a copy that keeps it in r10 (see emitTestAndCopy): the register holding constant `imm`, else -1. */
export function loopConstant(imm: i32): i32 {
  return constantReg >= 0 && <u32>imm == constantValue ? constantReg : -1;
}
let constantReg: i32 = -1;

/**
 * L_RANGE: r0 = start, r1 = D, r2 = access size, r3 = 0 (read) or 8 (write): EQ when [r0, r0 + r1 + r2) lies in
 * one region's readable (writable) window, else NE. Preserves r1 and r4-r12. Emitted when a loop is versioned.
 */
export function emitRangeRoutine(): void {
  if (loops == 0) return;
  const LOOP = L_RANGE_LOCAL, OUT = L_RANGE_LOCAL + 1;
  label(L_RANGE);
  emit(push(bit(R1) | bit(R4) | bit(R5)));
  emit(opRegS(OP_ADD, R1, R1, R2)); // the range's length
  emit(dpImm(0x2, 0xd, 1, R4, 0, 1)); // movshs r4, #1: a length of 2^32 or more fits nowhere (NE)
  branchLabel(0x2, OUT);
  emit(ldr(R4, R11, S_NREGIONS));
  emit(opReg(OP_ADD, R2, R11, R3));
  emit(opImm(OP_ADD, R2, R2, immRot(S_REGIONS)));
  label(LOOP);
  emit(opImmS(OP_SUB, R4, R4, 1));
  branchLabel(MI, OUT); // no region left: NE (N set, Z clear)
  emit(ldr(R3, R2, 0));
  emit(ldr(R5, R2, 4));
  emit(opImm(OP_ADD, R2, R2, immRot(REGION_BYTES)));
  emit(cmpReg(R0, R3));
  branchLabel(LO, LOOP);
  emit(opRegS(OP_SUB, R5, R5, R1));
  branchLabel(LO, LOOP); // the window is shorter than the range
  emit(cmpReg(R0, R5));
  branchLabel(HI, LOOP);
  emit(cmpReg(R0, R0)); // EQ
  label(OUT);
  emit(pop(bit(R1) | bit(R4) | bit(R5)));
  emit(bx(LR));
}

function branchLabel(cond: u32, id: i32): void {
  emit(branch(cond, false, pos, at(id)));
}
