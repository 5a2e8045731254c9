// The Wasm engine against the interpreter, which is the reference: every conformance test on both engines (same r0,
// and the expected one); hand-written programs for faults (same BpfFault message), budgets, stack frames, calls,
// callbacks, tail calls, packet loads, atomics and irreducible control flow; every clang-built fixture (r0, faults
// and map contents); and random programs from the fuzzer's generator (r0, faults, instructions executed, memory).
import { readFileSync, readdirSync } from "node:fs";
import { basename } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { conformanceProgram, parseConformanceTest } from "../../../src/tools/conformance-data.js";
import { runConformanceProgram, conformanceRuntime } from "../../../src/tools/conformance.js";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime, type RunInput } from "../../../src/runtime/runtime.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { StopProgram } from "../../../src/runtime/core.js";
import { loadSync } from "../../../src/api/object.js";
import { fuzz } from "../../../src/fuzz/compare.js";
import {
  wasmEngine,
  translateToWasm,
  lastTranslationStats,
  wasmFallbackCount,
  wasmFallbackReason,
} from "../../../src/engines/wasm.js";
import { STATE, ST_EXECUTED } from "../../../assembly/layout.js";
import { copyToStack, sieve, wideOperands } from "../../support/loop-programs.js";
import { FIXTURES, fixture } from "../../support/paths.js";
import { oversizedProgram, oversizedResult } from "../../support/oversized-program.js";
import { HAVE_CONFORMANCE, conformanceFiles, describeConformance } from "../../support/conformance.js";

// The engine falls back to the interpreter for a program it cannot translate; only the test made for it may.
let expectedFallbacks = 0;
afterAll(() => expect(wasmFallbackCount()).toBe(expectedFallbacks));

describeConformance("conformance suite on the Wasm engine", (files) => {
  it("finds the suite", () => {
    expect(files.length).toBeGreaterThanOrEqual(250);
  });
  for (const file of files) {
    const name = basename(file, ".data");
    it(name, () => {
      const test = parseConformanceTest(readFileSync(file, "utf8"), name);
      const code = conformanceProgram(test);
      const interp = runConformanceProgram(code, test.mem, "interp");
      const wasm = runConformanceProgram(code, test.mem, "wasm");
      expect(wasm).toBe(interp);
      expect(wasm).toBe(test.result);
    });
  }
});

type Outcome = { r0?: bigint; executed?: number; error?: string };

/** Runs `asm` on a fresh runtime with each engine; returns what happened. */
function both(asm: string, input: RunInput = {}, budget?: number, setup?: (rt: Runtime) => void): Outcome[] {
  return (["interp", "wasm"] as const).map((engine) => {
    const rt = new Runtime(budget === undefined ? {} : { budget });
    setup?.(rt);
    const prog = rt.addProgram("p", assemble(asm));
    try {
      const r = rt.run(prog, input, engine === "wasm" ? wasmEngine : engine);
      return { r0: r.r0, executed: r.executed };
    } catch (e) {
      if (e instanceof BpfFault) return { error: e.message };
      throw e;
    }
  });
}

function expectSame(asm: string, input: RunInput = {}, budget?: number, setup?: (rt: Runtime) => void): Outcome {
  const [i, w] = both(asm, input, budget, setup);
  expect(w).toEqual(i);
  return w;
}

const ctx = (n: number): RunInput => ({ ctx: { bytes: Uint8Array.from({ length: n }, (_, i) => i + 1) } });

