// Run-time faults of the interpreter: each stops the program with a message naming the instruction index, the
// address and the access size; none of them corrupts the runtime, which keeps running other programs.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { BpfFault } from "../../src/runtime/faults.js";
import { REGS, PROGS } from "../../assembly/layout.js";
import { STACK_SIZE } from "../../assembly/isa.js";

function faultOf(rt: Runtime, src: string, mem?: Uint8Array): string {
  const prog = rt.addProgram("prog", assemble(src));
  try {
    rt.run(prog, mem ? { ctx: { bytes: mem } } : {});
  } catch (e) {
    expect(e).toBeInstanceOf(BpfFault);
    return (e as Error).message;
  }
  throw new Error("the program did not fault");
}

const hex = (n: number | bigint) => "0x" + n.toString(16);

describe("memory faults", () => {
  test("out-of-bounds read past the input memory", () => {
    // An address is named after the region it is nearest to, by its offset from the region's start.
    const mem = new Uint8Array(4);
    expect(faultOf(new Runtime(), "mov %r0, 0\nldxw %r0, [%r1+2]\nexit", mem)).toBe(
      "prog: out-of-bounds read of 4 bytes at context+0x2 (instruction 1)",
    );
  });
  test("out-of-bounds write above the stack frame", () => {
    expect(faultOf(new Runtime(), "mov %r1, 7\nstxdw [%r10+0], %r1\nexit")).toBe(
      `prog: out-of-bounds write of 8 bytes at stack+${hex(STACK_SIZE)} (instruction 1)`,
    );
  });
  test("below the stack", () => {
    expect(faultOf(new Runtime(), "ldxb %r0, [%r10-513]\nexit")).toBe(
      "prog: out-of-bounds read of 1 bytes at stack-0x1 (instruction 0)",
    );
  });
  test("the runtime's own state (registers, program table) cannot be read or written", () => {
    expect(faultOf(new Runtime(), `lddw %r1, ${hex(REGS)}\nstxdw [%r1+0], %r1\nexit`)).toBe(
      `prog: out-of-bounds write of 8 bytes at ${hex(REGS)} (instruction 2)`,
    );
    expect(faultOf(new Runtime(), `lddw %r1, ${hex(PROGS)}\nldxw %r0, [%r1+0]\nexit`)).toBe(
      `prog: out-of-bounds read of 4 bytes at ${hex(PROGS)} (instruction 2)`,
    );
    expect(faultOf(new Runtime(), "lddw %r1, 0x100000000\nldxb %r0, [%r1+0]\nexit")).toBe(
      "prog: out-of-bounds read of 1 bytes at 0x100000000 (instruction 2)",
    );
    expect(faultOf(new Runtime(), "mov %r1, 0\nstb [%r1+0], 1\nexit")).toBe(
      "prog: out-of-bounds write of 1 bytes at 0x0 (instruction 1)",
    );
  });
  test("atomics are checked like stores", () => {
    expect(faultOf(new Runtime(), "mov %r2, 1\nlock add [%r10+4], %r2\nexit")).toBe(
      `prog: out-of-bounds write of 8 bytes at stack+${hex(STACK_SIZE + 4)} (instruction 1)`,
    );
  });
  test("writing read-only memory", () => {
    const rt = new Runtime();
    const prog = rt.addProgram("ro", assemble("stw [%r1+0], 1\nexit"));
    expect(() => rt.run(prog, { ctx: { bytes: new Uint8Array(8), writable: [] } })).toThrow(
      "ro: write of 4 bytes to read-only memory at context+0x0 (instruction 0)",
    );
  });
  test("an access straddling the end of a region", () => {
    expect(faultOf(new Runtime(), "ldxdw %r0, [%r1+1]\nexit", new Uint8Array(8))).toBe(
      "prog: out-of-bounds read of 8 bytes at context+0x1 (instruction 0)",
    );
  });
});

