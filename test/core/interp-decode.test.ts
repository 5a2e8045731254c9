// The interpreter's pre-decoded form (assembly/decode.ts) at the places where a translation could go wrong: lddw's
// two slots, jumps to the last instruction, calls and their return, tail calls switching to another program's
// records, and the budget. Every expected count below is the number of eBPF instructions executed, counted by hand
// from the listing (lddw counts once), and every fault names the original instruction index (lddw takes two).
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { VerifierError } from "../../src/loader/verifier.js";
import { MAP_TYPE_PROG_ARRAY } from "../../assembly/maps/desc.js";

function run(src: string, budget = 1000): { r0: bigint; executed: number } {
  const rt = new Runtime({ budget });
  return rt.run(rt.addProgram("prog", assemble(src)));
}

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("no error");
}

describe("lddw", () => {
  test("a 64-bit constant in the last two slots before exit, and the instruction after it is index 2", () => {
    expect(run("lddw %r0, 0x123456789abcdef0\nexit")).toEqual({ r0: 0x123456789abcdef0n, executed: 2 });
    const rt = new Runtime();
    const prog = rt.addProgram("prog", assemble("lddw %r1, 0x100000000\nldxb %r0, [%r1+0]\nexit"));
    expect(message(() => rt.run(prog))).toBe("prog: out-of-bounds read of 1 bytes at 0x100000000 (instruction 2)");
  });
  test("an lddw without its second half, and a jump into the second half, are refused as before", () => {
    const rt = new Runtime();
    const code = assemble("lddw %r0, 1\nexit");
    expect(() => rt.addProgram("cut", code.subarray(0, 8))).toThrow(VerifierError);
    expect(() => rt.addProgram("into", assemble("ja +1\nlddw %r0, 1\nexit"))).toThrow(/second half of an lddw/);
  });
});

describe("jumps and calls", () => {
  test("a jump to the last instruction (absolute targets at the end of the records)", () => {
    // mov, jeq (taken), exit: 3 instructions; the skipped mov never runs.
    expect(run("mov %r0, 5\njeq %r0, 5, +1\nmov %r0, 9\nexit")).toEqual({ r0: 5n, executed: 3 });
    // gotol: a 32-bit offset in the immediate.
    expect(run("mov %r0, 1\ngotol +1\nmov %r0, 2\nexit")).toEqual({ r0: 1n, executed: 3 });
  });
  test("a backward loop counts every instruction", () => {
    // mov, then 10 x (add, jne): 21; then exit: 22.
    expect(run("mov %r0, 0\nadd %r0, 1\njne %r0, 10, -2\nexit")).toEqual({ r0: 10n, executed: 22 });
  });
  test("a bpf-to-bpf call returns after the call, and a fault in the callee names its own index", () => {
    // main: mov r1; call; add r0, r1 (r1 is caller-saved only by convention: the callee left it); exit.
    const src = "mov %r1, 3\ncall local f\nadd %r0, 100\nexit\nf:\nmov %r0, %r1\nmul %r0, 7\nexit";
    expect(run(src)).toEqual({ r0: 121n, executed: 7 });
    const rt = new Runtime();
    const prog = rt.addProgram("prog", assemble("call local f\nexit\nf:\nmov %r1, 0\nldxw %r0, [%r1+0]\nexit"));
    expect(message(() => rt.run(prog))).toBe("prog: out-of-bounds read of 4 bytes at 0x0 (instruction 3)");
  });
  test("a tail call continues in the other program's records, from its first instruction", () => {
    const rt = new Runtime();
    const map = rt.createMap({
      name: "jmp",
      type: MAP_TYPE_PROG_ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 2,
      flags: 0,
    });
    // The target: its own instruction 1 faults, so the fault must name the target and index 1.
    const target = rt.addProgram("target", assemble("mov %r0, 42\nexit"));
    const faulty = rt.addProgram("faulty", assemble("mov %r1, 0\nldxb %r0, [%r1+0]\nexit"));
    const key = rt.core.scratch(new Uint8Array(4));
    for (const [slot, prog] of [
      [0, target],
      [1, faulty],
    ] as const) {
      new DataView(rt.core.x.memory.buffer).setUint32(key, slot, true);
      const value = rt.core.scratch(new Uint8Array(new Uint32Array([prog.id]).buffer), 8);
      expect(rt.core.x.mapUpdate(rt.mapIds[map], key, value, 0n)).toBe(0n);
    }
    const caller = (slot: number) =>
      rt.addProgram(
        `caller${slot}`,
        assemble(`lddw %r2, 0x${rt.mapHandle(map).toString(16)}\nmov %r3, ${slot}\ncall 12\nmov %r0, 7\nexit`),
      );
    // lddw, mov, call (3), then the target's mov and exit (2): 5.
    expect(rt.run(caller(0))).toEqual({ r0: 42n, executed: 5 });
    expect(message(() => rt.run(caller(1)))).toBe("faulty: out-of-bounds read of 1 bytes at 0x0 (instruction 1)");
  });
});

describe("the budget", () => {
  // mov, then 3 x (add, jne), exit: 8 instructions.
  const loop = "mov %r0, 0\nadd %r0, 1\njne %r0, 3, -2\nexit";
  test("a budget of exactly the instructions executed lets the program finish", () => {
    expect(run(loop, 8)).toEqual({ r0: 3n, executed: 8 });
  });
  test("one less stops at the exit, and on a compare-and-jump pair the jump is the one named", () => {
    expect(message(() => run(loop, 7))).toBe("prog: instruction budget of 7 exhausted (instruction 3)");
    // 6 executed: mov, add, jne, add, jne, add; the 7th would be the jne at index 2.
    expect(message(() => run(loop, 6))).toBe("prog: instruction budget of 6 exhausted (instruction 2)");
    expect(message(() => run("lddw %r0, 1\nmov %r0, 2\nexit", 1))).toBe(
      "prog: instruction budget of 1 exhausted (instruction 2)",
    );
  });
});
