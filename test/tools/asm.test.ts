import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { AsmError, assemble } from "../../src/tools/asm.js";
import { conformanceProgram, parseConformanceTest } from "../../src/tools/conformance-data.js";
import { describeOpcode, disassemble, disassembleInsn } from "../../src/tools/disasm.js";
import { describeConformance } from "../support/conformance.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const roundTrip = (code: Uint8Array): Uint8Array => assemble(disassemble(code));

// Encodings worked out by hand from RFC 9669 (opcode = operation | source | class; byte 1 = src << 4 | dst;
// then a little-endian 16-bit offset and 32-bit immediate), not taken from the assembler.
const HAND_ENCODED: [string, string][] = [
  ["mov %r0, 1", "b7 00 0000 01000000"], // ALU64 0x07 | MOV 0xb0 | K
  ["mov32 %r1, %r2", "bc 21 0000 00000000"], // ALU 0x04 | MOV 0xb0 | X 0x08
  ["add32 %r0, -3", "04 00 0000 fdffffff"],
  ["add %r0, 0xffffffff", "07 00 0000 ffffffff"], // an unsigned spelling of imm -1
  ["sub %r3, %r4", "1f 43 0000 00000000"],
  ["mul32 %r1, 7", "24 01 0000 07000000"],
  ["div %r1, %r2", "3f 21 0000 00000000"],
  ["sdiv %r1, %r2", "3f 21 0100 00000000"], // signed division: offset 1
  ["mod32 %r1, 5", "94 01 0000 05000000"],
  ["smod32 %r1, 5", "94 01 0100 05000000"],
  ["or %r0, 0xa0", "47 00 0000 a0000000"],
  ["and32 %r0, %r9", "5c 90 0000 00000000"],
  ["lsh %r0, 22", "67 00 0000 16000000"],
  ["rsh32 %r0, %r7", "7c 70 0000 00000000"],
  ["xor %r0, 3", "a7 00 0000 03000000"],
  ["arsh32 %r0, 1", "c4 00 0000 01000000"],
  ["neg %r3", "87 03 0000 00000000"],
  ["neg32 %r2", "84 02 0000 00000000"],
  ["movsx1664 %r8, %r7", "bf 78 1000 00000000"], // MOVSX: mov | X with offset = source width
  ["movsx832 %r2, %r1", "bc 12 0800 00000000"],
  ["movsx3264 %r0, %r9", "bf 90 2000 00000000"],
  ["be16 %r0", "dc 00 0000 10000000"], // ALU | END | to-BE (0x08), width in imm
  ["le64 %r1", "d4 01 0000 40000000"],
  ["bswap32 %r2", "d7 02 0000 20000000"], // ALU64 | END
  ["swap32 %r2", "d7 02 0000 20000000"],
  ["lddw %r0, 0x8877665544332211", "18 00 0000 11223344 00 00 0000 55667788"],
  ["lddw %r1, -1", "18 01 0000 ffffffff 00 00 0000 ffffffff"],
  ["ldxw %r0, [%r1+4]", "61 10 0400 00000000"], // LDX 0x01 | MEM 0x60 | W 0x00
  ["ldxdw %r0, [%r1]", "79 10 0000 00000000"],
  ["ldxsh %r0, [%r10-2]", "89 a0 feff 00000000"], // LDX | MEMSX 0x80 | H 0x08
  ["ldxsb %r0, [%r10-1]", "91 a0 ffff 00000000"],
  ["stw [%r10-4], 1", "62 0a fcff 01000000"],
  ["stb [%r1+2], 0x11", "72 01 0200 11000000"],
  ["stxdw [%r10-8], %r1", "7b 1a f8ff 00000000"],
  ["stxh [%r0+0x1], %r3", "6b 30 0100 00000000"],
  ["ldabsh 12", "28 00 0000 0c000000"], // LD | ABS 0x20 | H
  ["ldindb %r1, 2", "50 10 0000 02000000"], // LD | IND 0x40 | B 0x10
  ["jeq %r1, 0x2, +3", "15 01 0300 02000000"],
  ["jne32 %r1, %r2, -1", "5e 21 ffff 00000000"],
  ["jsle %r0, -1, +0", "d5 00 0000 ffffffff"],
  ["ja +1", "05 00 0100 00000000"],
  ["ja32 -2", "06 00 0000 feffffff"], // JMP32 | JA: the offset lives in imm
  ["call 5", "85 00 0000 05000000"],
  ["call helper 5", "85 00 0000 05000000"],
  ["call runtime 7", "85 20 0000 07000000"],
  ["call local +3", "85 10 0000 03000000"],
  ["call %r2", "8d 02 0000 00000000"], // callx: register in dst
  ["exit", "95 00 0000 00000000"],
  ["lock add [%r1+0], %r2", "db 21 0000 00000000"], // STX | ATOMIC 0xc0 | DW, imm = ADD
  ["lock fetch or32 [%r10-4], %r3", "c3 3a fcff 41000000"], // imm = OR | FETCH
  ["lock xchg [%r10-8], %r1", "db 1a f8ff e1000000"],
  ["lock cmpxchg32 [%r10-8], %r1", "c3 1a f8ff f1000000"],
  [".insn 0x00000001000000b7", "b7 00 0000 01000000"],
];

