// Binary searches on the ARM32 translator (assembly/arm32/analysis/facts.ts, scaled.ts): `while (lo < hi) { mid =
// (lo + hi) / 2; if (a[mid] < key) lo = mid + 1; else hi = mid; }` with hi = n on entry reads a[mid] at a place the
// data picks, yet lo <= hi <= n holds at every trip and lo <= mid < hi, so a[mid] lies in a[0..n). Such a loop
// must get a copy whose code calls no memory check (64-bit and 32-bit arithmetic, lower and upper bound), return
// what a model computes, and fault where the interpreter does when n passes the region. A search whose update can
// leave the range (`lo = mid + 1; hi++`: hi passes n, and a[mid] with it) must keep its checks. Two searches the
// rule does not cover (a signed bisection with `hi = mid - 1`, a search moving a pointer over u32 keys) must still
// return what their models compute and fault where the interpreter does.
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing, runArm32Async, translateArm32 } from "../../../src/engines/arm32/build.js";
import { codeOf, copyRuns, ensureArm32Translator, limited } from "../../support/arm32.js";
import { interpreterOutcome } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

/** Which search: the bound it finds, its arithmetic's width, and how the upper end moves. */
interface Shape {
  upper: boolean; // the first key above `key` (else the first not below it)
  narrow: boolean; // 32-bit operations and compares, as clang emits for u32 indices
  grow: number; // hi += grow when lo moves (0: the search; 1 lets hi, then mid, pass n)
}

/**
 * n = the region's first u32, keys a[] = the u32s after it; r0 = the search's lo. The loop is instructions HEAD to
 * LAST, the read of a[mid] at READ.
 */
function search(shape: Shape, key: number): string {
  const w = shape.narrow ? "32" : "";
  const past = shape.upper ? "jgt" : "jge"; // a[mid] > key (upper) or >= key (lower): hi moves
  return `
        ldxw %r2, [%r1+0]
        mov${w} %r0, 0
        mov${w} %r3, %r2
      loop:
        jge${w} %r0, %r3, out
        mov${w} %r4, %r0
        add${w} %r4, %r3
        rsh${w} %r4, 1
        mov %r5, %r4
        lsh %r5, 2
        add %r5, %r1
        ldxw %r5, [%r5+4]
        ${past}${w} %r5, ${key}, high
        mov${w} %r0, %r4
        add${w} %r0, 1
        add${w} %r3, ${shape.grow}
        ja loop
      high:
        mov${w} %r3, %r4
        ja loop
      out:
        exit`;
}

const HEAD = 3;
const LAST = 17;
const READ = 10;

/** The model: the search over the region's keys as BigInt, or the fault of the first read past the region. */
function model(shape: Shape, key: number, mem: Uint8Array): string {
  const view = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const wrap = (v: bigint) => (shape.narrow ? BigInt.asUintN(32, v) : BigInt.asUintN(64, v));
  let lo = 0n;
  let hi = BigInt(view.getUint32(0, true));
  for (let trips = 0; lo < hi; trips++) {
    if (trips > 100_000) return "runaway";
    const mid = wrap(lo + hi) >> 1n;
    const at = 4n + mid * 4n;
    if (at + 4n > BigInt(mem.length))
      return `out-of-bounds read of 4 bytes at context+0x${at.toString(16)} (instruction ${READ})`;
    const v = BigInt(view.getUint32(Number(at), true));
    const past = shape.upper ? v > BigInt(key) : v >= BigInt(key);
    if (past) hi = mid;
    else {
      lo = wrap(mid + 1n);
      hi = wrap(hi + BigInt(shape.grow));
    }
  }
  return `r0 = ${lo}`;
}

/** n, then `count` ascending keys (with repeats), in a region of `length` u32s after n. */
function keys(n: number, count: number, length: number): Uint8Array {
  const mem = new Uint8Array(4 + 4 * length);
  const view = new DataView(mem.buffer);
  view.setUint32(0, n, true);
  for (let i = 0; i < length; i++) view.setUint32(4 + 4 * i, i < count ? 3 * i - (i % 3 === 1 ? 1 : 0) : 0, true);
  return mem;
}

