// High words in the unchecked copies of counted loops on the ARM32 engine. The test on a loop's entry makes some
// sums 32 bits wide in the copy: iv and its copies stay below 2^31 there (iv + c and the exit test on it), an
// access's address less a small offset either way, the step of a pointer moving next to iv, a bound reloaded from
// its frame slot; and a wide lddw in the loop comes from a register the copy keeps it in. The listings show those
// high words are not computed; generated loops (sums carrying past 2^32, registers with a nonzero high word before
// the loop, loops left early, pointers, bounds in a frame slot) show the results are still exact: the value
// computed here from the input, and the interpreter's, also when the budget runs out at every count over the
// first trips, or when iv's high word makes the test fail.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, outcomes, r0Is, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

/** The ARM instructions of eBPF instructions from..to in the copy of their loop (undefined: no copy). */
function copyCode(source: string, from: number, to: number): string[] | undefined {
  const lines = arm32Listing(assemble(source), { budget: 0 }).split("\n");
  const out: string[] = [];
  let found = false;
  for (let j = 0; j < lines.length; j++) {
    const m = /^;\s+(\d+): .*\(copy of loop/.exec(lines[j]);
    if (!m || Number(m[1]) < from || Number(m[1]) > to) continue;
    found = true;
    for (let q = j + 1; q < lines.length && !lines[q].startsWith(";"); q++)
      if (lines[q].trim()) out.push(lines[q].trim());
  }
  return found ? out : undefined;
}

const mnemonics = (code: string[] | undefined) => code?.map((l) => l.split(/\s+/)[2]);

/** Adler-32 of the input (r2 bytes at r1), its sums reduced after every byte. */
const ADLER32 = [
  "mov %r3, 1",
  "mov %r5, 0",
  "mov %r4, 0",
  "loop:",
  "mov %r0, %r1", // 3
  "add %r0, %r4",
  "ldxb %r0, [%r0+0]",
  "add32 %r3, %r0",
  "mod32 %r3, 65521",
  "mov32 %r0, %r3", // 8
  "add32 %r0, %r5",
  "mod32 %r0, 65521",
  "add %r4, 1",
  "mov32 %r5, %r0",
  "jlt %r4, %r2, loop", // 13
  "lsh %r0, 16",
  "or %r0, %r3",
  "exit",
].join("\n");

describe("high words a loop copy does not compute", () => {
  it("an address sum with an offset, iv + c and the exit test on it: 32-bit", () => {
    // clang's loop for a sum of big-endian halfwords (the Internet checksum): r4 follows r3, the exit test is
    // on r4 + 3
    const source = [
      "mov %r0, 0", // 0
      "mov %r3, 0",
      "jlt %r2, 2, done",
      "mov %r4, 0",
      "mov %r5, 0",
      "loop:",
      "mov %r0, %r1", // 5
      "add %r0, %r4",
      "ldxb %r6, [%r0+1]",
      "ldxb %r0, [%r0+0]",
      "lsh %r0, 8",
      "or %r0, %r6", // 10
      "add %r0, %r5",
      "add %r3, 2",
      "mov %r6, %r4",
      "add %r6, 3",
      "mov %r4, %r3", // 15
      "mov %r5, %r0",
      "jlt %r6, %r2, loop",
      "done:",
      "exit",
    ].join("\n");
    const address = mnemonics(copyCode(source, 5, 6));
    expect(address).toBeDefined();
    expect(address).not.toContain("adc");
    const exitTest = mnemonics(copyCode(source, 13, 17));
    expect(exitTest).not.toContain("adc");
    expect(exitTest).not.toContain("cmpeq");
  });

  it("a pointer stepped next to iv: one add, folded into the load", () => {
    const source = [
      "mov %r0, 0",
      "mov %r3, 0",
      "mov %r5, %r2",
      "rsh %r5, 2",
      "mov %r4, %r1",
      "loop:",
      "ldxw %r6, [%r4+0]", // 5
      "add %r0, %r6",
      "add %r4, 4",
      "add %r3, 1",
      "jlt %r3, %r5, loop",
      "exit",
    ].join("\n");
    // one 32-bit add, folded into the load before it (post-indexed: copy-code.test.ts)
    expect(mnemonics(copyCode(source, 7, 7))).toEqual([]);
    expect(copyCode(source, 5, 5)?.map((l) => l.split(/\s+/).slice(2).join(" "))).toEqual([
      expect.stringMatching(/^ldr r\d+, \[r\d+\], #(0x)?4$/),
    ]);
  });

  it("a bound reloaded from its frame slot: its low word, a 32-bit exit test", () => {
    const source = [
      "mov %r0, 0",
      "jlt %r2, 8, done",
      "mov %r3, 0",
      "mov %r5, %r2",
      "add %r5, -4",
      "stxdw [%r10-8], %r5",
      "loop:",
      "mov %r4, %r1", // 6
      "add %r4, %r3",
      "ldxw %r6, [%r4+0]",
      "add32 %r0, %r6",
      "add %r3, 4", // 10
      "ldxdw %r7, [%r10-8]",
      "jle %r3, %r7, loop",
      "done:",
      "exit",
    ].join("\n");
    expect(mnemonics(copyCode(source, 11, 11))).toEqual(["ldr"]);
    expect(mnemonics(copyCode(source, 12, 12))?.slice(0, 2)).toEqual(["cmp", "bls"]);
  });

  it("a wide lddw in the loop: moved from the register the copy keeps it in", () => {
    const source = [
      "mov %r0, 0",
      "mov %r3, 0",
      "loop:",
      "mov %r4, %r1", // 2
      "add %r4, %r3",
      "ldxb %r6, [%r4+0]",
      "lddw %r7, 0x2000078", // 5: a map's address, say
      "add32 %r6, %r7",
      "add32 %r0, %r6",
      "xor32 %r0, %r7", // r7 read twice: the lddw is not an operand fused into its one use
      "add %r3, 1",
      "jlt %r3, %r2, loop",
      "exit",
    ].join("\n");
    expect(mnemonics(copyCode(source, 5, 5))).toEqual(["mov"]);
    // read once, the constant is the add's operand (fuse.ts), straight from the kept register
    const fused = mnemonics(copyCode(source.replace("xor32 %r0, %r7\n", ""), 5, 8));
    expect(fused).not.toContain("movw");
    expect(fused).not.toContain("ldr");
    expect(fused?.filter((m) => m === "add")).toHaveLength(2);
  });

  it("a remainder by a constant in the loop: its multiplier and divisor from kept registers", () => {
    for (const at of [7, 10]) {
      // UMULL, LSR, MLS (MUL and SUB on ARMv6): no instruction sets a constant
      const code = mnemonics(copyCode(ADLER32, at, at));
      expect(code).toContain("umull");
      expect(code!.length).toBeLessThanOrEqual(4);
    }
  });
});

// ---- generated loops and their results computed here ----

interface Loop {
  size: 1 | 2 | 4 | 8;
  off: number; // the access's offset from r4 = r1 + r3
  start: number; // iv0
  step: number;
  wide: boolean; // a 64-bit sum (else add32)
  extra: bigint | undefined; // r7, with a nonzero high word, added each trip
  pointer: number; // r9's step (0: no pointer), r9 from r1 on, a byte from it added each trip
  mark: number | undefined; // a byte value that leaves the loop
  slot: boolean; // the bound reloaded from a frame slot each trip
  length: number;
  init: bigint; // r0 before the loop
  ivHigh: boolean; // iv0 with a nonzero high word: the test fails, the ordinary code faults
}

const SIZES = { 1: "b", 2: "h", 4: "w", 8: "dw" } as const;

function pickLoop(seed: number): Loop {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const size = pick([1, 2, 4, 8] as const);
  const off = Math.floor(rand() * 6) - 2;
  return {
    size,
    off,
    start: 2 + Math.floor(rand() * 4),
    step: pick([1, 2, 4]),
    wide: rand() < 0.7,
    extra: rand() < 0.5 ? (BigInt(1 + Math.floor(rand() * 0xffff)) << 32n) | 0xfffff000n : undefined,
    pointer: rand() < 0.5 ? 1 : 0,
    mark: size === 1 && rand() < 0.5 ? 0x5a : undefined,
    slot: rand() < 0.4,
    length: 24 + Math.floor(rand() * 200),
    init: (BigInt(Math.floor(rand() * 0xffffffff)) << 32n) | 0xffffff00n, // the first sums carry
    ivHigh: false,
  };
}

/** The program: the loop, then r0 folded with r3 (iv), r7 and r9 - r1. */
function programOf(l: Loop): string {
  const c = l.off + l.size - 1; // the exit test on r3 + c: the next trip's access ends within the input
  const lines = [
    `lddw %r0, 0x${l.init.toString(16)}`,
    l.ivHigh ? `lddw %r3, 0x1${l.start.toString(16).padStart(8, "0")}` : `mov %r3, ${l.start}`,
    `lddw %r7, 0x${(l.extra ?? 0n).toString(16)}`,
    "mov %r9, %r1",
  ];
  if (l.slot) lines.push("stxdw [%r10-16], %r2");
  lines.push("loop:", "mov %r4, %r1", "add %r4, %r3", `ldx${SIZES[l.size]} %r6, [%r4${l.off < 0 ? "" : "+"}${l.off}]`);
  if (l.mark !== undefined) lines.push(`jeq %r6, ${l.mark}, done`);
  lines.push(l.wide ? "add %r0, %r6" : "add32 %r0, %r6");
  if (l.extra !== undefined) lines.push("add %r0, %r7");
  if (l.pointer) lines.push("ldxb %r5, [%r9+0]", "add %r0, %r5", `add %r9, ${l.pointer}`);
  lines.push(`add %r3, ${l.step}`, "mov %r8, %r3", `add %r8, ${c}`);
  if (l.slot) lines.push("ldxdw %r2, [%r10-16]");
  lines.push("jlt %r8, %r2, loop", "done:", "sub %r9, %r1");
  for (const r of [3, 7, 9]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}

function inputOf(l: Loop, seed: number): Uint8Array {
  const rand = rng(seed * 7919);
  const input = new Uint8Array(l.length);
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256) | 0x80; // large values: carries
  if (l.mark !== undefined) input[l.start + l.off + Math.floor(rand() * (l.length - l.start - 8))] = l.mark;
  return input;
}

/** r0 from the loop's meaning, computed on the input directly. */
function expected(l: Loop, input: Uint8Array): string {
  const c = BigInt(l.off + l.size - 1);
  const load = (at: number) => {
    let v = 0n;
    for (let k = 0; k < l.size; k++) v |= BigInt(input[at + k]) << BigInt(8 * k);
    return v;
  };
  let r0 = l.init;
  let iv = BigInt(l.start);
  let p = 0n;
  for (;;) {
    const v = load(Number(iv) + l.off);
    if (l.mark !== undefined && v === BigInt(l.mark)) break;
    r0 = l.wide ? (r0 + v) & M64 : ((r0 & M32) + v) & M32;
    if (l.extra !== undefined) r0 = (r0 + l.extra) & M64;
    if (l.pointer) {
      r0 = (r0 + BigInt(input[Number(p)])) & M64;
      p += BigInt(l.pointer);
    }
    iv += BigInt(l.step);
    if (!(iv + c < BigInt(input.length))) break;
  }
  for (const v of [iv, l.extra ?? 0n, p]) r0 = (r0 * 1000003n + v) & M64;
  return r0Is(r0);
}

const loops = new Map<string, Loop>(); // by program source

function caseOf(seed: number, budget = 0, change: Partial<Loop> = {}): Case {
  const l = { ...pickLoop(seed), ...change };
  const source = programOf(l);
  loops.set(source, l);
  const shown = JSON.stringify(l, (_, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v));
  return { name: `seed ${seed} budget ${budget} ${shown}`, shape: { source, input: inputOf(l, seed) }, budget };
}

const model = (source: string, input: Uint8Array) => expected(loops.get(source)!, input);

describe("generated loops through the copies", () => {
  it("sums carrying past 2^32, wide registers, pointers, frame-slot bounds, early exits: the value computed here", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 40; seed++) cases.push(caseOf(seed));
    const versioned = cases.filter((c) => arm32Listing(assemble(c.shape.source)).includes("(copy of loop"));
    expect(cases.filter((c) => !versioned.includes(c)).map((c) => c.name)).toEqual([]);
    const results = await outcomes(cases, model);
    expect(results.filter((r) => !r.model.startsWith("r0 = "))).toEqual([]);
    expect(results.filter((r) => r.arm32 !== r.model || r.interp !== r.model)).toEqual([]);
  }, 180_000);

  it("budgets running out at every count over the first trips: the interpreter's instruction", async () => {
    const cases: Case[] = [];
    for (const seed of [3, 8, 13]) {
      const l = pickLoop(seed);
      const trip =
        8 +
        (l.mark !== undefined ? 1 : 0) +
        (l.extra !== undefined ? 1 : 0) +
        3 * Math.min(l.pointer, 1) +
        (l.slot ? 1 : 0);
      for (let budget = 1; budget <= 6 + 3 * trip; budget++) cases.push(caseOf(seed, budget));
    }
    const results = await outcomes(cases, () => "");
    expect(results.filter((r) => r.arm32 !== r.interp)).toEqual([]);
    expect(results.filter((r) => r.interp.startsWith("instruction budget")).length).toBeGreaterThan(cases.length / 2);
  }, 300_000);

  it("Adler-32 with its kept multipliers: the checksum computed here", async () => {
    const adler = (input: Uint8Array) => {
      let a = 1;
      let b = 0;
      for (const x of input) {
        a = (a + x) % 65521;
        b = (b + a) % 65521;
      }
      return r0Is(BigInt(b) * 65536n + BigInt(a));
    };
    const rand = rng(65521);
    const cases = [1, 100, 5553, 20000].map((n) => ({
      name: `${n} bytes`,
      shape: { source: ADLER32, input: Uint8Array.from({ length: n }, () => 0xc0 | Math.floor(rand() * 64)) },
      budget: 0,
    }));
    const results = await outcomes(cases, (_, input) => adler(input));
    expect(results.filter((r) => r.arm32 !== r.model || r.interp !== r.model)).toEqual([]);
  }, 60_000);

  it("iv with a nonzero high word: the ordinary code faults where the interpreter does", async () => {
    const cases = [2, 5, 9].map((seed) => caseOf(seed, 0, { ivHigh: true }));
    const results = await outcomes(cases, () => "");
    expect(results.filter((r) => r.arm32 !== r.interp || r.arm32.startsWith("r0 = "))).toEqual([]);
  }, 60_000);
});