describe("assembler: encodings derived from RFC 9669", () => {
  it.each(HAND_ENCODED)("%s", (source, expected) => {
    expect(hex(assemble(source))).toBe(expected.replace(/\s+/g, ""));
  });

  it("resolves labels forwards and backwards, in offset and imm", () => {
    const code = assemble(
      ["start:", "ja end", "mov %r0, 1", "end:", "call local start", "ja32 start", "exit"].join("\n"),
    );
    // ja end: next slot is 1, end is slot 2 -> +1; call local at slot 2 -> 0 - 3 = -3; ja32 at slot 3 -> -4
    expect(hex(code)).toBe(
      [
        "05 00 0100 00000000",
        "b7 00 0000 01000000",
        "85 10 0000 fdffffff",
        "06 00 0000 fcffffff",
        "95 00 0000 00000000",
      ]
        .join("")
        .replace(/\s+/g, ""),
    );
  });

  it("counts lddw as two slots when resolving labels", () => {
    const code = assemble("ja done\nlddw %r0, 1\ndone:\nexit");
    expect(code[2]).toBe(2);
  });

  it("lets the first exit serve as label exit, unless a label exit exists", () => {
    // jeq at slot 0; first exit at slot 2 -> +1
    expect(assemble("jeq %r1, 0, exit\nmov %r0, 1\nexit\nexit")[2]).toBe(1);
    // an explicit exit label (slot 3) wins, even when declared after the first exit -> +2
    expect(assemble("jeq %r1, 0, exit\nmov %r0, 1\nexit\nexit:\nexit")[2]).toBe(2);
  });

  it("ignores comments, blank lines and case of hex digits, and accepts a label before an instruction", () => {
    const code = assemble("# heading\n\n  top: mov %r0, 0xAb # trailing\nja top\n");
    expect(hex(code)).toBe("b7000000ab000000" + "0500feff00000000");
  });
});