describe("fault parity", () => {
  it("out-of-bounds read", () => {
    const o = expectSame("mov %r0, 1\nldxw %r0, [%r1+6]\nexit\n", ctx(8));
    expect(o.error).toMatch(/out-of-bounds read of 4 bytes at context\+0x6 \(instruction 1\)/);
  });

  it("out-of-bounds write", () => {
    const o = expectSame("mov %r2, 7\nstxdw [%r1+4], %r2\nmov %r0, 0\nexit\n", ctx(8));
    expect(o.error).toMatch(/out-of-bounds write of 8 bytes .*\(instruction 1\)/);
  });

  it("write to read-only memory", () => {
    const input: RunInput = { ctx: { bytes: new Uint8Array(16), writable: [[0, 8]] } };
    const o = expectSame("stw [%r1+8], 5\nmov %r0, 0\nexit\n", input);
    expect(o.error).toMatch(/read-only memory .*\(instruction 0\)/);
  });

  it("stack: below the frame, above the frame, and a pointer into it", () => {
    expect(expectSame("ldxdw %r0, [%r10-520]\nexit\n").error).toMatch(/out-of-bounds read .*\(instruction 0\)/);
    expect(expectSame("stdw [%r10+0], 1\nexit\n").error).toMatch(/out-of-bounds write .*\(instruction 0\)/);
    expect(expectSame("mov %r2, %r10\nadd %r2, -16\nstdw [%r2+8], 42\nldxdw %r0, [%r10-8]\nexit\n").r0).toBe(42n);
    expect(expectSame("mov %r2, %r10\nstdw [%r2-8], 1\nldxdw %r0, [%r2+0]\nexit\n").error).toMatch(
      /out-of-bounds read of 8 bytes .*\(instruction 2\)/,
    );
  });

  it("a store through a pointer the last load used: read-only part of a region", () => {
    const input: RunInput = { ctx: { bytes: new Uint8Array(16), writable: [[0, 8]] } };
    const o = expectSame(
      "ldxw %r2, [%r1+12]\nstw [%r1+4], 1\nldxw %r3, [%r1+8]\nstw [%r1+12], 5\nmov %r0, 0\nexit\n",
      input,
    );
    expect(o.error).toMatch(/read-only memory .*\(instruction 3\)/);
  });

  it("a helper that changes the region table between two loads", () => {
    const setup = (rt: Runtime) =>
      rt.registerHelper(70, (_args, core) => {
        core.x.regionSet(1, 0, 0, 0, 0);
      });
    const o = expectSame(
      "ldxb %r6, [%r1+0]\nldxb %r7, [%r1+1]\ncall 70\nldxb %r0, [%r1+2]\nexit\n",
      ctx(8),
      undefined,
      setup,
    );
    expect(o.error).toMatch(/out-of-bounds read of 1 bytes .*\(instruction 3\)/);
  });

  it("an address above 4 GiB", () => {
    // the stack's start plus 4 GiB: named after the stack by its low word, 4 GiB past its start
    expect(expectSame("lddw %r1, 0x100014000\nldxb %r0, [%r1+0]\nexit\n").error).toMatch(
      /out-of-bounds read of 1 bytes at stack\+0x100000000 \(instruction 2\)/,
    );
  });

  it("checked accesses of every size up to the end of a region and past it, in a loop", () => {
    // The region caches take the last bytes of a region on a second compare, and a region shorter than 8 bytes
    // is never cached: every size, every region length around 8, reads and writes.
    for (const [load, store, size] of [
      ["ldxb", "stxb", 1],
      ["ldxh", "stxh", 2],
      ["ldxw", "stxw", 4],
      ["ldxdw", "stxdw", 8],
    ] as const) {
      for (const n of [1, 3, 7, 8, 9, 13, 16, 24]) {
        const asm = (op: string) => `
          mov %r0, 0
          mov %r3, 0
        loop:
          mov %r4, %r1
          add %r4, %r3
          ${op === load ? `${load} %r5, [%r4+0]` : `${store} [%r4+0], %r3`}
          add %r0, 1
          add %r3, 1
          jlt %r3, 40, loop
          exit`;
        for (const op of [load, store]) {
          const o = expectSame(asm(op), ctx(n));
          expect(o.error).toMatch(new RegExp(`of ${size} bytes .*\\(instruction 4\\)`));
        }
      }
    }
  });

  it("a loop that alternates between regions: the stack through a pointer, the context, a read-only part", () => {
    const input: RunInput = { ctx: { bytes: Uint8Array.from({ length: 64 }, (_, i) => i), writable: [[0, 40]] } };
    const asm = `
      mov %r0, 0
      mov %r2, %r10
      add %r2, -64
      mov %r3, 0
    loop:
      mov %r4, %r1
      add %r4, %r3
      ldxb %r5, [%r4+0]
      add %r0, %r5
      mov %r6, %r2
      add %r6, %r3
      stxb [%r6+0], %r5
      ldxb %r7, [%r6+0]
      stxb [%r4+0], %r7
      ldxb %r8, [%r10-1]
      add %r3, 1
      jlt %r3, 60, loop
      exit`;
    expect(expectSame(asm, input).error).toMatch(/read-only memory .*\(instruction 12\)/);
    expect(expectSame(asm.replace("jlt %r3, 60", "jlt %r3, 40"), input)).toEqual({
      r0: 780n,
      executed: 4 + 40 * 12 + 1,
    });
  });

  it("budget: a loop with loads and stores, every budget", () => {
    const asm = `
      mov %r0, 0
      mov %r3, 0
    loop:
      mov %r4, %r1
      add %r4, %r3
      ldxb %r5, [%r4+0]
      add %r5, 1
      stxb [%r4+0], %r5
      add %r0, %r5
      add %r3, 1
      jlt %r3, 6, loop
      exit`;
    for (let budget = 1; budget <= 52; budget++) expectSame(asm, ctx(8), budget);
  });

  it("budget: straight-line code, exact index, lddw counted once", () => {
    const asm = "mov %r0, 1\nadd %r0, 1\nlddw %r1, 0x1234\nadd %r0, 1\nadd %r0, 1\nexit\n";
    for (let budget = 1; budget <= 6; budget++) {
      const o = expectSame(asm, {}, budget);
      if (budget < 6) expect(o.error).toMatch(new RegExp(`budget of ${budget} exhausted`));
      else expect(o).toEqual({ r0: 4n, executed: 6 });
    }
  });

  it("budget: a loop, with a store before the fault", () => {
    const asm = `
      mov %r0, 0
      mov %r3, 0
    loop:
      add %r0, %r3
      stxw [%r1+0], %r0
      add %r3, 1
      jlt %r3, 10, loop
      exit`;
    for (const budget of [5, 17, 30, 33, 42, 43, 1000]) expectSame(asm, ctx(8), budget);
    expect(expectSame(asm, ctx(8), 1000)).toEqual({ r0: 45n, executed: 43 });
  });

  it("budget: every budget up to the end of a program with calls, nested loops and stores", () => {
    const asm = `
      mov %r6, 0
      mov %r7, 3
    outer:
      mov %r1, %r7
      call local f
      add %r6, %r0
      stxdw [%r10-8], %r6
      sub %r7, 1
      jne %r7, 0, outer
      ldxdw %r0, [%r10-8]
      exit
    f:
      mov %r0, 0
    inner:
      add %r0, %r1
      stxw [%r10-4], %r0
      sub %r1, 1
      jsgt %r1, 0, inner
      exit`;
    const full = expectSame(asm);
    expect(full.r0).toBe(6n + 3n + 1n);
    for (let budget = 1; budget <= full.executed!; budget++) expectSame(asm, {}, budget);
  });

  it("call depth", () => {
    const asm = `
      mov %r1, 0
      call local f
      exit
    f:
      add %r1, 1
      jgt %r1, 20, done
      call local f
    done:
      mov %r0, %r1
      exit`;
    const o = expectSame(asm);
    expect(o.error).toMatch(/call depth exceeds 8 frames \(instruction 5\)/);
  });

  it("bpf-to-bpf calls: callee-saved registers, frames, a pointer to the caller's frame", () => {
    const asm = `
      mov %r6, 100
      stdw [%r10-8], 5
      mov %r1, %r10
      add %r1, -8
      call local f
      add %r0, %r6
      ldxdw %r2, [%r10-8]
      add %r0, %r2
      exit
    f:
      mov %r6, 7
      ldxdw %r2, [%r1+0]
      stdw [%r1+0], 1000
      stdw [%r10-8], 33
      ldxdw %r0, [%r10-8]
      add %r0, %r2
      exit`;
    expect(expectSame(asm).r0).toBe(100n + 38n + 1000n);
  });

  it("after a call returns, the callee's frame is out of bounds", () => {
    const asm = `
      call local f
      ldxdw %r0, [%r0+0]
      exit
    f:
      mov %r0, %r10
      add %r0, -8
      exit`;
    expect(expectSame(asm).error).toMatch(/out-of-bounds read of 8 bytes .*\(instruction 1\)/);
  });

  it("a region a callee's checked accesses found does not outlive the call", () => {
    // The callee loads and stores through a pointer into its own frame (the checked path), so that its deeper
    // frame is the last region found; the caller then goes through the same pointer, once by a load and once by
    // a store, and in a loop after the stack has been found at the caller's depth.
    const callee = `
    f:
      mov %r0, %r10
      add %r0, -8
      stdw [%r0+0], 3
      ldxdw %r2, [%r0+0]
      exit`;
    expect(expectSame(`call local f\nldxdw %r0, [%r0+0]\nexit\n${callee}`).error).toMatch(
      /out-of-bounds read of 8 bytes .*\(instruction 1\)/,
    );
    expect(expectSame(`call local f\nstdw [%r0+0], 1\nmov %r0, 0\nexit\n${callee}`).error).toMatch(
      /out-of-bounds write of 8 bytes .*\(instruction 1\)/,
    );
    const loop = `
      mov %r6, %r10
      add %r6, -16
      mov %r7, 0
    again:
      call local f
      stxdw [%r6+0], %r7
      ldxdw %r8, [%r6+0]
      add %r7, 1
      jlt %r7, 3, again
      ldxdw %r0, [%r0+0]
      exit
    ${callee}`;
    expect(expectSame(loop).error).toMatch(/out-of-bounds read of 8 bytes .*\(instruction 8\)/);
  });

  it("unknown helper through callx, and a host helper that throws", () => {
    expect(expectSame("mov %r2, 999\ncall %r2\nexit\n").error).toMatch(/unknown helper 999 \(instruction 1\)/);
    const setup = (rt: Runtime) =>
      rt.registerHelper(77, () => {
        throw new Error("nope");
      });
    expect(expectSame("mov %r1, 1\ncall 77\nexit\n", {}, undefined, setup).error).toMatch(
      /helper 77 failed: nope \(instruction 1\)/,
    );
  });

  it("host helpers see r1-r5 and set r0; a helper may stop the program", () => {
    const setup = (rt: Runtime) => {
      rt.registerHelper(70, ([a, b, c, d, e]) => a * 10000n + b * 1000n + c * 100n + d * 10n + e);
      rt.registerHelper(71, () => {
        throw new StopProgram(99n);
      });
    };
    const asm = "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 70\nexit\n";
    expect(expectSame(asm, {}, undefined, setup).r0).toBe(12345n);
    expect(
      expectSame("mov %r6, 1\ncall local f\nmov %r0, 5\nexit\nf:\ncall 71\nmov %r0, 6\nexit\n", {}, undefined, setup)
        .r0,
    ).toBe(99n);
  });
});

