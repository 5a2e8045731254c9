// Accesses checked as a group in the Wasm engine (assembly/wasm/groups.ts, translate.ts: grouped): in a block of a
// loop that is not versioned, the loads and stores off one base register that does not change between them share
// one test of their whole span, and a copy of the block without their checks runs when it passes. The programs
// here are generated header walks over records of random lengths, the loop advancing by a length it loads (so no
// loop versioning applies), each frame's block reading, assembling and storing bytes at random offsets from the
// frame, some past the record and the context's end; some move the base between accesses, some mix in
// LD_ABS/LD_IND. Every outcome must be the interpreter's (r0, instructions executed, fault message), r0 and the
// faulting instruction the ones a model written here computes, and budgets that run out at every instruction of a
// grouped block must fault where the interpreter does. The module's text shows the grouped copy: a word read byte
// by byte, outside any versioned loop, became one load.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime, type RunInput } from "../../../src/runtime/runtime.js";
import { BpfFault } from "../../../src/runtime/faults.js";
import { wasmEngine, translateToWasm, wasmFallbackReason } from "../../../src/engines/wasm.js";
import { FAULT_READ, FAULT_WRITE } from "../../../assembly/layout.js";
import { rng } from "../../support/generated-runs.js";

const M64 = (1n << 64n) - 1n;
const SIZES: Record<string, number> = { b: 1, h: 2, w: 4, dw: 8 };

/** One generated instruction: its text and what it does to the model. */
type Insn =
  | { op: "mov" | "add" | "mul" | "or" | "lsh" | "and"; dst: number; src?: number; imm?: number; w32?: boolean }
  | { op: "ldx"; size: string; dst: number; base: number; off: number }
  | { op: "st"; size: string; base: number; off: number; imm: number }
  | { op: "stx"; size: string; base: number; off: number; src: number }
  | { op: "ldabs"; size: string; imm: number }
  | { op: "ldind"; size: string; src: number; imm: number }
  | { op: "jgt"; dst: number; src: number; to: string }
  | { op: "ja"; to: string }
  | { op: "exit" }
  | { op: "label"; name: string };

function text(i: Insn): string {
  const r = (n: number) => `%r${n}`;
  switch (i.op) {
    case "ldx":
      return `ldx${i.size} ${r(i.dst)}, [${r(i.base)}+${i.off}]`;
    case "st":
      return `st${i.size} [${r(i.base)}+${i.off}], ${i.imm}`;
    case "stx":
      return `stx${i.size} [${r(i.base)}+${i.off}], ${r(i.src)}`;
    case "ldabs":
      return `ldabs${i.size} ${i.imm}`;
    case "ldind":
      return `ldind${i.size} ${r(i.src)}, ${i.imm}`;
    case "jgt":
      return `jgt ${r(i.dst)}, ${r(i.src)}, ${i.to}`;
    case "ja":
      return `ja ${i.to}`;
    case "exit":
      return "exit";
    case "label":
      return `${i.name}:`;
    default:
      return `${i.op}${i.w32 ? "32" : ""} ${r(i.dst)}, ${i.src !== undefined ? r(i.src) : i.imm}`;
  }
}

/**
 * The walk: r6 = offset of the next record, r7 = the frame (data + r6), r9 = the fold; a record is a u16 (ignored),
 * a little-endian u16 length, then that many bytes. The loop ends when the next record's header or body does not
 * fit. `body` runs once per frame, after r6 has moved past it.
 */
function walk(body: Insn[]): Insn[] {
  return [
    { op: "mov", dst: 6, imm: 0 },
    { op: "mov", dst: 9, imm: 0 },
    { op: "label", name: "next" },
    { op: "mov", dst: 3, src: 6 },
    { op: "add", dst: 3, imm: 4 },
    { op: "jgt", dst: 3, src: 2, to: "done" },
    { op: "mov", dst: 7, src: 1 },
    { op: "add", dst: 7, src: 6 },
    { op: "ldx", size: "b", dst: 4, base: 7, off: 2 },
    { op: "ldx", size: "b", dst: 5, base: 7, off: 3 },
    { op: "lsh", dst: 5, imm: 8, w32: true },
    { op: "or", dst: 4, src: 5, w32: true },
    { op: "add", dst: 6, src: 4 },
    { op: "add", dst: 6, imm: 4 },
    { op: "jgt", dst: 6, src: 2, to: "done" },
    ...body,
    { op: "ja", to: "next" },
    { op: "label", name: "done" },
    { op: "mov", dst: 0, src: 9 },
    { op: "exit" },
  ];
}

