// Three idioms of clang's byte-scanning loops on the ARM32 translator, each decided by instruction shape and known
// value ranges:
// - a 32-bit product by a constant read once by an add, subtraction, or, xor or and (`x - (x / 10) * 10`,
//   `cur * 10 + d`; assembly/arm32/jit/readonce.ts): the shifter's form (`add t, a, a, lsl #2; sub d, b, t, lsl #1`)
//   or one MLA / MLS, the product never written;
// - a byte or halfword range test's mask (`(u8)(c - 'a') < 26`; jit/maskedcompare.ts): the AND left out where the
//   comparison goes the same way without it and nothing else reads the value;
// - a comparison with the constant next to the one a converted jump just compared against (`x < 10`, then
//   `x > 9`; jit/jumps.ts): no second CMP;
// - a char's sign extension with other work between its two shifts, or of a byte-assembled char (jit/extend.ts):
//   one LDRSB;
// - a flag negated and masked (`!a && !b`: `xor32 x, -1; and x, 1`; jit/notmask.ts): one EOR where the value is
//   below the mask's power of two;
// - a 64-bit shift left by 32 or more (`count << 32 | sum`; jit/alu.ts): the source's high word not loaded.
// Generated programs (every consumer, factors of each form, masks and bounds on both sides of where the rule
// stops, products and tested values read again, every condition against neighbouring constants at the 32-bit
// edges) must give the interpreter's r0 and that of test/support/asm-model.ts (BigInt, from the eBPF semantics),
// with and without a budget, and on ARMv6 (no MLS).
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { type Shape, hexWord, outcomes, r0Is, randomInputShape, rng } from "../../support/generated-runs.js";
import { disagreeingWithModel, modelRun, withBudgetCases } from "../../support/asm-model.js";

beforeAll(ensureArm32Translator);

const TRIPS = 40;

/** A loop over TRIPS input bytes (r3 = the byte, r4 = a halfword from there) around `body`; r0 folds r5-r8. */
function loop(body: string[]): string {
  return [
    "mov %r0, 0",
    "lddw %r5, 0x1234567876543210",
    "mov %r6, 77",
    "mov %r7, 3",
    "mov %r8, 0",
    "mov %r9, 0",
    "loop:",
    "mov %r2, %r1",
    "add %r2, %r9",
    "ldxb %r3, [%r2+0]",
    "ldxh %r4, [%r2+0]",
    ...body,
    "add %r9, 1",
    `jlt %r9, ${TRIPS}, loop`,
    "add %r0, %r5",
    "mul %r0, 31",
    "add %r0, %r6",
    "mul %r0, 31",
    "add %r0, %r7",
    "mul %r0, 31",
    "add %r0, %r8",
    "exit",
  ].join("\n");
}