describe("atomics", () => {
  it("on the stack through r10, through a pointer into the stack, and on the context", () => {
    const asm = `
      stdw [%r10-8], 10
      stw [%r10-16], 3
      mov %r2, 5
      lock add [%r10-8], %r2
      mov %r3, 1
      lock fetch add [%r10-8], %r3
      mov %r4, %r10
      add %r4, -16
      mov %r5, 9
      lock xchg32 [%r4+0], %r5
      mov %r0, 9
      mov %r7, 77
      lock cmpxchg32 [%r4+0], %r7
      lock fetch or [%r1+0], %r7
      ldxdw %r8, [%r10-8]
      ldxw %r9, [%r4+0]
      ldxdw %r1, [%r1+0]
      add %r0, %r3
      add %r0, %r5
      add %r0, %r7
      add %r0, %r8
      add %r0, %r9
      add %r0, %r1
      exit`;
    const o = expectSame(asm, ctx(8));
    expect(o.r0).toBeDefined();
  });
});

describe("packet loads", () => {
  const packet: RunInput = { packet: { bytes: Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]) } };
  it("LD_ABS and LD_IND read big-endian", () => {
    expect(expectSame("ldabsh 0\nmov %r6, %r0\nldabsw 2\nadd %r0, %r6\nexit\n", packet).r0).toBe(0x1234n + 0x56789abcn);
    expect(expectSame("mov %r7, 3\nldindb %r7, 1\nexit\n", packet).r0).toBe(0x9an);
  });
  it("outside the packet the whole program ends with r0 = 0, even from a subprogram", () => {
    expect(expectSame("mov %r0, 5\nldabsw 4\nmov %r0, 7\nexit\n", packet).r0).toBe(0n);
    expect(
      expectSame("call local f\nmov %r0, 7\nexit\nf:\nmov %r7, -1\nldindb %r7, 0\nmov %r0, 3\nexit\n", packet).r0,
    ).toBe(0n);
  });
});