const SEARCHES: Shape[] = [
  { upper: false, narrow: false, grow: 0 },
  { upper: true, narrow: false, grow: 0 },
  { upper: false, narrow: true, grow: 0 },
  { upper: true, narrow: true, grow: 0 },
];

const name = (s: Shape) => `${s.upper ? "upper" : "lower"} bound, ${s.narrow ? "32" : "64"}-bit, hi += ${s.grow}`;

describe("ARM32: binary searches are versioned by the bounds their compares keep", () => {
  for (const shape of SEARCHES) {
    it(`${name(shape)}: a copy whose code calls no memory check`, () => {
      const code = assemble(search(shape, 40));
      const t = translateArm32(code, { budget: 0 });
      expect(t.copies.map((c) => [c.head, c.last])).toEqual([[HEAD, LAST]]);
      const copy = codeOf(arm32Listing(code, { budget: 0 }), HEAD, LAST, true);
      expect(copy.length).toBeGreaterThan(0);
      expect(copy.filter((l) => /^bl([a-z]{2})?\s/.test(l))).toEqual([]); // bl, bllo, ...: a call; not blo
      // the test on entry lets the copy run over keys in the region, and not when n passes it
      expect(copyRuns(code, keys(100, 100, 100), [HEAD, LAST])).toBe(true);
      expect(copyRuns(code, keys(100, 50, 50), [HEAD, LAST])).toBe(false);
    });
  }

  it("an upper end that can pass n keeps its checks", () => {
    const code = assemble(search({ upper: false, narrow: false, grow: 1 }, 40));
    const t = translateArm32(code, { budget: 0 });
    expect(t.copies).toEqual([]);
  });

  it("return what the model computes, and fault where the interpreter does when n passes the region", async () => {
    const runs: { shape: Shape; key: number; n: number; count: number; length: number }[] = [];
    for (const shape of [
      ...SEARCHES,
      { upper: false, narrow: false, grow: 1 },
      { upper: true, narrow: true, grow: 1 },
    ]) {
      for (const n of [0, 1, 2, 7, 64, 1000]) {
        for (const key of [0, 1, 40, 41, 5000]) {
          runs.push({ shape, key, n, count: n, length: n }); // the keys fill the region
          runs.push({ shape, key, n, count: n, length: n + 3 }); // a longer region
          if (n > 1) runs.push({ shape, key, n, count: n >> 1, length: n >> 1 }); // n past the region
        }
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(search(r.shape, r.key));
        const mem = keys(r.n, r.count, r.length);
        const arm = await runArm32Async(code, mem);
        return {
          run: `${name(r.shape)} key=${r.key} n=${r.n} length=${r.length}`,
          want: model(r.shape, r.key, mem),
          interp: interpreterOutcome(code, mem),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBeGreaterThan(10);
  });
});

/**
 * `for (lo = 0, hi = n - 1; lo <= hi;) { mid = (lo + hi) >> 1; if (a[mid] == key) return mid; if (a[mid] < key) lo =
 * mid + 1; else hi = mid - 1; } return lo;` with signed compares; its read at BISECT_READ.
 */
function bisection(key: number): string {
  return `
        ldxw %r2, [%r1+0]
        mov %r0, 0
        mov %r3, %r2
        add %r3, -1
      loop:
        jsgt %r0, %r3, out
        mov %r4, %r0
        add %r4, %r3
        arsh %r4, 1
        mov %r5, %r4
        lsh %r5, 2
        add %r5, %r1
        ldxw %r5, [%r5+4]
        jeq %r5, ${key}, found
        jge %r5, ${key}, high
        mov %r0, %r4
        add %r0, 1
        ja loop
      high:
        mov %r3, %r4
        add %r3, -1
        ja loop
      found:
        mov %r0, %r4
      out:
        exit`;
}

const BISECT_READ = 11;

function bisectionModel(key: number, mem: Uint8Array): string {
  const view = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  let lo = 0n;
  let hi = BigInt(view.getUint32(0, true)) - 1n;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1n;
    const at = 4n + mid * 4n;
    if (at + 4n > BigInt(mem.length))
      return `out-of-bounds read of 4 bytes at context+0x${at.toString(16)} (instruction ${BISECT_READ})`;
    const v = BigInt(view.getUint32(Number(at), true));
    if (v === BigInt(key)) return `r0 = ${mid}`;
    if (v < BigInt(key)) lo = mid + 1n;
    else hi = mid - 1n;
  }
  return `r0 = ${lo}`;
}

/**
 * `p = keys; while (n) { half = n >> 1; if (p[half] < key) { p += half + 1; n -= half + 1; } else n = half; }
 * return p - keys;` over u32 keys; its read at WALK_READ.
 */
function pointerWalk(key: number): string {
  return `
        ldxw %r2, [%r1+0]
        mov %r3, %r1
        add %r3, 4
      loop:
        jeq %r2, 0, out
        mov %r4, %r2
        rsh %r4, 1
        mov %r5, %r4
        lsh %r5, 2
        add %r5, %r3
        ldxw %r5, [%r5+0]
        jge %r5, ${key}, high
        mov %r5, %r4
        add %r5, 1
        lsh %r5, 2
        add %r3, %r5
        sub %r2, %r4
        add %r2, -1
        ja loop
      high:
        mov %r2, %r4
        ja loop
      out:
        mov %r0, %r3
        sub %r0, %r1
        add %r0, -4
        rsh %r0, 2
        exit`;
}

const WALK_READ = 9;

function pointerWalkModel(key: number, mem: Uint8Array): string {
  const view = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  let p = 0n;
  let n = BigInt(view.getUint32(0, true));
  while (n !== 0n) {
    const half = n >> 1n;
    const at = 4n + (p + half) * 4n;
    if (at + 4n > BigInt(mem.length))
      return `out-of-bounds read of 4 bytes at context+0x${at.toString(16)} (instruction ${WALK_READ})`;
    if (BigInt(view.getUint32(Number(at), true)) < BigInt(key)) {
      p += half + 1n;
      n -= half + 1n;
    } else n = half;
  }
  return `r0 = ${p}`;
}

describe("ARM32: a versioned search under a budget", () => {
  it("runs out where the interpreter does", async () => {
    const shape = { upper: false, narrow: true, grow: 0 };
    const code = assemble(search(shape, 1234));
    const mem = keys(1000, 1000, 1000);
    const results = await limited(
      [3, 10, 37, 60, 95, 1_000_000].map((budget) => async () => {
        const arm = await runArm32Async(code, mem, { budget });
        return {
          budget,
          interp: interpreterOutcome(code, mem, budget),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.interp)).toEqual([]);
    expect(results.filter((r) => r.interp === model(shape, 1234, mem)).length).toBe(1);
  });
});

describe("ARM32: searches outside the rule", () => {
  it("a signed bisection and a pointer walk return what their models compute, and fault where the interpreter does", async () => {
    const runs: { kind: string; key: number; n: number; length: number }[] = [];
    for (const kind of ["bisection", "walk"]) {
      for (const n of [0, 1, 5, 64, 300]) {
        for (const key of [0, 1, 40, 41, 5000]) {
          runs.push({ kind, key, n, length: n });
          if (n > 1) runs.push({ kind, key, n, length: n >> 1 });
        }
      }
    }
    const results = await limited(
      runs.map((r) => async () => {
        const code = assemble(r.kind === "bisection" ? bisection(r.key) : pointerWalk(r.key));
        const mem = keys(r.n, r.length, r.length);
        const arm = await runArm32Async(code, mem);
        return {
          run: `${r.kind} key=${r.key} n=${r.n} length=${r.length}`,
          want: r.kind === "bisection" ? bisectionModel(r.key, mem) : pointerWalkModel(r.key, mem),
          interp: interpreterOutcome(code, mem),
          got: "r0" in arm ? `r0 = ${arm.r0}` : arm.fault,
        };
      }),
    );
    expect(results.filter((r) => r.got !== r.want || r.interp !== r.want)).toEqual([]);
    expect(results.filter((r) => r.want.startsWith("out-of-bounds")).length).toBeGreaterThan(5);
  });
});
