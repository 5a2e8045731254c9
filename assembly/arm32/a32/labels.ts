// Labels: positions in the image, bound once per pass and referenced before or after. Ids are handed out at
// start-up in blocks taken by name (`const FORMAT = block("helpers/format", 80)`), so that no two routines can
// share an id by accident; a label bound twice in one pass, or more ids taken than the table holds, makes the
// translation fail (labelError, reported as ERR_LABEL) instead of producing wrong code.
//
// The table lives at a fixed place in the module's memory (LABELS, below the loop tables, see analysis/loops.ts),
// outside the heap. The first pass records every position; the second emits branches with them (forward ones too).

import { Code } from "./code";
import { byteWord } from "./constants";
import { AL, OP_ADD, OP_SUB, PC, bit, branch, dpImm, immRot, movt, movw, pop, push } from "./encoder";

export const LABEL_COUNT = 768;
/**
 * ARMv6: an image whose code and state measure at most this many bytes (with addresses in three words) gets them
 * pc-relative in two (`nearAddresses`); the 4 KB left below 64 KB cover what shorter code may move (a loop copy
 * moved to the next page).
 */
export const NEAR_SPAN: i32 = 0xf000;
const LABELS: usize = 0x8000; // i32 per label: its position in bytes from the image's start
const BOUND: usize = LABELS + LABEL_COUNT * 4; // u8 per label: bound in this pass (0x8c00-0x8eff; loops.ts starts at 0x9000)

// ---------------------------------------------------------------------------------------------------------------
// The allocator: module start-up only

let taken: i32 = 0;
let overflow: i32 = -1; // the first id beyond LABEL_COUNT a block asked for, or -1
const MAX_BLOCKS = 96;
const blockStarts = new StaticArray<i32>(MAX_BLOCKS); // the blocks taken, in order: first id and name
const blockNames = new StaticArray<string>(MAX_BLOCKS);
let blocks: i32 = 0;

/** `n` consecutive label ids for the routines of `name` (a file or a routine): the first one. */
export function block(name: string, n: i32): i32 {
  const first = taken;
  taken += n;
  if (taken > LABEL_COUNT && overflow < 0) overflow = LABEL_COUNT;
  if (blocks < MAX_BLOCKS) {
    unchecked(blockStarts[blocks] = first);
    unchecked(blockNames[blocks] = name);
    blocks++;
  } else if (overflow < 0) overflow = first;
  return first;
}

/** The name of the block label `id` belongs to, for the error message ("" beyond the table). */
export function blockName(id: i32): string {
  for (let k = blocks - 1; k >= 0; k--) if (unchecked(blockStarts[k]) <= id) return unchecked(blockNames[k]);
  return "";
}

/** Where label `id` lies in its block (0 for its first label). */
export function blockOffset(id: i32): i32 {
  for (let k = blocks - 1; k >= 0; k--) if (unchecked(blockStarts[k]) <= id) return id - unchecked(blockStarts[k]);
  return id;
}

/** One label id of its own. */
export function one(name: string): i32 { return block(name, 1); }

/** Label ids taken at start-up (for a test of the table's size). */
export function labelsTaken(): i32 { return taken; }

// ---------------------------------------------------------------------------------------------------------------

export class Labels extends Code {
  imageBase: u32 = 0;
  /** The first label bound twice in a pass or taken beyond the table, or -1 (see the header). */
  labelError: i32 = -1;
  /** ARMv6: addressOf adds a 16-bit offset to pc (index.ts sets it, see NEAR_SPAN). */
  nearAddresses: bool = false;

  /** Before the first pass: every label at 0. */
  clearLabels(): void {
    memory.fill(LABELS, 0, LABEL_COUNT * 4);
    this.labelError = overflow;
  }

  /** Start a pass (see Code.reset): no label bound yet in it. */
  startPass(buffer: usize, measure: bool): void {
    this.reset(buffer, measure);
    memory.fill(BOUND, 0, LABEL_COUNT);
  }

  /** Binds label `id` here. */
  label(id: i32): void {
    this.labelAt(id, this.pos);
  }

  /** Binds label `id` at `position`. */
  labelAt(id: i32, position: i32): void {
    if (<u32>id >= <u32>LABEL_COUNT || load<u8>(BOUND + <usize>id) != 0) {
      if (this.labelError < 0) this.labelError = id;
      return;
    }
    store<u8>(BOUND + <usize>id, 1);
    store<i32>(LABELS + (<usize>id << 2), position);
    this.forget(); // code may jump here
  }

  at(id: i32): i32 {
    return load<i32>(LABELS + (<usize>id << 2));
  }

  /** b<cond> / bl<cond> to a label. */
  jump(cond: u32, id: i32): void { this.emit(branch(cond, false, this.pos, this.at(id))); }
  call(cond: u32, id: i32): void { this.emit(branch(cond, true, this.pos, this.at(id))); }
  b(id: i32): void { this.jump(AL, id); }
  bl(id: i32): void { this.call(AL, id); }

  /**
   * rd = absolute address of a label plus delta: always MOVW + MOVT; on ARMv6 always pc plus or minus a 16-bit
   * offset in two words (`nearAddresses`), else a MOV and two ORRs, one byte each (the host refuses images that
   * end above abi.ts ARMV6_IMAGE_END). The same size in both passes.
   */
  addressOf(rd: i32, id: i32, delta: u32): void {
    const v = this.imageBase + <u32>this.at(id) + delta;
    if (this.armv6 && this.nearAddresses) {
      const d = <i32>(v - (this.imageBase + <u32>this.pos + 8)); // A32 reads pc as the instruction's address + 8
      const a = <u32>(d < 0 ? -d : d);
      if (!this.measuring && a > 0xffff && this.labelError < 0) this.labelError = id; // NEAR_SPAN was not enough
      this.emit(dpImm(AL, d < 0 ? OP_SUB : OP_ADD, 0, rd, PC, immRot(a & 0xff)));
      this.emit(dpImm(AL, d < 0 ? OP_SUB : OP_ADD, 0, rd, rd, immRot(a & 0xff00)));
      return;
    }
    if (this.armv6) {
      for (let k = 0; k < 3; k++) this.emit(byteWord(rd, v, k));
      return;
    }
    this.emit(movw(rd, v & 0xffff));
    this.emit(movt(rd, v >>> 16));
  }

  /**
   * A routine's start: label `id`, then `push saved` (lr among them). routineEnd pops them into pc. The pair the
   * runtime routines, helpers and map routines open and close with.
   */
  routine(id: i32, saved: u32): void {
    this.label(id);
    this.emit(push(saved));
  }

  /** Return from a routine started with routine(id, saved): pop the same registers, lr into pc. */
  routineEnd(saved: u32): void {
    this.emit(pop((saved & ~bit(14)) | bit(PC)));
  }
}