describe("counted loops, whose region checks are tested once before the loop", () => {
  // A loop `iv += step while iv < bound` reading (or writing) ctx[base + iv]: the Wasm engine checks the whole range
  // on entry and runs an unchecked copy of the loop when it fits; the last iteration decides whether it faults.
  const counted = (access: string, start: string, step: string, bound: string) => `
      mov %r0, 0
      mov %r3, ${start}
      mov %r6, 3
      mov %r7, 40
    loop:
      mov %r4, %r1
      add %r4, %r3
      ${access}
      add %r0, 1
      add %r3, ${step}
      jlt %r3, ${bound}, loop
      exit`;

  it("reads and writes up to the end of the region and one iteration past it", () => {
    const n = 40;
    for (const [load, store, size] of [
      ["ldxb", "stxb", 1],
      ["ldxh", "stxh", 2],
      ["ldxw", "stxw", 4],
      ["ldxdw", "stxdw", 8],
    ] as const) {
      for (const step of [1, 3, 8]) {
        for (const off of [0, 5]) {
          for (const bound of [n - size - off, n - size - off + 1, n - size - off + step]) {
            for (const access of [`${load} %r5, [%r4+${off}]`, `${store} [%r4+${off}], %r0`]) {
              // iv takes 0, step, ...: the last one below bound reaches off + iv + size bytes in
              const last = Math.floor((bound - 1) / step) * step;
              const faults = off + last + size > n;
              const o = expectSame(counted(access, "0", String(step), String(bound)), ctx(n));
              if (faults) expect(o.error).toMatch(/out-of-bounds (read|write) .*\(instruction 6\)/);
              else expect(o.r0).toBe(BigInt(last / step + 1));
            }
          }
        }
      }
    }
  });

  it("register bound and step, a step of 0, a start at or past the bound, a start that wraps around", () => {
    const n = 40;
    expect(expectSame(counted("ldxb %r5, [%r4+0]", "0", "%r6", "%r7"), ctx(n)).r0).toBe(14n);
    expect(expectSame(counted("ldxb %r5, [%r4+0]", "0", "%r6", "%r7"), ctx(39)).error).toMatch(
      /out-of-bounds read of 1 bytes .*\(instruction 6\)/,
    );
    expect(expectSame(counted("ldxb %r5, [%r4+0]", "2", "%r8", "%r7"), ctx(n), 1000).error).toMatch(/budget/);
    expect(expectSame(counted("ldxb %r5, [%r4+0]", "39", "1", "%r7"), ctx(n)).r0).toBe(1n);
    expect(expectSame(counted("ldxb %r5, [%r4+0]", "40", "1", "%r7"), ctx(n)).error).toMatch(
      /out-of-bounds read .*\(instruction 6\)/,
    );
    expect(expectSame(counted("ldxb %r5, [%r4+8]", "-8", "16", "%r7"), ctx(n)).r0).toBe(3n);
    expect(expectSame(counted("ldxb %r5, [%r4+0]", "-8", "16", "%r7"), ctx(n)).error).toMatch(
      /out-of-bounds read .*\(instruction 6\)/,
    );
    const far = counted("ldxb %r5, [%r4+0]", "0", "1", "%r7").replace("mov %r3, 0", "lddw %r3, 0xfffffffffffffff8");
    expect(expectSame(far, ctx(n)).error).toMatch(/out-of-bounds read .*\(instruction 7\)/);
  });

  it("an address added up in 32 bits in the unchecked copy is the 64-bit sum, with operands above 2^32", () => {
    // r4 = r1 + r3 + (2^40 + 8) + (-2^40): the last add and the `add %r4, 16` before the store make the accesses'
    // addresses, which the test before the loop allows; r0 adds up r4 - r1 (r3 + 24 in each trip)
    expect(expectSame(wideOperands(8), ctx(32)).r0).toBe(220n);
    expect(expectSame(wideOperands(8), ctx(31)).error).toMatch(/out-of-bounds write of 1 bytes .*\(instruction 12\)/);
    expect(expectSame(wideOperands(9), ctx(40)).r0).toBe(220n + 32n);
  });

  it("the budget runs out inside a counted loop, or just after it, at the interpreter's instruction", () => {
    // 4 instructions, 40 trips of 6, exit: 245 in all; the Wasm engine counts a whole one-block loop on entry
    // when the budget lasts it and the exit after it
    const asm = counted("stxb [%r4+0], %r0", "0", "1", "%r7");
    for (const budget of [20, 21, 22, 23, 24, 25, 26, 100, 240, 243, 244]) {
      expect(expectSame(asm, ctx(40), budget).error).toMatch(/budget/);
    }
    for (const budget of [245, 246, 1000]) expect(expectSame(asm, ctx(40), budget)).toEqual({ r0: 40n, executed: 245 });
    const after = asm.replace("exit", "add %r0, 1\nadd %r0, 1\nexit");
    expect(expectSame(after, ctx(40), 246).error).toMatch(/budget/);
    expect(expectSame(after, ctx(40), 247)).toEqual({ r0: 42n, executed: 247 });
  });

  it("nested counted loops (a sieve) whose inner stores run past the region when n is too large", () => {
    const zeros = (n: number): RunInput => ({ ctx: { bytes: new Uint8Array(n) } });
    expect(expectSame(sieve(100), zeros(100)).r0).toBe(25n);
    expect(expectSame(sieve(101), zeros(100)).error).toMatch(/out-of-bounds write of 1 bytes .*\(instruction 13\)/);
    expect(expectSame(sieve(120), zeros(100)).error).toMatch(/out-of-bounds write .*\(instruction 13\)/);
  });

  it("a copy between two regions, one of them the stack through a pointer", () => {
    const asm = (frame: number, bound: number) => copyToStack(frame, bound, { readBack: false });
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => i * 7);
    let sum = 0n;
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < 64; i += 8) sum = BigInt.asUintN(64, sum + v.getBigUint64(i, true));
    expect(expectSame(asm(64, 64), { ctx: { bytes } }).r0).toBe(sum);
    expect(expectSame(asm(64, 65), { ctx: { bytes } }).error).toMatch(/out-of-bounds read .*\(instruction 6\)/);
    expect(expectSame(asm(56, 64), { ctx: { bytes } }).error).toMatch(
      /out-of-bounds write of 8 bytes .*\(instruction 9\)/,
    );
  });
});

