// Byte-assembled words in ARM32 loop copies (assembly/arm32/jit/bytes.ts): a word read byte by byte (C's unaligned
// loads) is emitted where it is read, as one LDR / LDRH when its bytes are contiguous and in order, LDR + REV when
// they are in reverse order, else byte by byte. Generated loops assemble groups of bytes in every arrangement
// (in order, reversed, with gaps, overlapping, two bytes in one place, 32- and 64-bit), interleaved as clang
// interleaves them, with reads of a temporary or of a half-built word, a base that moves, stores into the bytes,
// and a checked access whose miss leaves the copy in the middle of a trip; every register is folded into r0 after
// the loop. Outcomes (r0, a budget running out, a fault at the end of the input) must be the interpreter's and
// those of the model here, written with BigInt from the eBPF semantics.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, disagreeingAtInstruction, outcomes, r0Is, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

// ---- the generator ----

const TEMPS = [2, 3, 5, 6, 7, 8]; // r0: the fold, r1: the input, r4: the trip's base, r9: the index
const KINDS = ["le", "be", "gap", "overlap", "same", "le64", "shifted"] as const;
type Kind = (typeof KINDS)[number];

/** The bytes of one group: offset from r4 and shift, in the order they are loaded. */
function groupBytes(kind: Kind, rand: () => number): { off: number; sh: number }[] {
  const at = Math.floor(rand() * 5);
  const n = kind === "le64" ? 8 : [2, 3, 4][Math.floor(rand() * 3)];
  const bytes = Array.from({ length: n }, (_, k) => {
    if (kind === "be") return { off: at + k, sh: 8 * (n - 1 - k) };
    if (kind === "gap") return { off: at + 2 * k, sh: 8 * k };
    if (kind === "overlap") return { off: at + Math.min(k, 1), sh: 8 * k };
    if (kind === "same") return { off: at + k, sh: k === 1 ? 0 : 8 * k };
    return { off: at + k, sh: 8 * k };
  });
  // clang loads the second byte first now and then (xxhash32's p[1] << 8 | p[0])
  if (rand() < 0.5) [bytes[0], bytes[1]] = [bytes[1], bytes[0]];
  return bytes;
}

/**
 * A counted loop over r9 (0 below `bound`, step 8) whose body assembles 1 to 3 words from the bytes at r4 = r1 +
 * r9 and folds each into r0; after it, r0 = a fold of every register.
 */
function generate(seed: number, { disturb, checked }: { disturb: boolean; checked: boolean }): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const bound = 8 * (3 + Math.floor(rand() * 6));
  const lines: string[] = ["mov %r0, 0", "mov %r9, 0"];
  for (const t of TEMPS) lines.push(`mov %r${t}, ${t * 7919}`);
  lines.push("stxdw [%r10-64], %r2", "stxdw [%r10-56], %r3", "loop:", "mov %r4, %r1", "add %r4, %r9");
  const free = new Set(TEMPS);
  const take = () => {
    const t = pick([...free]);
    free.delete(t);
    return t;
  };
  const groups = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
    const kind = pick(KINDS);
    const w = kind === "le64" || (kind === "shifted" && rand() < 0.5) ? "" : "32";
    return { kind, w, acc: take(), bytes: groupBytes(kind, rand), next: 0, pending: [] as number[] };
  });
  const disturbance = () => {
    const r = rand();
    const t = pick(TEMPS);
    if (r < 0.3)
      lines.push(`add %r0, %r${t}`); // a temporary, or a word half built, read now
    else if (r < 0.45)
      lines.push(`add %r4, ${1 + Math.floor(rand() * 2)}`); // the base moves
    else if (r < 0.6) lines.push(`stb [%r4+${Math.floor(rand() * 8)}], ${Math.floor(rand() * 256)}`);
    else if (r < 0.75) lines.push(`mov32 %r${t}, %r0`);
    else if (checked) {
      // a checked access through a computed pointer into the frame: a miss of the copy's window leaves it here
      const x = pick([...free, ...(free.size ? [] : [0])]);
      if (x !== 0) lines.push(`mov %r${x}, %r9`, `and %r${x}, 8`, `add %r${x}, %r10`, `ldxdw %r${x}, [%r${x}-64]`);
      lines.push(`add %r0, %r${x}`);
    }
  };
  // a group can go on when it has a byte or-ed in to come, or a byte to load into its word or a free register
  const able = (g: (typeof groups)[number]) =>
    g.pending.length > 0 || (g.next < g.bytes.length && (g.next === 0 || free.size > 0));
  while (groups.some(able)) {
    const g = pick(groups.filter(able));
    if (g.pending.length && (g.next === g.bytes.length || free.size === 0 || rand() < 0.5)) {
      const t = g.pending.shift()!;
      lines.push(`or${g.w} %r${g.acc}, %r${t}`);
      free.add(t);
    } else {
      const { off, sh } = g.bytes[g.next];
      const r = g.next === 0 ? g.acc : take();
      lines.push(`ldxb %r${r}, [%r4+${off}]`);
      if (sh) lines.push(`lsh${g.w} %r${r}, ${sh}`);
      if (g.next++ > 0) g.pending.push(r);
    }
    if (disturb && rand() < 0.15) disturbance();
  }
  for (const g of groups) {
    if (g.kind === "shifted") lines.push(`lsh${g.w} %r${g.acc}, ${8 + Math.floor(rand() * 24)}`);
    lines.push("mul %r0, 1000003", `add %r0, %r${g.acc}`);
  }
  lines.push("add %r9, 8", `jlt %r9, ${bound}, loop`);
  lines.push("sub %r4, %r1"); // the base, less the input's address (which differs between engines)
  for (const r of [...TEMPS, 4, 9]) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  const input = new Uint8Array(bound + 32);
  for (let i = 0; i < input.length; i++) input[i] = Math.floor(rand() * 256);
  return { source: lines.join("\n"), input };
}

