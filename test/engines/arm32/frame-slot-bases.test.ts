// Loops whose base pointer clang spilled to the frame before the loop and reloads in every trip (`ldxdw r4,
// [r10-8]; add r4, i; ldxb r5, [r4+1]`, base64's and digits' loops), on the ARM32 translator
// (assembly/arm32/analysis/loops.ts loopBaseSlot): the slot's value is the same in every trip when nothing in the
// loop can store to it, so the access is planned, the test reading the slot on entry. A store to the slot, or any
// store through a register other than r10 (it might point into the frame), keeps the access checked. Each variant
// must return what a BigInt model computes and fault, when the input ends one byte before the last byte read, at
// the same instruction with the same message as the interpreter.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async, translateArm32 } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;

/** What the loop stores in each trip besides its work: nothing, another frame slot, the base's slot, or the frame through r6. */
const STORES = {
  none: "mov %r6, 0",
  otherSlot: "stxdw [%r10-16], %r0",
  baseSlot: "stxdw [%r10-8], %r1",
  throughPointer: "stxdw [%r6-16], %r0",
} as const;
type Store = keyof typeof STORES;

const HEAD = 5;
const LAST = 12;
const READ = 8;

/** h = h * 31 + p[i + 1] for i in [0, n), p reloaded from r10 - 8 in every trip: the loop is instructions 5 to 12. */
function program(n: number, store: Store): string {
  return `
        stxdw [%r10-8], %r1
        mov %r6, %r10
        mov %r0, 0
        mov %r3, 0
        mov %r2, ${n}
      loop:
        ldxdw %r4, [%r10-8]
        add %r4, %r3
        ${STORES[store]}
        ldxb %r5, [%r4+1]
        mul %r0, 31
        add %r0, %r5
        add %r3, 1
        jlt %r3, %r2, loop
        exit`;
}

const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 53 + 7) & 0xff);

/** The model: the hash, or the fault of the first read outside [0, length). */
function model(n: number, length: number): string {
  const mem = bytes(length);
  let h = 0n;
  for (let i = 0; i < n; i++) {
    if (i + 2 > length)
      return `out-of-bounds read of 1 bytes at context+0x${(i + 1).toString(16)} (instruction ${READ})`;
    h = (h * 31n + BigInt(mem[i + 1])) & M64;
  }
  return `r0 = ${h}`;
}

const interpret = (code: Uint8Array, length: number) => interpreterOutcome(code, bytes(length));

/** The calls in the code of loop HEAD..LAST's copy (bl, bllo, ...; not blo), or null when it has no copy. */
function copyCalls(store: Store): string[] | null {
  const code = assemble(program(40, store));
  const t = translateArm32(code, { budget: 0 });
  if (!t.copies.some((c) => c.head === HEAD && c.last === LAST)) return null;
  const copy = codeOf(arm32Listing(code, { budget: 0 }), HEAD, LAST, true);
  expect(copy.length).toBeGreaterThan(0);
  return copy.filter((l) => /^bl([a-z]{2})?\s/.test(l));
}

describe("ARM32: a base pointer reloaded from an unwritten frame slot", () => {
  it("is a loop-invariant base: the copy checks nothing", () => {
    expect(copyCalls("none")).toEqual([]);
    expect(copyCalls("otherSlot")).toEqual([]);
  });

  it("stays checked when the loop stores to the slot or through another register", () => {
    for (const store of ["baseSlot", "throughPointer"] as const) {
      const calls = copyCalls(store);
      expect(calls === null || calls.length > 0).toBe(true);
    }
  });

  it("returns what the model computes, and faults one byte short where the interpreter does", async () => {
    const runs: { n: number; length: number; store: Store }[] = [];
    for (const store of Object.keys(STORES) as Store[]) {
      for (const n of [1, 2, 9, 40]) {
        runs.push({ n, length: n + 1, store }); // the last read ends at the input's end
        runs.push({ n, length: n, store }); // one byte short
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(program(r.n, r.store));
        const arm = await runArm32Async(code, bytes(r.length));
        return {
          run: `${r.store} n=${r.n} length=${r.length}`,
          want: model(r.n, r.length),
          interp: interpret(code, r.length),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBe(16);
  });
});