describe("control flow", () => {
  // Two entries into the loop {a, b}: through a when r1 is odd, through b otherwise; `pad` more instructions in each.
  const twoEntries = (pad: number) => `
      mov %r0, 0
      mov %r2, %r1
      and %r2, 1
      jeq %r2, 0, b
    a:
      add %r0, 3
      ${"add %r0, 0\n".repeat(pad)}
      jgt %r0, 40, out
    b:
      add %r0, 5
      ${"add %r0, 0\n".repeat(pad)}
      jlt %r0, 60, a
    out:
      exit`;

  it("irreducible flow is made reducible by a copy of a loop's second entry, and agrees", () => {
    const asm = twoEntries(0);
    expectSame(asm);
    expectSame(asm, ctx(3));
    translateToWasm(assemble(asm));
    expect(lastTranslationStats()).toEqual({ functions: 1, dispatched: 0 });
  });

  it("irreducible flow whose copy would be too large goes through the dispatcher and agrees", () => {
    // a and b: 5,000 instructions each, more than the translator copies (assembly/wasm/split.ts: SPLIT_LIMIT)
    const asm = twoEntries(5000);
    expect(expectSame(asm).r0).toBe(48n); // b, then a and b until a passes 40: 5, 8, 13, ..., 45, 48
    expectSame(asm, ctx(3));
    translateToWasm(assemble(asm));
    expect(lastTranslationStats()).toEqual({ functions: 1, dispatched: 1 });
  });

  it("reducible flow (loops, calls) is structured without the dispatcher", () => {
    translateToWasm(
      assemble("mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 9, loop\ncall local f\nexit\nf:\nmov %r0, 1\nexit\n"),
    );
    expect(lastTranslationStats()).toEqual({ functions: 2, dispatched: 0 });
  });

  it("nested loops, gotol and a 32-bit jump", () => {
    const asm = `
      mov %r0, 0
      mov %r1, 0
    outer:
      mov %r2, 0
    inner:
      add %r0, %r2
      add %r2, 1
      jlt32 %r2, 7, inner
      add %r1, 1
      jlt %r1, 5, next
      gotol done
    next:
      ja outer
    done:
      exit`;
    expect(expectSame(asm).r0).toBe(5n * 21n);
  });
});

