// Loops that count down, and counters kept in 32 bits (add32, JMP32 exit tests), on the ARM32 translator
// (assembly/arm32/analysis/loops.ts planGeneral, versioned.ts emitDownTest): the shapes clang -O2 makes of
// `while (n--) s += a[n]`, `for (i = n; i > 0; i--) s += a[i - 1]` (a jeq out over a closing ja),
// `for (int i = n - 1; i >= 0; i--)` (the test on the old value) and `unsigned` counters. Each loop must get a copy
// whose code calls no memory check, give the sum a BigInt model computes, and fault, when its first or last read is
// one byte past the end of the input or before its start, at the same instruction with the same message as the
// interpreter.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async, translateArm32 } from "../../../src/engines/arm32/build.js";
import { codeOf, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

interface Shape {
  name: string;
  /** The program: r1 the input, `n` the counter's start, `skew` added to each address (0: a[i - 1] or a[i]). */
  source: (n: number, skew: number) => string;
  /** The loop's first and last instruction, and the read's. */
  head: number;
  last: number;
  read: number;
  /** The offsets read, in order, for a start of n (skew 0). */
  offsets: (n: number) => number[];
  /** The bytes of each read (1 unless given). */
  width?: number;
}

const at = (r: number, off: number) => `[%r${r}${off < 0 ? "" : "+"}${off}]`;
const down = (n: number) => Array.from({ length: n }, (_, k) => n - 1 - k); // n - 1, ..., 0

const SHAPES: Shape[] = [
  {
    name: "while (n--) s += a[n]: add -1, then jne 0 back",
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${n}
        jeq %r2, 0, out
        add %r1, ${skew - 1}
      top:
        mov %r3, %r1
        add %r3, %r2
        ldxb %r3, [%r3+0]
        add %r0, %r3
        add %r2, -1
        jne %r2, 0, top
      out:
        exit`,
    head: 4,
    last: 9,
    read: 6,
    offsets: down,
  },
  {
    name: "for (i = n; i > 0; i--) s += a[i - 1]: jeq out over a closing ja",
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${n}
        jeq %r2, 0, out
      top:
        mov %r3, %r1
        add %r3, %r2
        ldxb %r3, ${at(3, skew - 1)}
        add %r0, %r3
        add %r2, -1
        jeq %r2, 0, out
        ja top
      out:
        exit`,
    head: 3,
    last: 9,
    read: 5,
    offsets: down,
  },
  {
    name: "for (int i = n - 1; i >= 0; i--) s += a[i]: the test on the old value, jgt i, 1",
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${n}
        jslt32 %r2, 1, out
        add %r1, ${skew - 1}
        mov32 %r2, %r2
      top:
        mov %r3, %r2
        mov %r4, %r1
        add %r4, %r3
        ldxb %r4, [%r4+0]
        add %r0, %r4
        add %r2, -1
        jgt %r3, 1, top
      out:
        exit`,
    head: 5,
    last: 11,
    read: 8,
    offsets: down,
  },
  {
    name: "an unsigned int counter: add32 -1, jgt32 back (hand-built)",
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${n}
        jeq %r2, 0, out
      top:
        mov32 %r3, %r2
        add %r3, %r1
        ldxb %r3, ${at(3, skew - 1)}
        add %r0, %r3
        add32 %r2, -1
        jgt32 %r2, 0, top
      out:
        exit`,
    head: 3,
    last: 8,
    read: 5,
    offsets: down,
  },
  {
    name: "an unsigned int counter counting up: add32 1, jlt32 against a register",
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${n}
        mov %r4, 0
        jeq %r2, 0, out
      top:
        mov32 %r3, %r4
        add %r3, %r1
        ldxb %r3, ${at(3, skew)}
        add %r0, %r3
        add32 %r4, 1
        jlt32 %r4, %r2, top
      out:
        exit`,
    head: 4,
    last: 9,
    read: 6,
    offsets: (n) => down(n).reverse(),
  },
  {
    name: "a pointer walking down by 4 next to a counter by 2 down to a bound in a register (jge)",
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${2 * n + 6}
        mov %r5, 8
        mov %r6, %r1
        add %r6, ${4 * n - 4 + skew}
      top:
        ldxw %r3, [%r6+0]
        add %r0, %r3
        add %r6, -4
        add %r2, -2
        jge %r2, %r5, top
        exit`,
    head: 5,
    last: 9,
    read: 5,
    offsets: (n) => down(n).map((i) => 4 * i),
  },
  {
    name: "for (int i = n - 5; i >= 0; i -= 4) s += *(u32 *)(a + i): the counter ends below 0",
    width: 4,
    // iv starts at 4n - 3 and leaves at -3 (the test on its old value, jgt 3); after the loop, r0 is kept only if
    // iv is below 0, as in the interpreter
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${4 * n - 3}
        add %r1, ${skew - 1}
      top:
        mov %r3, %r2
        mov %r4, %r1
        add %r4, %r3
        ldxw %r4, [%r4+0]
        add %r0, %r4
        add %r2, -4
        jgt %r3, 3, top
        jslt %r2, 0, out
        mov %r0, 0
      out:
        exit`,
    head: 3,
    last: 9,
    read: 6,
    offsets: (n) => down(n).map((i) => 4 * i),
  },
  {
    name: "a counter by 3 ending below 0, a signed 32-bit test on its old value (jsgt32 4)",
    source: (n, skew) => `
        mov %r0, 0
        mov32 %r2, ${3 * n - 1}
      top:
        mov %r3, %r2
        mov %r4, %r1
        add %r4, %r3
        ldxb %r4, ${at(4, skew - 2)}
        add %r0, %r4
        add32 %r2, -3
        jsgt32 %r3, 4, top
        lddw %r5, 0xffffffff
        jeq %r2, %r5, out
        mov %r0, 0
      out:
        exit`,
    head: 2,
    last: 8,
    read: 5,
    offsets: (n) => down(n).map((i) => 3 * i),
  },
  {
    name: "an unsigned counter by -4 to 0 next to a pointer by 4: jeq32 out over a closing ja (!= with a step of 4)",
    source: (n, skew) => `
        mov %r0, 0
        mov32 %r2, ${4 * n}
        add %r1, ${skew}
      top:
        ldxw %r3, [%r1+0]
        add %r0, %r3
        add %r1, 4
        add32 %r2, -4
        jeq32 %r2, 0, out
        ja top
      out:
        exit`,
    head: 3,
    last: 8,
    read: 3,
    offsets: (n) =>
      down(n)
        .reverse()
        .map((i) => 4 * i),
    width: 4,
  },
  {
    name: "a counter by 4 up to a bound in a register: jeq32 bound, i out over a closing ja (!= with a step of 4)",
    source: (n, skew) => `
        mov %r0, 0
        mov %r2, ${4 * n}
        mov %r3, 0
      top:
        mov %r4, %r1
        add %r4, %r3
        ldxw %r4, ${at(4, skew)}
        add %r0, %r4
        add %r3, 4
        jeq32 %r2, %r3, out
        ja top
      out:
        exit`,
    head: 3,
    last: 9,
    read: 5,
    offsets: (n) =>
      down(n)
        .reverse()
        .map((i) => 4 * i),
    width: 4,
  },
];

const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
const size = (s: Shape) => s.width ?? (s.name.includes("by 4") ? 4 : 1);

/** The model: the little-endian sum of the reads, or the fault of the first read outside [0, length). */
function model(s: Shape, n: number, skew: number, length: number): string {
  const mem = bytes(length);
  const width = size(s);
  let sum = 0n;
  for (const o of s.offsets(n)) {
    const at = o + skew;
    if (at < 0 || at + width > length) {
      const where = at < 0 ? `context-0x${(-at).toString(16)}` : `context+0x${at.toString(16)}`;
      return `out-of-bounds read of ${width} bytes at ${where} (instruction ${s.read})`;
    }
    let v = 0n;
    for (let k = width - 1; k >= 0; k--) v = (v << 8n) | BigInt(mem[at + k]);
    sum = BigInt.asUintN(64, sum + v);
  }
  return `r0 = ${sum}`;
}

const interpret = (code: Uint8Array, length: number) => interpreterOutcome(code, bytes(length));

describe("ARM32: loops counting down and 32-bit counters are versioned", () => {
  it("each shape has a copy, and the copy's code calls no memory check", () => {
    for (const s of SHAPES) {
      const code = assemble(s.source(40, 0));
      const t = translateArm32(code, { budget: 0 });
      expect(
        t.copies.map((c) => [c.head, c.last]),
        s.name,
      ).toEqual([[s.head, s.last]]);
      const copy = codeOf(arm32Listing(code, { budget: 0 }), s.head, s.last, true);
      expect(copy.length, s.name).toBeGreaterThan(0);
      // a call: BL or BL<cond> (BLO, a branch if lower, is a 64-bit add's over its carry: jit/carryhigh.ts)
      expect(
        copy.filter((l) => /^bl([a-z]{2})?\s/.test(l)),
        s.name,
      ).toEqual([]);
    }
  });

  it("sums as the model says, and faults one byte past the end or before the start where the interpreter does", async () => {
    const runs: { s: Shape; n: number; skew: number; length: number }[] = [];
    for (const s of SHAPES) {
      for (const n of [2, 7, 40]) {
        const need = Math.max(...s.offsets(n)) + size(s); // the highest read ends at the input's last byte
        runs.push({ s, n, skew: 0, length: need });
        runs.push({ s, n, skew: 0, length: need - 1 }); // one byte past the end: the first read (the last, counting up)
        runs.push({ s, n, skew: -1, length: need + 8 }); // one byte before the start: the last read (the first, up)
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(r.s.source(r.n, r.skew));
        const want = model(r.s, r.n, r.skew, r.length);
        const arm = await runArm32Async(code, bytes(r.length));
        const got = "r0" in arm ? `r0 = ${arm.r0}` : arm.fault;
        return {
          run: `${r.s.name} n=${r.n} skew=${r.skew} length=${r.length}`,
          want,
          interp: interpret(code, r.length),
          got,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBeGreaterThan(SHAPES.length * 4);
  });

  it("a != test whose counter does not meet the bound steps past it: the copy is not taken, the read faults", async () => {
    // the counter starts 2 or 6 above a multiple of 4: it steps past 0 (or the bound) and goes on until a read
    // leaves the input, where the interpreter faults
    const shapes = SHAPES.filter((s) => s.name.includes("!= with a step of 4"));
    expect(shapes.length).toBe(2);
    const runs = shapes.flatMap((s) =>
      [2, 6].map((extra) => async () => {
        const n = 10;
        const code = assemble(s.source(n, 0).replace(`${4 * n}`, `${4 * n + extra}`));
        const length = 64;
        const first = Math.floor((length - 4) / 4) + 1; // the first word not in the input
        const want = `out-of-bounds read of 4 bytes at context+0x${(4 * first).toString(16)} (instruction ${s.read})`;
        const arm = await runArm32Async(code, bytes(length));
        return {
          name: `${s.name} +${extra}`,
          want,
          interp: interpret(code, length),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    const results = await limited(runs);
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
  });
});
