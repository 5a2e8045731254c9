// A conditional jump over one unconditional jump alone (assembly/arm32/jit/select.ts skipsJump): clang ends loops
// with `if (done) goto +1; goto head`, which the translator emitted as a conditional branch over a branch, two
// branches a trip (one taken). Without a budget the skipped jump's branch runs under the inverted condition instead:
// one branch a trip, in the ordinary code and in an outer loop's copy. Each result must be the interpreter's and
// that of test/support/asm-model.ts (BigInt, from the eBPF semantics), with and without a budget.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, outcomes, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun as model } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

/**
 * The ARM code of eBPF instructions from..to - 1 in a listing, in a loop's copy or (`copy` false) in the ordinary
 * code: each instruction's address (as branches name it) and text.
 */
function codeIn(listing: string, from: number, to: number, copy: boolean): { address: string; text: string }[] {
  const tag = (i: number) => new RegExp(`^;\\s+${i}: ${copy ? ".*\\(copy of loop" : "[^(]*$"}`, "m");
  const rest = listing.slice(listing.search(tag(from)));
  return [...rest.slice(0, rest.search(tag(to))).matchAll(/^\s+0*([0-9a-f]+):\s+[0-9a-f]+\s+(.*)$/gm)].map((m) => ({
    address: m[1],
    text: m[2],
  }));
}

/** A listing line's branch: its condition ("" for b) and target address, or null for any other instruction. */
function branchOf(text: string): { cond: string; to: string } | null {
  const m = /^b(eq|ne|hs|lo|hi|ls|ge|lt|gt|le|mi|pl)?\s+0x0*([0-9a-f]+)/.exec(text);
  return m ? { cond: m[1] ?? "", to: m[2] } : null;
}

// bitrev's shape: an outer loop over the input's first four words (2-17), an inner loop of `bits` trips (7-14) that ends with
// 13 jeq32 over 14, the inner loop's way back
const source = (bits: number) =>
  [
    "mov %r0, 0",
    "mov %r6, 0",
    "outer:",
    "mov %r3, %r1",
    "add %r3, %r6",
    "ldxw %r4, [%r3+0]",
    "mov32 %r5, " + bits,
    "mov32 %r7, 0",
    "inner:",
    "lsh32 %r7, 1",
    "mov32 %r8, %r4",
    "and32 %r8, 1",
    "or32 %r7, %r8",
    "rsh32 %r4, 1",
    "add32 %r5, -1",
    "jeq32 %r5, 0, done",
    "ja inner",
    "done:",
    "xor %r0, %r7",
    "add %r6, 4",
    "jlt %r6, 16, outer",
    "exit",
  ].join("\n");

describe("a conditional jump over the jump back of a loop", () => {
  it("is one branch to the inner loop's head, the inverted condition's, in the outer copy and in the ordinary code", () => {
    const listing = arm32Listing(assemble(source(8)), { budget: 0 });
    for (const copy of [true, false]) {
      // the jeq's code is its comparison alone; the skipped jump's branch runs where the jeq's would not have
      const branches = codeIn(listing, 13, 15, copy)
        .map((l) => branchOf(l.text))
        .filter((b) => b !== null);
      expect(branches).toEqual([{ cond: "ne", to: codeIn(listing, 7, 8, copy)[0].address }]);
    }
  });

  it("keeps both branches with a budget (the skipped jump is charged where it runs)", () => {
    const listing = arm32Listing(assemble(source(8)), { budget: 1000 });
    const branches = codeIn(listing, 13, 15, false)
      .map((l) => branchOf(l.text)?.cond)
      .filter((b) => b !== undefined);
    expect(branches).toContain("eq");
  });

  it("gives the model's r0, with and without a budget", async () => {
    const rand = rng(7);
    const cases: Case[] = [];
    for (const bits of [1, 3, 8, 32]) {
      for (const length of [8, 16, 64]) {
        const input = new Uint8Array(length).map(() => Math.floor(rand() * 256));
        for (const budget of [0, 100, 100_000]) {
          cases.push({
            name: `bits ${bits}, ${length} bytes, budget ${budget}`,
            shape: { source: source(bits), input },
            budget,
          });
        }
      }
    }
    const results = await outcomes(cases, model);
    expect(disagreeingWithModel(results)).toEqual([]);
  }, 120_000);
});
