// docs/asm.md documents the dialect src/tools/asm.ts accepts: every mnemonic the assembler knows (from its own
// tables) is named there, every example there assembles, and `tinybpf asm --help` points at it.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../support/paths.js";
import {
  assemble,
  ALU_BINARY,
  ALU_SIGNED,
  JUMP_CONDITIONS,
  SIZE_SUFFIXES,
  ATOMIC_OPS,
  ATOMIC_EXCHANGES,
} from "../../src/tools/asm.js";

const doc = readFileSync(join(ROOT, "docs", "asm.md"), "utf8");

/** Every mnemonic (and `lock` operation) the assembler accepts, from the tables it encodes with. */
function mnemonics(): string[] {
  const sizes = Object.keys(SIZE_SUFFIXES);
  return [
    ...[...Object.keys(ALU_BINARY), ...Object.keys(ALU_SIGNED), "neg"].flatMap((m) => [m, `${m}32`]),
    "movsx864",
    "movsx1664",
    "movsx3264",
    "movsx832",
    "movsx1632",
    ...["le", "be", "bswap", "swap"].flatMap((m) => [16, 32, 64].map((n) => `${m}${n}`)),
    "lddw",
    ...sizes.flatMap((s) => [`ldx${s}`, `st${s}`, `stx${s}`]),
    ...sizes.filter((s) => s !== "dw").flatMap((s) => [`ldxs${s}`, `ldabs${s}`, `ldind${s}`]),
    ...Object.keys(JUMP_CONDITIONS).flatMap((m) => [m, `${m}32`]),
    "ja",
    "ja32",
    "gotol",
    "call",
    "exit",
    ".insn",
    ...[...Object.keys(ATOMIC_OPS), ...Object.keys(ATOMIC_EXCHANGES)].map((op) => `lock ${op}`),
  ];
}

describe("docs/asm.md", () => {
  test("names every mnemonic the assembler accepts", () => {
    const all = mnemonics();
    for (const m of all) expect(() => assemble(sample(m)), m).not.toThrow(); // the list is what asm.ts accepts
    // named in code: `add`, `lock xor`, or at the start of a form (`add32 %r0, 1`, `lock add [%r10-8]`)
    const missing = all.filter((m) => !new RegExp("`" + m.replace(".", "\\.") + "[`\\s]").test(doc));
    expect(missing).toEqual([]);
  });
  test("every example assembles", () => {
    const blocks = [...doc.matchAll(/```asm\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) expect(assemble(b).length).toBeGreaterThan(0);
    // and each form written in the tables, one per line
    const forms = [...doc.matchAll(/^\| `([^`]+)`(?: \/ `([^`]+)`)? \|/gm)]
      .flatMap((m) => [m[1], m[2]])
      .filter(Boolean);
    expect(forms.length).toBeGreaterThan(30);
    for (const f of forms) expect(() => assemble(`${f}\nexit\ndone: exit\nfar: exit\nfn: exit\n`), f).not.toThrow();
  });
  test("`tinybpf asm --help` summarises the dialect and points at the document", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin/tinybpf.js"), "asm", "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("docs/asm.md");
    for (const m of ["lddw", "ldxw", "stxdw", "jeq", "call", "lock", "exit", ".insn"]) expect(r.stdout).toContain(m);
  });
});

/** A line using mnemonic `m` with operands of the right kind. */
function sample(m: string): string {
  if (m.startsWith("lock ")) return `${m} [%r10-8], %r1`;
  if (/^(neg|le|be|bswap|swap)/.test(m)) return `${m} %r1`;
  if (m.startsWith("movsx")) return `${m} %r0, %r1`;
  if (m === "lddw") return "lddw %r0, 1";
  if (/^ldx/.test(m)) return `${m} %r0, [%r1+2]`;
  if (/^stx/.test(m)) return `${m} [%r10-8], %r1`;
  if (/^st/.test(m)) return `${m} [%r10-8], 1`;
  if (/^ldabs/.test(m)) return `${m} 1`;
  if (/^ldind/.test(m)) return `${m} %r1, 1`;
  if (m === "ja" || m === "ja32" || m === "gotol") return `${m} +0`;
  if (m === "call") return "call 1";
  if (m === "exit") return "exit";
  if (m === ".insn") return ".insn 0x95";
  if (/^j/.test(m)) return `${m} %r1, 1, +0`;
  return `${m} %r0, 1`;
}