/** A frame's block: reads (some assembled into words), stores and moves of the base, all in one basic block. */
function body(next: () => number, packet: boolean): Insn[] {
  const pick = (n: number) => Math.floor(next() * n);
  const out: Insn[] = [];
  const fold = (r: number) => out.push({ op: "mul", dst: 9, imm: 31 }, { op: "add", dst: 9, src: r });
  const sizes = ["b", "h", "w", "dw"];
  let base = 7;
  for (let n = 3 + pick(8); n > 0; n--) {
    const k = pick(12);
    const off = pick(40);
    if (k < 4) {
      out.push({ op: "ldx", size: sizes[pick(4)], dst: 3, base, off });
      fold(3);
    } else if (k < 6) {
      // a little-endian word of 2 or 4 bytes, byte by byte (the low byte last, as clang often does)
      const bytes = k === 4 ? 2 : 4;
      for (let b = 1; b < bytes; b++) {
        out.push({ op: "ldx", size: "b", dst: 4, base, off: off + b });
        out.push({ op: "lsh", dst: 4, imm: 8 * b, w32: true });
        if (b === 1) out.push({ op: "mov", dst: 3, src: 4 });
        else out.push({ op: "or", dst: 3, src: 4, w32: true });
      }
      out.push({ op: "ldx", size: "b", dst: 4, base, off });
      out.push({ op: "or", dst: 3, src: 4, w32: true });
      fold(3);
    } else if (k === 6) {
      out.push({ op: "st", size: sizes[pick(4)], base, off, imm: pick(256) - 128 });
    } else if (k === 7) {
      out.push({ op: "stx", size: sizes[pick(4)], base, off, src: 9 });
    } else if (k === 8) {
      // the base moves between accesses: a group ends, another begins
      out.push({ op: "add", dst: base, imm: 1 + pick(8) });
    } else if (k === 9) {
      // another register takes the base (the old one may move afterwards)
      const other = base === 7 ? 8 : 7;
      out.push({ op: "mov", dst: other, src: base });
      base = other;
    } else if (k === 10 && packet) {
      out.push({ op: "ldabs", size: sizes[pick(3)], imm: pick(24) });
      fold(0);
    } else if (k === 11 && packet) {
      out.push({ op: "mov", dst: 5, imm: pick(16) }, { op: "ldind", size: sizes[pick(3)], src: 5, imm: pick(16) });
      fold(0);
    } else {
      out.push({ op: "ldx", size: "b", dst: 3, base, off: off + 1 }, { op: "ldx", size: "b", dst: 4, base, off });
      fold(3);
      fold(4);
    }
  }
  return out;
}

type Outcome = { r0?: bigint; executed?: number; error?: string };
type Fault = { kind: number; pc: number; size: number };
const FAULT_BUDGET_KIND = -1;

/**
 * A model of the walk written from the ISA: r0 and instructions executed, or the fault (pc, kind, size). The
 * context's bytes from `writableEnd` on are read-only.
 */
