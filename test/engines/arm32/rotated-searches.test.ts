// Searches clang rotates, on the ARM32 translator (assembly/arm32/analysis/loops.ts planRotated): `for (i = 0;
// i < n; i++) if (p[i] == key) return i;` over a `u32 *p` is entered by a `ja` past the counted exit test into the
// compare, bumps the pointer next to the counter, and jumps back with the compare itself (`jne32`), whose
// fall-through leaves the loop early. The same loop closed by `jeq32` out and a `ja` back is checked too. Each must
// get a copy whose code calls no memory check, return what a model computes, and fault, when the region ends one
// byte before the last word read, at the same instruction with the same message as the interpreter.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async, translateArm32 } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const NOT_FOUND = 99;

/**
 * The search over n words at r1 for `key`, as clang -O2 emits it (the word count from a byte length, as
 * `len / 4` of a u64): its loop is instructions 10 to 17, the read 15. `closed`: the compare jumps out and a `ja`
 * closes the loop (instructions 10 to 18).
 */
function search(n: number, key: number, closed: boolean): string {
  return `
        mov %r2, ${4 * n + 3}
        lddw %r3, 0x3fffffffc
        and %r2, %r3
        mov %r0, ${NOT_FOUND}
        jeq %r2, 0, out
        mov %r3, 0
        rsh %r2, 2
        lsh %r2, 32
        rsh %r2, 32
        ja first
      next:
        add %r1, 4
        add %r3, 1
        mov %r0, ${NOT_FOUND}
        jge %r3, %r2, out
      first:
        ldxw %r4, [%r1+0]
        mov %r0, %r3
        ${closed ? `jeq32 %r4, ${key}, out\n        ja next` : `jne32 %r4, ${key}, next`}
      out:
        exit`;
}

const HEAD = 10;
const READ = 15;
const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
const word = (mem: Uint8Array, i: number) =>
  mem[4 * i] | (mem[4 * i + 1] << 8) | (mem[4 * i + 2] << 16) | (mem[4 * i + 3] * 2 ** 24);

/** The model: the first index whose word is `key`, NOT_FOUND, or the fault of the first read outside [0, length). */
function model(n: number, key: number, length: number): string {
  const mem = bytes(length);
  for (let i = 0; i < n; i++) {
    if (4 * i + 4 > length)
      return `out-of-bounds read of 4 bytes at context+0x${(4 * i).toString(16)} (instruction ${READ})`;
    if (BigInt(word(mem, i)) === BigInt(key)) return `r0 = ${i}`;
  }
  return `r0 = ${NOT_FOUND}`;
}

const interpret = (code: Uint8Array, length: number) => interpreterOutcome(code, bytes(length));

describe("ARM32: rotated searches with a bumped pointer are versioned", () => {
  it("each shape has a copy, and the copy's code calls no memory check", () => {
    for (const closed of [false, true]) {
      const last = closed ? 18 : 17;
      const code = assemble(search(40, 7, closed));
      const t = translateArm32(code, { budget: 0 });
      expect(t.copies.map((c) => [c.head, c.last])).toEqual([[HEAD, last]]);
      const copy = codeOf(arm32Listing(code, { budget: 0 }), HEAD, last, true);
      expect(copy.length).toBeGreaterThan(0);
      expect(copy.filter((l) => /^bl([a-z]{2})?\s/.test(l))).toEqual([]); // bl, bllo, ...: a call; not blo
    }
  });

  it("finds what the model finds, and faults one byte short where the interpreter does", async () => {
    const mem = bytes(4 * 64);
    const runs: { n: number; key: number; length: number; closed: boolean }[] = [];
    for (const closed of [false, true]) {
      for (const n of [1, 2, 7, 40]) {
        const keys = [word(mem, 0), word(mem, n >> 1), word(mem, n - 1), 0x7fffffff]; // first, middle, last, none
        for (const key of keys) {
          runs.push({ n, key, length: 4 * n, closed }); // every word in the region
          runs.push({ n, key, length: 4 * n - 1, closed }); // the last word one byte short
        }
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(search(r.n, r.key, r.closed));
        const arm = await runArm32Async(code, bytes(r.length));
        return {
          run: `closed=${r.closed} n=${r.n} key=${r.key} length=${r.length}`,
          want: model(r.n, r.key, r.length),
          interp: interpret(code, r.length),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBeGreaterThan(8);
  });
});