describe("control faults", () => {
  test("runaway loop stops at the default budget of 1,000,000 instructions", () => {
    // Instruction n (counting from 1) is the mov for n = 1, then the add (index 1) for even n and the ja (index 2)
    // for odd n: the 1,000,001st, the first over budget, is a ja.
    expect(faultOf(new Runtime(), "mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit")).toBe(
      "prog: instruction budget of 1000000 exhausted (instruction 2)",
    );
  });
  test("the budget is configurable and exact: N instructions run, the next one faults", () => {
    const rt = new Runtime({ budget: 5 });
    // Five instructions fit: mov, add, add, add, exit.
    const ok = rt.addProgram("ok", assemble("mov %r0, 0\nadd %r0, 1\nadd %r0, 1\nadd %r0, 1\nexit"));
    expect(rt.run(ok).r0).toBe(3n);
    expect(rt.run(ok).executed).toBe(5);
    expect(faultOf(rt, "mov %r0, 0\nadd %r0, 1\nadd %r0, 1\nadd %r0, 1\nadd %r0, 1\nexit")).toBe(
      "prog: instruction budget of 5 exhausted (instruction 5)",
    );
  });
  test("budget 0 means unlimited", () => {
    const rt = new Runtime({ budget: 0 });
    const prog = rt.addProgram("count", assemble("mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 600000, loop\nexit"));
    const r = rt.run(prog);
    expect(r.r0).toBe(600000n);
    expect(r.executed).toBe(1 + 2 * 600000 + 1);
  });
  test("unbounded recursion stops at 8 frames (stack overflow)", () => {
    expect(faultOf(new Runtime(), "call local f\nexit\nf:\nstdw [%r10-8], 1\ncall local f\nexit")).toBe(
      "prog: call depth exceeds 8 frames (instruction 3)",
    );
  });
  test("eight frames are allowed, each with its own 512-byte stack", () => {
    // The entry frame calls f(0) .. f(6): eight frames in all. Each level stores its depth at the bottom of its
    // own frame, recurses, then checks that its value survived the deeper calls.
    const src = `
      mov %r1, 0
      call local f
      exit
    f:
      stxdw [%r10-512], %r1
      mov %r6, %r1
      add %r1, 1
      jge %r1, 7, leaf
      call local f
    leaf:
      ldxdw %r2, [%r10-512]
      jne %r2, %r6, bad
      mov %r0, %r6
      add %r0, 100
      exit
    bad:
      mov %r0, -1
      exit`;
    const rt = new Runtime();
    expect(rt.run(rt.addProgram("deep", assemble(src))).r0).toBe(100n);
  });
  test("callx to an unknown helper faults at run time", () => {
    expect(faultOf(new Runtime(), "mov %r3, 777\ncall %r3\nexit")).toBe("prog: unknown helper 777 (instruction 1)");
  });
  test("a host helper that throws stops the program with its message", () => {
    const rt = new Runtime();
    rt.registerHelper(200, () => {
      throw new Error("device busy");
    });
    expect(faultOf(rt, "mov %r0, 0\ncall 200\nexit")).toBe("prog: helper 200 failed: device busy (instruction 1)");
  });
  test("after any fault the runtime runs the next program normally", () => {
    const rt = new Runtime({ budget: 100 });
    faultOf(rt, "ja -1\nexit");
    faultOf(rt, "ldxdw %r0, [%r10+8]\nexit");
    faultOf(rt, "call local f\nexit\nf:\ncall local f\nexit");
    const prog = rt.addProgram(
      "after",
      assemble("mov %r1, 41\nstxdw [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, 1\nexit"),
    );
    expect(rt.run(prog).r0).toBe(42n);
  });
});

describe("arithmetic defined by the spec, never a fault", () => {
  const r0 = (src: string) => {
    const rt = new Runtime();
    return rt.run(rt.addProgram("p", assemble(src))).r0;
  };
  test("division and modulo by zero", () => {
    expect(r0("mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit")).toBe(0n);
    expect(r0("mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit")).toBe(7n);
    expect(r0("mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1\nexit")).toBe(0n);
    expect(r0("mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1\nexit")).toBe(2n ** 64n - 7n);
    expect(r0("lddw %r0, 0x1ffffffff\nmov32 %r1, 0\nmod32 %r0, %r1\nexit")).toBe(0xffffffffn);
  });
  test("signed overflow", () => {
    expect(r0("lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit")).toBe(0x8000000000000000n);
    expect(r0("lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit")).toBe(0n);
    expect(r0("mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit")).toBe(0x80000000n);
  });
  test("shift amounts are masked", () => {
    expect(r0("mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit")).toBe(2n);
    expect(r0("mov32 %r0, 1\nmov32 %r1, 33\nlsh32 %r0, %r1\nexit")).toBe(2n);
  });
});