function model(
  prog: Insn[],
  ctx: Uint8Array,
  packet: Uint8Array,
  budget: number,
  writableEnd = ctx.length,
): { r0?: bigint; executed: number; fault?: Fault } {
  const code = prog.filter((i) => i.op !== "label");
  const labels = new Map<string, number>();
  let at = 0;
  for (const i of prog) {
    if (i.op === "label") labels.set(i.name, at);
    else at++;
  }
  const mem = ctx.slice();
  const BASE = 1n << 40n; // addresses: BASE + offset into the context (never read as data)
  const reg: bigint[] = new Array(11).fill(0n);
  reg[1] = BASE;
  reg[2] = BigInt(ctx.length);
  const val = (i: { src?: number; imm?: number }) =>
    i.src !== undefined ? reg[i.src] : BigInt.asUintN(64, BigInt(i.imm!));
  const inCtx = (a: bigint, n: number) => a >= BASE && a - BASE + BigInt(n) <= BigInt(mem.length);
  let pc = 0;
  let executed = 0;
  while (true) {
    if (executed === budget) return { executed, fault: { kind: FAULT_BUDGET_KIND, pc, size: 0 } };
    const i = code[pc];
    executed++;
    switch (i.op) {
      case "mov":
      case "add":
      case "mul":
      case "or":
      case "and":
      case "lsh": {
        const a = reg[i.dst];
        const b = val(i);
        let v =
          i.op === "mov"
            ? b
            : i.op === "add"
              ? a + b
              : i.op === "mul"
                ? a * b
                : i.op === "or"
                  ? a | b
                  : i.op === "and"
                    ? a & b
                    : a << (b & (i.w32 ? 31n : 63n));
        v = i.w32 ? BigInt.asUintN(32, v) : BigInt.asUintN(64, v);
        reg[i.dst] = v;
        break;
      }
      case "ldx": {
        const n = SIZES[i.size];
        const a = BigInt.asUintN(64, reg[i.base] + BigInt(i.off));
        if (!inCtx(a, n)) return { executed, fault: { kind: FAULT_READ, pc, size: n } };
        let v = 0n;
        for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(mem[Number(a - BASE) + k]);
        reg[i.dst] = v;
        break;
      }
      case "st":
      case "stx": {
        const n = SIZES[i.size];
        const a = BigInt.asUintN(64, reg[i.base] + BigInt(i.off));
        if (!inCtx(a, n) || a - BASE + BigInt(n) > BigInt(writableEnd))
          return { executed, fault: { kind: FAULT_WRITE, pc, size: n } };
        let v = i.op === "st" ? BigInt.asUintN(64, BigInt(i.imm)) : reg[i.src];
        for (let k = 0; k < n; k++, v >>= 8n) mem[Number(a - BASE) + k] = Number(v & 0xffn);
        break;
      }
      case "ldabs":
      case "ldind": {
        const n = SIZES[i.size];
        const off = BigInt(i.imm) + (i.op === "ldind" ? BigInt.asIntN(32, BigInt.asUintN(32, reg[i.src])) : 0n);
        if (off < 0n || off + BigInt(n) > BigInt(packet.length)) return { r0: 0n, executed };
        let v = 0n;
        for (let k = 0; k < n; k++) v = (v << 8n) | BigInt(packet[Number(off) + k]);
        reg[0] = v;
        break;
      }
      case "jgt":
        if (reg[i.dst] > reg[i.src]) {
          pc = labels.get(i.to)!;
          continue;
        }
        break;
      case "ja":
        pc = labels.get(i.to)!;
        continue;
      case "exit":
        return { r0: reg[0] & M64, executed };
    }
    pc++;
  }
}

/** Records of random lengths (0..40 bytes each), then `slack` random bytes that no record holds. */
function records(next: () => number, count: number, slack: number): Uint8Array {
  const bytes: number[] = [];
  for (let r = 0; r < count; r++) {
    const len = Math.floor(next() * 41);
    bytes.push(Math.floor(next() * 256), Math.floor(next() * 256), len & 0xff, len >> 8);
    for (let k = 0; k < len; k++) bytes.push(Math.floor(next() * 256));
  }
  for (let k = 0; k < slack; k++) bytes.push(Math.floor(next() * 256));
  return Uint8Array.from(bytes);
}

