// The probe programs the ARM32 helper tests share: a helper that writes into the stack is called over a stack
// filled with 0x11 bytes, and r0 folds its result and every stack word together, so that a byte written, left
// alone or zeroed shows in the one value every engine must return alike.
import { assemble } from "../../src/tools/asm.js";

export interface StackProbe {
  /** r1 = r10 + dst: where the helper writes. */
  dst: number;
  /** r2. */
  size: number | string;
  /** r3, a register or a constant; `srcAdd`, when given, is added to it. */
  src: string;
  srcAdd?: number;
  /** Left shifts of the stack words [r10-8], [r10-16], ... before each is xored into r0 (their count is the
   *  number of words filled); different shifts keep equal words from cancelling out. */
  shifts: number[];
}

/** r6 = input; helper `id`(r1, r2, r3); r0 = result << 32 xor the shifted stack words. */
export function stackProbe(id: number, p: StackProbe): Uint8Array {
  const words = p.shifts.map((_, i) => `[%r10-${8 * (i + 1)}]`);
  return assemble(
    [
      "mov %r6, %r1",
      "lddw %r7, 0x1111111111111111",
      ...words.map((w) => `stxdw ${w}, %r7`),
      "mov %r1, %r10",
      `add %r1, ${p.dst}`,
      `mov %r2, ${p.size}`,
      `mov %r3, ${p.src}`,
      ...(p.srcAdd === undefined ? [] : [`add %r3, ${p.srcAdd}`]),
      `call ${id}`,
      "lsh %r0, 32",
      ...words.flatMap((w, i) => [
        `ldxdw %r1, ${w}`,
        ...(p.shifts[i] ? [`lsh %r1, ${p.shifts[i]}`] : []),
        "xor %r0, %r1",
      ]),
      "exit",
    ].join("\n"),
  );
}
