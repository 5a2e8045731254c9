// Loops whose trips a division bounds, on the ARM32 translator (assembly/arm32/analysis/divided.ts): the digit loop
// of `do { buf[k++] = '0' + v % 10; v /= 10; } while (v)` (clang: `if (old v > 9) goto loop`), its forms testing
// the divided value (`jne v, 0`, `jge v, 1`), a hex loop (`v >>= 4`), 64-bit divisions under 64-bit tests. No
// compare bounds the counter the loop stores through; the division does (a 32-bit value has at most 10 decimal
// digits), and the loop is versioned on it: one test on entry, a copy without memory checks. Generated loops with
// values at the edges (0, 9, 10, 2^32 - 1, high words not zero, 2^63, 2^64 - 1), counters that start far out (the
// test fails: the ordinary code runs, and faults at the store) and buffers that end inside the input or past it
// must give the r0 (or the fault) of test/support/asm-model.ts and the interpreter's, with and without a budget;
// frame buffers (itoa's `char buf[12]`) the r0 computed here with BigInt.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async } from "../../../src/engines/arm32/build.js";
import { copyRuns, ensureArm32Translator, expectCopyWithoutChecks, limited } from "../../support/arm32.js";
import { type Shape, interpreterOutcome, outcomes, rng } from "../../support/generated-runs.js";
import { expectModelAgreement, modelRun as model, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;

interface Digits {
  op: "div32" | "div" | "rsh32" | "rsh"; // how the value shrinks each trip
  by: number; // the divisor, or the shift
  test: "before" | "ne" | "ge"; // `jgt old, by - 1` on the value before the division, or `jne v, 0` / `jge v, 1` after
  narrowTest: boolean; // the exit test on the low words (jgt32, jne32, jge32)
  start: bigint; // the counter's start (lddw: any 64-bit value)
  step: number;
  off: number; // the buffer's offset in the input
}

/**
 * The value (the input's first 8 bytes) written digit by digit into the input at off + counter, the last digit
 * first: the loop runs from `loop:` to its closing jump; r0 folds the counter and two of the bytes.
 */
function digitsProgram(d: Digits): string {
  const digit = d.op.startsWith("div")
    ? [`mov32 %r9, %r6`, `mul32 %r9, ${d.by}`, "mov32 %r7, %r3", "sub32 %r7, %r9"]
    : ["mov32 %r7, %r3", `and32 %r7, ${(1 << d.by) - 1}`];
  const w = d.narrowTest ? "32" : "";
  const closing =
    d.test === "before"
      ? `jgt${w} %r3, ${d.op.startsWith("div") ? d.by - 1 : (1 << d.by) - 1}, loop`
      : d.test === "ne"
        ? `jne${w} %r6, 0, loop`
        : `jge${w} %r6, 1, loop`;
  return [
    "ldxdw %r6, [%r1+0]",
    `lddw %r5, 0x${d.start.toString(16)}`,
    "loop:",
    "mov %r3, %r6",
    "mov %r8, %r1",
    `add %r8, ${d.off}`,
    "add %r8, %r5",
    `${d.op} %r6, ${d.by}`,
    ...digit,
    "or32 %r7, 48",
    "stxb [%r8+0], %r7",
    `add %r5, ${d.step}`,
    closing,
    "mov %r0, %r5",
    "mul %r0, 31",
    `ldxb %r2, [%r1+${d.off}]`,
    "add %r0, %r2",
    "ldxdw %r2, [%r1+8]",
    "add %r0, %r2",
    "exit",
  ].join("\n");
}

/** The loop's first and last instruction (after ldxdw and lddw, which takes two). */
const DIGITS_RANGE: [number, number] = [3, 15]; // (the div loop's; the shift loop's is two shorter)
const DIGITS_STORE = 13;
function digitsRange(d: Digits): [number, number] {
  return d.op.startsWith("div") ? DIGITS_RANGE : [3, 13];
}

function digitsShape(d: Digits, value: bigint, length: number): Shape {
  const input = new Uint8Array(length);
  for (let i = 0; i < 8; i++) input[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  for (let i = 8; i < length; i++) input[i] = (i * 37) & 0xff;
  return { source: digitsProgram(d), input };
}

const ITOA: Digits = { op: "div32", by: 10, test: "before", narrowTest: true, start: 0n, step: 1, off: 16 };

/** itoa's loop storing into a frame buffer of 16 bytes at r10 - 16 + start (cleared first): r0 from its bytes. */
function frameProgram(start: number, divisor: number): string {
  return [
    "ldxdw %r6, [%r1+0]",
    "mov %r2, 0",
    "stxdw [%r10-16], %r2",
    "stxdw [%r10-8], %r2",
    `mov %r5, ${start}`,
    "loop:",
    "mov32 %r3, %r6",
    "mov %r4, %r5",
    "mov %r8, %r10",
    "add %r8, -16",
    "add %r8, %r4",
    `div32 %r6, ${divisor}`,
    "mov32 %r9, %r6",
    `mul32 %r9, ${divisor}`,
    "mov32 %r7, %r3",
    "sub32 %r7, %r9",
    "or32 %r7, 48",
    "stxb [%r8+0], %r7",
    "add %r5, 1",
    `jgt32 %r3, ${divisor - 1}, loop`,
    "ldxdw %r0, [%r10-16]",
    "ldxdw %r2, [%r10-8]",
    "xor %r0, %r2",
    "mul %r5, 1000003",
    "add %r0, %r5",
    "exit",
  ].join("\n");
}

/** frameProgram's r0 by BigInt, or null when its digits reach past the frame (every engine faults there). */
function frameExpected(value: bigint, start: number, divisor: number): bigint | null {
  const bytes = new Array<bigint>(16).fill(0n);
  let v = value & 0xffffffffn;
  let k = start;
  do {
    if (k >= 16) return null;
    bytes[k++] = 48n | v % BigInt(divisor);
    v /= BigInt(divisor);
  } while (v > 0n);
  const word = (from: number) => bytes.slice(from, from + 8).reduce((acc, b, i) => acc | (b << BigInt(8 * i)), 0n);
  return ((word(0) ^ word(8)) + BigInt(k) * 1000003n) & M64;
}

const EDGES = [0n, 9n, 10n, 99n, 1n << 31n, 0xffffffffn, 1n << 32n, 0x1_0000_0009n, 1n << 63n, M64, 12345678901234n];

describe("loops whose trips a division bounds", () => {
  it("a digit loop gets one test on entry and a copy without memory checks", () => {
    for (const d of [
      ITOA,
      { ...ITOA, test: "ne" as const },
      { ...ITOA, test: "ge" as const, narrowTest: false },
      { ...ITOA, op: "rsh32" as const, by: 4 },
      { ...ITOA, op: "div" as const, narrowTest: false },
      { ...ITOA, op: "rsh" as const, by: 1, test: "ne" as const, narrowTest: false },
      { ...ITOA, step: 3 },
    ])
      expectCopyWithoutChecks(digitsProgram(d), digitsRange(d));
    expectCopyWithoutChecks(frameProgram(0, 10), [5, 18]);
  });

  it("is not planned when the loop's value may not shrink: a signed division, or a 64-bit value under a 32-bit test", () => {
    const signed = digitsProgram(ITOA).replace("div32 %r6, 10", "sdiv32 %r6, 10");
    const wide = digitsProgram({ ...ITOA, op: "div", test: "ne" });
    for (const source of [signed, wide]) {
      expect(arm32Listing(assemble(source), { budget: 0 })).not.toContain("; loop 3-15: the test on entry");
    }
  });

  it("tests the buffer for exactly the most digits: 10 for a 32-bit value, the copy runs where 10 bytes fit", () => {
    // the buffer's last 10 bytes end at the input's end: the test passes for the largest value's 10 digits; with
    // one byte less it fails, and the ordinary code runs the same loop (a value of 10 digits then faults)
    const source = digitsProgram({ ...ITOA, off: 22 });
    const code = assemble(source);
    const ran = (length: number, value: bigint) => copyRuns(code, digitsShape(ITOA, value, length).input, DIGITS_RANGE);
    expect(ran(32, 0xffffffffn)).toBe(true);
    expect(ran(31, 7n)).toBe(false);
    expect(interpreterOutcome(code, digitsShape(ITOA, 0xffffffffn, 31).input)).toMatch(
      new RegExp(`instruction ${DIGITS_STORE}\\b`),
    );
  });

  it("generated digit loops give the model's r0 or fault, as the interpreter, with and without a budget", async () => {
    const rand = rng(20261208);
    const int = (n: number) => Math.floor(rand() * n);
    const pick = <T>(xs: T[]) => xs[int(xs.length)];
    const shapes: Shape[] = [];
    for (let s = 0; s < 40; s++) {
      const op = pick(["div32", "div32", "div", "rsh32", "rsh"] as const);
      const wide = op === "div" || op === "rsh";
      const by = op.startsWith("div") ? pick([2, 3, 7, 10, 10, 16, 100]) : 1 + int(6);
      const test = pick(["before", "ne", "ge"] as const);
      // a counter far out in one case of about eight: the test fails, the first store faults
      const start = rand() < 0.12 ? pick([1n << 31n, 0xffffffffn, 1n << 32n, M64 - 3n]) : BigInt(int(6));
      const d: Digits = { op, by, test, narrowTest: !wide && rand() < 0.6, start, step: 1 + int(2), off: 16 + int(8) };
      const value = rand() < 0.5 ? pick(EDGES) : BigInt(int(2 ** 32)) * BigInt(1 + int(3));
      // a buffer reaching past the input's end in about one case of four
      const length = 24 + d.off + int(40) - (rand() < 0.25 ? 40 : 0);
      shapes.push(digitsShape(d, value, Math.max(length, 16)));
    }
    // (a store far from the input, through a counter far out, is stated by its address, which each engine lays
    // out its own way: compared without it)
    const results = (await outcomes(withBudgetCases(shapes), model)).map((r) => ({
      ...r,
      interp: r.interp.replace(/ at 0x[0-9a-f]+ /, " at an address "),
      arm32: r.arm32.replace(/ at 0x[0-9a-f]+ /, " at an address "),
    }));
    expectModelAgreement(results);
  }, 240_000);

  it("itoa's frame buffer: r0 as computed here, a fault where the digits pass the frame's top", async () => {
    const cases: { value: bigint; start: number; divisor: number }[] = [];
    for (const value of EDGES) for (const start of [0, 5, 6, 9, 14]) cases.push({ value, start, divisor: 10 });
    cases.push({ value: 0xffffffffn, start: 0, divisor: 2 }, { value: 0xffffn, start: 0, divisor: 2 });
    const results = await limited(
      cases.map((c) => async () => {
        const code = assemble(frameProgram(c.start, c.divisor));
        const input = digitsShape(ITOA, c.value, 16).input;
        const r = await runArm32Async(code, input, { budget: 0 });
        return { ...c, arm32: "r0" in r ? `r0 = ${r.r0}` : r.fault, interp: interpreterOutcome(code, input) };
      }),
    );
    for (const r of results) {
      const expected = frameExpected(r.value, r.start, r.divisor);
      if (expected === null) {
        expect(r.interp, `${r.value} from ${r.start}`).toMatch(/instruction 16\b/);
        expect(r.arm32).toBe(r.interp);
      } else {
        expect(r.arm32, `${r.value} from ${r.start}`).toBe(`r0 = ${expected}`);
        expect(r.interp).toBe(`r0 = ${expected}`);
      }
    }
  }, 240_000);
});