describe("assembler errors name the line", () => {
  const cases: [string, RegExp][] = [
    ["mov %r0, 1\nfrob %r1", /^line 2: unknown mnemonic 'frob'/],
    ["exit\nja nowhere", /^line 2: unknown label 'nowhere'/],
    ["a:\nexit\na:\nexit", /^line 3: duplicate label 'a' \(first defined on line 1\)/],
    ["mov %r16, 1", /^line 1: expected a register/],
    ["mov r1, 1", /^line 1: expected a register/],
    ["\n\nmov %r0, 0x100000000", /^line 3: immediate 0x100000000 does not fit/],
    ["mov32 %r0, -2147483649", /^line 1: immediate .* does not fit/],
    ["ldxw %r0, [%r1+40000]", /^line 1: offset .* does not fit/],
    ["ldxw %r0, %r1", /^line 1: expected a memory operand/],
    ["add %r0", /^line 1: 'add' takes 2 operands/],
    ["exit %r0", /^line 1: 'exit' takes 0 operands/],
    ["ldxsdw %r0, [%r1]", /^line 1: 'ldxsdw' does not exist/],
    ["movsx3232 %r0, %r1", /^line 1: 'movsx3232' is not a sign-extending move/],
    ["lock fetch xchg [%r1+0], %r2", /^line 1: 'xchg' always fetches/],
    ["lock sub [%r1+0], %r2", /^line 1: expected 'lock \[fetch\]/],
    ["call far 5", /^line 1: unknown call kind 'far'/],
    ["ja 5", /^line 1: expected a label or \+N\/-N/],
    ["jeq %r0, 0, +40000", /^line 1: jump offset \+40000 does not fit/],
    ["mov %r0, five", /^line 1: expected a number/],
    ["constructor %r0, 1", /^line 1: unknown mnemonic 'constructor'/],
  ];
  it.each(cases)("%j", (source, message) => {
    let error: unknown;
    try {
      assemble(source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AsmError);
    expect((error as Error).message).toMatch(message);
  });

  it("reports a label too far for a 16-bit offset at the jump", () => {
    const source = "ja far\n" + "mov %r0, 0\n".repeat(40000) + "far:\nexit\n";
    expect(() => assemble(source)).toThrow(/^line 1: label 'far' is 40000 slots away/);
  });
});

describe("disassembler", () => {
  it("prints the dialect the assembler reads", () => {
    const source = [
      "mov %r0, 1",
      "sdiv32 %r1, -7",
      "movsx1632 %r4, %r3",
      "lddw %r1, 0xffffffff80000000",
      "ldxsw %r0, [%r10-4]",
      "stxdw [%r10-8], %r1",
      "jslt32 %r1, 0x80000000, -3",
      "lock fetch add32 [%r10-4], %r1",
      "call local -9",
      "call %r2",
      "ldindw %r1, 12",
      "bswap64 %r0",
      "exit",
    ].join("\n");
    expect(disassemble(assemble(source))).toBe(source + "\n");
  });

  it("spells what has no exact name as .insn, and reads it back to the same bytes", () => {
    const odd = [
      "ff 00 0000 00000000", // no such opcode
      "b7 10 0000 01000000", // mov K with a src register set
      "bf 21 0700 00000000", // mov X with an offset that is no movsx width
      "bc 21 2000 00000000", // movsx32 from 32 bits does not exist in the ALU class
      "dc 00 0000 08000000", // be8
      "95 00 0100 00000000", // exit with an offset
      "db 21 0000 e0000000", // xchg without its fetch bit
      "85 30 0000 01000000", // call with src 3
      "18 00 0000 01000000", // lddw without its second slot
    ];
    for (const insn of odd) {
      const code = fromHex(insn);
      const text = disassemble(code);
      expect(text, insn).toMatch(/^\.insn 0x[0-9a-f]{16}\n$/);
      expect(hex(assemble(text))).toBe(hex(code));
    }
  });

  it("keeps a lddw with a bad second slot exact, slot by slot", () => {
    const code = fromHex("18 01 0000 01000000" + "00 00 0100 02000000" + "95 00 0000 00000000");
    expect(disassemble(code).split("\n")[0]).toMatch(/^\.insn /);
    expect(hex(roundTrip(code))).toBe(hex(code));
  });

  it("disassembles one instruction by index", () => {
    const code = assemble("mov %r0, 2\nlddw %r1, 0x100000000\nexit");
    expect(disassembleInsn(code, 0)).toBe("mov %r0, 2");
    expect(disassembleInsn(code, 1)).toBe("lddw %r1, 0x100000000");
    expect(disassembleInsn(code, 3)).toBe("exit");
    expect(() => disassembleInsn(code, 4)).toThrow(/instruction 4 is outside the program/);
    expect(() => disassemble(new Uint8Array(5))).toThrow(/not a multiple of 8/);
  });

  it("names exactly the opcodes RFC 9669 defines (plus callx)", () => {
    // Listed by hand from the RFC's tables: class by class, operation by operation.
    const alu = [0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x9, 0xa, 0xb, 0xc].flatMap((op) => [op << 4, (op << 4) | 8]);
    const jumps = [0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0xa, 0xb, 0xc, 0xd].flatMap((op) => [op << 4, (op << 4) | 8]);
    const valid = new Set<number>([
      ...alu.map((o) => o | 0x04),
      0x84, // neg32
      0xd4, // le
      0xdc, // be
      ...alu.map((o) => o | 0x07),
      0x87, // neg
      0xd7, // bswap
      ...jumps.map((o) => o | 0x05),
      0x05, // ja
      0x85, // call
      0x8d, // callx
      0x95, // exit
      ...jumps.map((o) => o | 0x06),
      0x06, // ja32 (gotol)
      0x18, // lddw
      0x20,
      0x28,
      0x30, // ldabs w/h/b
      0x40,
      0x48,
      0x50, // ldind w/h/b
      0x61,
      0x69,
      0x71,
      0x79, // ldx w/h/b/dw
      0x81,
      0x89,
      0x91, // ldxs w/h/b
      0x62,
      0x6a,
      0x72,
      0x7a, // st
      0x63,
      0x6b,
      0x73,
      0x7b, // stx
      0xc3,
      0xdb, // atomic w/dw
    ]);
    for (let op = 0; op < 256; op++) {
      expect(describeOpcode(op) !== undefined, `opcode 0x${op.toString(16)}`).toBe(valid.has(op));
    }
    expect(describeOpcode(0x3f)).toBe("div");
    expect(describeOpcode(0x61)).toBe("ldxw");
    expect(describeOpcode(0x1e)).toBe("jeq32");
    expect(describeOpcode(0xc3)).toBe("lock32");
  });

  it("round-trips random instruction words exactly", () => {
    // A fixed xorshift generator. Opcodes are mostly real ones and fields mostly zero or typical, so that most
    // words have a name; the rest exercise the .insn fallback.
    let state = 0x2545f491;
    const next = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const pick = <T>(options: T[]): T => options[next() % options.length];
    const often = <T>(usual: T, other: () => T): T => (next() % 10 < 7 ? usual : other());
    const realOpcodes = Array.from({ length: 256 }, (_, op) => op).filter((op) => describeOpcode(op) !== undefined);
    let named = 0;
    let total = 0;
    for (let round = 0; round < 3000; round++) {
      const count = 1 + (next() % 4);
      const code = new Uint8Array(count * 8);
      const view = new DataView(code.buffer);
      for (let i = 0; i < count; i++) {
        const lddwHigh = i > 0 && code[(i - 1) * 8] === 0x18;
        view.setUint8(i * 8, lddwHigh ? often(0, () => next() & 0xff) : often(pick(realOpcodes), () => next() & 0xff));
        view.setUint8(i * 8 + 1, (often(0, () => next() & 15) << 4) | (next() & 15));
        view.setUint16(
          i * 8 + 2,
          often(0, () => pick([1, 8, 16, 32, 0xfff8, next() & 0xffff])),
          true,
        );
        view.setUint32(
          i * 8 + 4,
          often(0, () => pick([16, 32, 64, 0x41, 0xe1, 0xf1, next()])),
          true,
        );
      }
      const text = disassemble(code);
      expect(hex(assemble(text)), text).toBe(hex(code));
      for (const line of text.trim().split("\n")) {
        total++;
        if (!line.startsWith(".insn")) named++;
      }
    }
    // The property is only worth something if named forms, not just .insn, were exercised.
    expect(named / total).toBeGreaterThan(0.3);
  });
});

describeConformance("conformance suite programs", (files) => {
  const tests = files.map((file) => parseConformanceTest(readFileSync(file, "utf8"), basename(file, ".data")));

  it("finds test files", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(tests.filter((t) => t.asm !== undefined).map((t) => [t.name, t] as const))(
    "%s: asm -> bytes -> text -> same bytes",
    (_name, test) => {
      const code = assemble(test.asm!);
      const text = disassemble(code);
      // Every suite program is made of real instructions, so none should need the raw fallback.
      expect(text).not.toMatch(/\.insn/);
      expect(hex(assemble(text))).toBe(hex(code));
    },
  );

  const withRaw = tests.filter((t) => t.raw !== undefined);
  it.each(withRaw.map((t) => [t.name, t] as const))("%s: raw -> text -> same bytes", (_name, test) => {
    const code = conformanceProgram(test);
    expect(hex(roundTrip(code))).toBe(hex(code));
    // Where a file gives both forms and the raw words are all expressible as text, the two are independent
    // spellings of one program (raw exists for words the suite's asm cannot write, such as odd lddw halves).
    if (test.asm !== undefined && !disassemble(code).includes(".insn")) {
      expect(hex(assemble(test.asm))).toBe(hex(code));
    }
  });
});
