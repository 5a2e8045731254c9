// Loop versioning of counted loops of one path in the Wasm engine (assembly/wasm/counted.ts): the shapes clang
// makes and hoist.ts's simpler test does not take. For each shape, the region is made exactly as long as the loop
// reads (the engine must then run the copy without checks) and one byte shorter (it must fault where the
// interpreter does, with the same message). Which copy ran shows in the read cache (STATE + ST_WASM_CACHE): a
// checked access leaves its region there, the copy without checks leaves the frames the function started with.
import { describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { wasmEngine } from "../../../src/engines/wasm.js";
import { pairSumLoop, rotatedLoop } from "../../support/loop-programs.js";
import { type Outcome, runBoth, runOn } from "../../support/wasm-runs.js";

/** Runs on both engines, expects the same outcome; returns the Wasm engine's and which copy it ran. */
function same(asm: string, bytes: number): { out: Outcome; unchecked: boolean } {
  return runBoth(asm, bytes, (i) => (i * 37 + 11) & 0xff);
}

/** Bytes `sum` of a little-endian read of `size` bytes at each offset, as the programs below add them up. */
function sumOf(offsets: number[], size: number): bigint {
  let s = 0n;
  for (const o of offsets) {
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(((o + k) * 37 + 11) & 0xff);
    s = BigInt.asUintN(64, s + v);
  }
  return s;
}

/**
 * Checks one shape: with `need` bytes the loop reads (or writes) the offsets `offsets` (each `size` bytes) and runs
 * unchecked, returning `want`; with one byte fewer it faults at instruction `pc` like the interpreter.
 */
function shape(asm: string, need: number, want: bigint, pc: number, kind = "read") {
  const fits = same(asm, need);
  expect(fits.out.error).toBeUndefined();
  expect(fits.out.r0).toBe(want);
  expect(fits.unchecked).toBe(true);
  const short = same(asm, need - 1);
  expect(short.out.error).toMatch(new RegExp(`out-of-bounds ${kind} .*\\(instruction ${pc}\\)`));
}

describe("counted loops of one path run without checks when the region holds every access", () => {
  it("the counter kept twice, the exit test on the old one plus 16 (jgt out), an unconditional jump back", () => {
    // for (i = 0; i + 16 <= bound; i += 8) sum += *(u64 *)(p + i), as clang rotates it
    const asm = (bound: number) => rotatedLoop({ bound });
    for (const bound of [16, 40, 63, 64]) {
      const trips = Math.floor((bound - 16) / 8) + 2; // i = 0, 8, ...: after each read, on while i + 16 <= bound
      const offsets = Array.from({ length: trips }, (_, k) => 8 * k);
      shape(asm(bound), 8 * trips, sumOf(offsets, 8), 6);
    }
  });

  it("the exit test on a value derived by an add, at the end of the trip (jlt back), two-byte reads", () => {
    // inet_csum's loop: i and next, the test on i + 3 < bound
    const asm = (bound: number) => pairSumLoop(bound);
    for (const bound of [4, 9, 10]) {
      const offsets: number[] = [];
      for (let i = 0; ; i += 2) {
        offsets.push(i);
        if (!(i + 3 < bound)) break;
      }
      shape(asm(bound), offsets[offsets.length - 1] + 2, sumOf(offsets, 2), 6);
    }
  });

  it("counting down, signed (out on jslt i, 0) and unsigned (out on jle i, 0), reads after the exit test", () => {
    const down = (test: string) => `
        mov %r0, 0
        mov %r3, 30
      loop:
        ${test}
        mov %r4, %r1
        add %r4, %r3
        ldxb %r5, [%r4+2]
        add %r0, %r5
        add %r3, -3
        ja loop
      out:
        exit`;
    // signed: i = 30, 27, ..., 0 read (the test runs first, leaves at -3); unsigned: i = 30, ..., 3
    shape(
      down("jslt %r3, 0, out"),
      33,
      sumOf(
        [30, 27, 24, 21, 18, 15, 12, 9, 6, 3, 0].map((i) => i + 2),
        1,
      ),
      5,
    );
    shape(
      down("jle %r3, 0, out"),
      33,
      sumOf(
        [30, 27, 24, 21, 18, 15, 12, 9, 6, 3].map((i) => i + 2),
        1,
      ),
      5,
    );
  });

  it("jne: up to the bound by a step that reaches it; a step that would miss it keeps the checks", () => {
    const asm = (start: number, bound: number) => `
        mov %r0, 0
        mov %r3, ${start}
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxw %r5, [%r4+0]
        add %r0, %r5
        add %r3, 4
        jne %r3, ${bound}, loop
        exit`;
    shape(asm(0, 24), 24, sumOf([0, 4, 8, 12, 16, 20], 4), 4);
    // from 2 by 4 never equals 24: the loop reads on until it faults, checked, like the interpreter
    const miss = same(asm(2, 24), 64);
    expect(miss.out.error).toMatch(/out-of-bounds read .*\(instruction 4\)/);
    expect(miss.unchecked).toBe(false);
  });

  it("several induction registers: a counter, a pointer into the context, a pointer into the stack by 2", () => {
    // for (i = 0; i != n; i++) { q[2 * i] = p[i]; sum += p[i]; }
    const asm = (n: number) => `
        mov %r0, 0
        mov %r3, 0
        mov %r6, %r1
        mov %r7, %r10
        add %r7, -256
      loop:
        ldxb %r5, [%r6+0]
        stxb [%r7+0], %r5
        add %r0, %r5
        add %r6, 1
        add %r7, 2
        add %r3, 1
        jne %r3, ${n}, loop
        exit`;
    for (const n of [1, 17, 100])
      shape(
        asm(n),
        n,
        sumOf(
          Array.from({ length: n }, (_, i) => i),
          1,
        ),
        5,
      );
  });

  it("a pointer bumped to an end pointer (jlt), 8 bytes a trip, reads at two offsets", () => {
    const asm = (len: number) => `
        mov %r0, 0
        mov %r6, %r1
        mov %r7, %r1
        add %r7, ${len}
      loop:
        ldxw %r5, [%r6+0]
        add %r0, %r5
        ldxw %r5, [%r6+4]
        add %r0, %r5
        add %r6, 8
        mov %r8, %r6
        jlt %r8, %r7, loop
        exit`;
    for (const len of [8, 48]) {
      const offsets = Array.from({ length: 2 * (len / 8) }, (_, k) => 4 * k);
      shape(asm(len), len, sumOf(offsets, 4), 6);
    }
  });

  it("a one-block loop counts its budget on entry: every budget up to the end runs out where the interpreter's does", () => {
    const asm = pairSumLoop(21, "add %r0, 1");
    // 4 + 10 trips of 9 + 2 instructions
    const input = (budget: number) => {
      const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
      return (["interp", "wasm"] as const).map((engine) => {
        const rt = new Runtime({ budget });
        const prog = rt.addProgram("p", assemble(asm));
        try {
          const r = rt.run(prog, { ctx: { bytes } }, engine === "wasm" ? wasmEngine : engine);
          return { r0: r.r0, executed: r.executed } as Outcome;
        } catch (e) {
          if (!(e instanceof BpfFault)) throw e;
          return { error: e.message } as Outcome;
        }
      });
    };
    for (let budget = 1; budget <= 100; budget++) {
      const [i, w] = input(budget);
      expect(w, `budget ${budget}`).toEqual(i);
      if (budget >= 96) expect(w.executed).toBe(96);
      else expect(w.error).toMatch(/budget/);
    }
  });

  it("a bound reloaded from the frame in every trip; a loop that writes that slot, or stores through a pointer, keeps the checks", () => {
    const asm = (store: string) => `
        mov %r0, 0
        mov %r6, %r1
        mov %r3, %r1
        add %r3, 32
        stxdw [%r10-8], %r3
        mov %r9, %r10
        add %r9, -64
      loop:
        ldxw %r5, [%r6+0]
        add %r0, %r5
        ldxw %r5, [%r6+4]
        add %r0, %r5
        ${store}
        add %r6, 8
        ldxdw %r3, [%r10-8]
        jle %r6, %r3, loop
        exit`;
    // p = 0, 8, ..., 32 (on while p + 8 <= end): reads up to byte 40
    const offsets = Array.from({ length: 10 }, (_, k) => 4 * k);
    shape(asm("stxdw [%r10-16], %r5"), 40, sumOf(offsets, 4), 9);
    // the loop writes the bound's slot (the same value): the bound is no longer known to stay, the checks stay
    const slot = same(asm("stxdw [%r10-8], %r3"), 40);
    expect(slot.out.r0).toBe(sumOf(offsets, 4));
    expect(slot.unchecked).toBe(false);
    const wild = same(asm("stxdw [%r9+0], %r5"), 40);
    expect(wild.out.r0).toBe(sumOf(offsets, 4));
    expect(wild.unchecked).toBe(false);
    expect(same(asm("stxdw [%r10-8], %r3"), 39).out.error).toMatch(/out-of-bounds read .*\(instruction 9\)/);
  });

  it("a base pointer reloaded from the frame in every trip (clang spills it), plus the counter", () => {
    // base64's loop: p spilled to [r10-8], each trip p + i; `extra` after the reload, `store` anywhere in the trip
    const asm = (n: number, extra = "", store = "") => `
        stxdw [%r10-8], %r1
        mov %r0, 0
        mov %r3, 0
        mov %r9, %r10
        add %r9, -64
      loop:
        ldxdw %r4, [%r10-8]
        ${extra}
        add %r4, %r3
        ldxb %r5, [%r4+1]
        add %r0, %r5
        ldxh %r5, [%r4+4]
        add %r0, %r5
        ${store}
        add %r3, 3
        jlt %r3, ${n}, loop
        exit`;
    const reads = (n: number, at: number) => {
      const i = Array.from({ length: Math.ceil(n / 3) }, (_, k) => 3 * k + at);
      return i;
    };
    const want = (n: number) => BigInt.asUintN(64, sumOf(reads(n, 1), 1) + sumOf(reads(n, 4), 2));
    for (const n of [1, 3, 10, 30]) shape(asm(n), 3 * Math.ceil(n / 3) + 3, want(n), 9);
    // the pointer moved by a constant after the reload: still the slot's value plus a constant
    shape(asm(12, "add %r4, 2"), 12 + 3 + 2, BigInt.asUintN(64, sumOf(reads(12, 3), 1) + sumOf(reads(12, 6), 2)), 10);
    // the slot added twice reads at 2p + i, out of bounds: the interpreter's fault (same() compares)
    expect(same(asm(12, "add %r4, %r4"), 64).out.error).toMatch(/out-of-bounds read .*\(instruction 8\)/);
    // a loop that writes the slot (the same value), or stores through a pointer: the checks stay
    for (const store of ["stxdw [%r10-8], %r1", "stxb [%r9+0], %r5"]) {
      const r = same(asm(12, "", store), 64);
      expect(r.out.r0, store).toBe(want(12));
      expect(r.unchecked, store).toBe(false);
    }
  });

  it("a second exit that leaves early (a search): the counted exit still bounds every access", () => {
    // scan down from n - 1 for a byte 0xff (the first one is at offset 228), reading a second byte after the check
    const asm = (n: number) => `
        mov %r0, 0
        mov %r3, ${n - 1}
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxb %r5, [%r4+0]
        jeq %r5, 0xff, found
        ldxb %r5, [%r4+1]
        add %r0, %r5
        add %r3, -1
        jsge %r3, 0, loop
        exit
      found:
        mov %r0, %r3
        exit`;
    for (const n of [1, 40, 200]) {
      // reads byte i and i + 1 for i = n - 1 down to 0: the region needs n + 1 bytes
      shape(
        asm(n),
        n + 1,
        sumOf(
          Array.from({ length: n }, (_, i) => i + 1),
          1,
        ),
        6,
      );
    }
    // found before the region ends: the loop leaves early, unchecked, with the interpreter's result
    const found = same(asm(240), 241);
    expect(found.out.r0).toBe(228n);
    expect(found.unchecked).toBe(true);
  });

  it("pointers stepped by a register the loop does not write (a matrix column), read before and after the exit test", () => {
    // for (k = 0; ; k++) { sum += a[k][col]; if (k + 1 >= n) break; sum += a[k + 1][col + 1]; }, rows `stride` bytes
    const asm = (n: number, col: number, stride: string) => `
        mov %r0, 0
        mov %r3, 0
        ${stride}
        mov %r6, %r1
        add %r6, ${4 * col}
        mov %r8, %r6
        add %r8, %r7
        add %r8, 4
      loop:
        ldxw %r5, [%r6+0]
        add %r0, %r5
        add %r3, 1
        jge %r3, ${n}, out
        ldxw %r5, [%r8+0]
        add %r0, %r5
        add %r6, %r7
        add %r8, %r7
        ja loop
      out:
        exit`;
    for (const [n, col, s] of [
      [2, 0, 8],
      [9, 3, 20],
      [30, 1, 36],
    ]) {
      const offsets: number[] = [];
      for (let k = 0; k < n; k++) {
        offsets.push(4 * col + k * s);
        if (k + 1 < n) offsets.push(4 * (col + 1) + (k + 1) * s);
      }
      // the last read (the column to the right, one row down) reaches furthest when there is one
      const need = Math.max(...offsets) + 4;
      shape(asm(n, col, `mov %r7, ${s}`), need, sumOf(offsets, 4), 12);
    }
    // a step of 2^31 or more keeps the checks (the span could pass 2^63); one trip reads one word
    const wide = same(asm(1, 2, "lddw %r7, 0x80000000"), 64);
    expect(wide.out.r0).toBe(sumOf([8], 4));
    expect(wide.unchecked).toBe(false);
  });

  it("members that do not start in step keep the checks, and the results stay the interpreter's", () => {
    // the rotated loop of the first test with next (r3) starting 8 ahead of i (r7): no longer i + 8 after a trip
    const asm = rotatedLoop({ bound: 40, next: 8 });
    const r = same(asm, 64);
    expect(r.out.r0).toBe(sumOf([0, 16, 24, 32], 8));
    expect(r.unchecked).toBe(false);
  });
});

describe("32-bit counters (add32, mov32, JMP32 exit tests) run without checks while they do not wrap", () => {
  const u32 = (v: bigint) => BigInt.asUintN(32, v);
  /** Offsets read by `ldxb [base + (i as u32) + off]` in each trip of: do { read; i = u32(i + step) } while (on(i)). */
  const walk = (start: bigint, step: bigint, on: (i: bigint) => boolean, off: bigint, before = false): number[] => {
    const offsets: number[] = [];
    let i = start;
    for (;;) {
      if (before) i = u32(i + step); // the step comes before the read
      offsets.push(Number(i + off));
      if (!before) i = u32(i + step);
      if (!on(i)) return offsets;
    }
  };
  const last = (offsets: number[]) => Math.max(...offsets) + 1;

  it("counting up: jlt32 to a bound in a register, jle32 and jslt32 to a constant, the step 1, 3 or 8", () => {
    const asm = (start: number, step: number, test: string) => `
        mov %r0, 0
        mov %r2, 77
        mov %r3, ${start}
      loop:
        mov32 %r4, %r3
        add %r4, %r1
        ldxb %r5, [%r4+1]
        add %r0, %r5
        add32 %r3, ${step}
        ${test}
        exit`;
    for (const [start, step] of [
      [0, 1],
      [5, 3],
      [2, 8],
    ]) {
      const s = BigInt(start),
        t = BigInt(step);
      const lt = walk(s, t, (i) => i < 77n, 1n);
      shape(asm(start, step, "jlt32 %r3, %r2, loop"), last(lt), sumOf(lt, 1), 5);
      const le = walk(s, t, (i) => i <= 90n, 1n);
      shape(asm(start, step, "jle32 %r3, 90, loop"), last(le), sumOf(le, 1), 5);
      const slt = walk(s, t, (i) => i < 50n, 1n);
      shape(asm(start, step, "jslt32 %r3, 50, loop"), last(slt), sumOf(slt, 1), 5);
    }
  });

  it("counting down to 0 (while (n--) a[n]: jne32, jgt32, jsgt32), the counter zero-extended into the address", () => {
    const asm = (n: number, test: string) => `
        mov %r0, 0
        mov %r3, ${n}
      loop:
        add32 %r3, -1
        mov32 %r4, %r3
        add %r4, %r1
        ldxb %r5, [%r4+0]
        add %r0, %r5
        ${test}
        exit`;
    for (const n of [1, 2, 100]) {
      const offsets = walk(BigInt(n), -1n, (i) => i !== 0n, 0n, true);
      for (const test of ["jne32 %r3, 0, loop", "jgt32 %r3, 0, loop", "jsgt32 %r3, 0, loop"])
        shape(asm(n, test), n, sumOf(offsets, 1), 5);
    }
  });

  it("a 64-bit exit test on a 32-bit counter, and a 32-bit test on a copy of it plus 4 (mov32, add32)", () => {
    const asm = (test: string) => `
        mov %r0, 0
        mov %r2, 40
        mov %r3, 0
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxw %r5, [%r4+0]
        add %r0, %r5
        add32 %r3, 4
        ${test}
        exit`;
    const up = walk(0n, 4n, (i) => i < 40n, 0n);
    shape(asm("jlt %r3, %r2, loop"), last(up) + 3, sumOf(up, 4), 5);
    const derived = walk(0n, 4n, (i) => i + 4n <= 40n, 0n);
    shape(asm("mov32 %r6, %r3\n add32 %r6, 4\n jle32 %r6, %r2, loop"), last(derived) + 3, sumOf(derived, 4), 5);
  });

  it("a counter that wraps past 2^32 - 1 or below 0 keeps the checks: the interpreter's result or fault", () => {
    // A pointer reads a byte a trip; the counter's 64-bit value would leave after `trips`, its 32-bit one goes on.
    const asm = (start: string, step: number, test: string) => `
        mov %r0, 0
        mov %r6, %r1
        lddw %r2, 0xffffffff
        lddw %r3, ${start}
      loop:
        ldxb %r5, [%r6+0]
        add %r0, %r5
        add %r6, 1
        add32 %r3, ${step}
        ${test}
        exit`;
    for (const [start, step, test, trips] of [
      ["0xfffffff0", 4, "jlt32 %r3, %r2, loop", 4], // 0xfffffff4, 0xfffffff8, 0xfffffffc, 0: on
      ["0xfffffff0", 4, "jlt %r3, %r2, loop", 4], // the same with a 64-bit test
      ["5", -2, "jgt32 %r3, 0, loop", 3], // 3, 1, 0xffffffff: on
      ["0x7ffffffc", 2, "jslt32 %r3, 0x7fffffff, loop", 2], // 0x7ffffffe, 0x80000000 (signed: below): on
    ] as const) {
      // the region holds what the 64-bit counter would read, and then some: the 32-bit one reads on to its end,
      // where only a checked access faults (a copy without checks would read on past it)
      const r = same(asm(start, step, test), 2 * trips + 2);
      expect(r.out.error).toBe(
        `p: out-of-bounds read of 1 bytes at context+0x${(2 * trips + 2).toString(16)} (instruction 6)`,
      );
    }
  });

  it("an add32 of a large constant to a running sum (a hash) does not keep the counter's loop checked", () => {
    // h = (h + c) ^ a[i] on an unsigned int h and i: h's constant says nothing about the counter's values
    const asm = (n: number, c: number) => `
        mov %r0, 0
        mov32 %r3, 0
        mov32 %r2, ${n}
      loop:
        mov32 %r4, %r3
        add %r4, %r1
        ldxb %r4, [%r4+0]
        add32 %r0, ${c}
        xor32 %r0, %r4
        add32 %r3, 1
        jlt32 %r3, %r2, loop
        exit`;
    for (const c of [0x9e3779b9, 0x7fffffff, 0x80000000, 0x1e3779b9]) {
      for (const n of [1, 5, 64]) {
        let h = 0n;
        for (let i = 0; i < n; i++) h = BigInt.asUintN(32, h + BigInt(c)) ^ BigInt((i * 37 + 11) & 0xff);
        shape(asm(n, c), n, h, 5);
      }
    }
  });
});

describe("counted loops whose trips take one of several paths run without checks when the region holds every access", () => {
  /** The byte the tests' input holds at offset o (see same). */
  const at = (o: number) => BigInt((o * 37 + 11) & 0xff);
  /**
   * A walk over n 12-byte records, as clang makes of `for (i = 0; i < n; i++) if (f[i].b & 1) s += f[i].w; else
   * s += f[i].h`: the pointer (r4) stepped by 12 next to the counter (r3), the paths joining before the latch.
   * `head` starts a trip, `latch` ends it; `odd` ends the path taken for odd bytes (by default it joins the latch).
   */
  const records = (n: number, latch = `add %r3, 1\n jlt %r3, ${n}, loop`, odd = "ja next", head = "") => `
        mov %r0, 0
        mov %r3, 0
        mov %r4, %r1
      loop:
        ${head}
        ldxb %r5, [%r4+11]
        mov %r6, %r5
        and %r6, 1
        jeq %r6, 0, even
        ldxw %r7, [%r4+4]
        add %r0, %r7
        ${odd}
      even:
        ldxh %r7, [%r4+2]
        add %r0, %r7
      next:
        add %r4, 12
        ${latch}
      out:
        exit`;
  /** What records(n) returns over the bytes of same(): the word or the half of each record by its byte 11. */
  const recordsSum = (n: number) => {
    let s = 0n;
    for (let i = 0; i < n; i++) {
      const o = 12 * i;
      const word = (k: number, size: number) => {
        let v = 0n;
        for (let j = size - 1; j >= 0; j--) v = (v << 8n) | at(k + j);
        return v;
      };
      s = BigInt.asUintN(64, s + ((at(o + 11) & 1n) === 1n ? word(o + 4, 4) : word(o + 2, 2)));
    }
    return s;
  };

  it("a pointer stepped by 12 next to the counter, a branch per record, the exit test in the latch", () => {
    for (const n of [1, 2, 7, 20]) shape(records(n), 12 * n, recordsSum(n), 3);
  });

  it("the exit test at the top: reads after it run one trip fewer", () => {
    // for (i = 0; i != n; ...) with the test first: i = 0 .. n - 1 read, the test leaves in trip n
    const top = (n: number) => records(n, "add %r3, 1\n ja loop", "ja next", `jge %r3, ${n}, out`);
    for (const n of [0, 1, 5, 16]) {
      if (n === 0) {
        const none = same(top(0), 0);
        expect(none.out.r0).toBe(0n);
        continue;
      }
      shape(top(n), 12 * n, recordsSum(n), 4);
    }
  });

  it("a way back that skips the exit test keeps the checks: the loop reads on until it faults, like the interpreter", () => {
    // odd records jump back without testing the counter: the test bounds no trip of theirs
    const skip = records(4, "add %r3, 1\n jlt %r3, 4, loop", "add %r4, 12\n add %r3, 1\n ja loop");
    const r = same(skip, 48);
    expect(r.unchecked).toBe(false);
  });

  it("every budget up to the end runs out where the interpreter's does (a trip's instructions depend on its path)", () => {
    const asm = records(6);
    const bytes = Uint8Array.from({ length: 72 }, (_, i) => (i * 37 + 11) & 0xff);
    let end = 0;
    for (let budget = 1; budget <= 120; budget++) {
      const [i, w] = (["interp", "wasm"] as const).map((engine) => runOn(asm, { ctx: { bytes } }, engine, budget).out);
      expect(w, `budget ${budget}`).toEqual(i);
      if (i.executed !== undefined && end === 0) end = i.executed;
    }
    expect(end).toBeGreaterThan(0);
  });
});
