// 32-bit constants without MOVW/MOVT, for ARMv6 cores (ARM1176: Raspberry Pi Zero and 1): a MOV (or MVN) of one
// ARM immediate, then an ORR (or BIC) per further immediate. An ARM immediate is 8 bits at an even rotation, so any
// value takes at most four; the common ones (small masks, addresses like 0x02000000 + n) two or three.
//
// Why not a literal pool (LDR rd, [pc, #off] and the word within 4 KB): it costs the same two words as MOVW + MOVT
// and one more than a lone MOVW, and the pools would have to be placed between routines and inside long programs
// and sized identically in both passes. The sequences need no layout at all; the sizes of the fixtures'
// executables show what they cost (targets/arm32/README.md).

import { AL, OP_BIC, OP_MOV, OP_MVN, OP_ORR, dpImm, immRot } from "./encoder";

/** The first 8-bit field at an even position from bit `start` upwards (wrapping) that holds a set bit of v. */
function firstField(v: u32, start: u32): u32 {
  for (let i: u32 = 0; i < 16; i++) {
    const p = (start + 2 * i) & 31;
    const x = rotr<u32>(v, p);
    if (x & 3) return rotl<u32>(x & 0xff, p);
  }
  return 0;
}

/** Fields taken greedily from bit `start` until v is covered. */
function fieldCount(v: u32, start: u32): i32 {
  let n = 0;
  while (v) {
    v &= ~firstField(v, start);
    n++;
  }
  return n;
}

/** The start that covers v with the fewest fields, in the low 5 bits, and their number above them. */
function bestStart(v: u32): u32 {
  let best: u32 = 0;
  let fewest = 5;
  for (let s: u32 = 0; s < 32; s += 2) {
    const n = fieldCount(v, s);
    if (n < fewest) {
      fewest = n;
      best = s;
    }
  }
  return (<u32>fewest << 5) | best;
}

/** Instruction words (at most four) of the sequence that sets rd = v; `k` picks one, from 0. */
export function constWord(rd: i32, v: u32, k: i32): u32 {
  const plain = bestStart(v);
  const inverted = bestStart(~v);
  const invert = (inverted >> 5) < (plain >> 5);
  let rest = invert ? ~v : v;
  const start = (invert ? inverted : plain) & 31;
  for (let j = 0; j < k; j++) rest &= ~firstField(rest, start);
  const field = immRot(firstField(rest, start));
  if (k == 0) return dpImm(AL, invert ? OP_MVN : OP_MOV, 0, rd, 0, field);
  return dpImm(AL, invert ? OP_BIC : OP_ORR, 0, rd, rd, field);
}

/** How many words constWord's sequence for v has (1 to 4; 1 for 0). */
export function constWords(v: u32): i32 {
  const n = min(bestStart(v) >> 5, bestStart(~v) >> 5);
  return n == 0 ? 1 : <i32>n;
}

/** Word k of the fixed MOV, ORR, ORR that sets rd = v a byte at a time (an address not known in the first pass). */
export function byteWord(rd: i32, v: u32, k: i32): u32 {
  const field = immRot(v & (<u32>0xff << (8 * k)));
  if (k == 0) return dpImm(AL, OP_MOV, 0, rd, 0, field);
  return dpImm(AL, OP_ORR, 0, rd, rd, field);
}