/**
 * clang's word whose last byte is loaded through the register that held the address (popcount's and inet_csum's
 * loops): `ldxb b, [b+off]`, a shift, then the or into the word, or of the word into b.
 */
function generateLastByte(seed: number): Shape {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const [b, acc, t] = [...TEMPS].sort(() => rand() - 0.5);
  const kind = pick(KINDS);
  const bytes = groupBytes(kind, rand);
  const w = kind === "le64" || rand() < 0.3 ? "" : "32";
  const lines = ["mov %r0, 0", "mov %r9, 0"];
  for (const r of TEMPS) lines.push(`mov %r${r}, ${r * 7919}`);
  lines.push("loop:", `mov %r${b}, %r1`, `add %r${b}, %r9`);
  bytes.slice(0, -1).forEach(({ off, sh }, k) => {
    const r = k === 0 ? acc : t;
    lines.push(`ldxb %r${r}, [%r${b}+${off}]`);
    if (sh) lines.push(`lsh${w} %r${r}, ${sh}`);
    if (k > 0) lines.push(`or${w} %r${acc}, %r${t}`);
  });
  const last = bytes[bytes.length - 1];
  lines.push(`ldxb %r${b}, [%r${b}+${last.off}]`);
  if (last.sh) lines.push(`lsh${w} %r${b}, ${last.sh}`);
  const into = rand() < 0.5 ? acc : b;
  lines.push(`or${w} %r${into}, %r${into === acc ? b : acc}`);
  if (rand() < 0.5) lines.push(`add %r0, %r${into === acc ? b : acc}`); // the other one read too
  lines.push("mul %r0, 1000003", `add %r0, %r${into}`, "add %r9, 8", "jlt %r9, 48, loop");
  for (const r of TEMPS) lines.push("mul %r0, 1000003", `add %r0, %r${r}`);
  lines.push("exit");
  const input = Uint8Array.from({ length: 48 + 24 }, () => Math.floor(rand() * 256));
  return { source: lines.join("\n"), input };
}

// ---- the model ----

const INPUT = 0x1000_0000n;
const FRAME = 0x2000_0000n;

