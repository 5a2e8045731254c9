// The interpreter's fused byte load and shift (assembly/decode.ts: fuseByteShift): `ldxb rX, [..]; lsh rX, k`, the
// byte-by-byte reads of compiled C, runs as one record. These check what fusion must not change: the shift's
// masking at both widths, the pairs left apart, a jump into the shift, a fault in the load and a budget that ends
// between the two. Expected values are worked out by hand (RFC 9669), never taken from a run.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { BpfFault } from "../../src/runtime/faults.js";
import { FAULT_BUDGET, FAULT_READ } from "../../assembly/layout.js";

const INPUT = new Uint8Array([0x11, 0x22, 0x33, 0xab]);

function run(src: string, input = INPUT, budget = 1000): { r0: bigint; executed: number } {
  const rt = new Runtime({ budget });
  return rt.run(rt.addProgram("prog", assemble(src)), { ctx: { bytes: input } });
}

/** The fault of a run that must fault, and the instructions it counted (the faulting one included). */
function faultOf(src: string, budget = 1000): { kind: number; pc: number; addr?: bigint; executed: number } {
  const rt = new Runtime({ budget });
  const prog = rt.addProgram("prog", assemble(src));
  try {
    rt.run(prog, { ctx: { bytes: INPUT } });
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    const { kind, pc, addr } = e.info;
    return kind === FAULT_BUDGET
      ? { kind, pc, executed: rt.core.executed() }
      : { kind, pc, addr, executed: rt.core.executed() };
  }
  throw new Error("no fault");
}

describe("results", () => {
  test("a 64-bit shift of the byte, up to bit 63", () => {
    expect(run("ldxb %r0, [%r1+3]\nlsh %r0, 56\nexit")).toEqual({ r0: 0xab00_0000_0000_0000n, executed: 3 });
    expect(run("ldxb %r0, [%r1+1]\nlsh %r0, 8\nexit")).toEqual({ r0: 0x2200n, executed: 3 });
  });
  test("a 32-bit shift keeps the low 32 bits and masks its count to 5 bits", () => {
    expect(run("ldxb %r0, [%r1+3]\nlsh32 %r0, 24\nexit")).toEqual({ r0: 0xab00_0000n, executed: 3 });
    // 28 is left apart (the byte reaches past bit 31): 0xab << 28 keeps 0xb << 28.
    expect(run("ldxb %r0, [%r1+3]\nlsh32 %r0, 28\nexit")).toEqual({ r0: 0xb000_0000n, executed: 3 });
    // 40 & 31 = 8, not 40.
    expect(run("ldxb %r0, [%r1+3]\nlsh32 %r0, 40\nexit")).toEqual({ r0: 0xab00n, executed: 3 });
  });
  test("a 64-bit shift masks its count to 6 bits", () => {
    // 72 & 63 = 8.
    expect(run("ldxb %r0, [%r1+3]\nlsh %r0, 72\nexit")).toEqual({ r0: 0xab00n, executed: 3 });
  });
  test("a shift by a register, or of another register, stays apart and still runs right", () => {
    expect(run("mov %r2, 4\nldxb %r0, [%r1+3]\nlsh %r0, %r2\nexit")).toEqual({ r0: 0xab0n, executed: 4 });
    // the shift is of r0 (7), not of the loaded r3.
    expect(run("mov %r0, 7\nldxb %r3, [%r1+3]\nlsh %r0, 4\nadd %r0, %r3\nexit")).toEqual({
      r0: 0x70n + 0xabn,
      executed: 5,
    });
  });
});

describe("jumps", () => {
  // 0: mov r0, 1 | 1: jeq r2, LEN, +1 | 2: ldxb r0, [r1+3] | 3: lsh r0, 8 | 4: exit  (2 and 3 are a pair)
  const src = (len: number) => `mov %r0, 1\njeq %r2, ${len}, +1\nldxb %r0, [%r1+3]\nlsh %r0, 8\nexit`;
  test("a jump into the shift runs it alone", () => {
    expect(run(src(4))).toEqual({ r0: 0x100n, executed: 4 });
  });
  test("falling into the pair runs both", () => {
    expect(run(src(5))).toEqual({ r0: 0xab00n, executed: 5 });
  });
});

describe("budget and faults", () => {
  test("a load outside every region faults at the load's own index, the shift not counted", () => {
    // 0: mov r1, 0 | 1: ldxb r0, [r1+8] (address 8, in no region) | 2: lsh r0, 8 | 3: exit
    expect(faultOf("mov %r1, 0\nldxb %r0, [%r1+8]\nlsh %r0, 8\nexit")).toEqual({
      kind: FAULT_READ,
      pc: 1,
      addr: 8n,
      executed: 2,
    });
  });
  // 0: ldxb r0, [r1+3] | 1: lsh r0, 8 | 2: exit
  const src = "ldxb %r0, [%r1+3]\nlsh %r0, 8\nexit";
  test("a budget that ends between the load and the shift faults on the shift", () => {
    expect(faultOf(src, 1)).toEqual({ kind: FAULT_BUDGET, pc: 1, executed: 2 });
  });
  test("budgets right after the pair, and exactly enough", () => {
    expect(faultOf(src, 2)).toEqual({ kind: FAULT_BUDGET, pc: 2, executed: 3 });
    expect(run(src, INPUT, 3)).toEqual({ r0: 0xab00n, executed: 3 });
  });
});