describe("translation", () => {
  it.runIf(HAVE_CONFORMANCE)("produces a valid module for every conformance program", () => {
    for (const file of conformanceFiles().slice(0, 40)) {
      const test = parseConformanceTest(readFileSync(file, "utf8"), basename(file));
      expect(WebAssembly.validate(translateToWasm(conformanceProgram(test)))).toBe(true);
    }
  });

  it("a program beyond V8's function size limit runs on the interpreter, with the same result", () => {
    const rt = new Runtime({ budget: 0 });
    const prog = rt.addProgram("big", oversizedProgram());
    expectedFallbacks++;
    const w = rt.run(prog, {}, wasmEngine);
    expect(wasmFallbackReason(prog)).toMatch(/size|limit/i);
    expect(wasmEngine.fallbackReason?.(prog)).toBe(wasmFallbackReason(prog));
    expect(w.r0).toBe(oversizedResult());
    expect(w).toEqual(rt.run(prog, {}, "interp"));
  });

  it("reports the instructions executed like the interpreter", () => {
    const rt = conformanceRuntime();
    const prog = rt.addProgram("p", assemble("mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 100, loop\nexit\n"));
    expect(rt.run(prog, {}, wasmEngine).executed).toBe(rt.run(prog, {}, "interp").executed);
    expect(Number(rt.core.view.getBigUint64(STATE + ST_EXECUTED, true))).toBe(202);
  });
});