/** Runs the program: r0, the budget running out, or an access outside the input (at its instruction). */
function model(source: string, input: Uint8Array, budget: number): string {
  const insns: string[][] = [];
  const labels = new Map<string, number>();
  for (const line of source.split("\n")) {
    if (line.endsWith(":")) labels.set(line.slice(0, -1), insns.length);
    else
      insns.push([
        line.split(" ")[0],
        ...line
          .slice(line.indexOf(" ") + 1)
          .split(",")
          .map((a) => a.trim()),
      ]);
  }
  const mem = input.slice();
  const frame = new Map<bigint, number>();
  const reg = new Array<bigint>(11).fill(0n);
  reg[1] = INPUT;
  reg[10] = FRAME;
  const regOf = (a: string) => Number(a.replace("%r", ""));
  const addrOf = (m: string) => {
    const [, r, off] = /\[%r(\d+)([+-]\d+)\]/.exec(m)!;
    return (reg[Number(r)] + BigInt(off)) & M64;
  };
  const inInput = (a: bigint, n: number) => a >= INPUT && a + BigInt(n) <= INPUT + BigInt(mem.length);
  const byteAt = (a: bigint) => (inInput(a, 1) ? BigInt(mem[Number(a - INPUT)]) : BigInt(frame.get(a) ?? 0));
  for (let pc = 0, executed = 0; ; pc++) {
    const [op, ...args] = insns[pc];
    if (budget > 0 && executed === budget) return `budget (instruction ${pc})`;
    executed++;
    const d = regOf(args[0]);
    if (op === "exit") return r0Is(reg[0]);
    if (op === "ldxb" || op === "ldxdw") {
      const n = op === "ldxb" ? 1 : 8;
      const a = addrOf(args[1]);
      if (!inInput(a, n) && !(a >= FRAME - 512n && a + BigInt(n) <= FRAME)) return `fault (instruction ${pc})`;
      let v = 0n;
      for (let k = n - 1; k >= 0; k--) v = (v << 8n) | byteAt(a + BigInt(k));
      reg[d] = v;
    } else if (op === "stb" || op === "stxdw") {
      const a = addrOf(args[0]);
      const n = op === "stb" ? 1 : 8;
      const v = op === "stb" ? BigInt(args[1]) : reg[regOf(args[1])];
      if (!inInput(a, n) && !(a >= FRAME - 512n && a + BigInt(n) <= FRAME)) return `fault (instruction ${pc})`;
      for (let k = 0; k < n; k++) {
        const b = Number((v >> BigInt(8 * k)) & 0xffn);
        if (inInput(a, n)) mem[Number(a - INPUT) + k] = b;
        else frame.set(a + BigInt(k), b);
      }
    } else if (op === "jlt") {
      if (reg[d] < BigInt(args[1])) pc = labels.get(args[2])! - 1;
    } else {
      const is32 = op.endsWith("32");
      const mask = is32 ? M32 : M64;
      const a = reg[d] & mask;
      const b = (args[1].startsWith("%r") ? reg[regOf(args[1])] : BigInt(args[1])) & mask;
      const r = {
        mov: () => b,
        add: () => a + b,
        sub: () => a - b,
        mul: () => a * b,
        or: () => a | b,
        and: () => a & b,
        lsh: () => a << b,
      }[op.replace("32", "")]!();
      reg[d] = r & mask;
    }
  }
}

// ---- the engines ----

/** The ARM code of a program's first loop copy, from its listing. */
function copyCode(source: string): string {
  const lines = arm32Listing(assemble(source)).split("\n");
  const start = lines.findIndex((l) => l.includes("(copy of loop"));
  const end = lines.findIndex((l, k) => k > start && l.includes("the ordinary code"));
  return lines.slice(start, end).join("\n");
}