/** One program on both engines at each budget, in one runtime each (the module is compiled once). */
function runBoth(
  source: string,
  input: () => RunInput,
  budgets: number[],
): { interp: Outcome[]; wasm: Outcome[]; faults: (Fault | undefined)[] } {
  const code = assemble(source);
  const res = { interp: [] as Outcome[], wasm: [] as Outcome[], faults: [] as (Fault | undefined)[] };
  for (const engine of ["interp", "wasm"] as const) {
    const rt = new Runtime({});
    const prog = rt.addProgram("p", code);
    for (const budget of budgets) {
      rt.core.setBudget(budget);
      let out: Outcome;
      let fault: Fault | undefined;
      try {
        const r = rt.run(prog, input(), engine === "wasm" ? wasmEngine : engine);
        out = { r0: r.r0, executed: r.executed };
      } catch (e) {
        if (!(e instanceof BpfFault)) throw e;
        out = { error: e.message };
        fault = { kind: e.info.kind, pc: e.info.pc, size: e.info.size };
      }
      res[engine].push(out);
      if (engine === "interp") res.faults.push(fault);
    }
    if (engine === "wasm") expect(wasmFallbackReason(prog)).toBeUndefined();
  }
  return res;
}

/** What the model says, in the terms of the interpreter's fault info (a budget fault's kind is the core's). */
function expectModel(got: Outcome, fault: Fault | undefined, want: ReturnType<typeof model>) {
  if (want.fault) {
    expect(fault?.pc).toBe(want.fault.pc);
    if (want.fault.kind === FAULT_BUDGET_KIND) expect(got.error).toMatch(/budget/);
    else expect(fault).toEqual(want.fault);
  } else {
    expect(got.error).toBeUndefined();
    expect(got.r0).toBe(want.r0);
    expect(got.executed).toBe(want.executed);
  }
}

const BIG = 1_000_000;

