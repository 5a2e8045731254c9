// Division and modulo by constants on every engine: `div`, `mod`, `sdiv`, `smod` with an immediate, 32- and
// 64-bit, on the boundaries of each divisor (0, 1, d - 1, d, d + 1, 2^31, 2^32 - 1, 2^63, 2^64 - 1, negative
// values). The translators replace these with multiplies, shifts and compares, so each boundary is where a wrong
// reciprocal or a missed rounding step shows. The expected values come from BigInt and the eBPF rules (RFC 9669:
// x / 0 = 0, x % 0 = x, signed results truncate toward zero, MIN / -1 wraps), computed here.
//
// One program per divisor and form runs all four operations over every dividend and folds the results into r0;
// when the fold differs, the test runs the dividends one at a time to name the first wrong one. ARM32 runs as
// ARMv7 (Cortex-A8 without, Cortex-A7 with hardware divide) and as ARMv6; a 64-bit dividend of 2^32 or more takes
// its own multiply-high sequence there, and the listing shows that no division routine is called for it.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { wasmEngine } from "../../src/engines/wasm.js";
import { arm32Listing, runArm32Async, type Arm32Result } from "../../src/engines/arm32/build.js";
import { ensureArm32Translator, limited } from "../support/arm32.js";
import { existsSync } from "node:fs";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;
const FOLD = 1000003n;

type Op = "div" | "mod" | "sdiv" | "smod";
const OPS: Op[] = ["div", "mod", "sdiv", "smod"];

/** How the dividend reaches the operation: a 32-bit operation, or a 64-bit one on a 64-bit or a 32-bit load. */
type Form = "alu32" | "alu64" | "alu64-loaded32";
const FORMS: Form[] = ["alu32", "alu64", "alu64-loaded32"];

/** eBPF's result of `a op imm` (a as the register holds it, 64 bits). */
function reference(op: Op, form: Form, a: bigint, imm: number): bigint {
  const wide = form !== "alu32";
  const bits = wide ? 64 : 32;
  const mask = wide ? M64 : M32;
  const x = a & mask;
  const y = BigInt.asUintN(bits, BigInt(imm)); // the immediate, sign-extended to the operation's width
  if (op === "div") return y === 0n ? 0n : x / y;
  if (op === "mod") return y === 0n ? x : x % y;
  const sx = BigInt.asIntN(bits, x);
  const sy = BigInt.asIntN(bits, y);
  if (op === "sdiv") return sy === 0n ? 0n : BigInt.asUintN(bits, sx / sy); // BigInt division truncates
  return sy === 0n ? x : BigInt.asUintN(bits, sx % sy); // the remainder takes the dividend's sign
}

const MNEMONIC: Record<Op, string> = { div: "div", mod: "mod", sdiv: "sdiv", smod: "smod" };
const DEST = ["%r3", "%r4", "%r5", "%r8"];

/** r0 = fold over the n dividends at r1 (8 bytes each) of the results of each op in `ops`. */
function program(ops: Op[], form: Form, imm: number, n: number): Uint8Array {
  const load = form === "alu64-loaded32" ? "ldxw" : "ldxdw";
  const suffix = form === "alu32" ? "32" : "";
  const body = ops
    .map(
      (op, k) => `
        ${load} ${DEST[k]}, [%r6+0]
        ${MNEMONIC[op]}${suffix} ${DEST[k]}, ${imm}
        mul %r0, ${FOLD}
        add %r0, ${DEST[k]}`,
    )
    .join("");
  return assemble(`
        mov %r6, %r1
        mov %r7, %r1
        add %r7, ${8 * n}
        mov %r0, 0
      loop:${body}
        add %r6, 8
        jlt %r6, %r7, loop
        exit`);
}

function expectedFold(ops: Op[], form: Form, imm: number, dividends: bigint[]): bigint {
  let r = 0n;
  for (const a of dividends) {
    const loaded = form === "alu64-loaded32" ? a & M32 : a;
    for (const op of ops) r = ((r * FOLD) & M64) + reference(op, form, loaded, imm);
  }
  return r & M64;
}

function memoryOf(dividends: bigint[]): Uint8Array {
  const mem = new Uint8Array(8 * dividends.length);
  const view = new DataView(mem.buffer);
  dividends.forEach((a, k) => view.setBigUint64(8 * k, a & M64, true));
  return mem;
}

/** Divisors as immediates: small, odd, powers of two, 2^31 and 2^32 - 1 (imm -2^31 and -1), negatives. */
const DIVISORS = [
  1,
  2,
  3,
  7,
  10,
  16,
  255,
  641,
  0xffff,
  1 << 20,
  1 << 30,
  0x7fffffff,
  1000000007,
  6700417,
  0x55555555,
  -0x80000000,
  -1,
  0,
  -3,
  -7,
  -10,
  -16,
  -65536,
  -1000000007,
];

/** Pseudo-random values, the same every run: 64-bit, below 2^32 and small. */
function randoms(): bigint[] {
  let s = 0x2545f4914f6cdd1dn;
  const next = () => (s = (s * 6364136223846793005n + 1442695040888963407n) & M64);
  const out: bigint[] = [];
  for (let k = 0; k < 12; k++) out.push(next(), next() >> 32n, next() >> 52n);
  return out;
}