describe("byte-assembled words in loop copies", () => {
  it("generated groups of bytes: the model's r0 on both engines", async () => {
    const cases: Case[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const opts = { disturb: seed % 2 === 0, checked: seed % 4 === 0 };
      cases.push({
        name: `seed ${seed} ${JSON.stringify(opts)}`,
        shape: generate(seed, opts),
        budget: seed % 3 ? 0 : 1e6,
      });
    }
    // the shapes are loops the translator versions (else they would test nothing here)
    const uncopied = cases.filter((c) => !arm32Listing(assemble(c.shape.source)).includes("(copy of loop"));
    expect(uncopied.map((c) => c.name)).toEqual([]);
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("r0 = "))).toBe(true);
    expect(disagreeingAtInstruction(results)).toEqual([]);
  }, 180_000);

  it("a word's last byte loaded through its base: the model's r0 on both engines", async () => {
    const cases: Case[] = [];
    for (let seed = 301; seed <= 324; seed++)
      cases.push({ name: `seed ${seed}`, shape: generateLastByte(seed), budget: 0 });
    const uncopied = cases.filter((c) => !arm32Listing(assemble(c.shape.source)).includes("(copy of loop"));
    expect(uncopied.map((c) => c.name)).toEqual([]);
    const results = await outcomes(cases, model);
    expect(results.every((r) => r.model.startsWith("r0 = "))).toBe(true);
    expect(disagreeingAtInstruction(results)).toEqual([]);
  }, 120_000);

  it("budgets running out in the middle of a word, and a fault on a byte past the input's end", async () => {
    const cases: Case[] = [];
    for (let seed = 201; seed <= 210; seed++) {
      const shape = generate(seed, { disturb: seed % 2 === 0, checked: false });
      const rand = rng(seed);
      for (let k = 0; k < 2; k++)
        cases.push({ name: `seed ${seed} budget`, shape, budget: 20 + Math.floor(rand() * 150) });
      // the input ends before the last trip's bytes: the loop's test fails, the checked code faults
      const short = shape.input.slice(0, shape.input.length - 39); // the last trip: its first byte only
      cases.push({ name: `seed ${seed} short`, shape: { ...shape, input: short }, budget: 0 });
    }
    // a u32 whose third byte is the first past the input's end
    const source = [
      "mov %r0, 0",
      "mov %r9, 0",
      "loop:",
      "mov %r4, %r1",
      "add %r4, %r9",
      "ldxb %r5, [%r4+1]",
      "lsh32 %r5, 8",
      "ldxb %r6, [%r4+0]",
      "or32 %r5, %r6",
      "ldxb %r6, [%r4+2]",
      "lsh32 %r6, 16",
      "or32 %r5, %r6",
      "ldxb %r6, [%r4+3]",
      "lsh32 %r6, 24",
      "or32 %r5, %r6",
      "add %r0, %r5",
      "add %r9, 8",
      "jlt %r9, 64, loop",
      "exit",
    ].join("\n");
    const input = Uint8Array.from({ length: 56 + 2 }, (_, i) => (i * 37 + 11) & 0xff);
    cases.push({ name: "third byte short", shape: { source, input }, budget: 0 });
    const results = await outcomes(cases, model);
    expect(results.find((r) => r.name === "third byte short")!.model).toBe("fault (instruction 8)");
    expect(results.filter((r) => r.name.endsWith("short")).every((r) => r.model.startsWith("fault"))).toBe(true);
    expect(disagreeingAtInstruction(results)).toEqual([]);
  }, 180_000);

  it("reads an in-order u32 with one LDR, a reversed one with LDR and REV, a u16 with one LDRH", () => {
    const loop = (body: string) =>
      [
        "mov %r0, 0",
        "mov %r9, 0",
        "loop:",
        "mov %r4, %r1",
        "add %r4, %r9",
        body,
        "add %r0, %r5",
        "add %r9, 8",
        "jlt %r9, 64, loop",
        "exit",
      ].join("\n");
    const le32 = copyCode(
      loop(
        "ldxb %r5, [%r4+1]\n lsh32 %r5, 8\n ldxb %r6, [%r4+0]\n or32 %r5, %r6\n ldxb %r6, [%r4+2]\n lsh32 %r6, 16\n" +
          " or32 %r5, %r6\n ldxb %r6, [%r4+3]\n lsh32 %r6, 24\n or32 %r5, %r6",
      ),
    );
    expect(le32).toMatch(/\sldr\s+r\d+, \[r(?!11)\d+\]/);
    expect(le32).not.toMatch(/ldrb/);
    const be32 = copyCode(
      loop(
        "ldxb %r5, [%r4+0]\n lsh32 %r5, 24\n ldxb %r6, [%r4+1]\n lsh32 %r6, 16\n or32 %r5, %r6\n" +
          " ldxb %r6, [%r4+2]\n lsh32 %r6, 8\n or32 %r5, %r6\n ldxb %r6, [%r4+3]\n or32 %r5, %r6",
      ),
    );
    expect(be32).toMatch(/\srev\s/);
    expect(be32).not.toMatch(/ldrb/);
    const le16 = copyCode(loop("ldxb %r5, [%r4+2]\n ldxb %r6, [%r4+3]\n lsh32 %r6, 8\n or32 %r5, %r6"));
    expect(le16).toMatch(/\sldrh\s+r\d+, \[r\d+, #2\]/);
    expect(le16).not.toMatch(/ldrb/);
    // inet_csum's big-endian u16, its last byte loaded through the address register
    const be16 = copyCode(
      loop(
        "mov %r6, %r1\n add %r6, %r9\n ldxb %r5, [%r6+1]\n ldxb %r6, [%r6+0]\n lsh %r6, 8\n or %r6, %r5\n mov %r5, %r6",
      ),
    );
    expect(be16).toMatch(/\srev16\s/);
    expect(be16).not.toMatch(/ldrb/);
  });
});
