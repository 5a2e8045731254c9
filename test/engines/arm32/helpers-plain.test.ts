// Helpers that need no host, compiled into ARM32 executables: get_smp_processor_id, get_numa_node_id,
// probe_read / probe_read_user / probe_read_kernel (compared with the interpreter under qemu-arm) and the clocks
// (ktime_get_ns, ktime_get_coarse_ns, ktime_get_boot_ns: checked against the host's CLOCK_MONOTONIC).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { runArm32, buildArm32Executable } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { stackProbe } from "../../support/stack-probe.js";

beforeAll(ensureArm32Translator);

function interpret(code: Uint8Array, input: Uint8Array): string {
  const rt = new Runtime();
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

const input = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
// r6 = input, stack [r10-16, r10) filled with 0x11, then probe_read(r1 = dst, r2 = size, r3 = src) with the helper
// `id`; r0 = the result * 2^32 xor the two stack words.
const probe = (id: number, dst: string, size: number | string, src: string) =>
  assemble(
    [
      "mov %r6, %r1",
      "lddw %r7, 0x1111111111111111",
      "stxdw [%r10-8], %r7",
      "stxdw [%r10-16], %r7",
      `mov %r1, ${dst}`,
      `mov %r2, ${size}`,
      `mov %r3, ${src}`,
      "mov %r8, %r1",
      `call ${id}`,
      "lsh %r0, 32",
      "ldxdw %r1, [%r10-8]",
      "xor %r0, %r1",
      "ldxdw %r1, [%r10-16]",
      "xor %r0, %r1",
      "exit",
    ].join("\n"),
  );

describe("probe_read (4), probe_read_user (112), probe_read_kernel (113) agree with the interpreter", () => {
  const cases: [string, (id: number) => Uint8Array, boolean][] = [
    ["copies from the input", (id) => probeAt(id, -8, 8, "%r6"), false],
    ["a source past the input's end: -EFAULT, the destination zeroed", (id) => probeAt(id, -16, 8, "%r6", 8), false],
    ["a NULL source: -EFAULT", (id) => probeAt(id, -16, 16, "0"), false],
    ["overlapping stack ranges, destination above the source (memmove)", (id) => stackOverlap(id, -12, -16), false],
    ["overlapping stack ranges, destination below the source", (id) => stackOverlap(id, -16, -13), false],
    ["size 0 with any destination: 0", (id) => probe(id, "0", 0, "0"), false],
    [
      "only the size's low word counts",
      (id) =>
        assemble(
          [
            "mov %r6, %r1",
            "mov %r1, %r10",
            "add %r1, -8",
            "lddw %r2, 0x100000004",
            "mov %r3, %r6",
            `call ${id}`,
            "ldxdw %r1, [%r10-8]",
            "lsh %r0, 32",
            "xor %r0, %r1",
            "exit",
          ].join("\n"),
        ),
      false,
    ],
    ["a destination the program may not write: a fault naming the call", (id) => probe(id, "0", 8, "%r6"), true],
    [
      "a destination in the input (writable) works too",
      (id) =>
        assemble(
          [
            "mov %r6, %r1",
            "mov %r1, %r6",
            "add %r1, 4",
            "mov %r2, 8",
            "mov %r3, %r6",
            `call ${id}`,
            "ldxdw %r1, [%r6+4]",
            "lsh %r0, 32",
            "xor %r0, %r1",
            "exit",
          ].join("\n"),
        ),
      false,
    ],
  ];
  for (const [title, make, faults] of cases) {
    it(title, () => {
      for (const id of [4, 112, 113]) {
        const code = make(id);
        const want = interpret(code, input);
        const got = arm(code, input);
        if (faults) {
          expect(got).toMatch(/^out-of-bounds write of 8 bytes at 0x0 \(instruction \d+\)$/);
          expect(noAddress(got)).toBe(noAddress(want));
        } else {
          expect(got).toBe(want);
          expect(want).toMatch(/^\d+$/);
        }
      }
    });
  }
});

/** probe_read into r10 + off, `size` bytes from `src` (+ srcAdd bytes), over two stack words. */
const probeAt = (id: number, off: number, size: number, src: string, srcAdd = 0) =>
  stackProbe(id, { dst: off, size, src, srcAdd, shifts: [0, 0] });

function stackOverlap(id: number, dst: number, src: number): Uint8Array {
  return assemble(
    [
      "lddw %r7, 0x0807060504030201",
      "stxdw [%r10-16], %r7",
      "lddw %r7, 0x100f0e0d0c0b0a09",
      "stxdw [%r10-8], %r7",
      "mov %r1, %r10",
      `add %r1, ${dst}`,
      "mov %r2, 8",
      "mov %r3, %r10",
      `add %r3, ${src}`,
      `call ${id}`,
      "lsh %r0, 32",
      "ldxdw %r1, [%r10-8]",
      "xor %r0, %r1",
      "ldxdw %r1, [%r10-16]",
      "lsh %r1, 1",
      "xor %r0, %r1",
      "exit",
    ].join("\n"),
  );
}

describe("helpers that need no host", () => {
  it("get_smp_processor_id (8) and get_numa_node_id (42) are 0, as in the interpreter", () => {
    for (const id of [8, 42]) {
      const code = assemble(`mov %r0, 5\ncall ${id}\nadd %r0, 7\nexit`);
      expect(arm(code, input)).toBe(interpret(code, input));
      expect(arm(code, input)).toBe("7");
    }
  });

  it("ktime_get_ns (5) and ktime_get_coarse_ns (160) read CLOCK_MONOTONIC, ktime_get_boot_ns (125) CLOCK_BOOTTIME", () => {
    for (const id of [5, 160]) {
      const before = process.hrtime.bigint();
      const got = BigInt(arm(assemble(`call ${id}\nexit`), input));
      const after = process.hrtime.bigint();
      expect(got).toBeGreaterThanOrEqual(before);
      expect(got).toBeLessThanOrEqual(after);
    }
    const before = process.hrtime.bigint();
    expect(BigInt(arm(assemble("call 125\nexit"), input))).toBeGreaterThanOrEqual(before);
    // two readings in one run: the second is not earlier
    const twice = assemble("call 5\nmov %r6, %r0\ncall 5\nsub %r0, %r6\nrsh %r0, 63\nexit");
    expect(arm(twice, input)).toBe("0");
  });

  it("helper 5 stays the conformance suite's own with the conformance option; unused helpers are left out", () => {
    const plain = buildArm32Executable(assemble("mov %r0, 1\nexit"));
    const clock = buildArm32Executable(assemble("call 5\nexit"));
    const unwind = buildArm32Executable(assemble("call 5\nexit"), { conformance: true });
    expect(clock.length).toBeGreaterThan(plain.length);
    expect(unwind.length).toBeLessThan(clock.length);
    const r = runArm32(assemble("mov %r1, 3\ncall 5\nexit"), new Uint8Array(0), { conformance: true });
    expect(r).toEqual({ r0: 3n });
  });
});
