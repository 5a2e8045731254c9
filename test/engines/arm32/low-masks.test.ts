// ANDs with a mask of low bits that no ARM immediate encodes (2^w - 1 for w from 9 to 31: a checksum's 0xffff, a
// counter's 4095; assembly/arm32/a32/code.ts emitLowBits): one UXTH (w = 16) or UBFX, in 32 and in 64 bits, after a
// copy too (jit/fuse.ts), in the ordinary code and in a loop's copy, where no ARM register then keeps the mask
// (jit/loopregs.ts: the registers go to eBPF registers instead). ARMv6 has UXTH but no UBFX: it ANDs with the
// constant for the other widths. Generated programs (masks of every kind on values with both words set, in loops and
// straight code) check r0 against the interpreter on both targets.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator, limited } from "../../support/arm32.js";
import { hexWord, interpreterOutcome, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const INPUT = Uint8Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff);
const REGS = [0, 2, 3, 4, 5, 6, 7, 8];
// low masks of several widths, and masks that are not (their ANDs keep the constant)
const LOW = [0x1ff, 0xfff, 0x7fff, 0xffff, 0x1ffff, 0xfffff, 0x7fffff, 0xffffff, 0xfffffff, 0x7fffffff];
const OTHER = [0xff, 0xff00ff, 0x1ff00, 0xfffe, 0x7ffffffe];

/** The ARM instructions of a listing's first loop copy, or (copy false) of the code before it. */
function code(listing: string, copy: boolean): string[] {
  const start = listing.indexOf("(copy of loop");
  const part = copy ? listing.slice(start, listing.indexOf("the ordinary code", start)) : listing.slice(0, start);
  return part
    .split("\n")
    .filter((l) => /^\s+[0-9a-f]+:\s/.test(l))
    .map((l) => l.replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
}

/** Masks before a loop and in it: a 32-bit AND, a 64-bit one, and each after a copy. */
const SOURCE = [
  "lddw %r6, 0x123456789abcdef0",
  "and %r6, 0xffff",
  "mov32 %r7, %r6",
  "and32 %r7, 4095",
  "mov %r0, 0",
  "mov %r9, 0",
  "loop:",
  "mov %r2, %r1",
  "add %r2, %r9",
  "ldxw %r2, [%r2+0]",
  "mov %r3, %r2",
  "and %r3, 0xffff",
  "add %r0, %r3",
  "mov32 %r4, %r2",
  "and32 %r4, 0xfffff",
  "xor %r0, %r4",
  "and32 %r2, 4095",
  "add %r0, %r2",
  "add %r9, 1",
  "jlt %r9, 16, loop",
  "add %r0, %r6",
  "add %r0, %r7",
  "exit",
].join("\n");

describe("ANDs with a mask of low bits", () => {
  it("one UXTH or UBFX each, in the ordinary code and in the copy, no constant for them", () => {
    const listing = arm32Listing(assemble(SOURCE), { budget: 0 });
    const before = code(listing, false);
    expect(before.filter((l) => /^uxth\s/.test(l))).toHaveLength(1);
    expect(before.filter((l) => /^ubfx\s+r\d+, r\d+, #0x0, #0xc$/.test(l))).toHaveLength(1);
    const copy = code(listing, true);
    expect(copy.filter((l) => /^uxth\s/.test(l))).toHaveLength(1);
    expect(copy.filter((l) => /^ubfx\s+r\d+, r\d+, #0x0, #0x(c|14)$/.test(l))).toHaveLength(2);
    expect([...before, ...copy].filter((l) => /^(movw|movt|and)\s.*(0xfff|0xffff|0xfffff)$/.test(l))).toEqual([]);
  });

  it("on ARMv6, UXTH for 0xffff and the constant for the others (no UBFX)", () => {
    const listing = arm32Listing(assemble(SOURCE), { budget: 0, armv6: true });
    const all = [...code(listing, false), ...code(listing, true)];
    expect(all.filter((l) => /^uxth\s/.test(l))).toHaveLength(2);
    expect(all.filter((l) => /^ubfx\s/.test(l))).toEqual([]);
  });

  it("generated masks in loops and straight code: the interpreter's r0 on ARMv7 and ARMv6", async () => {
    const sources = Array.from({ length: 32 }, (_, k) => masks(8000 + k, k % 2 === 0));
    const runs = sources.flatMap((source) => [
      { source, opts: { budget: 0 } },
      { source, opts: { budget: 0, armv6: true, cpu: "arm1176" } },
    ]);
    const results = await limited(
      runs.map((run) => async () => {
        const insns = assemble(run.source);
        const r = await runArm32Async(insns, INPUT, run.opts);
        return {
          run,
          arm32: "r0" in r ? `r0 = ${r.r0}` : r.fault,
          interp: interpreterOutcome(insns, INPUT),
        };
      }),
    );
    expect(results.filter((r) => r.arm32 !== r.interp)).toEqual([]);
    // most programs reach a low mask in a loop's copy
    const copies = sources
      .filter((_, k) => k % 2 === 0)
      .map((s) => code(arm32Listing(assemble(s), { budget: 0 }), true));
    expect(copies.filter((c) => c.some((l) => /^(uxth|ubfx)\s/.test(l))).length).toBeGreaterThan(12);
  }, 240_000);
});

/**
 * Registers set to 64-bit values with both words set, then ANDs with low masks (and others) in 32 and 64 bits, in
 * place and after a copy, between sums, products and shifts that spread bits into both words; in a loop over r9
 * (loads through r1 + r9, so that it gets a copy) or straight. r0 folds every register at the end.
 */
function masks(seed: number, loop: boolean): string {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const lines = REGS.map((r) => `lddw %r${r}, 0x${hexWord(rand)}${hexWord(rand)}`);
  // (a loop reads through r1 + r9 first: an access its copy leaves unchecked)
  if (loop) lines.push("mov %r9, 0", "loop:", "mov %r2, %r1", "add %r2, %r9", "ldxw %r2, [%r2+0]");
  for (let n = 0; n < 10; n++) {
    const d = pick(REGS);
    const s = pick(REGS.filter((r) => r !== d));
    const mask = rand() < 0.75 ? pick(LOW) : pick(OTHER);
    const kind = rand();
    if (kind < 0.2) lines.push(`and32 %r${d}, ${mask}`);
    else if (kind < 0.4) lines.push(`and %r${d}, ${mask}`);
    else if (kind < 0.55) lines.push(`mov32 %r${d}, %r${s}`, `and32 %r${d}, ${mask}`);
    else if (kind < 0.7) lines.push(`mov %r${d}, %r${s}`, `and %r${d}, ${mask}`);
    else if (kind < 0.8 && loop) lines.push(`mov %r${d}, %r1`, `add %r${d}, %r9`, `ldxw %r${d}, [%r${d}+0]`);
    else lines.push(`${pick(["add", "xor", "mul", "sub"])} %r${d}, %r${s}`, `${pick(["lsh", "rsh"])} %r${s}, 7`);
  }
  if (loop) lines.push("add %r9, 1", `jlt %r9, ${4 + Math.floor(rand() * 12)}, loop`);
  for (const r of REGS) if (r !== 0) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  return lines.join("\n");
}