describe("clang-built fixtures on both engines", () => {
  const objects = readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".o"))
    .sort();
  const input = new TextEncoder().encode("1234 and 0x1f: the quick brown fox jumps over the lazy dog");
  // Clocks differ between two runs; everything else a program writes must match.
  const clockDependent = new Set(["ids"]);

  function outcome(file: string, program: string, engine: "interp" | "wasm") {
    const printed: string[] = [];
    const obj = loadSync(fixture(file), { engine, printk: (line) => printed.push(line) });
    const runs: unknown[] = [printed];
    for (let i = 0; i < 3; i++) {
      try {
        runs.push(obj.program(program).run(input));
      } catch (e) {
        runs.push(e instanceof Error ? e.message : String(e));
      }
    }
    const maps: Record<string, unknown> = {};
    if (!clockDependent.has(program)) {
      for (const [name, m] of obj.maps) {
        try {
          maps[name] = m
            .dump()
            .map(({ key, value }) => [Buffer.from(key).toString("hex"), Buffer.from(value).toString("hex")]);
        } catch {
          maps[name] = "(no dump)";
        }
      }
    }
    return { runs, maps };
  }

  // Objects the loader refuses are the loader's tests' business; every other one runs here.
  const loadable = objects.flatMap((file) => {
    try {
      const obj = loadSync(fixture(file), { engine: "interp", printk: () => {} });
      return [{ file, programs: [...obj.programs.keys()] }];
    } catch {
      return [];
    }
  });
  it("loads most fixtures", () => expect(loadable.length).toBeGreaterThanOrEqual(objects.length / 2));
  for (const { file, programs } of loadable) {
    for (const program of programs) {
      it(`${file} ${program}`, () => {
        const w = outcome(file, program, "wasm");
        const i = outcome(file, program, "interp");
        if (clockDependent.has(program)) expect(w.runs.length).toBe(i.runs.length);
        else expect(w).toEqual(i);
      });
    }
  }
});

