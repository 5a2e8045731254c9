// A loop copy's checked access whose inline check misses the region cache (jit/copies.ts copyMiss) asks the runtime
// (L_RECHECK) whether some region holds it, and the copy goes on when one does: before, the miss sent the rest of
// the loop to the ordinary code. It missed at once in every loop reading a second region next to a planned one,
// since the test on entry leaves the planned access's window in the cache. Only when no region holds the access
// does the ordinary code redo it and report the fault. Here a loop reads the input by its counter (planned) and the
// frame through a data-dependent offset (checked), or stores there; past the frame's top the access faults at a
// chosen trip. Outcomes: the value computed here, or the interpreter's fault, on both engines.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator } from "../../support/arm32.js";
import { type Case, outcomes, r0Is, rng } from "../../support/generated-runs.js";
import { MODEL_OUT, disagreeingWithModel } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const SLOTS = 32; // the frame's words r10 - 8 * SLOTS .. r10 - 8, set before the loop

interface Walk {
  trips: number;
  base: number; // the frame offset the data-dependent offset is added to (below -255: always inside the frame)
  key: number; // the input byte is xored with it, read back from the frame: a value of no known range, so that the
  // offset is not a bounded term and the access stays checked (analysis/frame-ranges.ts would prove byte ^ 15)
  store: boolean; // also stores the byte there (the write check)
  fill: bigint[]; // the frame words
}

/** The program; the checked load is instruction LOAD (after SLOTS lddw and stxdw, then seven instructions). */
function program(w: Walk): string {
  const lines: string[] = [];
  w.fill.forEach((v, k) => lines.push(`lddw %r3, 0x${v.toString(16)}`, `stxdw [%r10-${8 * (k + 1)}], %r3`));
  lines.push(`mov %r9, ${w.key}`, `stxdw [%r10-${8 * SLOTS + 8}], %r9`, `ldxdw %r9, [%r10-${8 * SLOTS + 8}]`);
  lines.push("mov %r0, 0", "mov %r6, 0", "loop:", "mov %r4, %r1", "add %r4, %r6", "ldxb %r5, [%r4+0]");
  lines.push("xor %r5, %r9", "mov %r7, %r10", `add %r7, ${w.base}`, "add %r7, %r5", "ldxb %r8, [%r7+0]");
  if (w.store) lines.push("stxb [%r7+0], %r6");
  lines.push("mul %r0, 31", "add %r0, %r8", "add %r6, 1", `jlt %r6, ${w.trips}, loop`, "exit");
  return lines.join("\n");
}
const LOAD = 3 * SLOTS + 12;

/** r0 computed here from the eBPF semantics, or MODEL_OUT when an access leaves the frame. */
function model(w: Walk, input: Uint8Array): string {
  const frame = new Uint8Array(8 * SLOTS);
  const view = new DataView(frame.buffer);
  w.fill.forEach((v, k) => view.setBigUint64(8 * (SLOTS - 1 - k), v, true));
  let r0 = 0n;
  for (let i = 0; i < w.trips; i++) {
    const at = 8 * SLOTS + w.base + (input[i] ^ w.key);
    if (at < 0 || at >= frame.length) return MODEL_OUT;
    r0 = (r0 * 31n + BigInt(frame[at])) & M64;
    if (w.store) frame[at] = i & 0xff;
  }
  return r0Is(r0);
}

function randomWalk(rand: () => number, pastTop: boolean): { walk: Walk; input: Uint8Array } {
  const trips = 8 + Math.floor(rand() * 40);
  const fill = Array.from(
    { length: SLOTS },
    () => (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)),
  );
  // past the top: offsets up to 255 from r10 - 200 reach r10 + 55; the bytes stay low until a chosen trip
  const walk: Walk = { trips, base: pastTop ? -200 : -256, key: Math.floor(rand() * 16), store: rand() < 0.5, fill };
  const input = new Uint8Array(trips + Math.floor(rand() * 8));
  const faultAt = pastTop ? Math.floor(rand() * trips) : -1;
  for (let i = 0; i < input.length; i++) input[i] = i === faultAt ? 0xf0 : Math.floor(rand() * (pastTop ? 180 : 256));
  return { walk, input };
}

describe("a loop copy's checked access that misses the region cache", () => {
  it("asks the runtime and stays in the copy; the ordinary code redoes it only when no region holds it", () => {
    const listing = arm32Listing(assemble(program(randomWalk(rng(5), false).walk)), { budget: 0 });
    expect(listing).toContain("(copy of loop");
    const copy = codeOf(listing, LOAD, LOAD + 1, true);
    const call = copy.findIndex((l) => /^blhs /.test(l));
    expect(call, copy.join("\n")).toBeGreaterThan(0);
    // then out to the ordinary code's check, or over the moves back to its registers (blo) and out
    expect(copy[call + 1]).toMatch(/^b(hs|lo) /);
    expect(copy[copy.length - 1]).toMatch(/^ldrb r\d+, \[r\d+\]$/);
    // the ordinary code's own check faults itself
    expect(codeOf(listing, LOAD, LOAD + 1).filter((l) => /^blhs /.test(l))).toHaveLength(1);
  });

  it("generated walks reading and writing the frame through the data: r0 computed here, or the interpreter's fault", async () => {
    const rand = rng(2024);
    const cases: Case[] = [];
    const models = new Map<string, string>();
    for (let k = 0; k < 40; k++) {
      const { walk, input } = randomWalk(rand, k % 3 === 2);
      const name = `${k} ${JSON.stringify({ ...walk, fill: undefined })} ${Array.from(input).join(",")}`;
      models.set(`${program(walk)}\n${input.join(",")}`, model(walk, input));
      cases.push({ name, shape: { source: program(walk), input }, budget: k % 4 === 3 ? 1_000_000 : 0 });
    }
    const results = await outcomes(cases, (source, input) => models.get(`${source}\n${input.join(",")}`)!);
    expect(results.filter((r) => r.model === MODEL_OUT).length).toBeGreaterThan(8);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(20);
    expect(disagreeingWithModel(results)).toEqual([]);
    // the faults are at the frame access (load or store), not elsewhere
    for (const r of results.filter((x) => x.model === MODEL_OUT))
      expect(r.interp).toMatch(new RegExp(`\\(instruction (${LOAD}|${LOAD + 1})\\)`));
  }, 300_000);
});