function dividends(imm: number): bigint[] {
  const set = new Set<bigint>();
  const add = (v: bigint) => set.add(v & M64);
  for (const v of [0n, 1n, 2n, (1n << 31n) - 1n, 1n << 31n, (1n << 31n) + 1n, M32 - 1n, M32, 1n << 32n]) add(v);
  for (const v of [(1n << 32n) + 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 63n) + 1n, M64 - 1n, M64]) add(v);
  for (const d of [BigInt(imm), BigInt(imm) & M32]) {
    for (const v of [d - 1n, d, d + 1n, 2n * d - 1n, 2n * d, 3n * d + 1n, -d, -d + 1n, -d - 1n]) add(v);
    add(BigInt.asIntN(32, d) - 1n); // just below a negative 32-bit divisor, sign-extended
  }
  // 64-bit dividends around multiples of the divisor: where the quotient's high word starts, and the last one
  const ad = BigInt(Math.abs(imm));
  if (ad > 1n) {
    const last = (M64 / ad) * ad;
    for (const v of [(ad << 32n) - 1n, ad << 32n, last - 1n, last, M64 - ad, (1n << 63n) - ad, (1n << 63n) + ad])
      add(v);
    add(-(ad << 32n)); // negative, for the signed forms
  }
  for (const v of randoms()) add(v);
  return [...set];
}

function interp(code: Uint8Array, mem: Uint8Array, engine: "interp" | "wasm"): bigint {
  const rt = new Runtime({});
  const prog = rt.addProgram("program", code);
  return rt.run(prog, { ctx: { bytes: mem } }, engine === "wasm" ? wasmEngine : engine).r0;
}

function r0Of(r: Arm32Result): bigint {
  if ("fault" in r) throw new Error(r.fault);
  return r.r0;
}

type Run = (code: Uint8Array, mem: Uint8Array) => Promise<bigint>;
const ENGINES: [string, Run][] = [
  ["interp", async (code, mem) => interp(code, mem, "interp")],
  ["wasm", async (code, mem) => interp(code, mem, "wasm")],
  ["arm32 cortex-a8", async (code, mem) => r0Of(await runArm32Async(code, mem, { budget: 0 }))],
  ["arm32 cortex-a7 (idiv)", async (code, mem) => r0Of(await runArm32Async(code, mem, { budget: 0, idiv: true }))],
  ["arm32 arm1176 (armv6)", async (code, mem) => r0Of(await runArm32Async(code, mem, { budget: 0, armv6: true }))],
];

/** The first (op, dividend) an engine gets wrong, for the failure message. */
async function firstWrong(run: Run, form: Form, imm: number, all: bigint[]): Promise<string> {
  for (const op of OPS)
    for (const a of all) {
      const got = await run(program([op], form, imm, 1), memoryOf([a]));
      const want = expectedFold([op], form, imm, [a]);
      if (got !== want) return `${op} of 0x${a.toString(16)}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`;
    }
  return "every dividend right on its own";
}

const hex = (imm: number) => (imm < 0 ? `-0x${(-imm).toString(16)}` : `0x${imm.toString(16)}`);

describe("division and modulo by constants on every engine", () => {
  for (const form of FORMS)
    it(`${form}: div, mod, sdiv, smod by ${DIVISORS.length} divisors`, async () => {
      const jobs = DIVISORS.flatMap((imm) =>
        ENGINES.map(([name, run]) => async () => {
          const all = dividends(imm);
          const code = program(OPS, form, imm, all.length);
          const got = await run(code, memoryOf(all));
          const want = expectedFold(OPS, form, imm, all);
          return got === want ? "" : `${name}, divisor ${hex(imm)}: ${await firstWrong(run, form, imm, all)}`;
        }),
      );
      const wrong = (await limited(jobs)).filter((m) => m !== "");
      expect(wrong).toEqual([]);
    }, 180_000);

  const hasObjdump =
    ["/usr/bin/llvm-objdump-19", "/usr/bin/llvm-objdump"].some(existsSync) || !!process.env.LLVM_OBJDUMP;
  it.skipIf(!hasObjdump)("64-bit dividends call no division routine, on ARMv7 and ARMv6", () => {
    for (const armv6 of [false, true])
      for (const op of OPS)
        for (const imm of [7, 10, 641, 1 << 20, -7, -0x80000000]) {
          if ((op === "div" || op === "mod") && imm < 0) continue; // unsigned by 2^64 - 7 or more: a compare
          const listing = arm32Listing(program([op], "alu64", imm, 1), { budget: 0, armv6 });
          // the ARM code listed under the division, up to the next eBPF instruction
          const lines = listing.split("\n");
          const at = lines.findIndex((l) => /^; +\d+: /.test(l) && l.includes(`${op} `));
          expect(at, `${op} by ${imm} in the listing`).toBeGreaterThan(0);
          const end = lines.findIndex((l, k) => k > at && l.startsWith(";"));
          const code = lines.slice(at + 1, end);
          expect(code.length).toBeGreaterThan(0);
          expect(
            code.filter((l) => /\sbl(x|[a-z]{2})?\s/.test(l)),
            `${op} by ${imm}${armv6 ? " (armv6)" : ""}`,
          ).toEqual([]);
        }
  });

  it("the reference follows RFC 9669 on its own corner cases", () => {
    expect(reference("sdiv", "alu64", 1n << 63n, -1)).toBe(1n << 63n); // MIN / -1 wraps
    expect(reference("smod", "alu64", 1n << 63n, -1)).toBe(0n);
    expect(reference("sdiv", "alu32", 0x80000000n, -1)).toBe(0x80000000n);
    expect(reference("smod", "alu32", (1n << 32n) - 7n, 3)).toBe((1n << 32n) - 1n); // -7 % 3 = -1
    expect(reference("div", "alu32", 0x1_0000_0005n, 0)).toBe(0n);
    expect(reference("mod", "alu32", 0x1_0000_0005n, 0)).toBe(5n); // 32-bit: the dividend's low word
    expect(reference("div", "alu64", M64, -1)).toBe(1n); // the immediate is sign-extended: 2^64 - 1
    expect(reference("sdiv", "alu64", 7n, -2)).toBe(M64 - 2n); // 7 / -2 = -3
  });
});