/** The ARM code of the loop's copy, each line without address and encoding. */
function copyCode(source: string, opts: { armv6?: boolean } = {}): string[] {
  const listing = arm32Listing(assemble(source), { budget: 0, ...opts });
  const start = listing.indexOf("(copy of loop");
  expect(start).toBeGreaterThan(0);
  return listing
    .slice(start, listing.indexOf("the ordinary code", start))
    .split("\n")
    .filter((l) => /^\s+[0-9a-f]+:\s/.test(l))
    .map((l) => l.replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
}

describe("a product by a constant read once", () => {
  // the remainder by 10 (`x - (x / 10) * 10`) and a decimal accumulator (`cur * 10 + d`)
  const digits = [
    "mov32 %r6, %r3",
    "div32 %r6, 10",
    "mov32 %r2, %r6",
    "mul32 %r2, 10",
    "mov32 %r7, %r3",
    "sub32 %r7, %r2",
    "mov32 %r2, %r8",
    "mul32 %r2, 10",
    "mov32 %r8, %r7",
    "add32 %r8, %r2",
  ];

  it("is the shifter's form with the power of two in the operation's shifted operand: no MUL, no constant", () => {
    const code = copyCode(loop(digits));
    expect(code.filter((l) => /^(mul|mov\s+r\d+, #10$)/.test(l))).toEqual([]);
    expect(code.filter((l) => /^add\s+(r\d+), (r\d+), \2, lsl #2$/.test(l))).toHaveLength(2);
    expect(code.filter((l) => /^sub\s+r\d+, r\d+, r\d+, lsl #1$/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^add\s+r\d+, r\d+, r\d+, lsl #1$/.test(l))).toHaveLength(1);
  });

  it("is one MLA or MLS by another constant (MUL and SUB on ARMv6), and one shifted ORR for a shift", () => {
    const body = [
      "mov32 %r2, %r3",
      "mul32 %r2, 1000003",
      "add32 %r6, %r2",
      "mov32 %r2, %r4",
      "mul32 %r2, 131",
      "mov32 %r7, %r6",
      "sub32 %r7, %r2",
      "mov32 %r2, %r3",
      "lsh32 %r2, 9",
      "or32 %r8, %r2",
    ];
    const code = copyCode(loop(body));
    expect(code.filter((l) => /^mla\s/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^mls\s/.test(l))).toHaveLength(1);
    expect(code.filter((l) => /^mul\s/.test(l))).toEqual([]);
    expect(code.filter((l) => /^orr\s+r\d+, r\d+, r\d+, lsl #9$/.test(l))).toHaveLength(1);
    const v6 = copyCode(loop(body), { armv6: true });
    expect(v6.filter((l) => /^mls\s/.test(l))).toEqual([]);
    expect(v6.filter((l) => /^mla\s/.test(l))).toHaveLength(1);
  });

  it("is written where something reads the product after the operation", () => {
    const code = copyCode(loop([...digits, "add %r5, %r2"]));
    expect(code.filter((l) => /^mul\s/.test(l))).toHaveLength(1);
  });
});

describe("a byte range test's mask", () => {
  const test = (add: number, jump: string, bound: number, after: string[] = []) =>
    loop([
      "mov32 %r2, %r3",
      `add32 %r2, ${add}`,
      "and32 %r2, 255",
      `${jump} %r2, ${bound}, skip`,
      "add %r7, 1",
      "skip:",
      ...after,
      "mov %r2, 0",
    ]);

  it("is left out where the comparison goes the same way without it", () => {
    // (c - 97) & 255 <= 25 and (c - 9) & 255 < 2: a letter, a tab or a newline
    expect(copyCode(test(-97, "jgt32", 25)).filter((l) => /#255$/.test(l))).toEqual([]);
    expect(copyCode(test(-9, "jlt", 2)).filter((l) => /#255$/.test(l))).toEqual([]);
    expect(copyCode(test(-97, "jeq32", 158)).filter((l) => /#255$/.test(l))).toEqual([]);
  });

  it("is kept where a masked value at or past 2^8 + C decides the comparison, or something reads the value", () => {
    // (c - 58) & 255 < 246: clang's `!(c >= '0' && c <= '9')`, which the wrap decides
    expect(copyCode(test(-58, "jlt32", 246)).filter((l) => /^and\s.*#255$/.test(l))).toHaveLength(1);
    expect(copyCode(test(-97, "jeq32", 159)).filter((l) => /^and\s.*#255$/.test(l))).toHaveLength(1);
    expect(copyCode(test(-97, "jsgt32", 25)).filter((l) => /^and\s.*#255$/.test(l))).toHaveLength(1);
    expect(copyCode(test(-97, "jgt32", 25, ["add %r8, %r2"])).filter((l) => /^and\s.*#255$/.test(l))).toHaveLength(1);
  });
});

describe("a comparison against the next constant", () => {
  it("takes the flags of the converted jump's comparison before it", () => {
    // clang's `in = d < 10; if (d > 9) ...`
    const source = loop([
      "mov32 %r2, 1",
      "jlt32 %r3, 10, join",
      "mov32 %r2, 0",
      "join:",
      "jgt32 %r3, 9, skip",
      "add %r7, %r2",
      "skip:",
    ]);
    const listing = arm32Listing(assemble(source), { budget: 0 });
    // 12 jlt32 r3, 10 (converted), 14 jgt32 r3, 9: one comparison, its carry deciding both
    const code = codeOf(listing, 12, 16, true);
    expect(code.filter((l) => /^(cmp|cmn)\s/.test(l))).toEqual([expect.stringMatching(/^cmp\s+r\d+, #10$/)]);
    expect(code.filter((l) => /^bhs\s/.test(l))).toHaveLength(1);
  });
});

describe("a char's sign extension", () => {
  it("is one LDRSB with loads and other work between its shifts, and where a byte-assembled char is extended", () => {
    // clang's schedule of `h = h * 131 + (signed char)p[k]` for two bytes: each load, its shift left, the other's
    const spread = [
      "mov %r6, %r2",
      "ldxb %r6, [%r6+0]",
      "lsh32 %r6, 24",
      "ldxb %r7, [%r2+1]",
      "mul32 %r8, 131",
      "lsh32 %r7, 24",
      "arsh32 %r6, 24",
      "add32 %r8, %r6",
      "arsh32 %r7, 24",
      "add32 %r8, %r7",
    ];
    const code = copyCode(loop(spread));
    expect(code.filter((l) => /^ldrsb\s/.test(l))).toHaveLength(2);
    expect(code.filter((l) => /^(lsl|asr|sxtb)\s.*#24$|^sxtb\s/.test(l))).toEqual([]);
  });

  it("keeps its ASR where an operation with another register follows it (the shift is that one's operand)", () => {
    // (the char loaded through its own register, which the loop copy emits where it is: base64's `p[k]`)
    const body = [
      "mov %r6, %r2",
      "ldxb %r6, [%r6+0]",
      "lsh32 %r6, 24",
      "ldxb %r7, [%r2+1]",
      "arsh32 %r6, 24",
      "add32 %r6, %r7",
    ];
    const code = copyCode(loop([...body, "add %r8, %r6"]));
    expect(code.filter((l) => /^ldrsb\s/.test(l))).toEqual([]);
    expect(code.filter((l) => /, asr #24$/.test(l))).toHaveLength(1);
  });

  it("keeps its shifts where something reads the shifted value between them", () => {
    const body = ["mov %r6, %r2", "ldxb %r6, [%r6+0]", "lsh32 %r6, 24", "add %r7, %r6", "arsh32 %r6, 24"];
    const code = copyCode(loop([...body, "add %r8, %r6"]));
    expect(code.filter((l) => /^ldrsb\s/.test(l))).toEqual([]);
    expect(code.filter((l) => /^asr\s.*#24$/.test(l))).toHaveLength(1);
  });
});

describe("a flag negated and masked", () => {
  it("is one EOR where the value is below the mask's 2^w, an MVN and an AND where it is not", () => {
    // in = !(c == ' ') && !in: clang's `or32 x, y; xor32 x, -1; and x, 1` on two flags
    const flags = (wide: string) => [
      "mov32 %r6, %r3",
      "and32 %r6, 1",
      "mov32 %r7, %r4",
      `${wide} %r7, 1`,
      "or32 %r6, %r7",
      "xor32 %r6, -1",
      "and %r6, 1",
      "add %r8, %r6",
    ];
    const narrow = copyCode(loop(flags("and32")));
    expect(narrow.filter((l) => /^eor\s+r\d+, r\d+, #1$/.test(l))).toHaveLength(1);
    expect(narrow.filter((l) => /^mvn\s/.test(l))).toEqual([]);
    // r7 a halfword: ~(r6 | r7) & 1 is not (r6 | r7) ^ 1
    const wide = copyCode(loop(flags("or32")));
    expect(wide.filter((l) => /^mvn\s/.test(l))).toHaveLength(1);
  });
});

describe("a 64-bit shift left by 32 or more", () => {
  it("reads nothing of the source's high word", () => {
    // eight 64-bit values, most of them in the register file (register k's high word at offset 8k + 4), each
    // copied into r0 and shifted left by 32 (instructions 16 + 3j, 17 + 3j), then summed
    const regs = [2, 3, 4, 5, 6, 7, 8, 9];
    const source = [
      ...regs.map(
        (r) =>
          `lddw %r${r}, 0x${(0x1111 * r).toString(16).padStart(8, "0")}${(0x2222 * r).toString(16).padStart(8, "0")}`,
      ),
      ...regs.flatMap((r) => [`mov %r0, %r${r}`, "lsh %r0, 32", `add %r${r === 2 ? 9 : r - 1}, %r0`]),
      ...regs.map((r) => `add %r0, %r${r}`),
      "exit",
    ].join("\n");
    const listing = arm32Listing(assemble(source), { budget: 0 });
    regs.forEach((r, j) => {
      const code = codeOf(listing, 16 + 3 * j, 18 + 3 * j);
      const slot = `#0x${(8 * r + 4).toString(16)}]`;
      // (nor both words by one LDRD)
      expect(code.filter((l) => /^ldrd\s/.test(l) || (/^ldr\s/.test(l) && l.endsWith(slot)))).toEqual([]);
    });
  });
});

const REGS = [5, 6, 7, 8];
const CONSUMERS = ["add32", "sub32", "or32", "xor32", "and32"];
const FACTORS = [10, 3, 5, 7, 9, 12, 24, 40, 96, 100, 131, 1000003, 0x7fffffff, 0x80000000, 0xffffffff, 2, 64];
const JUMPS = ["jeq", "jne", "jlt", "jge", "jle", "jgt", "jslt", "jsgt"];
const EDGES = [0, 1, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];

/** Random fragments of the three idioms (and near misses) in the loop around them. */
function generate(seed: number): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const int = (n: number) => Math.floor(rand() * n);
  const body: string[] = [];
  for (let n = 0; n < 8; n++) {
    const label = `l${n}`;
    const kind = rand();
    const [a, d] = [pick([3, 4, ...REGS]), pick(REGS)];
    if (kind < 0.3) {
      // a product in r2, read once (or again after), from a copy of a or in place
      const factor = rand() < 0.2 ? `lsh32 %r2, ${1 + int(31)}` : `mul32 %r2, ${pick(FACTORS) | 0}`;
      body.push(`mov32 %r2, %r${a}`, factor);
      const b = pick([3, 4, ...REGS.filter((r) => r !== d)]);
      if (rand() < 0.5) body.push(`mov32 %r${d}, %r${b}`);
      body.push(`${pick(CONSUMERS)} %r${d}, %r2`);
      body.push(rand() < 0.3 ? `add %r${pick(REGS)}, %r2` : "mov %r2, %r9");
    } else if (kind < 0.55) {
      // a range test of a byte or a halfword; the bound on either side of where the mask stops mattering
      const half = rand() < 0.3;
      const span = half ? 0x10000 : 0x100;
      const c = rand() < 0.3 ? -(span - 1 - int(3)) : -int(span);
      const jump = `${pick(JUMPS)}${rand() < 0.7 ? "32" : ""}`;
      const bound = Math.max(0, span + c + int(5) - 3);
      body.push(rand() < 0.5 ? `mov32 %r2, %r${half ? 4 : 3}` : `ldx${half ? "h" : "b"} %r2, [%r1+${int(8)}]`);
      body.push(
        `add32 %r2, ${c}`,
        `and32 %r2, ${span - 1}`,
        `${jump} %r2, ${rand() < 0.7 ? bound : int(40)}, ${label}`,
      );
      body.push(`add %r${d}, 1`, `${label}:`, rand() < 0.25 ? `xor %r${d}, %r2` : `mov %r2, %r9`);
    } else if (kind < 0.7) {
      // a flag (or a wider value) negated and masked
      const [e, w] = [pick(REGS), pick([1, 2, 3, 8])];
      body.push(`mov32 %r${e}, %r${pick([3, 4])}`, `and32 %r${e}, ${(1 << w) - 1}`);
      if (rand() < 0.5) body.push(`or32 %r${e}, %r${pick([3, 4, ...REGS])}`);
      body.push("xor32 %r" + e + ", -1", `and${rand() < 0.5 ? "32" : ""} %r${e}, ${pick([1, 3, 7, 0x7f, 0xff])}`);
    } else if (kind < 0.9) {
      // a char or a short loaded, shifted left, other work (loads too), shifted back; sometimes read between
      const half = rand() < 0.2;
      const k = half ? 16 : 24;
      const [e, f] = [pick(REGS.filter((r) => r !== d)), pick(REGS)];
      body.push("mov %r2, %r1", "add %r2, %r9");
      // through r2, or through d itself (emitted where it is in a loop copy, not deferred)
      if (rand() < 0.5) body.push(`mov %r${d}, %r2`, `ldx${half ? "h" : "b"} %r${d}, [%r${d}+${int(8)}]`);
      else body.push(`ldx${half ? "h" : "b"} %r${d}, [%r2+${int(8)}]`);
      body.push(`lsh32 %r${d}, ${k}`);
      for (let m = int(4); m > 0; m--) {
        const what = rand();
        if (what < 0.4) body.push(`ldxb %r${e}, [%r2+${int(8)}]`);
        else if (what < 0.8) body.push(`${pick(["add", "mul32", "xor32"])} %r${e}, %r${f === d ? e : f}`);
        else if (what < 0.9) body.push(`lsh32 %r${e}, 24`);
        else body.push(`add %r${e}, %r${d}`);
      }
      body.push(`${rand() < 0.8 ? "arsh32" : "rsh32"} %r${d}, ${rand() < 0.9 ? k : 8}`);
      // sometimes an operation with another register right after (one instruction with the shift in its operand)
      if (rand() < 0.3) body.push(`${pick(["add32", "xor32", "sub32"])} %r${d}, %r${e}`);
    } else {
      // a select, then a comparison of the same register against a neighbouring constant
      const x = pick([3, 4, ...REGS]);
      const k = rand() < 0.5 ? pick(EDGES) : int(300);
      const near = (k + pick([1, -1, 0]) + 0x100000000) % 0x100000000;
      const imm = (v: number) => v | 0;
      body.push(
        "mov32 %r2, 1",
        `${pick(JUMPS)}32 %r${x}, ${imm(k)}, ${label}a`,
        "mov32 %r2, 0",
        `${label}a:`,
        `${pick(JUMPS)}32 %r${x}, ${imm(near)}, ${label}b`,
        `add %r${d}, %r2`,
        `${label}b:`,
        `mul %r${d}, 3`,
      );
    }
    if (rand() < 0.3) body.push(`lddw %r${pick(REGS)}, 0x${hexWord(rand)}${hexWord(rand)}`);
    if (rand() < 0.2) {
      // a 64-bit shift left by 32 or more, after a copy or in place
      const e = pick(REGS);
      if (rand() < 0.5) body.push(`mov %r${e}, %r${pick(REGS)}`);
      body.push(`lsh %r${e}, ${32 + int(32)}`);
    }
  }
  return randomInputShape(loop(body), TRIPS + 16, seed);
}

describe("generated byte-loop idioms", () => {
  const shapes = Array.from({ length: 60 }, (_, k) => generate(700 + k));

  it("give the model's and the interpreter's r0, with and without a budget", async () => {
    const results = await outcomes(withBudgetCases(shapes), modelRun);
    expect(disagreeingWithModel(results)).toEqual([]);
    expect(results.filter((r) => r.model.startsWith("r0 =")).length).toBeGreaterThan(15);
    expect(results.filter((r) => r.model.startsWith("instruction budget")).length).toBeGreaterThan(15);
    // the idioms' code in the loops' copies
    const copies = shapes.map((s) => copyCode(s.source).join("\n"));
    expect(copies.filter((c) => /\b(mla|mls)\s|, lsl #\d+$/m.test(c)).length).toBeGreaterThan(10);
    expect(copies.filter((c) => /^ldrs[bh]\s/m.test(c)).length).toBeGreaterThan(5);
  }, 600_000);

  it("give the model's r0 on ARMv6", async () => {
    const results = await limited(
      shapes.map((shape) => async () => {
        const r = await runArm32Async(assemble(shape.source), shape.input, { budget: 0, armv6: true, cpu: "arm1176" });
        return { arm32: "r0" in r ? r0Is(r.r0) : r.fault, model: modelRun(shape.source, shape.input, 0) };
      }),
    );
    expect(results.filter((r) => r.arm32 !== r.model)).toEqual([]);
  }, 600_000);
});
