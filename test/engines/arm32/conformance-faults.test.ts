// The eBPF -> ARM32 translator: every conformance test as a standalone ARM Linux executable under qemu-arm, on a
// core with hardware divide (Cortex-A7) and one without (Cortex-A8), plus faults, bpf-to-bpf calls, packet loads
// and the driver's options, each compared with the expected result and with the interpreter.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, writeFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { parseConformanceTest, conformanceProgram } from "../../../src/tools/conformance-data.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { StopProgram } from "../../../src/runtime/core.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { generate } from "../../../src/fuzz/generate.js";
import { commands } from "../../../src/cli/object-commands.js";
import { parseArgs } from "../../../src/cli/args.js";
import {
  buildArm32Executable,
  runArm32,
  runArm32Async,
  arm32Listing,
  translateArm32,
  Arm32Error,
  type Arm32Result,
  type RunOptions,
} from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator, limited } from "../../support/arm32.js";
import { conformanceFiles, describeConformance } from "../../support/conformance.js";

const root = join(import.meta.dirname, "..", "..", "..");

beforeAll(ensureArm32Translator);

function show(r: Arm32Result): string {
  return "r0" in r ? `r0 = 0x${r.r0.toString(16)}` : r.fault;
}

/** The interpreter's answer for the same program: r0, or the fault line. */
function interpret(code: Uint8Array, mem: Uint8Array, budget = 1_000_000): string {
  const rt = new Runtime({ budget });
  rt.registerHelper(5, ([arg]) => {
    if (arg === 0n) throw new StopProgram(0n);
    return arg;
  });
  try {
    const prog = rt.addProgram("program", code);
    return `r0 = 0x${rt.run(prog, mem.length ? { ctx: { bytes: mem } } : {}).r0.toString(16)}`;
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

const tests = conformanceFiles().map((f) => parseConformanceTest(readFileSync(f, "utf8"), basename(f, ".data")));

const cpus: [string, RunOptions][] = [
  ["cortex-a7 with UDIV/SDIV", { cpu: "cortex-a7", idiv: true }],
  ["cortex-a7 with division routines", { cpu: "cortex-a7", idiv: false }],
  ["cortex-a8 (no hardware divide)", { cpu: "cortex-a8", idiv: false }],
];

describeConformance("conformance suite under qemu-arm", () => {
  it("has the suite's tests", () => {
    expect(tests.length).toBeGreaterThanOrEqual(250);
  });
  for (const [label, opts] of cpus) {
    it(`passes every test on ${label}`, async () => {
      const results = await limited(
        tests.map((t) => async () => {
          const r = await runArm32Async(conformanceProgram(t), t.mem, { ...opts, conformance: true });
          return { name: t.name, got: show(r), want: `r0 = 0x${t.result!.toString(16)}` };
        }),
      );
      const wrong = results.filter((r) => r.got !== r.want);
      expect(wrong).toEqual([]);
    }, 120_000);
  }
});

async function both(source: string, mem: Uint8Array = new Uint8Array(0), opts: RunOptions = {}): Promise<string> {
  const code = assemble(source);
  const arm = show(await runArm32Async(code, mem, { conformance: true, ...opts }));
  expect(arm).toBe(interpret(code, mem, opts.budget ?? 1_000_000));
  return arm;
}

describe("faults", () => {
  it("reports an out-of-bounds read with its address, size and instruction", async () => {
    expect(await both("mov %r2, 0x1234\nldxw %r0, [%r2+0]\nexit")).toBe(
      "out-of-bounds read of 4 bytes at 0x1234 (instruction 1)",
    );
  });
  it("reports an out-of-bounds write above 4 GiB; lddw takes two instruction slots", async () => {
    expect(await both("lddw %r3, 0x100000000\nstxdw [%r3+8], %r1\nexit")).toBe(
      "out-of-bounds write of 8 bytes at 0x100000008 (instruction 2)",
    );
  });
  it("checks the input memory's end exactly", async () => {
    const mem = new Uint8Array(8);
    expect(await both("ldxw %r0, [%r1+4]\nexit", mem)).toBe("r0 = 0x0");
    expect(show(await runArm32Async(assemble("ldxh %r0, [%r1+7]\nexit"), mem))).toBe(
      "out-of-bounds read of 2 bytes at context+0x7 (instruction 0)",
    );
    expect(show(await runArm32Async(assemble("mov %r0, 0\nstb [%r1-1], 1\nexit"), mem))).toBe(
      "out-of-bounds write of 1 bytes at context-0x1 (instruction 1)",
    );
  });
  it("refuses stack accesses outside the current frame", async () => {
    expect(show(await runArm32Async(assemble("mov %r0, 0\nstw [%r10+0], 1\nexit"), new Uint8Array(0)))).toBe(
      "out-of-bounds write of 4 bytes at stack+0x200 (instruction 1)", // the stack's start is r10 - 512
    );
    expect(show(await runArm32Async(assemble("mov %r2, %r10\nldxb %r0, [%r2-513]\nexit"), new Uint8Array(0)))).toBe(
      "out-of-bounds read of 1 bytes at stack-0x1 (instruction 1)",
    );
  });
  it("lets a program run exactly its budget; the next instruction faults", async () => {
    const loop = "mov %r0, 0\nloop:\nadd %r0, 1\nja loop";
    expect(await both(loop, undefined, { budget: 10 })).toBe("instruction budget of 10 exhausted (instruction 2)");
    expect(await both(loop, undefined, { budget: 11 })).toBe("instruction budget of 11 exhausted (instruction 1)");
    const lddw = "lddw %r0, 5\nmov %r1, 1\nexit";
    expect(await both(lddw, undefined, { budget: 3 })).toBe("r0 = 0x5");
    expect(await both(lddw, undefined, { budget: 2 })).toBe("instruction budget of 2 exhausted (instruction 3)");
    expect(await both(lddw, undefined, { budget: 1 })).toBe("instruction budget of 1 exhausted (instruction 2)");
  });
  it("runs the default budget of 1,000,000 instructions, and unlimited with 0", async () => {
    const count = (n: number) => `mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, ${n}, loop\nexit`;
    expect(await both(count(499_999))).toBe("r0 = 0x7a11f"); // 1 + 2 * 499,999 + 1 = 1,000,000
    expect(await both(count(500_000))).toBe("instruction budget of 1000000 exhausted (instruction 2)");
    expect(show(await runArm32Async(assemble(count(600_000)), new Uint8Array(0), { budget: 0 }))).toBe("r0 = 0x927c0");
  });
  it("allows 8 frames of bpf-to-bpf calls and faults on the ninth", async () => {
    const chain = (depth: number) =>
      `mov %r1, ${depth}\ncall local f\nexit\nf:\njeq %r1, 0, done\nsub %r1, 1\ncall local f\ndone:\nmov %r0, 1\nexit`;
    expect(await both(chain(6))).toBe("r0 = 0x1");
    expect(await both(chain(7))).toBe("call depth exceeds 8 frames (instruction 5)");
  });
  it("reports a helper that is not compiled in when the call happens", async () => {
    // (the interpreter's loader refuses such a program before it runs)
    const run = async (src: string) =>
      show(await runArm32Async(assemble(src), new Uint8Array(0), { conformance: true }));
    expect(await run("mov %r1, 1\ncall 5\ncall 99\nexit")).toBe("unknown helper 99 (instruction 2)");
    expect(await run("mov %r2, 7\ncall %r2\nexit")).toBe("unknown helper 7 (instruction 1)");
  });
});

describe("bpf-to-bpf calls", () => {
  it("gives each frame its own 512-byte stack and preserves r6-r9", async () => {
    const src = [
      "mov %r6, 6",
      "lddw %r7, 0x700000007",
      "mov %r8, 8",
      "mov %r9, 9",
      "stdw [%r10-8], 100",
      "call local f",
      "ldxdw %r1, [%r10-8]",
      "add %r0, %r1",
      "add %r0, %r6",
      "add %r0, %r8",
      "add %r0, %r9",
      "add %r0, %r7",
      "exit",
      "f:",
      "stdw [%r10-8], 1000",
      "stdw [%r10-512], 1",
      "mov %r6, 0",
      "mov %r7, 0",
      "mov %r8, 0",
      "mov %r9, 0",
      "ldxdw %r0, [%r10-8]",
      "exit",
    ].join("\n");
    expect(await both(src)).toBe(`r0 = 0x${(1000n + 100n + 6n + 8n + 9n + 0x700000007n).toString(16)}`);
  });
  it("lets a callee read its caller's stack through a pointer", async () => {
    const src = "stdw [%r10-16], 42\nmov %r1, %r10\nsub %r1, 16\ncall local f\nexit\nf:\nldxdw %r0, [%r1+0]\nexit";
    expect(await both(src)).toBe("r0 = 0x2a");
  });
  it("unwinds from a nested frame when helper 5 gets 0", async () => {
    expect(await both("call local f\nmov %r0, 7\nexit\nf:\nmov %r1, 0\ncall 5\nmov %r0, 9\nexit")).toBe("r0 = 0x0");
  });
});

describe("arithmetic corner cases (both division paths)", () => {
  const cases: [string, string][] = [
    ["lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", "r0 = 0x8000000000000000"],
    ["lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit", "r0 = 0x0"],
    ["mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", "r0 = 0x80000000"],
    ["mov32 %r0, 0x80000000\nsmod32 %r0, -1\nexit", "r0 = 0x0"],
    ["mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1\nexit", "r0 = 0xfffffffffffffff9"],
    ["mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1\nexit", "r0 = 0x0"],
    ["mov32 %r0, -7\nmov %r1, 0\nmod32 %r0, %r1\nexit", "r0 = 0xfffffff9"],
    ["mov %r0, -7\nsmod %r0, 3\nexit", "r0 = 0xffffffffffffffff"],
    ["mov %r0, 7\nsmod %r0, -3\nexit", "r0 = 0x1"],
    ["lddw %r0, 0xfffffffffffffff0\ndiv %r0, 3\nexit", "r0 = 0x5555555555555550"],
    [
      "lddw %r0, 0xfedcba9876543210\nlddw %r1, 0x123456789\nmod %r0, %r1\nexit",
      `r0 = 0x${(0xfedcba9876543210n % 0x123456789n).toString(16)}`,
    ],
    ["lddw %r0, 0x123456789abcdef\nmov %r1, 68\nlsh %r0, %r1\nexit", "r0 = 0x123456789abcdef0"],
    ["lddw %r0, 0x8000000000000000\nmov %r1, 33\narsh %r0, %r1\nexit", "r0 = 0xffffffffc0000000"],
    ["lddw %r0, 0x8000000000000000\narsh %r0, 32\nexit", "r0 = 0xffffffff80000000"],
    [
      "lddw %r0, 0x1ffffffff\nmul %r0, %r0\nexit",
      `r0 = 0x${BigInt.asUintN(64, 0x1ffffffffn * 0x1ffffffffn).toString(16)}`,
    ],
    ["mov32 %r0, 0xffff\nmov32 %r1, 0xffff\nmul %r0, %r1\nexit", "r0 = 0xfffe0001"],
    ["mov %r0, -1\njsgt %r0, 0, +1\nexit\nmov %r0, 5\nexit", "r0 = 0xffffffffffffffff"],
    ["mov32 %r0, -1\njsgt %r0, 0, +1\nexit\nmov %r0, 5\nexit", "r0 = 0x5"],
    // immediates sign-extended to 64 bits, without a constant load
    ["lddw %r0, 0x100000005\nor %r0, -16\nexit", "r0 = 0xfffffffffffffff5"],
    ["lddw %r0, 0x100000005\nxor %r0, -1\nexit", "r0 = 0xfffffffefffffffa"],
    ["lddw %r0, 0x1ffffffff\nand %r0, -256\nexit", "r0 = 0x1ffffff00"],
    ["lddw %r0, 0x1ffffffff\nand %r0, 255\nexit", "r0 = 0xff"],
    ["lddw %r0, 0x100000000\nadd %r0, -1\nexit", "r0 = 0xffffffff"],
    ["mov %r0, 0\nsub %r0, 1\nexit", "r0 = 0xffffffffffffffff"],
    ["mov %r0, 5\nsub %r0, -0x7fffffff\nexit", "r0 = 0x80000004"],
    ...(
      [
        ["0xffffffff00000000", "jslt", "-5", 1],
        ["0xfffffffffffffffd", "jsge", "-3", 1],
        ["0xfffffffffffffffc", "jsge", "-3", 0],
        ["0xffffffffffffffff", "jgt", "-2", 1],
        ["0xfffffffffffffffe", "jgt", "-2", 0],
        ["0x100000000", "jset", "-1", 1],
        ["0x100000000", "jset", "1", 0],
        ["0x100000000", "jsgt", "5", 1],
        ["0xffffffffffffffff", "jsle", "5", 1],
        ["0x100000005", "jeq", "5", 0],
        ["0xffffffff00000005", "jne", "5", 1],
        ["0x5", "jle", "5", 1],
        ["0xffffffffffffffff", "jeq", "-1", 1],
        ["0xfffffffffffffff0", "jlt", "-15", 1],
        ["0x7fffffff", "jsgt", "0x7ffffff0", 1],
      ] as const
    ).map(([v, j, imm, taken]): [string, string] => [
      `lddw %r1, ${v}\nmov %r0, 1\n${j} %r1, ${imm}, +1\nmov %r0, 0\nexit`,
      `r0 = 0x${taken}`,
    ]),
  ];
  for (const idiv of [true, false]) {
    it(
      idiv ? "with UDIV/SDIV" : "with division routines",
      async () => {
        const got = await limited(
          cases.map(
            ([src]) =>
              () =>
                both(src, undefined, { idiv, cpu: idiv ? "cortex-a7" : "cortex-a8" }),
          ),
        );
        expect(got).toEqual(cases.map(([, want]) => want));
      },
      30_000,
    );
  }
});

describe("atomics, aligned and unaligned", () => {
  // LDREX/STREX need aligned addresses; unaligned ones take a plain read-modify-write path.
  const ops = ["add", "or", "and", "xor", "fetch add", "fetch or", "fetch and", "fetch xor", "xchg", "cmpxchg"];
  const programs: string[] = [];
  for (const size of ["", "32"]) {
    for (const op of ops) {
      for (const off of [16, 12, 11]) {
        for (const expected of ["0x1122334455667788", "0x55667788"]) {
          if (op !== "cmpxchg" && expected !== "0x1122334455667788") continue;
          programs.push(
            [
              "lddw %r2, 0x1122334455667788",
              `stxdw [%r10-${off}], %r2`,
              "lddw %r1, 0x0f0f0f0ff0f0f0f0",
              `lddw %r0, ${expected}`,
              `lock ${op}${size} [%r10-${off}], %r1`,
              `ldxdw %r3, [%r10-${off}]`,
              "mov %r4, %r1",
              "lsh %r4, 1",
              "xor %r0, %r4",
              "xor %r0, %r3",
              "exit",
            ].join("\n"),
          );
        }
      }
    }
  }
  it(`agree with the interpreter (${programs.length} programs)`, async () => {
    const got = await limited(
      programs.map((src) => async () => {
        const code = assemble(src);
        return {
          src,
          arm: show(await runArm32Async(code, new Uint8Array(0))),
          interp: interpret(code, new Uint8Array(0)),
        };
      }),
    );
    expect(got.filter((g) => g.arm !== g.interp)).toEqual([]);
    expect(new Set(got.map((g) => g.arm)).size).toBeGreaterThan(20); // the programs do differ
  }, 60_000);
});

describe("packet loads (LD_ABS / LD_IND)", () => {
  // a socket filter's packet (a raw program has none: test/engines/arm32/no-packet-no-maps.test.ts)
  const SKB = { skb: true };
  const pkt = new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
  it("load big-endian values inside the packet", async () => {
    expect(show(await runArm32Async(assemble("ldabsw 1\nexit"), pkt, SKB))).toBe("r0 = 0x22334455");
    expect(show(await runArm32Async(assemble("ldabsh 4\nexit"), pkt, SKB))).toBe("r0 = 0x5566");
    expect(show(await runArm32Async(assemble("mov %r6, 2\nldindb %r6, 3\nexit"), pkt, SKB))).toBe("r0 = 0x66");
  });
  it("end the program with r0 = 0 outside the packet", async () => {
    expect(show(await runArm32Async(assemble("mov %r0, 9\nldabsw 3\nmov %r0, 1\nexit"), pkt, SKB))).toBe("r0 = 0x0");
    expect(show(await runArm32Async(assemble("mov %r6, -1\nldindb %r6, 0\nmov %r0, 1\nexit"), pkt, SKB))).toBe(
      "r0 = 0x0",
    );
  });
});

describe("the executable", () => {
  const small = assemble("ldxw %r0, [%r1+0]\nadd %r0, %r2\nexit");

  it("is a small static ARM ELF file", () => {
    const exe = buildArm32Executable(small);
    expect([...exe.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(exe[4]).toBe(1); // ELFCLASS32
    expect(exe[18]).toBe(40); // EM_ARM
    // the driver (arguments, captures, each run's private copy of the input, JSON) and the runtime: about 4 KB
    expect(exe.length).toBeLessThan(4608);
  });

  it("takes --mem FILE and --repeat N, and refuses anything else", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-test-"));
    try {
      const exe = join(dir, "prog");
      writeFileSync(exe, buildArm32Executable(small));
      chmodSync(exe, 0o755);
      writeFileSync(join(dir, "mem"), new Uint8Array([1, 0, 0, 0, 9, 9]));
      const run = (...args: string[]) =>
        spawnSync("qemu-arm", ["-cpu", "cortex-a8", exe, ...args], { encoding: "utf8" });
      expect(run("--mem", join(dir, "mem")).stdout).toBe("7\n");
      const repeated = run("--repeat", "1000", "--mem", join(dir, "mem"));
      expect([repeated.status, repeated.stdout]).toEqual([0, "7\n"]);
      expect(run().stderr).toMatch(/^out-of-bounds read of 4 bytes at 0x0 \(instruction 0\)\n$/);
      expect(run().status).toBe(1);
      expect(run("--bogus").status).toBe(2);
      expect(run("--mem", join(dir, "missing")).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts every --repeat run from the input as given, like `tinybpf run --repeat`", () => {
    // the program increments its input's first byte and returns it: each run must see the original byte
    const code = assemble("ldxb %r0, [%r1+0]\nadd %r0, 1\nstxb [%r1+0], %r0\nexit");
    const mem = new Uint8Array([41, 0, 0, 0]);
    const rt = new Runtime({});
    const prog = rt.addProgram("inc", code);
    const interpreted = [0, 1, 2].map(() => rt.run(prog, { ctx: { bytes: mem } }).r0);
    expect(interpreted).toEqual([42n, 42n, 42n]);
    expect(runArm32(code, mem, { repeat: 3 })).toEqual({ r0: 42n });
    expect(runArm32(code, mem, { repeat: 1000 })).toEqual({ r0: 42n });
  });

  it("prints r0 as an unsigned 64-bit decimal", () => {
    expect(runArm32(assemble("mov %r0, -1\nexit"), new Uint8Array(0))).toEqual({ r0: 0xffffffffffffffffn });
  });

  it("has a listing that interleaves eBPF instructions with their ARM code", () => {
    // r1 read twice: a constant read once would be the add's operand, its code under the lddw (jit/fuse.ts)
    const text = arm32Listing(assemble("mov %r0, 1\nlddw %r1, 0x100000002\nadd %r0, %r1\nadd %r0, %r1\nexit"));
    expect(text).toContain("; prologue");
    expect(text).toMatch(/;\s+0: .*\n(\s+[0-9a-f]{8}: .*\n)*\s+[0-9a-f]{8}: [0-9a-f]{8}  mov r4, #1\n/);
    expect(text).toMatch(/;\s+1: lddw/);
    expect(text).not.toMatch(/;\s+2:/); // the second slot of lddw has no code of its own
    expect(text).toMatch(/;\s+3: .*add.*\n(.*\n)*\s+[0-9a-f]{8}: [0-9a-f]{8}  adds r4, r4/);
  });

  it("compares only low words where the high words are known to be zero, across basic blocks", async () => {
    const src = "mov32 %r0, 0\nmov32 %r1, 0\nloop:\nadd32 %r0, 3\nadd32 %r1, 1\njlt %r1, 10, loop\nexit";
    const text = arm32Listing(assemble(src));
    const jump = text.split(";    4: ")[1].split(";    5: ")[0];
    expect(jump).toMatch(/cmp r6, #10\n.*blo /); // eBPF r1 lives in r6:r7; r7 is known to be 0 from both ways in
    expect(jump).not.toContain("r7");
    expect(await both(src)).toBe("r0 = 0x1e");
  });

  it("refuses what it cannot translate, naming the instruction", () => {
    expect(() => translateArm32(assemble("mov %r0, 0\nlddw %r1, 0\nexit").map((b, i) => (i === 9 ? 0x21 : b)))).toThrow(
      Arm32Error,
    );
    expect(() => translateArm32(new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/instruction 0/);
  });
});

describe("random programs against the interpreter", () => {
  // The fuzzer's generator: ALU, jumps, loops, loads/stores, atomics, bpf-to-bpf calls and planted faults.
  // Fault addresses differ between engines (different memory layouts); everything else must match.
  const mask = (s: string) => s.replace(/ at 0x[0-9a-f]+/, " at ADDR");
  it("agree on r0 or on the fault for 200 seeds", async () => {
    const seeds = Array.from({ length: 200 }, (_, k) => k + 1);
    const results = await limited(
      seeds.map((seed) => async () => {
        const p = generate(seed, { unalignedRate: 0 });
        const want = interpret(p.code, p.input, p.budget);
        const got = show(await runArm32Async(p.code, p.input, { budget: p.budget }));
        return { seed, want: mask(want), got: mask(got) };
      }),
    );
    expect(results.filter((r) => r.want !== r.got)).toEqual([]);
  }, 120_000);
});

describe("division by constants", () => {
  // 64-bit and 32-bit div/mod by immediates: a multiply when the dividend fits in 32 bits (64-bit dividends
  // checked at run time), a shift for powers of two, the division routine otherwise; negative immediates take the
  // routine. Every result is folded into r0 and compared with the interpreter.
  const divisors = [
    2, 3, 5, 6, 7, 10, 12, 60, 255, 256, 641, 1000, 65535, 65536, 1000003, 0x10000001, 0x40000000, 0x7fffffff, -3,
    -65535,
  ];
  const values: bigint[] = [
    0n,
    1n,
    2n,
    3n,
    7n,
    100n,
    65534n,
    65535n,
    65536n,
    131071n,
    1000003n,
    0x7ffffffen,
    0x7fffffffn,
    0x80000000n,
    0x80000001n,
    0xfffffffen,
    0xffffffffn,
    0x100000000n,
    0x123456789abcdef0n,
    0xffffffffffffffffn,
  ];
  for (const d of divisors.filter((x) => x > 0)) {
    const top = (0xffffffffn / BigInt(d)) * BigInt(d);
    values.push(BigInt(d) - 1n, BigInt(d), BigInt(d) + 1n, top - 1n, top, (1n << 32n) + BigInt(d) - 1n);
  }
  const mem = new Uint8Array(8 * values.length);
  values.forEach((v, k) => new DataView(mem.buffer).setBigUint64(8 * k, BigInt.asUintN(64, v), true));
  const fold = "mul %r0, 31\nadd %r0, %r3\n";
  const source = [
    "mov %r0, 0",
    ...divisors.map(
      (d, k) => `mov %r6, %r1
mov %r7, %r1
add %r7, ${mem.length}
d${k}:
ldxdw %r2, [%r6+0]
mov %r3, %r2
div %r3, ${d}
${fold}mov %r3, %r2
mod %r3, ${d}
${fold}mov32 %r3, %r2
div32 %r3, ${d}
${fold}mov32 %r3, %r2
mod32 %r3, ${d}
${fold}add %r6, 8
jlt %r6, %r7, d${k}`,
    ),
    "exit",
  ].join("\n");

  for (const [label, opts] of [cpus[0], cpus[2]]) {
    it(`agree with the interpreter on ${label}`, async () => {
      expect(await both(source, mem, opts)).toMatch(/^r0 = 0x[0-9a-f]+$/);
    });
  }
});

describe("tinybpf run --engine arm32", () => {
  // The executable reports each run's r0 and the maps; the command prints them as it does for every engine.
  const fixtures = join(root, "test", "fixtures");
  const capture = join(fixtures, "pcap", "sockex1.pcap");
  async function printed(argv: string[]): Promise<string> {
    let text = "";
    await commands.run(parseArgs(argv), (s) => (text += s + "\n"));
    return text;
  }
  for (const [object, extra] of [
    ["sockex1.o", ["--pcap", capture]],
    ["bitehist.o", ["--pcap", capture, "--repeat", "2"]],
    ["xdp.v4.o", ["--pcap", capture]],
    ["globals.o", ["--pcap", capture]],
  ] as const) {
    it(`prints what the interpreter prints for ${object} ${extra.slice(2).join(" ")}`, async () => {
      const argv = [join(fixtures, object), ...extra];
      const interp = await printed([...argv, "--engine", "interp"]);
      expect(interp).toMatch(/^\S+ \(\w+\): \d+ runs\nr0: /);
      expect(await printed([...argv, "--engine", "arm32"])).toBe(interp);
      expect(await printed([...argv, "--engine", "arm32", "--json"])).toBe(
        await printed([...argv, "--engine", "interp", "--json"]),
      );
    }, 60_000);
  }
});
