// More helpers compiled into ARM32 executables, each compared with the interpreter under qemu-arm:
// probe_read*_str (45, 114, 115), get_current_comm (16), get_current_uid_gid (15), get_current_pid_tgid (14),
// get_prandom_u32 (7), jiffies64 (118), strtol (105), strtoul (106), bpf_loop (181); faults for bad pointers.
// The programs of test/fixtures/helpers.o (maps, for_each_map_elem, skb_load_bytes, tail calls) are compared
// through the CLI in test/engines/arm32/helpers-fixture.test.ts.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync, chmodSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { registerHostHelpers } from "../../../src/runtime/host-helpers.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { runArm32, buildArm32Executable, qemu } from "../../../src/engines/arm32/build.js";
import { FUNC_HANDLE_TAG, MAP_HANDLE_TAG } from "../../../assembly/layout.js";
import { MAP_TYPE_ARRAY, MAP_TYPE_HASH } from "../../../assembly/maps/desc.js";
import { layoutMaps } from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { stackProbe } from "../../support/stack-probe.js";

let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-helpers-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

/** The interpreter, with the host's task identity (comm "tinybpf", this process's uid and gid) as `tinybpf run`. */
function interpret(code: Uint8Array, input: Uint8Array): string {
  const rt = new Runtime();
  registerHostHelpers(rt);
  const prog = rt.addProgram("p", code);
  try {
    return rt.run(prog, input.length ? { ctx: { bytes: input } } : {}).r0.toString();
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

function arm(code: Uint8Array, input: Uint8Array): string {
  const r = runArm32(code, input);
  return "r0" in r ? r.r0.toString() : r.fault;
}

/** The two engines place the input and the stack at different addresses: faults are compared without them. */
const noAddress = (s: string) => s.replace(/at 0x[0-9a-f]+/, "at ADDR");

function same(code: Uint8Array, input: Uint8Array): string {
  const want = interpret(code, input);
  const got = arm(code, input);
  expect(noAddress(got)).toBe(noAddress(want));
  return got;
}

const text = (s: string) => new TextEncoder().encode(s);

describe("probe_read_str (45), probe_read_user_str (114), probe_read_kernel_str (115)", () => {
  // r6 = input; stack [r10-24, r10) = 0x11 bytes; helper(r1 = r10 + dst, r2 = size, r3 = src);
  // r0 = result * 2^32 xor the three stack words (each shifted differently so that no byte cancels out)
  const str = (id: number, size: number | string, src: string, dst = -24) =>
    stackProbe(id, { dst, size, src, shifts: [0, 1, 2] });
  const inputs = [text("hello\0world"), text("abcdefghijklmnopqrstuvwxyz"), text("\0"), text("xy")];
  const cases: [string, (id: number) => Uint8Array][] = [
    ["a string with its NUL", (id) => str(id, 16, "%r6")],
    ["a string longer than the buffer: size - 1 bytes and a NUL", (id) => str(id, 8, "%r6")],
    ["size 1: only the NUL", (id) => str(id, 1, "%r6")],
    ["size 0: 0, nothing written", (id) => str(id, 0, "%r6")],
    ["a source that runs out of readable memory: -EFAULT, the buffer zeroed", (id) => str(id, 24, "%r6")],
    ["a NULL source: -EFAULT", (id) => str(id, 8, "0")],
    ["a source on the stack (another region)", (id) => str(id, 8, "%r10", -24)],
  ];
  for (const [title, make] of cases) {
    it(title, () => {
      for (const id of [45, 114, 115]) for (const input of inputs) expect(same(make(id), input)).toMatch(/^\d+$/);
    });
  }
  it("a destination the program may not write: a fault naming the call", () => {
    for (const id of [45, 114, 115]) {
      const code = assemble(`mov %r6, %r1\nmov %r1, 0\nmov %r2, 8\nmov %r3, %r6\ncall ${id}\nexit`);
      expect(same(code, inputs[0])).toBe("out-of-bounds write of 8 bytes at 0x0 (instruction 4)");
      const big = assemble(`mov %r6, %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 9\nmov %r3, %r6\ncall ${id}\nexit`);
      expect(same(big, inputs[0])).toBe("out-of-bounds write of 9 bytes at stack+0x1f8 (instruction 5)");
    }
  });
});

describe("get_current_comm (16), get_current_uid_gid (15), get_current_pid_tgid (14)", () => {
  const comm = (size: number) =>
    assemble(
      [
        "lddw %r7, 0x1111111111111111",
        "stxdw [%r10-8], %r7",
        "stxdw [%r10-16], %r7",
        "stxdw [%r10-24], %r7",
        "mov %r1, %r10",
        "add %r1, -24",
        `mov %r2, ${size}`,
        "call 16",
        "lsh %r0, 32",
        "ldxdw %r1, [%r10-8]",
        "xor %r0, %r1",
        "ldxdw %r1, [%r10-16]",
        "lsh %r1, 1",
        "xor %r0, %r1",
        "ldxdw %r1, [%r10-24]",
        "lsh %r1, 2",
        "xor %r0, %r1",
        "exit",
      ].join("\n"),
    );

  it("get_current_comm writes the interpreter's name, NUL-padded to the size", () => {
    for (const size of [0, 1, 4, 8, 16, 24]) expect(same(comm(size), new Uint8Array(0))).toMatch(/^\d+$/);
  });

  it("get_current_comm into memory the program may not write: a fault", () => {
    const code = assemble("mov %r1, %r10\nadd %r1, -8\nmov %r2, 16\ncall 16\nexit");
    expect(same(code, new Uint8Array(0))).toBe("out-of-bounds write of 16 bytes at stack+0x1f8 (instruction 3)");
  });

  it("get_current_uid_gid is this user's (gid << 32 | uid), as in the interpreter", () => {
    const code = assemble("call 15\nexit");
    const got = same(code, new Uint8Array(0));
    expect(BigInt(got)).toBe((BigInt(process.getgid!()) << 32n) | BigInt(process.getuid!()));
  });

  it("get_current_pid_tgid is the executable's own process (tgid << 32 | pid)", () => {
    const exe = join(dir, "pid");
    writeFileSync(exe, buildArm32Executable(assemble("call 14\nexit")));
    chmodSync(exe, 0o755);
    const r = spawnSync(qemu(), ["-cpu", "cortex-a8", exe], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(BigInt(r.stdout.trim())).toBe((BigInt(r.pid) << 32n) | BigInt(r.pid));
  });
});

describe("skb_load_bytes (26)", () => {
  it("a destination the program may not write: a fault naming the call, before the packet is looked at", () => {
    for (const [dst, size, where] of [
      ["0", 4, "0x0"],
      ["%r10", 1, "stack+0x200"],
    ] as const) {
      const code = assemble(`mov %r2, 0\nmov %r3, ${dst}\nmov %r4, ${size}\ncall 26\nexit`);
      expect(same(code, text("abcd"))).toBe(`out-of-bounds write of ${size} bytes at ${where} (instruction 3)`);
    }
  });
});

describe("get_prandom_u32 (7) and jiffies64 (118)", () => {
  it("get_prandom_u32 gives the interpreter's sequence", () => {
    // five numbers, each folded into r0
    const lines = ["mov %r6, 0"];
    for (let i = 0; i < 5; i++) lines.push("call 7", "mul %r6, 31", "add %r6, %r0");
    lines.push("mov %r0, %r6", "exit");
    const code = assemble(lines.join("\n"));
    const got = same(code, new Uint8Array(0));
    expect(got).not.toBe("0");
    // and the numbers fit 32 bits
    expect(BigInt(same(assemble("call 7\nrsh %r0, 32\nexit"), new Uint8Array(0)))).toBe(0n);
  });

  it("jiffies64 counts CLOCK_BOOTTIME in 10 ms steps", () => {
    const uptime = () => Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const before = uptime();
    const got = Number(BigInt(arm(assemble("call 118\nexit"), new Uint8Array(0))));
    const after = uptime();
    expect(got).toBeGreaterThanOrEqual(Math.floor(before * 100) - 1);
    expect(got).toBeLessThanOrEqual(Math.ceil(after * 100) + 1);
  });
});

describe("strtol (105) and strtoul (106)", () => {
  // helper(r1 = input, r2 = length, r3 = flags, r4 = r10 - 8 holding 0x5a5a...): r0 = result * 31 + the stored value
  const strto = (id: number, flags: number | string) =>
    assemble(
      [
        "lddw %r7, 0x5a5a5a5a5a5a5a5a",
        "stxdw [%r10-8], %r7",
        "mov %r4, %r10",
        "add %r4, -8",
        `lddw %r3, ${flags}`,
        `call ${id}`,
        "mul %r0, 31",
        "ldxdw %r1, [%r10-8]",
        "add %r0, %r1",
        "exit",
      ].join("\n"),
    );
  const texts = [
    "123",
    "  -42xyz",
    "0x1f",
    "0X1F",
    "0777",
    "089",
    "-0",
    "0",
    "0x",
    "0xg",
    "abc",
    "",
    " ",
    "-",
    "\t\n\v\f\r 7",
    "\xa015",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "ffffffffffffffff",
    "1ffffffffffffffff",
    "12345678901234567890123",
    "1".repeat(70),
    "+5",
    "--5",
    "-0x10",
    "7fffffffffffffff",
    "8000000000000000",
  ];
  // Every text in one run: 80-byte slots (length, then the text); the helper on each, every result and stored
  // value folded into r0. A difference is then looked for text by text.
  const SLOT = 80;
  const allTexts = (id: number, flags: number | string) => {
    const lines = ["mov %r6, %r1", "mov %r8, 0"];
    texts.forEach((_, k) =>
      lines.push(
        "lddw %r7, 0x5a5a5a5a5a5a5a5a",
        "stxdw [%r10-8], %r7",
        "mov %r1, %r6",
        `add %r1, ${SLOT * k + 1}`,
        `ldxb %r2, [%r6+${SLOT * k}]`,
        `lddw %r3, ${flags}`,
        "mov %r4, %r10",
        "add %r4, -8",
        `call ${id}`,
        "mul %r8, 31",
        "add %r8, %r0",
        "mul %r8, 31",
        "ldxdw %r1, [%r10-8]",
        "add %r8, %r1",
      ),
    );
    lines.push("mov %r0, %r8", "exit");
    return assemble(lines.join("\n"));
  };
  const slots = new Uint8Array(SLOT * texts.length);
  texts.forEach((t, k) => {
    slots[SLOT * k] = t.length;
    [...t].forEach((c, i) => {
      slots[SLOT * k + 1 + i] = c.charCodeAt(0);
    });
  });
  for (const id of [105, 106]) {
    it(`${id === 105 ? "strtol" : "strtoul"}: bases 0, 8, 10, 16, and flags it refuses`, () => {
      for (const flags of [0, 8, 10, 16, 2, 17, 32, "0x100000000"]) {
        const code = allTexts(id, flags);
        const want = interpret(code, slots);
        expect(want).toMatch(/^\d+$/);
        if (arm(code, slots) === want) continue;
        for (const t of texts) {
          const bytes = new Uint8Array([...t].map((c) => c.charCodeAt(0)));
          expect(arm(strto(id, flags), bytes), `${JSON.stringify(t)} flags ${flags}`).toBe(
            interpret(strto(id, flags), bytes),
          );
        }
        expect.unreachable(`flags ${flags}: the texts differ together only`);
      }
    });
  }
  it("a buffer or result the program may not use: a fault naming the call", () => {
    for (const id of [105, 106]) {
      const badBuf = assemble(`mov %r1, 0\nmov %r2, 4\nmov %r3, 10\nmov %r4, %r10\nadd %r4, -8\ncall ${id}\nexit`);
      expect(same(badBuf, text("1234"))).toBe("out-of-bounds read of 4 bytes at 0x0 (instruction 5)");
      const badRes = assemble(`mov %r2, 4\nmov %r3, 10\nmov %r4, %r10\nadd %r4, -4\ncall ${id}\nexit`);
      expect(same(badRes, text("1234"))).toBe("out-of-bounds write of 8 bytes at stack+0x1fc (instruction 4)");
    }
  });
});

const slotsOf = (lines: string[]) => lines.reduce((n, l) => n + (/^\s*lddw\b/.test(l) ? 2 : 1), 0);

/** A program whose callback (its last lines) is named by a function handle in r2 (`lddw %r2, CALLBACK`). */
function withCallback(main: string[], callback: string[]): Uint8Array {
  const slots = slotsOf(main);
  const handle = "0x" + ((BigInt(FUNC_HANDLE_TAG) << 32n) | BigInt(slots)).toString(16);
  return assemble([...main.map((l) => l.replace("CALLBACK", handle)), ...callback].join("\n"));
}

describe("bpf_loop (181)", () => {
  // r6 = input, sum on the stack at r10-8 updated by the callback (r1 = index, r2 = ctx = r10 of the caller - 8);
  // the callback stops (returns 1) at index `stop`. r0 = bpf_loop's result * 2^32 + sum.
  const loop = (count: number | string, stop: number, flags = 0) =>
    withCallback(
      [
        "mov %r6, %r1",
        "mov %r7, 1000",
        "stxdw [%r10-8], %r7",
        `mov %r1, ${count}`,
        "lddw %r2, CALLBACK",
        "mov %r3, %r10",
        "add %r3, -8",
        `mov %r4, ${flags}`,
        "call 181",
        "lsh %r0, 32",
        "ldxdw %r1, [%r10-8]",
        "add %r0, %r1",
        "add %r0, %r7",
        "exit",
      ],
      [
        "ldxdw %r3, [%r2]",
        "mul %r1, 3",
        "add %r3, %r1",
        "stxdw [%r2], %r3",
        "mov %r0, 0",
        `jne %r1, ${3 * stop}, +1`,
        "mov %r0, 1",
        "mov %r6, 77",
        "exit",
      ],
    );
  it("calls the callback for each index, stops when it returns nonzero; r6 survives", () => {
    for (const [count, stop] of [
      [0, 99],
      [1, 99],
      [10, 99],
      [10, 4],
      [10, 0],
      [1000, 999],
    ]) {
      expect(same(loop(count, stop), new Uint8Array(0))).toMatch(/^\d+$/);
    }
  });
  it("flags other than 0: -EINVAL; more than 2^23 loops: -E2BIG", () => {
    expect(same(loop(3, 99, 1), new Uint8Array(0))).toMatch(/^\d+$/);
    expect(same(loop("0x800001", 99), new Uint8Array(0))).toMatch(/^\d+$/);
  });
  it("a callback fault names the callback's instruction; a bad handle is an unknown helper", () => {
    const faulting = withCallback(
      ["mov %r1, 3", "lddw %r2, CALLBACK", "mov %r3, 0", "mov %r4, 0", "call 181", "exit"],
      ["ldxdw %r0, [%r2]", "exit"],
    );
    expect(same(faulting, new Uint8Array(0))).toBe("out-of-bounds read of 8 bytes at 0x0 (instruction 7)");
    const bad = assemble("mov %r1, 3\nmov %r2, 7\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit");
    expect(same(bad, new Uint8Array(0))).toBe("unknown helper 7 (instruction 4)");
  });
  it("callbacks nest: bpf_loop inside a callback, frames deeper each time", () => {
    // the outer callback runs an inner bpf_loop of 2 over the same ctx; the inner one adds 1 each time
    const main = [
      "mov %r7, 0",
      "stxdw [%r10-8], %r7",
      "mov %r1, 3",
      "lddw %r2, CALLBACK",
      "mov %r3, %r10",
      "add %r3, -8",
      "mov %r4, 0",
      "call 181",
      "ldxdw %r0, [%r10-8]",
      "exit",
    ];
    const outer = ["mov %r3, %r2", "mov %r1, 2", "lddw %r2, INNER", "mov %r4, 0", "call 181", "mov %r0, 0", "exit"];
    const inner = ["ldxdw %r3, [%r2]", "add %r3, 1", "stxdw [%r2], %r3", "mov %r0, 0", "exit"];
    const at = slotsOf(main) + slotsOf(outer);
    const handle = "0x" + ((BigInt(FUNC_HANDLE_TAG) << 32n) | BigInt(at)).toString(16);
    const code = withCallback(main, [...outer.map((l) => l.replace("INNER", handle)), ...inner]);
    expect(same(code, new Uint8Array(0))).toBe("6");
  });
});

/** Runs an executable built from `code` under qemu-arm: its r0 (first line) and standard error, or its fault. */
function runExe(code: Uint8Array, opts: Parameters<typeof buildArm32Executable>[1] = {}): { r0: string; err: string } {
  const exe = join(dir, `exe-${Math.random().toString(36).slice(2)}`);
  writeFileSync(exe, buildArm32Executable(code, opts));
  chmodSync(exe, 0o755);
  const r = spawnSync(qemu(), ["-cpu", "cortex-a8", exe], { encoding: "utf8" });
  if (r.status === 1) return { r0: r.stderr.trim(), err: "" };
  expect(r.status).toBe(0);
  return { r0: r.stdout.split("\n")[0], err: r.stderr };
}

/** The interpreter with trace_printk's lines collected. */
function interpretPrintk(code: Uint8Array, setup?: (rt: Runtime) => void): { r0: string; err: string } {
  let err = "";
  const rt = new Runtime();
  registerHostHelpers(rt, { printk: (line) => (err += line) });
  setup?.(rt);
  const prog = rt.addProgram("p", code);
  try {
    return { r0: rt.run(prog, {}).r0.toString(), err };
  } catch (e) {
    if (e instanceof BpfFault) return { r0: describeFault(e.info), err: "" };
    throw e;
  }
}

/** Byte stores of `bytes` at r10 - at. */
const onStack = (bytes: Uint8Array, at: number) => Array.from(bytes, (b, i) => `stb [%r10-${at - i}], ${b}`);
/** An argument: a number, or "STACK" (the address of the format on the stack) plus an offset. */
const argInto = (r: string, a: string, fmtAt: number) =>
  a.startsWith("STACK") ? [`mov ${r}, %r10`, `add ${r}, ${-fmtAt + Number(a.slice(5) || 0)}`] : [`lddw ${r}, ${a}`];

describe("trace_printk (6): the text on standard error, its length in r0", () => {
  const printk = (fmt: string, args: string[], size?: number) => {
    const bytes = new Uint8Array([...fmt].map((c) => c.charCodeAt(0)).concat([0]));
    return assemble(
      [
        ...onStack(bytes, 96),
        "mov %r1, %r10",
        "add %r1, -96",
        `mov %r2, ${size ?? bytes.length}`,
        ...argInto("%r3", args[0] ?? "0", 96),
        ...argInto("%r4", args[1] ?? "0", 96),
        ...argInto("%r5", args[2] ?? "0", 96),
        "call 6",
        "exit",
      ].join("\n"),
    );
  };
  const cases: [string, string[]][] = [
    ["len %d\n", ["5"]],
    ["%-5d|%05x|%+i|% d|\n", ["-3", "255", "7"]],
    ["%X|%u|%i\n", ["0xabcdef", "-1", "0x80000000"]],
    ["%lld %llu %lx\n", ["-1", "-1", "-1"]],
    ["%li %lX %ld\n", ["-5", "0xdeadbeefcafe", "0x8000000000000000"]],
    ["%p %px %pK\n", ["0x1234", "0xff", "0"]],
    ["%ps|%pS|%20ps|\n", ["0x10", "0xabc", "1"]],
    ["%c%c%c!\n", ["65", "0xe9", "0x142"]],
    ["%8p|%-20px|%%|%-p\n", ["0x1234", "0xff", "7"]],
    ["%10s|%-4c|%s\n", ["STACK", "120", "STACK+3"]],
    ["%pks %pus\n", ["STACK+1", "0"]],
    ["%p, %p.%p\n", ["1", "2", "3"]],
    ["%600d\n", ["1"]],
    ["%+05d|%- 6d|%0-6d|\n", ["42", "42", "-42"]],
    ["%08lx %lu", ["-2", "12345678901234"]],
    ["\t tabs\r\n", []],
    ["", []],
    ["no newline", []],
    ["bad %q", ["1"]],
    ["%d %d %d %d", ["1", "2", "3"]],
    ["%hd", ["1"]],
    ["%pB", ["1"]],
    ["%5.2d", ["1"]],
    ["%", []],
    ["%l", ["1"]],
    ["%pk", ["1"]],
    ["caf\xe9", []],
    ["a\x01", []],
  ];
  it("formats like the host: conversions, flags, widths, pointers, strings; refuses what the kernel refuses", () => {
    for (const [fmt, args] of cases) {
      const code = printk(fmt, args);
      expect(runExe(code), JSON.stringify(fmt)).toEqual(interpretPrintk(code));
    }
  });
  it("fmt_size: the format ends at its first NUL or after fmt_size bytes", () => {
    for (const size of [0, 1, 4, 8]) {
      const code = printk("abc%d\n", ["9"], size);
      expect(runExe(code)).toEqual(interpretPrintk(code));
    }
  });
  it("a format the program may not read: the host helper's fault", () => {
    const code = assemble("mov %r1, 0\nmov %r2, 8\ncall 6\nexit");
    const want = interpretPrintk(code);
    expect(want.r0).toBe("helper 6 failed: trace_printk format: 8 bytes at 0x0 are not readable (instruction 2)");
    expect(runExe(code)).toEqual(want);
    const past = assemble("mov %r1, %r10\nadd %r1, -8\nmov %r2, 9\ncall 6\nexit");
    expect(noAddress(runExe(past).r0)).toBe(noAddress(interpretPrintk(past).r0));
  });
});

describe("snprintf (165)", () => {
  // fmt at r10-200, arguments at r10-160 (u64 each), the buffer at r10-64 (64 bytes of 0x11) with `size`;
  // r0 = the result xor the buffer's eight words, each shifted differently
  const snprintf = (fmt: string, args: string[], size: number, dataLen?: number, dst = "%r10", dstOff = -64) => {
    const bytes = new Uint8Array([...fmt].map((c) => c.charCodeAt(0)).concat([0]));
    const lines = [...onStack(bytes, 200), "lddw %r7, 0x1111111111111111"];
    for (let k = 0; k < 8; k++) lines.push(`stxdw [%r10-${64 - 8 * k}], %r7`);
    args.forEach((a, k) => lines.push(...argInto("%r7", a, 200), `stxdw [%r10-${160 - 8 * k}], %r7`));
    lines.push(
      `mov %r1, ${dst}`,
      `add %r1, ${dstOff}`,
      `mov %r2, ${size}`,
      "mov %r3, %r10",
      "add %r3, -200",
      "mov %r4, %r10",
      "add %r4, -160",
      `mov %r5, ${dataLen ?? 8 * args.length}`,
      "call 165",
    );
    for (let k = 0; k < 8; k++) lines.push(`ldxdw %r1, [%r10-${64 - 8 * k}]`, `lsh %r1, ${k}`, "xor %r0, %r1");
    lines.push("exit");
    return assemble(lines.join("\n"));
  };
  it("writes size - 1 bytes and a NUL, returns the whole length + 1", () => {
    const cases: [string, string[]][] = [
      ["%d-%u", ["5", "200"]],
      ["%s|%5s|%-5s|", ["STACK", "STACK+3", "STACK+4"]],
      ["%50d", ["7"]],
      ["%pS %c %lx %%", ["0x1234", "0xe9", "-1"]],
      ["", []],
      ["plain text", []],
    ];
    for (const [fmt, args] of cases) {
      for (const size of [0, 1, 4, 32, 64]) {
        const code = snprintf(fmt, args, size);
        const got = runExe(code);
        expect(got.r0, `${JSON.stringify(fmt)} size ${size}`).toBe(interpretPrintk(code).r0);
        expect(got.r0).toMatch(/^\d+$/);
      }
    }
  });
  it("-EINVAL: data_len not a multiple of 8 or above 96, a format it refuses, more conversions than arguments", () => {
    for (const code of [
      snprintf("%d", ["1"], 32, 4),
      snprintf("%d", ["1"], 32, 104),
      snprintf("%q", ["1"], 32),
      snprintf("%d %d", ["1"], 32),
      snprintf("%d", [], 32),
    ]) {
      const got = runExe(code);
      expect(got.r0).toBe(interpretPrintk(code).r0);
    }
  });
  it("arguments the program may not read, a buffer it may not write: the host helper's fault", () => {
    const badArgs = assemble(
      [
        "stb [%r10-8], 0",
        "mov %r1, %r10",
        "add %r1, -32",
        "mov %r2, 16",
        "mov %r3, %r10",
        "add %r3, -8",
        "mov %r4, 0",
        "mov %r5, 8",
        "call 165",
        "exit",
      ].join("\n"),
    );
    const want = interpretPrintk(badArgs).r0;
    expect(want).toBe("helper 165 failed: snprintf arguments: 8 bytes at 0x0 are not readable (instruction 8)");
    expect(runExe(badArgs).r0).toBe(want);
    const badOut = snprintf("%d", ["1"], 16, undefined, "0", 0);
    expect(interpretPrintk(badOut).r0).toMatch(/^helper 165 failed: snprintf: 16 bytes at 0x0 are not writable/);
    expect(runExe(badOut).r0).toBe(interpretPrintk(badOut).r0);
  });
});

describe("for_each_map_elem (164)", () => {
  // map 0: ARRAY of 4 u64, map 1: HASH u32 -> u64 (8 entries); handles MAP_HANDLE_TAG:index in both engines
  const defs: MapDef[] = [
    { name: "arr", type: MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, section: ".maps" },
    { name: "h", type: MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0, section: ".maps" },
  ];
  const handle = (i: number) => "0x" + ((BigInt(MAP_HANDLE_TAG) << 32n) | BigInt(i)).toString(16);
  /** map_update_elem(map, key, key * 7 + 1) for each key, deletes, then for_each with the callback below. */
  const program = (map: number, keys: number[], deletes: number[], stopAt: number, flags = 0) =>
    withCallback(
      [
        ...keys.flatMap((k) => [
          `mov %r6, ${k}`,
          "stxw [%r10-4], %r6",
          "mul %r6, 7",
          "add %r6, 1",
          "stxdw [%r10-16], %r6",
          `lddw %r1, ${handle(map)}`,
          "mov %r2, %r10",
          "add %r2, -4",
          "mov %r3, %r10",
          "add %r3, -16",
          "mov %r4, 0",
          "call 2",
        ]),
        ...deletes.flatMap((k) => [
          `mov %r6, ${k}`,
          "stxw [%r10-4], %r6",
          `lddw %r1, ${handle(map)}`,
          "mov %r2, %r10",
          "add %r2, -4",
          "call 3",
        ]),
        "mov %r6, 0",
        "stxdw [%r10-24], %r6",
        `lddw %r1, ${handle(map)}`,
        "lddw %r2, CALLBACK",
        "mov %r3, %r10",
        "add %r3, -24",
        `mov %r4, ${flags}`,
        "call 164",
        "lsh %r0, 32",
        "ldxdw %r1, [%r10-24]",
        "add %r0, %r1",
        "exit",
      ],
      [
        // callback(map, key, value, ctx): *ctx = *ctx * 31 + key * 1000 + value (the order counts); stop at key stopAt
        "ldxw %r6, [%r2]",
        "ldxdw %r7, [%r3]",
        "ldxdw %r8, [%r4]",
        "mul %r8, 31",
        "mov %r9, %r6",
        "mul %r9, 1000",
        "add %r8, %r9",
        "add %r8, %r7",
        "stxdw [%r4], %r8",
        "mov %r0, 0",
        `jne %r6, ${stopAt}, +1`,
        "mov %r0, 1",
        "exit",
      ],
    );
  const check = (code: Uint8Array) => {
    const want = interpretPrintk(code, (rt) => {
      rt.createMaps(defs);
      expect(rt.mapHandle(0)).toBe(BigInt(MAP_HANDLE_TAG) << 32n);
      expect(rt.mapHandle(1)).toBe((BigInt(MAP_HANDLE_TAG) << 32n) | 1n);
    });
    const got = runExe(code, { maps: layoutMaps(defs).maps });
    expect(got).toEqual(want);
    return got.r0;
  };
  it("arrays: every index in order, until the callback returns nonzero", () => {
    expect(check(program(0, [0, 1, 2, 3], [], 99))).toMatch(/^\d+$/);
    expect(check(program(0, [1, 3], [], 1))).toMatch(/^\d+$/);
  });
  it("hash maps: get_next_key order, deleted elements left out", () => {
    expect(check(program(1, [5, 17, 3, 42, 9, 100, 7], [17, 100], 999))).toMatch(/^\d+$/);
    expect(check(program(1, [5, 17, 3, 42], [], 3))).toMatch(/^\d+$/);
    expect(check(program(1, [], [], 0))).toBe("0");
  });
  it("flags other than 0: -EINVAL; not a map: a fault", () => {
    expect(check(program(0, [1], [], 99, 1))).toMatch(/^\d+$/);
    const bad = withCallback(
      ["lddw %r1, 0x1234", "lddw %r2, CALLBACK", "mov %r3, 0", "mov %r4, 0", "call 164", "exit"],
      ["mov %r0, 0", "exit"],
    );
    expect(check(bad)).toBe("helper argument 0x1234 is not a map of the right kind (instruction 6)");
  });
});