describe("callbacks and tail calls", () => {
  /** Assembles `asm` and turns `lddw %rN, 0` at the instruction labelled by `funcAt` into a function handle. */
  function withFunc(asm: string, lddwPc: number, target: number): Uint8Array {
    const code = assemble(asm);
    code[lddwPc * 8 + 1] = (code[lddwPc * 8 + 1] & 0x0f) | (4 << 4); // src = PSEUDO_FUNC
    new DataView(code.buffer).setInt32(lddwPc * 8 + 4, target - (lddwPc + 1), true);
    return code;
  }

  function bothRaw(code: Uint8Array, input: RunInput = {}): Outcome[] {
    return (["interp", "wasm"] as const).map((engine) => {
      const rt = new Runtime();
      const prog = rt.addProgram("p", code);
      try {
        const r = rt.run(prog, input, engine === "wasm" ? wasmEngine : engine);
        return { r0: r.r0, executed: r.executed };
      } catch (e) {
        if (e instanceof BpfFault) return { error: e.message };
        throw e;
      }
    });
  }

  // bpf_loop(10, cb, &sum, 0) where the callback adds its index to *ctx (the caller's stack).
  const loop = (body: string) => `
      mov %r6, 77
      stdw [%r10-8], 0
      mov %r1, 10
      lddw %r2, 0
      mov %r3, %r10
      add %r3, -8
      mov %r4, 0
      call 181
      ldxdw %r0, [%r10-8]
      add %r0, %r6
      exit
    ${body}`;
  const LDDW_PC = 3;
  const CB_PC = 12;

  it("bpf_loop runs the translated callback, which writes through a pointer to the caller's frame", () => {
    const code = withFunc(
      loop("ldxdw %r3, [%r2+0]\nadd %r3, %r1\nstxdw [%r2+0], %r3\nmov %r6, 1\nmov %r0, 0\nexit"),
      LDDW_PC,
      CB_PC,
    );
    const [i, w] = bothRaw(code);
    expect(w).toEqual(i);
    expect(w.r0).toBe(45n + 77n);
  });

  it("a callback that returns 1 stops the loop; r0 of bpf_loop is the number of calls", () => {
    const asm = loop("mov %r0, 0\njne %r1, 3, +1\nmov %r0, 1\nexit").replace("ldxdw %r0, [%r10-8]", "mov %r0, %r0");
    const [i, w] = bothRaw(withFunc(asm, LDDW_PC, CB_PC));
    expect(w).toEqual(i);
    expect(w.r0).toBe(4n + 77n);
  });

  it("a fault in a callback is reported at its instruction", () => {
    const [i, w] = bothRaw(withFunc(loop("ldxdw %r3, [%r2+1000]\nmov %r0, 0\nexit"), LDDW_PC, CB_PC));
    expect(w).toEqual(i);
    expect(w.error).toMatch(/out-of-bounds read of 8 bytes .*\(instruction 12\)/);
  });

  it("the budget covers the callbacks", () => {
    const code = withFunc(
      loop("ldxdw %r3, [%r2+0]\nadd %r3, %r1\nstxdw [%r2+0], %r3\nmov %r0, 0\nexit"),
      LDDW_PC,
      CB_PC,
    );
    for (const budget of [9, 20, 40, 61, 62, 63]) {
      const results = (["interp", "wasm"] as const).map((engine) => {
        const rt = new Runtime({ budget });
        const prog = rt.addProgram("p", code);
        try {
          return rt.run(prog, {}, engine === "wasm" ? wasmEngine : engine);
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(results[1]).toEqual(results[0]);
    }
  });

  it("LD_ABS outside the packet inside a callback ends only the callback (r0 = 0)", () => {
    const packet: RunInput = { packet: { bytes: Uint8Array.from([1, 2, 3, 4]) } };
    // The callback adds its index, then loads packet byte 2 * index: from index 2 on, outside the packet.
    const body =
      "ldxdw %r3, [%r2+0]\nadd %r3, %r1\nstxdw [%r2+0], %r3\nmov %r7, %r1\nlsh %r7, 1\nldindb %r7, 0\nmov %r0, 0\nexit";
    const results = (["interp", "wasm"] as const).map((engine) => {
      const rt = new Runtime();
      const prog = rt.addProgram("p", withFunc(loop(body), LDDW_PC, CB_PC));
      return rt.run(prog, packet, engine === "wasm" ? wasmEngine : engine);
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[1].r0).toBe(45n + 77n);
  });

  it("a tail call from a subprogram returns to the subprogram's caller", () => {
    const results = (["interp", "wasm"] as const).map((engine) => {
      const rt = new Runtime();
      const map = rt.createMap({ name: "jmp", type: 3, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
      const target = rt.addProgram("target", assemble("mov %r0, %r1\nadd %r0, 1000\nexit\n"));
      const code = assemble(`
        mov %r6, 5
        mov %r1, 7
        call local f
        add %r0, %r6
        exit
      f:
        mov %r6, 1
        lddw %r2, 0
        mov %r3, 0
        call 12
        mov %r0, 1
        exit`);
      code[6 * 8 + 1] = (code[6 * 8 + 1] & 0x0f) | (1 << 4); // lddw src = PSEUDO_MAP_FD, imm = map index
      new DataView(code.buffer).setInt32(6 * 8 + 4, map, true);
      const prog = rt.addProgram("p", code);
      const key = rt.core.scratch(new Uint8Array(4));
      const value = rt.core.scratch(Uint8Array.of(target.id, 0, 0, 0), 8);
      expect(rt.core.x.mapUpdate(rt.mapIds[map], key, value, 0n)).toBe(0n);
      return rt.run(prog, {}, engine === "wasm" ? wasmEngine : engine);
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[1].r0).toBe(1012n);
  });

  it("tail calls through a program array (clang-built): a chain, and the limit of 33", () => {
    const executed = (["interp", "wasm"] as const).map((engine) => {
      const obj = loadSync(fixture("tailcall.o"), { engine });
      obj.setTailCall("jmp_table", 0, "step0");
      obj.setTailCall("jmp_table", 1, "step1");
      obj.setTailCall("jmp_table", 2, "spin");
      expect(obj.program("entry").run(new Uint8Array([5]))).toBe(25n);
      const entry = obj.program("entry").lastRun?.executed;
      expect(obj.program("spin").run(new Uint8Array([5]))).toBe(34n);
      return [entry, obj.program("spin").lastRun?.executed];
    });
    expect(executed[1]).toEqual(executed[0]);
    expect(executed[0][1]).toBeGreaterThan(34);
  });
});

describe("random programs (the fuzzer's generator) on both engines", () => {
  // Compared on r0, the fault text, the instructions executed and the input buffer afterwards.
  for (const inheritRegisters of [false, true]) {
    it(
      inheritRegisters ? "reading registers as callers, callees and helpers left them" : "verifier-clean programs",
      () => {
        const s = fuzz({
          engines: ["interp", "wasm"],
          seed: inheritRegisters ? 9000 : 1000,
          programs: 400,
          stopAtFirst: false,
          inheritRegisters,
        });
        expect(s.programs).toBe(400);
        expect(s.faulted).toBeGreaterThan(0);
        expect(s.mismatches.map((m) => `seed ${m.seed}: ${m.differences.join("; ")}`)).toEqual([]);
      },
    );
  }
});
