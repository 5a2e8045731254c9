// The load-time validator: each refusal names the instruction index and the problem.
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { verify, VerifierError } from "../../src/loader/verifier.js";
import { Runtime } from "../../src/runtime/runtime.js";

/** Encodes one instruction from its fields, independently of the assembler. */
function insn(op: number, dst = 0, src = 0, off = 0, imm = 0): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, op);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return b;
}
const EXIT = insn(0x95);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function refusal(code: Uint8Array, opts = {}): string {
  try {
    verify(code, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(VerifierError);
    return (e as Error).message;
  }
  throw new Error("the program was accepted");
}

describe("validator refusals", () => {
  test("unknown opcode", () => {
    expect(refusal(cat(insn(0xff), EXIT))).toBe("instruction 0: unknown opcode 0xff");
    expect(refusal(cat(insn(0xb7, 0, 0, 0, 1), insn(0x8f), EXIT))).toBe(
      "instruction 1: unknown opcode 0x8f (neg takes no source register)",
    );
  });
  test("bad register numbers", () => {
    expect(refusal(cat(insn(0xb7, 11, 0, 0, 1), EXIT))).toBe("instruction 0: bad destination register r11");
    expect(refusal(cat(insn(0xbf, 0, 12), EXIT))).toBe("instruction 0: bad source register r12");
  });
  test("writes to r10", () => {
    expect(refusal(assemble("mov %r10, 1\nexit"))).toBe("instruction 0: r10 is read-only (the frame pointer)");
    expect(refusal(assemble("mov %r0, 0\nldxdw %r10, [%r1+0]\nexit"))).toBe(
      "instruction 1: r10 is read-only (the frame pointer)",
    );
    // Storing through r10 is how programs use the stack: allowed.
    expect(verify(assemble("stdw [%r10-8], 1\nmov %r0, 0\nexit"))).toBe(3);
  });
  test("jump targets outside the program", () => {
    expect(refusal(assemble("ja +5\nexit"))).toBe("instruction 0: jump target 6 is outside the program (0..1)");
    expect(refusal(assemble("jeq %r1, 0, -3\nexit"))).toBe(
      "instruction 0: jump target -2 is outside the program (0..1)",
    );
    expect(refusal(cat(insn(0x06, 0, 0, 0, 100), EXIT))).toBe(
      "instruction 0: jump target 101 is outside the program (0..1)",
    );
  });
  test("jump into the second half of an lddw", () => {
    expect(refusal(assemble("ja +1\nlddw %r0, 0x100000000\nexit"))).toBe(
      "instruction 0: jump target 2 is the second half of an lddw",
    );
  });
  test("call targets outside the program or into an lddw", () => {
    expect(refusal(cat(insn(0x85, 0, 1, 0, 7), EXIT))).toBe(
      "instruction 0: call target 8 is outside the program (0..1)",
    );
    expect(refusal(cat(insn(0x85, 0, 1, 0, 1), insn(0x18, 0, 0, 0, 1), insn(0), EXIT))).toBe(
      "instruction 0: call target 2 is the second half of an lddw",
    );
  });
  test("code that can fall off the end", () => {
    expect(refusal(assemble("mov %r0, 1"))).toBe("instruction 0: the program can fall off its end");
    expect(refusal(assemble("mov %r0, 1\njeq %r0, 1, -2"))).toBe("instruction 1: the program can fall off its end");
    expect(refusal(cat(insn(0xb7), insn(0x18, 0, 0, 0, 1), insn(0)))).toBe(
      "instruction 1: the program can fall off its end",
    );
  });
  test("lddw without its second half, or a malformed one", () => {
    expect(refusal(cat(EXIT, insn(0x18, 0, 0, 0, 1)))).toBe("instruction 1: lddw is missing its second half");
    expect(refusal(cat(insn(0x18, 0, 0, 0, 1), insn(0x07), EXIT))).toBe(
      "instruction 1: second half of lddw must have opcode, registers and offset 0",
    );
  });
  test("more than 1,000,000 instructions", () => {
    const big = new Uint8Array(8 * 1_000_001);
    for (let i = 0; i < 1_000_001; i++) big.set(EXIT, i * 8);
    expect(refusal(big)).toBe("program has 1000001 instructions, more than 1000000");
    const max = big.subarray(0, 8 * 1_000_000);
    expect(verify(max)).toBe(1_000_000);
  });
  test("empty and truncated programs", () => {
    expect(refusal(new Uint8Array(0))).toBe("program is empty");
    expect(refusal(new Uint8Array(12))).toBe("program size 12 is not a multiple of 8 bytes");
  });
  test("unknown helpers are refused at load time, naming the id and the instruction", () => {
    const rt = new Runtime();
    expect(() => rt.addProgram("p", assemble("mov %r1, 0\ncall 9999\nexit"))).toThrow(
      "p: instruction 1: unknown helper 9999",
    );
    expect(() => rt.addProgram("p", assemble("call 1\nexit"))).not.toThrow(); // map_lookup_elem is built in
  });
  test("lddw of a map that does not exist, or an offset outside a map value", () => {
    const rt = new Runtime();
    expect(() => rt.addProgram("p", cat(insn(0x18, 1, 1, 0, 5), insn(0), EXIT))).toThrow(
      "p: instruction 0: lddw refers to map 5, which does not exist",
    );
    rt.createMap({ name: "g", type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 });
    expect(() => rt.addProgram("q", cat(EXIT, insn(0x18, 1, 2, 0, 0), insn(0, 0, 0, 0, 9), EXIT))).toThrow(
      "q: instruction 1: offset 9 is outside map 'g' (8 bytes)",
    );
  });
  test("bad atomic operations and sizes", () => {
    expect(refusal(cat(insn(0xdb, 1, 2, 0, 0x10), EXIT))).toBe("instruction 0: unknown atomic operation 0x10");
    expect(refusal(cat(insn(0xd3, 1, 2, 0, 0), EXIT))).toBe(
      "instruction 0: atomic operations need a 4- or 8-byte size",
    );
  });
  test("every conformance-style valid instruction form is accepted", () => {
    const src = [
      "mov %r0, 0",
      "add32 %r0, 1",
      "sdiv %r0, 3",
      "smod32 %r0, -2",
      "movsx1664 %r1, %r0",
      "be16 %r0",
      "bswap64 %r0",
      "lddw %r2, 0x1122334455667788",
      "ldxsb %r3, [%r10-1]",
      "stxdw [%r10-8], %r2",
      "lock fetch add [%r10-8], %r2",
      "lock cmpxchg [%r10-8], %r3",
      "ja32 +0",
      "jslt32 %r0, %r1, +0",
      "exit",
    ].join("\n");
    expect(verify(assemble(src))).toBe(16);
  });
});
