// The interpreter allows a store inside the stack of the frames in use without asking the region table
// (assembly/interp.ts: writable). That test must follow the call depth and the stack's end exactly: a callee's
// frame is gone once it returned, and a store that crosses the top of the stack faults. Fault addresses are
// computed from the layout, not taken from a run.
import { expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { BpfFault } from "../../src/runtime/faults.js";
import { FAULT_WRITE, STACK_BASE } from "../../assembly/layout.js";
import { STACK_SIZE } from "../../assembly/isa.js";

/** r0 of `src`, or the fault it ends with: kind, instruction index, address and size. */
function outcome(src: string): bigint | { kind: number; pc: number; addr: bigint; size: number } {
  const rt = new Runtime();
  try {
    return rt.run(rt.addProgram("prog", assemble(src))).r0;
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    const { kind, pc, addr, size } = e.info;
    return { kind, pc, addr, size };
  }
}

test("a callee's frame, written in the callee, cannot be written once it returned", () => {
  // 0: call f | 1: stdw [r0+0], 1 | 2: mov r0, 0 | 3: exit
  // f: 4: stdw [r10-8], 7 | 5: mov r0, r10 | 6: add r0, -8 | 7: exit
  const src = "call local f\nstdw [%r0+0], 1\nmov %r0, 0\nexit\nf:\nstdw [%r10-8], 7\nmov %r0, %r10\nadd %r0, -8\nexit";
  // The callee's frame is the second: its r10 is STACK_BASE + 2 frames.
  expect(outcome(src)).toEqual({ kind: FAULT_WRITE, pc: 1, addr: BigInt(STACK_BASE + 2 * STACK_SIZE - 8), size: 8 });
});

test("stores that end at the top of the stack are allowed, whatever their size", () => {
  for (const [size, back] of [
    ["dw", 8],
    ["w", 4],
    ["h", 2],
    ["b", 1],
  ] as const)
    expect(outcome(`st${size} [%r10-${back}], 9\nldx${size} %r0, [%r10-${back}]\nexit`)).toBe(9n);
});

test("a store that crosses the top of the stack faults", () => {
  const top = STACK_BASE + STACK_SIZE;
  for (const [size, back, bytes] of [
    ["dw", 4, 8],
    ["w", 2, 4],
    ["h", 1, 2],
    ["b", 0, 1],
  ] as const)
    expect(outcome(`st${size} [%r10-${back}], 9\nexit`)).toEqual({
      kind: FAULT_WRITE,
      pc: 0,
      addr: BigInt(top - back),
      size: bytes,
    });
});
