// The ARM32 translator's loop versioning (assembly/arm32/analysis/loops.ts, versioned.ts) on the bench kernels: which loops
// get a test on entry and a copy without memory checks, and that the copy really has none. Whether the copies
// compute the right results is for the differential tests (test/engines/arm32/loops.test.ts); this file catches the
// translator no longer versioning a loop it should, which every result would survive.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { translateArm32, type Arm32Translation } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator, root } from "../../support/arm32.js";
import { DERIVED_PROGRAMS, derivedExit } from "../../support/loop-programs.js";
import { loadObject } from "../../../src/loader/loader.js";

beforeAll(ensureArm32Translator);

function kernel(name: string): Arm32Translation {
  return translateArm32(assemble(readFileSync(join(root, "bench", "kernels", `${name}.s`), "utf8")), { budget: 0 });
}

const word = (t: Arm32Translation, at: number) =>
  new DataView(t.image.buffer, t.image.byteOffset + at, 4).getUint32(0, true);
const isBl = (w: number) => (w & 0x0f000000) === 0x0b000000; // BL, any condition: a call into the runtime

/** The words of a copy: from its first instruction's code to the head's ordinary code that follows it. */
function copyWords(t: Arm32Translation, head: number): number[] {
  const copy = t.copies.find((c) => c.head === head)!;
  const loop = t.loops.find((l) => l.head === head)!;
  const words = [];
  for (let at = copy.positions[0]; at < loop.body; at += 4) words.push(word(t, at));
  return words;
}

describe("ARM32 loop versioning", () => {
  it("memcpy: the inner loop is copied, and its copy calls no memory check", () => {
    const t = kernel("memcpy");
    expect(t.loops.map((l) => [l.head, l.last])).toEqual([[7, 14]]); // `round` ends in jne: no induction variable
    expect(t.copies.length).toBe(1);
    const words = copyWords(t, 7);
    expect(words.length).toBeGreaterThan(0);
    expect(words.filter(isBl)).toEqual([]);
  });

  it("crc32: the byte loop is copied with the bit loop inside it; no memory check, the polynomial kept in r10", () => {
    const t = kernel("crc32");
    expect(t.loops.map((l) => [l.head, l.last])).toEqual([[6, 18]]); // the bit loop has no access to plan
    const words = copyWords(t, 6);
    expect(words.filter(isBl)).toEqual([]);
    // MOVW of the polynomial's low half: in the ordinary code at every bit, never in the copy (ARMv7 code: with
    // TINYBPF_ARM32_TARGET=armv6 the constant is a MOV/ORR sequence, and only the checks above apply)
    if (process.env.TINYBPF_ARM32_TARGET === "armv6") return;
    const movw = (w: number) => (w & 0x0ff00000) === 0x03000000 && (((w >>> 4) & 0xf000) | (w & 0xfff)) === 0x8320;
    expect(words.filter(movw)).toEqual([]);
    const all = Array.from({ length: (t.table - t.code) / 4 }, (_, k) => word(t, t.code + 4 * k));
    expect(all.filter(movw).length).toBeGreaterThanOrEqual(2); // before the copy, and in the ordinary bit loop
  });

  it("sieve: both loops, the inner one copied again inside the outer copy", () => {
    const t = kernel("sieve");
    expect(t.loops.map((l) => [l.head, l.last]).sort((a, b) => a[0] - b[0])).toEqual([
      [5, 19],
      [13, 17],
    ]);
    // the outer copy, the inner loop's copy in the ordinary code, and its copy inside the outer copy
    expect(t.copies.map((c) => c.head).sort((a, b) => a - b)).toEqual([5, 13, 13]);
    // the outer copy's only call is the inner loop's test on entry (one range for its one store)
    expect(copyWords(t, 5).filter(isBl).length).toBe(1);
  });

  it("a table lookup by a masked byte: the copy reads the table unchecked too (CRC-32's table loop)", () => {
    const t = translateArm32(
      assemble(`
        mov %r0, 0
        mov %r3, 0
        lddw %r6, 0x1000
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxb %r5, [%r4+0]
        xor32 %r5, %r0
        and %r5, 255
        lsh %r5, 2
        mov %r7, %r6
        add %r7, %r5
        ldxw %r0, [%r7+0]
        add %r3, 1
        jlt %r3, %r2, loop
        exit`),
      { budget: 0 },
    );
    expect(t.loops.map((l) => [l.head, l.last])).toEqual([[4, 14]]);
    // a checked access in a copy loads the one-entry region cache (LDRD r2, r3, [r11, #232]) and leaves on a miss
    const cacheLoad = (w: number) =>
      (w & 0x0e5000f0) === 0x004000d0 && ((w >>> 16) & 15) === 11 && (((w >>> 4) & 0xf0) | (w & 0xf)) === 232;
    expect(copyWords(t, 4).filter(cacheLoad)).toEqual([]);
    const all = Array.from({ length: (t.table - t.code) / 4 }, (_, k) => word(t, t.code + 4 * k));
    // the test on entry tries each access's range against the same window before searching the regions
    const testStart = t.code + (t.offsets[4] & 0x7fffffff);
    const testWords = [];
    for (let at = testStart; at < t.copies.find((c) => c.head === 4)!.positions[0]; at += 4)
      testWords.push(word(t, at));
    expect(testWords.filter(cacheLoad).length).toBe(2);
    expect(all.filter(cacheLoad).length).toBe(2 + 2); // and the ordinary code checks both accesses
  });

  it("exit tests on a value derived from the index: every test, bound and shape gets a copy with no check", () => {
    const missed = [];
    for (const d of DERIVED_PROGRAMS) {
      const source = derivedExit(d);
      const t = translateArm32(assemble(source), { budget: 0 });
      // the loop's head: after mov, lddw (two slots), mov, and lddw (two) for a bound in r7, three stores for a slot
      const head = 4 + (d.bound === "imm" ? 0 : 2) + (d.bound === "slot" ? 3 : 0);
      const copy = t.copies.find((c) => c.head === head);
      if (!copy || copyWords(t, head).some(isBl)) missed.push(`${d.test} ${d.bound}`);
    }
    expect(missed).toEqual([]);
  });

  it("clang's rotated loops in the bench kernels: inet_csum, popcount, xxhash32's stripes and tail", () => {
    const hot: Record<string, number[]> = { inet_csum: [5], popcount: [9], xxhash32: [12, 111] };
    for (const [name, heads] of Object.entries(hot)) {
      const file = join(root, "bench", "kernels", "c", `${name}.o`);
      const prog = loadObject(new Uint8Array(readFileSync(file)), `${name}.o`).programs[0];
      const t = translateArm32(prog.insns, { budget: 0 });
      for (const head of heads) {
        expect(
          t.copies.map((c) => c.head),
          `${name} ${head}`,
        ).toContain(head);
        expect(copyWords(t, head).filter(isBl), `${name} ${head}`).toEqual([]);
      }
    }
  });

  it("a copy that fits in a page does not straddle one (qemu-arm chains blocks only within a page)", () => {
    for (const name of ["memcpy", "crc32", "sieve", "fletcher32", "prime"]) {
      const t = kernel(name);
      for (const c of t.copies) {
        const first = t.address + c.positions[0];
        const last = t.address + c.positions[c.positions.length - 1];
        if (last - first < 2048) expect(first >>> 12, `${name} ${c.head}-${c.last}`).toBe(last >>> 12);
      }
    }
  });
});
