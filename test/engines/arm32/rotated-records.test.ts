// A loop entered in its middle whose body's branches jump back to two places, the common latch and a block before
// it (a `continue` after some work), with a pointer bumped by a record's size next to the counter: clang's form of
// `for (i = 0; i < n; i++) if (r[i].proto == 6 && (r[i].flags & 2)) ... else ...` over an array of structs
// (analysis/loops.ts: findLoops tries the range from the lowest such target, planRotated takes the pointer as
// another induction variable). The copy runs without checks once the test on entry proved the records; generated
// walks end inside the input, at its last byte or past it (a fault at the first field read past the end), with and
// without a budget. Outcomes: the value computed here, or the fault at the instruction computed here, on the
// interpreter and the ARM32 executable.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, disagreeingAtInstruction, outcomes, r0Is, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;

interface Walk {
  n: number; // records
  stride: number; // bytes from one record to the next (at least 8)
  swapped: boolean; // the exit test `jgt n, i` instead of `jlt i, n`
}

const LINES = (w: Walk) => [
  "mov %r0, 0",
  "mov %r3, 0",
  "mov %r4, 0",
  "mov %r5, 0",
  `mov %r2, ${w.n}`,
  "add %r1, 8",
  "ja entry",
  "cont:",
  "ldxw %r6, [%r1-8]", // the id's low byte, for records not counted
  "and32 %r6, 255",
  "add %r3, %r6",
  "latch:",
  `add %r1, ${w.stride}`,
  "add %r4, 1",
  w.swapped ? "jgt %r2, %r4, entry" : "jlt %r4, %r2, entry",
  "ja done",
  "entry:",
  "ldxb %r6, [%r1-2]", // proto
  "jne32 %r6, 6, cont",
  "ldxb %r6, [%r1-1]", // flags
  "and32 %r6, 2",
  "jeq32 %r6, 0, cont",
  "ldxw %r6, [%r1+0]", // bytes
  "ldxh %r7, [%r1-4]", // port
  "jgt32 %r7, 1023, high",
  "add %r5, %r6",
  "ja latch",
  "high:",
  "add %r0, %r6",
  "ja latch",
  "done:",
  "mul %r5, 3",
  "mul %r0, 5",
  "add %r0, %r5",
  "add %r0, %r3",
  "exit",
];

/** The instruction index of the first line starting with `text`. */
function index(w: Walk, text: string): number {
  return LINES(w)
    .filter((l) => !l.endsWith(":"))
    .findIndex((l) => l.startsWith(text));
}

/** r0, or the fault's text as the interpreter states it up to the instruction, computed from the eBPF semantics. */
function model(w: Walk, input: Uint8Array): string {
  const view = new DataView(input.buffer, input.byteOffset, input.length);
  const read = (at: number, size: number, insn: string) => {
    if (at < 0 || at + size > input.length) throw new RangeError(String(index(w, insn)));
    return size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at, true) : view.getUint32(at, true);
  };
  let low = 0n,
    high = 0n,
    other = 0n;
  try {
    for (let i = 0, p = 8; i < w.n; i++, p += w.stride) {
      const counted = read(p - 2, 1, "ldxb %r6, [%r1-2]") === 6 && (read(p - 1, 1, "ldxb %r6, [%r1-1]") & 2) !== 0;
      if (!counted) other += BigInt(read(p - 8, 4, "ldxw %r6, [%r1-8]") & 0xff);
      else {
        const bytes = BigInt(read(p, 4, "ldxw %r6, [%r1+0]"));
        if (read(p - 4, 2, "ldxh %r7, [%r1-4]") > 1023) high += bytes;
        else low += bytes;
      }
    }
  } catch (e) {
    if (e instanceof RangeError) return `fault at instruction ${e.message}`;
    throw e;
  }
  return r0Is((high * 5n + low * 3n + other) & M64);
}

function input(rand: () => number, w: Walk, past: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(0, 8 + w.stride * (w.n - 1) + 4 - past));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  // proto 6 and flag 2 often, ports on both sides of 1024
  for (let p = 8; p - 1 < bytes.length; p += w.stride) {
    if (rand() < 0.6) bytes[p - 2] = 6;
    if (rand() < 0.7) bytes[p - 1] |= 2;
    if (p - 3 < bytes.length) bytes[p - 3] = rand() < 0.5 ? 0 : 7;
  }
  return bytes;
}

describe("a rotated loop with a `continue` to a block before its latch and a pointer next to its counter", () => {
  it("is versioned: one test on entry, then a copy without checks", () => {
    for (const w of [
      { n: 100, stride: 12, swapped: false },
      { n: 10, stride: 16, swapped: true },
    ]) {
      const listing = arm32Listing(assemble(LINES(w).join("\n")), { budget: 0 });
      expect(listing).toMatch(/; loop \d+-\d+: the test on entry, then the copy without checks/);
      const copyLines = listing.split("\n").filter((l) => l.includes("(copy of loop"));
      expect(copyLines.length).toBeGreaterThan(15);
    }
  });

  it("generated walks ending inside the input, at its end or past it: r0, or the fault, computed here", async () => {
    const rand = rng(77);
    const cases: Case[] = [];
    const expected = new Map<string, string>();
    for (let k = 0; k < 36; k++) {
      const w: Walk = { n: 1 + Math.floor(rand() * 40), stride: [8, 12, 16, 20][k % 4], swapped: rand() < 0.4 };
      const past = [0, 0, 1, 2, 4, -3][k % 6]; // bytes missing at the end (negative: more than needed)
      const bytes = input(rand, w, past);
      const source = LINES(w).join("\n");
      const name = `${k} ${JSON.stringify(w)} past ${past}`;
      expected.set(`${source}\n${bytes.join(",")}`, model(w, bytes));
      cases.push({ name, shape: { source, input: bytes }, budget: k % 5 === 4 ? 1_000_000 : 0 });
    }
    const results = await outcomes(cases, (source, bytes) => expected.get(`${source}\n${bytes.join(",")}`)!);
    expect(results.filter((r) => r.model.startsWith("r0 = ")).length).toBeGreaterThan(15);
    expect(results.filter((r) => r.model.startsWith("fault")).length).toBeGreaterThan(8);
    expect(disagreeingAtInstruction(results)).toEqual([]);
  }, 300_000);
});
