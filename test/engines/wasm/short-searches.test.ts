// A versioned search loop (an exit besides its counted test) inside another loop, entered again and again
// (assembly/wasm/translate.ts: versioned, L_TRIPS): when its searches stop after a trip or two, the test before it
// costs more than the checks it saves, and the engine goes straight to the checked copy; when they run long again,
// it tests again. The program counts the places where a needle of N bytes occurs in a haystack, as a byte search
// does. Which copy ran shows in the read cache (STATE + ST_WASM_CACHE): a checked access leaves its region there,
// the copy without checks leaves the frames the function started with. Every outcome (r0, instructions executed,
// fault message) must be the interpreter's, and the count the one computed here.
import { describe, expect, it } from "vitest";
import { runOn } from "../../support/wasm-runs.js";
import { HAY, READ_HAY, search } from "../../support/search-programs.js";

const N = 8; // needle length: the context's bytes 0-7; the haystack starts at byte 16

// The outer loop's exit test signed: no test before it proves the search's accesses for all its trips (nests.ts
// takes unsigned ones only, test/engines/wasm/nested-loops.test.ts), so the search keeps its own entry test.
const run = (starts: number, bytes: Uint8Array, engine: "interp" | "wasm", budget = 0) =>
  runOn(search(N, starts).replace("jlt %r4,", "jslt %r4,"), { ctx: { bytes } }, engine, budget);

function same(starts: number, bytes: Uint8Array, budget = 0) {
  const w = run(starts, bytes, "wasm", budget);
  expect(w.out).toEqual(run(starts, bytes, "interp", budget).out);
  return w;
}

/** The needle "a" x N, then the haystack `hay` (a string of 'a' and 'b'). */
function input(hay: string): Uint8Array {
  const b = new Uint8Array(HAY + hay.length);
  b.fill(0x61, 0, N);
  for (let i = 0; i < hay.length; i++) b[HAY + i] = hay.charCodeAt(i);
  return b;
}

const occurrences = (hay: string) => {
  let n = 0;
  for (let i = 0; i + N <= hay.length; i++) if (hay.slice(i, i + N) === "a".repeat(N)) n++;
  return n;
};

describe("a search loop entered again and again", () => {
  it("goes to the checked copy when its searches stop at the first byte", () => {
    const hay = "b".repeat(300);
    const w = same(hay.length - N + 1, input(hay));
    expect(w.out.r0).toBe(0n);
    expect(w.unchecked).toBe(false);
  });

  it("runs the copy without checks while the first searches have not been short", () => {
    const hay = "a".repeat(N + 1); // two searches: the first two entries test
    const w = same(hay.length - N + 1, input(hay));
    expect(w.out.r0).toBe(2n);
    expect(w.unchecked).toBe(true);
  });

  it("counts right through short searches, long ones and short ones again", () => {
    for (const hay of [
      "b".repeat(200) + "a".repeat(200) + "ab".repeat(100),
      "ab".repeat(50) + "aaaaaaab".repeat(40) + "a".repeat(100) + "b".repeat(100),
      "aaaab".repeat(100) + "a".repeat(50),
    ]) {
      const w = same(hay.length - N + 1, input(hay));
      expect(w.out.r0).toBe(BigInt(occurrences(hay)));
    }
  });

  it("faults where the interpreter does when the last search reads past the context, after short searches", () => {
    const hay = "b".repeat(200) + "a".repeat(N - 1);
    const w = same(hay.length - N + 2, input(hay));
    expect(w.out.error).toMatch(new RegExp(`out-of-bounds read of 1 bytes? at .*\\(instruction ${READ_HAY}\\)`));
  });

  it("runs out of budget where the interpreter does, in either copy", () => {
    const hay = "b".repeat(40) + "a".repeat(40) + "b".repeat(40);
    const starts = hay.length - N + 1;
    const full = run(starts, input(hay), "interp").out.executed!;
    for (let budget = 1; budget <= full + 1; budget += 7) {
      const w = same(starts, input(hay), budget);
      if (budget >= full) expect(w.out.r0).toBe(BigInt(occurrences(hay)));
      else expect(w.out.error, `budget ${budget}`).toMatch(/budget/);
    }
  });
});
