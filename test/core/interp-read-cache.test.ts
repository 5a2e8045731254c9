// The interpreter keeps copies of the two regions it read last (assembly/interp.ts: readable), so that most loads
// test their bounds without the region table. A copy must never allow what the table no longer does: a callee's
// frame after it returned, a ring-buffer sample after it was submitted, an earlier run's input, or the bytes just
// past a region it holds. Fault addresses are computed from the layout, not taken from a run.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { BpfFault } from "../../src/runtime/faults.js";
import { FAULT_READ, STACK_BASE } from "../../assembly/layout.js";
import { STACK_SIZE } from "../../assembly/isa.js";
import { reserve, ring, ringbufEnd, submit } from "../support/ringbuf-programs.js";

/** The fault of `f`, which must throw one: kind, instruction index, address and size. */
function faultOf(f: () => unknown): { kind: number; pc: number; addr: bigint; size: number } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    const { kind, pc, addr, size } = e.info;
    return { kind, pc, addr, size };
  }
  throw new Error("no fault");
}

describe("a copied region goes when the table's does", () => {
  test("a callee's frame, read in the callee, faults once it returned", () => {
    const rt = new Runtime();
    // 0: call f | 1: ldxdw r1, [r0+0] | 2: mov r0, 0 | 3: exit
    // f: 4: stdw [r10-8], 7 | 5: ldxdw r1, [r10-8] | 6: mov r0, r10 | 7: add r0, -8 | 8: exit
    const prog = rt.addProgram(
      "prog",
      assemble(
        "call local f\nldxdw %r1, [%r0+0]\nmov %r0, 0\nexit\n" +
          "f:\nstdw [%r10-8], 7\nldxdw %r1, [%r10-8]\nmov %r0, %r10\nadd %r0, -8\nexit",
      ),
    );
    // The callee's frame is the second: its r10 is STACK_BASE + 2 frames.
    expect(faultOf(() => rt.run(prog))).toEqual({
      kind: FAULT_READ,
      pc: 1,
      addr: BigInt(STACK_BASE + 2 * STACK_SIZE - 8),
      size: 8,
    });
  });

  test("a ring-buffer sample, read before its submit, faults after it", () => {
    // 0-8: r6 = reserve(16) | 9: stdw [r6+0], 5 | 10: ldxdw r7, [r6+0] | 11-13: submit | 14: ldxdw r0, [r6+0]
    const lines = [...reserve(16), "stdw [%r6+0], 5", "ldxdw %r7, [%r6+0]", ...submit, "ldxdw %r0, [%r6+0]", "exit"];
    // The sample's data starts after its 8-byte header, at the start of the ring.
    expect(ringbufEnd(lines)).toBe(`prog: out-of-bounds read of 8 bytes at ${ring(8)} (instruction 14)`);
  });

  test("an earlier run's input faults in a run without one", () => {
    const rt = new Runtime();
    // r0 = the input's address, after a read of it.
    const first = rt.addProgram("first", assemble("ldxb %r0, [%r1+0]\nmov %r0, %r1\nexit"));
    const addr = rt.run(first, { ctx: { bytes: new Uint8Array(16) } }).r0;
    // 0-1: lddw r1, addr | 2: ldxb r0, [r1+0] | 3: exit
    const second = rt.addProgram("second", assemble(`lddw %r1, ${addr}\nldxb %r0, [%r1+0]\nexit`));
    expect(faultOf(() => rt.run(second))).toEqual({ kind: FAULT_READ, pc: 2, addr, size: 1 });
  });
});

describe("the bounds of a copied region", () => {
  // 16 bytes of input, read at 8 (all 8 bytes inside) and then at OFFSET.
  const src = (offset: number, size: string) => `ldxdw %r0, [%r1+8]\nldx${size} %r0, [%r1+${offset}]\nexit`;
  const input = new Uint8Array(16).map((_, i) => i + 1);
  test("reads that end at the region's last byte are allowed, whatever their size", () => {
    const rt = new Runtime();
    const run = (offset: number, size: string) =>
      rt.run(rt.addProgram("prog", assemble(src(offset, size))), {
        ctx: { bytes: input },
      }).r0;
    expect(run(15, "b")).toBe(16n);
    expect(run(14, "h")).toBe(0x100fn);
    expect(run(12, "w")).toBe(0x100f0e0dn);
  });
  test("a read that crosses the region's end faults", () => {
    const rt = new Runtime();
    for (const [offset, size, bytes] of [
      [9, "dw", 8],
      [13, "w", 4],
      [15, "h", 2],
      [16, "b", 1],
    ] as const) {
      const prog = rt.addProgram("prog", assemble(src(offset, size)));
      let message = "";
      try {
        rt.run(prog, { ctx: { bytes: input } });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toBe(
        `prog: out-of-bounds read of ${bytes} bytes at context+0x${offset.toString(16)} (instruction 1)`,
      );
    }
  });
});