describe("accesses checked as a group", () => {
  it("a word read byte by byte in a loop's block that is not versioned becomes one load", () => {
    const source = walk([{ op: "ldx", size: "b", dst: 3, base: 7, off: 4 }])
      .map(text)
      .join("\n");
    const m = binaryen.readBinary(translateToWasm(assemble(source)));
    const wat = m.emitText();
    m.dispose();
    expect(wat.split("i64.load16_u").length - 1).toBeGreaterThan(0);
    const next = rng(5);
    const ctx = records(next, 30, 8);
    const r = runBoth(source, () => ({ ctx: { bytes: ctx.slice() } }), [BIG]);
    expect(r.wasm).toEqual(r.interp);
    expectModel(
      r.interp[0],
      r.faults[0],
      model(walk([{ op: "ldx", size: "b", dst: 3, base: 7, off: 4 }]), ctx, new Uint8Array(0), BIG),
    );
  });

  it("generated walks over random records: every engine agrees with the model, inside and past the end", () => {
    let faults = 0;
    let finished = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const next = rng(seed * 7919);
      const packet = Uint8Array.from({ length: 20 }, () => Math.floor(next() * 256));
      const withPacket = seed % 3 === 0;
      const prog = walk(body(next, withPacket));
      const source = prog.map(text).join("\n");
      // slack: how far past the last record the context goes; accesses reach up to 47 bytes past a frame
      const ctx = records(next, 1 + Math.floor(next() * 12), Math.floor(next() * 56));
      const input = (): RunInput =>
        withPacket
          ? { ctx: { bytes: ctx.slice() }, packet: { bytes: packet.slice() } }
          : { ctx: { bytes: ctx.slice() } };
      const r = runBoth(source, input, [BIG]);
      expect(r.wasm, source).toEqual(r.interp);
      const want = model(prog, ctx, withPacket ? packet : new Uint8Array(0), BIG);
      expectModel(r.interp[0], r.faults[0], want);
      if (want.fault) faults++;
      else finished++;
    }
    // both outcomes occur among the seeds
    expect(faults).toBeGreaterThan(5);
    expect(finished).toBeGreaterThan(5);
  });

  it("a group whose last access faults, just past the context's end, faults there after the stores before it", () => {
    // one record of 8 bytes and no slack: the frame's bytes 0-11 exist, [r7+12] does not
    const prog = walk([
      { op: "st", size: "b", base: 7, off: 5, imm: 7 },
      { op: "ldx", size: "h", dst: 3, base: 7, off: 4 },
      { op: "stx", size: "b", base: 7, off: 0, src: 3 },
      { op: "ldx", size: "w", dst: 4, base: 7, off: 8 },
      { op: "ldx", size: "b", dst: 5, base: 7, off: 12 },
      { op: "add", dst: 9, src: 3 },
    ]);
    const source = prog.map(text).join("\n");
    for (const extra of [0, 1]) {
      const ctx = Uint8Array.from([1, 2, 8, 0, 10, 11, 12, 13, 14, 15, 16, 17, ...new Array(extra).fill(99)]);
      const r = runBoth(source, () => ({ ctx: { bytes: ctx.slice() } }), [BIG]);
      expect(r.wasm).toEqual(r.interp);
      expectModel(r.interp[0], r.faults[0], model(prog, ctx, new Uint8Array(0), BIG));
      if (extra === 0) expect(r.faults[0]).toEqual({ kind: FAULT_READ, pc: 18, size: 1 });
      else expect(r.interp[0].r0).toBe(0x0700n | 10n);
    }
  });

  it("a base rewritten between the accesses of a block and stores into the group's bytes", () => {
    const prog = walk([
      { op: "ldx", size: "b", dst: 3, base: 7, off: 4 },
      { op: "st", size: "h", base: 7, off: 4, imm: 0x1234 },
      { op: "ldx", size: "b", dst: 4, base: 7, off: 5 },
      { op: "add", dst: 7, imm: 2 },
      { op: "ldx", size: "h", dst: 5, base: 7, off: 2 },
      { op: "add", dst: 9, src: 3 },
      { op: "add", dst: 9, src: 4 },
      { op: "add", dst: 9, src: 5 },
    ]);
    const source = prog.map(text).join("\n");
    const ctx = Uint8Array.from([0, 0, 2, 0, 0xab, 0xcd, 0, 0, 2, 0, 0x01, 0x02]);
    const r = runBoth(source, () => ({ ctx: { bytes: ctx.slice() } }), [BIG]);
    expect(r.wasm).toEqual(r.interp);
    // each frame: its old byte 4, then 0x12 (the store's high byte), then 0x1234 (read after the move)
    expect(r.interp[0].r0).toBe(0xabn + 0x12n + 0x1234n + (0x01n + 0x12n + 0x1234n));
    expectModel(r.interp[0], r.faults[0], model(prog, ctx, new Uint8Array(0), BIG));
  });

  it("a group of stores across the end of the context's writable part faults at the first store past it", () => {
    const prog = walk([
      { op: "st", size: "b", base: 7, off: 4, imm: 1 },
      { op: "ldx", size: "b", dst: 3, base: 7, off: 0 },
      { op: "st", size: "h", base: 7, off: 5, imm: 2 },
      { op: "stx", size: "w", base: 7, off: 7, src: 9 },
      { op: "ldx", size: "dw", dst: 4, base: 7, off: 4 },
      { op: "add", dst: 9, src: 3 },
      { op: "add", dst: 9, src: 4 },
    ]);
    const source = prog.map(text).join("\n");
    const frame = [0, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    const ctx = Uint8Array.from([...frame, ...frame, ...frame]);
    for (let end = 1; end <= ctx.length; end++) {
      const r = runBoth(source, () => ({ ctx: { bytes: ctx.slice(), writable: [[0, end]] } }), [BIG]);
      expect(r.wasm).toEqual(r.interp);
      expectModel(r.interp[0], r.faults[0], model(prog, ctx, new Uint8Array(0), BIG, end));
    }
  });

  it("budgets that run out at every instruction of a grouped block fault where the interpreter does", () => {
    const next = rng(4242);
    const prog = walk(body(next, true));
    const source = prog.map(text).join("\n");
    const ctx = records(next, 4, 64);
    const packet = Uint8Array.from({ length: 20 }, (_, i) => i * 11);
    const input = (): RunInput => ({ ctx: { bytes: ctx.slice() }, packet: { bytes: packet.slice() } });
    const total = model(prog, ctx, packet, BIG).executed;
    const budgets = Array.from({ length: total + 1 }, (_, i) => i + 1);
    const r = runBoth(source, input, budgets);
    expect(r.wasm).toEqual(r.interp);
    for (let i = 0; i < budgets.length; i++)
      expectModel(r.interp[i], r.faults[i], model(prog, ctx, packet, budgets[i]));
  });
});
