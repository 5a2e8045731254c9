// Loops on the ARM32 engine, against the interpreter and against models of each program written here with BigInt.
// A counted loop (`jlt iv, bound` back edge, one `add iv, step` in the latch) is where a translator is tempted to
// test the whole address range once before the loop and run an unchecked copy of it, to add addresses up in 32
// bits and to keep eBPF registers in ARM registers until the loop exits. Each program here sits where such a
// shortcut would go wrong: the last access exactly at a region's end or one byte past it, negative offsets and
// addresses below a region's start, an iv, base or bound above 2^32 or wrapping around 2^64, steps that are not
// powers of two, exits from the middle of the loop, every register live after the loop, the stack through r10 and
// through a pointer, nested loops three deep, and the instruction budget running out at every point. Each result
// (r0, or the fault with its kind, size, address and instruction) must be the interpreter's and the model's.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { runArm32Async, type RunOptions } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator, limited, root } from "../../support/arm32.js";
import {
  DERIVED_PROGRAMS,
  DERIVED_SHAPES,
  DERIVED_TESTS,
  DERIVED_UNIT_SHAPES,
  copyToStack,
  derivedExit,
  sieve,
  wideOperands,
  type Derived,
} from "../../support/loop-programs.js";

beforeAll(ensureArm32Translator);

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const hex = (v: bigint) => `0x${v.toString(16)}`;
const r0Is = (v: bigint) => `r0 = ${hex(u64(v))}`;
const A7: RunOptions = { cpu: "cortex-a7" };

// ---- outcomes, with fault addresses named by region ----

// Each engine lays its memory out its own way, so a fault's address is compared as an offset from the start of the
// input (`ctx`) or from r10 (`stack`): `ctx+0x28`, `stack-0x204`, `ctx+0x100000000`.
type Region = "ctx" | "stack";
interface Bases {
  ctx: bigint;
  stack: bigint;
}

function at(region: Region, offset: bigint): string {
  return `${region}${offset < 0n ? "-" : "+"}${hex(offset < 0n ? -offset : offset)}`;
}

const oob = (kind: "read" | "write", size: number, region: Region, offset: bigint, insn: number) =>
  `out-of-bounds ${kind} of ${size} bytes at ${at(region, offset)} (instruction ${insn})`;

/**
 * The region whose start is nearest (in the low 32 bits, so that offsets above 2^32 keep their region); the
 * programs here fault within a few KB of a region, and the regions lie further apart than that.
 */
function place(addr: bigint, bases: Bases): string {
  let best = hex(addr);
  let nearest = 0x4000n;
  for (const region of ["ctx", "stack"] as const) {
    const offset = BigInt.asIntN(64, addr - bases[region]);
    const low = BigInt.asIntN(32, offset);
    const distance = low < 0n ? -low : low;
    if (distance < nearest) [nearest, best] = [distance, at(region, offset)];
  }
  return best;
}

/**
 * The fault line with its address relative to the input or the entry frame's r10. The engines name an address near
 * a region themselves, relative to the region's start (`context+0x28`, `stack+0x1fc`: the stack starts 512 bytes
 * below the entry frame's r10); an address farther away is printed as it is and placed here with the probe's bases.
 */
const placed = (fault: string, bases: Bases) =>
  fault
    .replace(/ at 0x([0-9a-f]+) /, (_, h: string) => ` at ${place(BigInt(`0x${h}`), bases)} `)
    .replace(/ at context([+-])0x([0-9a-f]+) /, (_, s: string, h: string) => ` at ${at("ctx", signed(s, h))} `)
    .replace(/ at stack([+-])0x([0-9a-f]+) /, (_, s: string, h: string) => ` at ${at("stack", signed(s, h) - 512n)} `);
const signed = (sign: string, h: string) => (sign === "-" ? -1n : 1n) * BigInt(`0x${h}`);

// r0 = input address << 32 | r10: both fit in 32 bits on either engine
const PROBE = assemble("mov %r0, %r1\nlsh %r0, 32\nor %r0, %r10\nexit");
const basesOf = (r0: bigint): Bases => ({ ctx: r0 >> 32n, stack: r0 & 0xffffffffn });

function interpret(code: Uint8Array, mem: Uint8Array, budget: number): string {
  const rt = new Runtime({ budget });
  const input = { ctx: { bytes: mem.slice() } };
  try {
    return r0Is(rt.run(rt.addProgram("program", code), input).r0);
  } catch (e) {
    if (!(e instanceof BpfFault)) throw e;
    const fault = describeFault(e.info);
    if (!/ at /.test(fault)) return fault;
    // the same runtime puts an input of the same size at the same address
    return placed(fault, basesOf(rt.run(rt.addProgram("probe", PROBE), input).r0));
  }
}

// The executable places its input by its size only: one probe per size.
const armBases = new Map<string, Promise<Bases>>();
function armBasesFor(size: number, opts: RunOptions): Promise<Bases> {
  const key = `${size} ${opts.cpu ?? ""}`;
  let bases = armBases.get(key);
  if (!bases) {
    bases = runArm32Async(PROBE, new Uint8Array(size), { cpu: opts.cpu }).then((r) => {
      if ("fault" in r) throw new Error(r.fault);
      return basesOf(r.r0);
    });
    armBases.set(key, bases);
  }
  return bases;
}

interface Run {
  source: string;
  mem: Uint8Array;
  budget?: number;
  opts?: RunOptions;
}

/** Runs each program on both engines, expects the same outcome and returns the ARM32 engine's. */
async function agree(runs: Run[]): Promise<string[]> {
  const results = await limited(
    runs.map((run) => async () => {
      const code = assemble(run.source);
      const budget = run.budget ?? 1_000_000;
      const interp = interpret(code, run.mem, budget);
      const r = await runArm32Async(code, run.mem, { ...run.opts, budget });
      const arm32 =
        "r0" in r
          ? r0Is(r.r0)
          : / at /.test(r.fault)
            ? placed(r.fault, await armBasesFor(run.mem.length, run.opts ?? {}))
            : r.fault;
      return { source: run.source, size: run.mem.length, budget, cpu: run.opts?.cpu, interp, arm32 };
    }),
  );
  expect(results.filter((r) => r.arm32 !== r.interp)).toEqual([]);
  return results.map((r) => r.arm32);
}

// ---- program text ----

interface Insn {
  index: number;
  text: string;
  label?: string;
}

/** The instructions of `source` with their indices (lddw takes two) and the label just before each. */
function insns(source: string): Insn[] {
  const out: Insn[] = [];
  let index = 0;
  let label: string | undefined;
  for (const raw of source.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    if (line.endsWith(":")) {
      label = line.slice(0, -1);
      continue;
    }
    out.push({ index, text: line, label });
    label = undefined;
    index += line.startsWith("lddw") ? 2 : 1;
  }
  return out;
}

/** The index of the first instruction containing `needle` (at or after the label `after`). */
function indexOf(source: string, needle: string, after?: string): number {
  const all = insns(source);
  const found = all.slice(after ? all.findIndex((i) => i.label === after) : 0).find((i) => i.text.includes(needle));
  if (!found) throw new Error(`no instruction ${needle}`);
  return found.index;
}

/** Counts executed instructions as the engines do; throws the budget fault on the first one past the budget. */
class Budget {
  executed = 0;
  constructor(readonly budget: number) {}
  tick(index: number): void {
    if (this.executed === this.budget)
      throw new Outcome(`instruction budget of ${this.budget} exhausted (instruction ${index})`);
    this.executed++;
  }
}

/** A model's early end: a fault. */
class Outcome {
  constructor(readonly text: string) {}
}

function modelled(f: () => bigint): string {
  try {
    return r0Is(f());
  } catch (e) {
    if (e instanceof Outcome) return e.text;
    throw e;
  }
}

/** A little-endian view of a copy of the input, faulting like the engines outside [0, size). */
class Memory {
  readonly bytes: Uint8Array;
  constructor(
    mem: Uint8Array,
    readonly region: Region = "ctx",
    readonly origin = 0n,
  ) {
    this.bytes = mem.slice();
  }
  private check(kind: "read" | "write", offset: bigint, size: number, insn: number): number {
    const at = u64(offset - this.origin);
    if (at + BigInt(size) > BigInt(this.bytes.length))
      throw new Outcome(oob(kind, size, this.region, BigInt.asIntN(64, offset), insn));
    return Number(at);
  }
  load(offset: bigint, size: number, insn: number): bigint {
    const at = this.check("read", offset, size, insn);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(this.bytes[at + k]);
    return v;
  }
  store(offset: bigint, size: number, value: bigint, insn: number): void {
    const at = this.check("write", offset, size, insn);
    for (let k = 0; k < size; k++) this.bytes[at + k] = Number((value >> BigInt(8 * k)) & 0xffn);
  }
}

/** Bytes that differ from one offset to the next, with words well above 2^32. */
function pattern(size: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: size }, (_, k) => (k * 151 + seed * 29 + 7) & 0xff);
}

/** Little-endian fields from offset 0 (u32 or u64 each), then `rest`. */
function input(fields: [number, bigint][], rest: Uint8Array): Uint8Array {
  const head = fields.reduce((a, [size]) => a + size, 0);
  const mem = new Uint8Array(head + rest.length);
  const view = new DataView(mem.buffer);
  let at = 0;
  for (const [size, v] of fields) {
    if (size === 8) view.setBigUint64(at, u64(v), true);
    else view.setUint32(at, Number(v & 0xffffffffn), true);
    at += size;
  }
  mem.set(rest, head);
  return mem;
}

// ---- the counted loop, in every shape ----

/** imm: in the instruction; reg: a constant in a register; len: r2 (the input's size) plus this, known at run time. */
type Operand = { imm: bigint } | { reg: bigint } | { len: bigint };

interface Counted {
  size: 1 | 2 | 4 | 8;
  store?: boolean;
  off: number;
  start: Operand;
  step: Operand;
  bound: Operand;
  /** Added to every address through r9; `early` adds it to the base (r6 = r1 + r9) before the loop. */
  disp?: bigint;
  early?: boolean;
}

const LOADS = { 1: "ldxb", 2: "ldxh", 4: "ldxw", 8: "ldxdw" } as const;
const STORES = { 1: "stxb", 2: "stxh", 4: "stxw", 8: "stxdw" } as const;
const offset = (off: number) => (off < 0 ? `${off}` : `+${off}`);

function immediate(v: bigint): bigint {
  if (u64(BigInt.asIntN(32, v)) !== u64(v)) throw new Error(`${hex(v)} is no sign-extended immediate`);
  return BigInt.asIntN(32, v);
}

function setting(reg: string, v: Operand): string[] {
  if ("imm" in v) return [`mov ${reg}, ${immediate(v.imm)}`];
  if ("reg" in v) return [`lddw ${reg}, ${hex(u64(v.reg))}`];
  return [`mov ${reg}, %r2`, `add ${reg}, ${v.len}`];
}

function operand(reg: string, v: Operand): string[] {
  return "imm" in v ? [] : setting(reg, v);
}

const valueOf = (v: Operand, size: number) =>
  "imm" in v ? u64(immediate(v.imm)) : "reg" in v ? u64(v.reg) : u64(BigInt(size) + v.len);

/**
 * r0 = the sum of the values read (or the number of stores, each storing r0), then r0 * 1000003 + iv after the
 * loop, so that iv's final value must have been written back; a storing loop also adds two words read back.
 */
function countedSource(c: Counted, size: number): string {
  const base = c.disp !== undefined && c.early ? "%r6" : "%r1";
  const access = c.store
    ? `${STORES[c.size]} [%r4${offset(c.off)}], %r0`
    : `${LOADS[c.size]} %r5, [%r4${offset(c.off)}]`;
  return [
    "mov %r0, 0",
    ...setting("%r3", c.start),
    ...operand("%r8", c.step),
    ...operand("%r7", c.bound),
    ...(c.disp === undefined ? [] : [`lddw %r9, ${hex(u64(c.disp))}`]),
    ...(base === "%r6" ? ["mov %r6, %r1", "add %r6, %r9"] : []),
    "loop:",
    `mov %r4, ${base}`,
    "add %r4, %r3",
    ...(c.disp === undefined || c.early ? [] : ["add %r4, %r9"]),
    access,
    c.store ? "add %r0, 1" : "add %r0, %r5",
    `add %r3, ${"imm" in c.step ? immediate(c.step.imm) : "%r8"}`,
    `jlt %r3, ${"imm" in c.bound ? immediate(c.bound.imm) : "%r7"}, loop`,
    "mul %r0, 1000003",
    "add %r0, %r3",
    ...(c.store
      ? ["ldxdw %r6, [%r1+0]", "add %r0, %r6", `ldxdw %r6, [%r1+${size - 8}]`, "mul %r6, 7", "add %r0, %r6"]
      : []),
    "exit",
  ].join("\n");
}

/** The counted loop instruction by instruction, counting them in `b` as the engines do. */
function countedRun(c: Counted, mem: Uint8Array, b: Budget): string {
  const source = countedSource(c, mem.length);
  const all = insns(source);
  const top = all.findIndex((i) => i.label === "loop");
  const latch = all.findIndex((i) => i.text.startsWith("jlt"));
  const access = all.find((i) => i.text.includes(c.store ? "stx" : "ldx"))!.index;
  const m = new Memory(mem);
  return modelled(() => {
    let r0 = 0n;
    let iv = valueOf(c.start, mem.length);
    const step = valueOf(c.step, mem.length);
    const bound = valueOf(c.bound, mem.length);
    all.slice(0, top).forEach((i) => b.tick(i.index));
    do {
      for (const i of all.slice(top, latch + 1)) {
        b.tick(i.index);
        if (i.index !== access) continue;
        const at = u64(iv + (c.disp ?? 0n) + BigInt(c.off));
        if (c.store) m.store(at, c.size, r0, access);
        else r0 = u64(r0 + m.load(at, c.size, access));
      }
      if (c.store) r0++;
      iv = u64(iv + step);
    } while (iv < bound);
    for (const i of all.slice(latch + 1)) {
      b.tick(i.index);
      if (i.text.startsWith("exit")) break;
    }
    r0 = u64(r0 * 1000003n + iv);
    if (c.store) r0 = u64(r0 + m.load(0n, 8, 0) + 7n * m.load(BigInt(mem.length - 8), 8, 0));
    return r0;
  });
}

const countedModel = (c: Counted, mem: Uint8Array, budget = 1_000_000) => countedRun(c, mem, new Budget(budget));

async function counted(
  cases: { c: Counted; mem: Uint8Array; budget?: number; opts?: RunOptions }[],
): Promise<string[]> {
  const got = await agree(
    cases.map(({ c, mem, budget, opts }) => ({ source: countedSource(c, mem.length), mem, budget, opts })),
  );
  expect(got).toEqual(cases.map(({ c, mem, budget }) => countedModel(c, mem, budget)));
  return got;
}

const imm = (v: number | bigint) => ({ imm: BigInt(v) });
const reg = (v: number | bigint) => ({ reg: BigInt(v) });
const len = (v: number | bigint) => ({ len: BigInt(v) });

describe("counted loops (ports of the Wasm engine's loop-versioning tests)", () => {
  it("reads and writes up to the end of the region and one iteration past it", async () => {
    const n = 40;
    const cases: { c: Counted; mem: Uint8Array }[] = [];
    for (const size of [1, 2, 4, 8] as const) {
      for (const step of [1, 3, 8]) {
        for (const off of [0, 5]) {
          for (const bound of [n - size - off, n - size - off + 1, n - size - off + step]) {
            for (const store of [false, true]) {
              cases.push({
                c: { size, store, off, start: imm(0), step: imm(step), bound: imm(bound) },
                mem: pattern(n),
              });
            }
          }
        }
      }
    }
    const got = await counted(cases);
    // the region's end decides: one iteration past it faults at the access, in the first trip that reaches it
    expect(got.filter((g) => g.startsWith("out-of-bounds")).length).toBeGreaterThan(15);
    expect(got.filter((g) => g.startsWith("r0")).length).toBeGreaterThan(15);
  });

  it("register bound and step, a step of 0, a start at or past the bound, a start that wraps around", async () => {
    const n = 40;
    const byte = { size: 1 as const, off: 0 };
    const got = await counted([
      { c: { ...byte, start: imm(0), step: reg(3), bound: reg(40) }, mem: pattern(n) },
      { c: { ...byte, start: imm(0), step: reg(3), bound: reg(40) }, mem: pattern(39) },
      { c: { ...byte, start: imm(2), step: reg(0), bound: reg(40) }, mem: pattern(n), budget: 1000 },
      { c: { ...byte, start: imm(39), step: imm(1), bound: reg(40) }, mem: pattern(n) },
      { c: { ...byte, start: imm(40), step: imm(1), bound: reg(40) }, mem: pattern(n) },
      { c: { ...byte, off: 8, start: imm(-8), step: imm(16), bound: reg(40) }, mem: pattern(n) },
      { c: { ...byte, start: imm(-8), step: imm(16), bound: reg(40) }, mem: pattern(n) },
      { c: { ...byte, start: reg(0xfffffffffffffff8n), step: imm(1), bound: reg(40) }, mem: pattern(n) },
    ]);
    expect(got[2]).toMatch(/^instruction budget of 1000 exhausted/);
    expect(got[4]).toMatch(/^out-of-bounds read of 1 bytes at ctx\+0x28 /);
    expect(got[7]).toMatch(/^out-of-bounds read of 1 bytes at ctx-0x8 /);
  });

  it("an address added up in 32 bits in the unchecked copy is the 64-bit sum, with operands above 2^32", async () => {
    // r4 = r1 + r3 + (2^40 + 8) + (-2^40): the last add and the `add %r4, 16` before the store make the accesses'
    // addresses; r0 adds up r4 - r1 (r3 + 24 in each trip)
    const sum = (trips: number) => BigInt(Array.from({ length: trips }, (_, k) => k + 24).reduce((a, b) => a + b, 0));
    const store = indexOf(wideOperands(8), "stxb");
    expect(
      await agree([
        { source: wideOperands(8), mem: pattern(32) },
        { source: wideOperands(8), mem: pattern(31) },
        { source: wideOperands(9), mem: pattern(40) },
        { source: wideOperands(9), mem: pattern(32) },
      ]),
    ).toEqual([r0Is(sum(8)), oob("write", 1, "ctx", 31n, store), r0Is(sum(9)), oob("write", 1, "ctx", 32n, store)]);
  });

  it("the budget runs out inside a counted loop, or just after it, at the interpreter's instruction", async () => {
    const c: Counted = { size: 1, store: true, off: 0, start: imm(0), step: imm(1), bound: reg(40) };
    const mem = new Uint8Array(40);
    const count = new Budget(Infinity);
    expect(countedRun(c, mem, count)).toMatch(/^r0 = /);
    const total = count.executed;
    // before the loop, each instruction of the first trips, the last trip, the instructions after the loop
    const budgets = [
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
      11,
      12,
      13,
      50,
      101,
      200,
      total - 9,
      total - 8,
      total - 7,
      total - 2,
      total - 1,
      total,
      total + 1,
      5000,
    ];
    const got = await counted(budgets.map((budget) => ({ c, mem, budget })));
    expect(got.filter((g) => g.startsWith("instruction budget")).length).toBe(budgets.filter((b) => b < total).length);
    expect(got[got.length - 1]).toMatch(/^r0 = /);
  });

  it("nested counted loops (a sieve) whose inner stores run past the region when n is too large", async () => {
    const cases: [number, number][] = [
      [100, 100],
      [101, 100],
      [120, 100],
      [100, 99],
      [97, 97],
      [98, 97],
    ];
    const got = await agree(cases.map(([n, size]) => ({ source: sieve(n), mem: new Uint8Array(size) })));
    expect(got).toEqual(
      cases.map(([n, size]) =>
        sieveModel(n, new Memory(new Uint8Array(size)), 0n, indexOf(sieve(n), "ldxb"), indexOf(sieve(n), "stb")),
      ),
    );
    expect(got[0]).toBe(r0Is(25n));
  });

  it("a copy between two regions, one of them the stack through a pointer", async () => {
    // r0 adds the first word read back from the stack after the loop: the stores through r2 must have reached it
    const asm = (frame: number, bound: number) => copyToStack(frame, bound, { readBack: true });
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => i * 7);
    const words = Array.from({ length: 8 }, (_, k) => new DataView(bytes.buffer).getBigUint64(8 * k, true));
    const sum = words.reduce((a, b) => u64(a + b), 0n);
    expect(
      await agree([
        { source: asm(64, 64), mem: bytes },
        { source: asm(64, 65), mem: bytes },
        { source: asm(56, 64), mem: bytes },
        { source: asm(512, 64), mem: bytes },
        { source: asm(520, 64), mem: bytes },
      ]),
    ).toEqual([
      r0Is(sum + words[0]),
      oob("read", 8, "ctx", 64n, indexOf(asm(64, 65), "ldxdw")),
      oob("write", 8, "stack", 0n, indexOf(asm(56, 64), "stxdw")),
      r0Is(sum + words[0]),
      oob("write", 8, "stack", -520n, indexOf(asm(520, 64), "stxdw")),
    ]);
  });
});

/** The sieve's flags at `origin` in `m`: the number of primes below n, or the fault. */
function sieveModel(n: number, m: Memory, origin: bigint, load: number, store: number): string {
  return modelled(() => {
    let count = 0n;
    for (let p = 2n; ; ) {
      if (m.load(origin + p, 1, load) === 0n) {
        count++;
        if (p * p < BigInt(n)) for (let q = p * p; q < BigInt(n); q += p) m.store(origin + q, 1, 1n, store);
      }
      p++;
      if (p >= BigInt(n)) break;
    }
    return count;
  });
}

describe("counted loops at the edges of 64-bit arithmetic", () => {
  const n = 64;
  const byte = { size: 1 as const, off: 0 };

  it("ivs, bases and bounds above 2^32 or wrapping around 2^64", async () => {
    const G = 1n << 32n;
    const F = 0xfffffff0n; // 2^32 - 16
    const loops: Counted[] = [
      // iv or base with a high word: its low word alone would be an address inside the input
      { ...byte, start: reg(G), step: imm(1), bound: reg(G + 16n) },
      { ...byte, start: reg(G), step: imm(1), bound: reg(G + 16n), disp: -G },
      { ...byte, start: imm(0), step: imm(1), bound: imm(16), disp: G },
      { ...byte, start: imm(0), step: imm(1), bound: imm(16), disp: G, early: true },
      { ...byte, start: imm(0), step: imm(1), bound: imm(16), disp: -G, early: true },
      { ...byte, start: imm(-16), step: imm(1), bound: imm(16), disp: G + 16n, early: true },
      { ...byte, start: imm(-16), step: imm(1), bound: imm(16), disp: 16n, early: true },
      // the iv crosses 2^32 in the loop: bounds of 0xffffffff, 2^32 and above
      { ...byte, start: reg(F), step: imm(1), bound: reg(0xffffffffn), disp: -F },
      { ...byte, start: reg(F), step: imm(1), bound: reg(G), disp: -F },
      { ...byte, start: reg(F), step: imm(3), bound: reg(G + 40n), disp: -F },
      { ...byte, start: reg(F), step: imm(3), bound: reg(G + 51n), disp: -F },
      { size: 4, off: 0, start: reg(0xffffffe0n), step: imm(4), bound: reg(G + 32n), disp: -0xffffffe0n },
      { size: 4, off: 0, start: reg(0xffffffe0n), step: imm(4), bound: reg(G + 33n), disp: -0xffffffe0n },
      // the same without the displacement: the 64-bit address is 4 GiB past the input
      { ...byte, start: reg(F), step: imm(1), bound: reg(G) },
      // a bound of 0xffffffff and of 2^32 for an iv from 0: the loop would run past the input
      { ...byte, start: imm(0), step: imm(1), bound: reg(0xffffffffn) },
      { ...byte, start: imm(0), step: imm(1), bound: reg(G) },
      // a bound of -1 as an immediate (2^64 - 1): an iv near 2^64 stops below it with a step of 1, and wraps from
      // 2^64 - 8 to 0 inside the loop with a step of 8
      { ...byte, start: reg(-16n), step: imm(1), bound: imm(-1), disp: 16n },
      { size: 8, off: 0, start: reg(-16n), step: imm(8), bound: imm(-1), disp: 16n },
      { size: 8, off: 0, start: reg(-16n), step: imm(8), bound: imm(-1), disp: 16n, early: true },
      // a start past a bound above 2^32: one trip
      { ...byte, start: reg(2n * G + 5n), step: imm(1), bound: reg(G + 5n), disp: -2n * G },
      // a step of 2^64 - 4 in a register: the iv goes down and ends the loop by wrapping below 0
      { ...byte, start: imm(8), step: reg(-4n), bound: reg(40), disp: 0n },
    ];
    const got = await counted(loops.map((c) => ({ c, mem: pattern(n) })));
    expect(got[0]).toMatch(/^out-of-bounds read of 1 bytes at ctx\+0x100000000 /);
    expect(got[1]).toMatch(/^r0 = /);
    expect(got[13]).toMatch(/^out-of-bounds read of 1 bytes at ctx\+0xfffffff0 /);
    expect(got[14]).toMatch(/^out-of-bounds read of 1 bytes at ctx\+0x40 /);
    expect(got[16]).toMatch(/^r0 = /);
    expect(got[17]).toMatch(/^out-of-bounds read of 8 bytes at ctx\+0x40 /);
  });

  it("steps of 3, 12 and 5 in a register; bounds known only at run time", async () => {
    // the start is chosen so that the last trip ends exactly at the input's end; the bounds let it run there, one
    // step short of the next trip, and one trip further (one step past the end)
    const cases: { c: Counted; mem: Uint8Array }[] = [];
    for (const [size, step] of [
      [1, imm(3)],
      [4, imm(12)],
      [8, imm(12)],
      [2, reg(5)],
      [4, reg(12)],
    ] as const) {
      const p = Number("imm" in step ? step.imm : step.reg);
      const last = n - size;
      for (const bound of [len(-size + 1), imm(last + p), reg(last + p + 1), len(-size + p + 1)]) {
        for (const store of [false, true]) {
          cases.push({ c: { size, store, off: 0, start: imm(last % p), step, bound }, mem: pattern(n, size) });
        }
      }
    }
    const got = await counted(cases);
    expect(got.filter((g) => g.startsWith("out-of-bounds")).length).toBe(20);
    expect(new Set(got).size).toBeGreaterThan(10); // the programs do differ
  });

  it("loops that look counted and are not: a moving base or bound, a conditional or 32-bit iv, signed bounds", async () => {
    const fold = "mul %r0, 1000003\nadd %r0, %r3\nexit";
    const shapes: { source: string; model(m: Memory, load: number): bigint }[] = [];
    for (const extra of [0, 1]) {
      // the base register moves as well as the iv: the reads are two bytes apart
      shapes.push({
        source: `mov %r0, 0\nmov %r6, %r1\nmov %r3, 0\nmov %r7, %r2\nrsh %r7, 1\nadd %r7, ${extra}\nloop:
          mov %r4, %r6\nadd %r4, %r3\nldxb %r5, [%r4+0]\nadd %r0, %r5\nadd %r6, 1\nadd %r3, 1\njlt %r3, %r7, loop
          sub %r6, %r1\nmul %r0, 1000003\nadd %r0, %r6\n${fold}`,
        model(m, load) {
          let [r0, k] = [0n, 0n];
          do r0 += m.load(2n * k++, 1, load);
          while (k < BigInt(m.bytes.length >> 1) + BigInt(extra));
          return u64(u64(u64(r0 * 1000003n + k) * 1000003n) + k);
        },
      });
      // the bound comes down as the iv goes up, and the reads go down from the bound
      shapes.push({
        source: `mov %r0, 0\nmov %r3, 0\nmov %r7, %r2\nadd %r7, ${extra}\nloop:
          mov %r4, %r1\nadd %r4, %r7\nldxb %r5, [%r4-1]\nmul %r0, 3\nadd %r0, %r5\nsub %r7, 1\nadd %r3, 1
          jlt %r3, %r7, loop\nmul %r0, 1000003\nadd %r0, %r7\n${fold}`,
        model(m, load) {
          let [r0, r3, r7] = [0n, 0n, BigInt(m.bytes.length + extra)];
          do {
            r0 = u64(r0 * 3n + m.load(r7 - 1n, 1, load));
            r7--;
            r3++;
          } while (r3 < r7);
          return u64(u64(r0 * 1000003n + r7) * 1000003n + r3);
        },
      });
      // the iv goes up by one or two, by the byte read
      shapes.push({
        source: `mov %r0, 0\nmov %r3, 0\nmov %r7, %r2\nadd %r7, ${2 * extra}\nloop:
          mov %r4, %r1\nadd %r4, %r3\nldxb %r5, [%r4+0]\nmul %r0, 3\nadd %r0, %r5\njset %r5, 1, +1\nadd %r3, 1
          add %r3, 1\njlt %r3, %r7, loop\n${fold}`,
        model(m, load) {
          let [r0, r3] = [0n, 0n];
          do {
            const v = m.load(r3, 1, load);
            r0 = u64(r0 * 3n + v);
            r3 += v & 1n ? 1n : 2n;
          } while (r3 < BigInt(m.bytes.length + 2 * extra));
          return u64(r0 * 1000003n + r3);
        },
      });
      // a 32-bit iv wraps from 0xfffffffc to 0 under a 64-bit bound of 2^32; the address is added up in 32 bits
      // too, and a test in the body ends the loop
      shapes.push({
        source: `mov %r0, 0\nmov32 %r3, -16\nlddw %r7, 0x100000000\nloop:\njeq %r3, ${24 + 16 * extra}, out
          mov32 %r4, %r3\nadd32 %r4, 16\nadd %r4, %r1\nldxw %r5, [%r4+0]\nadd %r0, %r5\nadd32 %r3, 4
          jlt %r3, %r7, loop\nout:\n${fold}`,
        model(m, load) {
          let [r0, r3] = [0n, 0xfffffff0n];
          while (r3 !== BigInt(24 + 16 * extra)) {
            r0 += m.load((r3 + 16n) & 0xffffffffn, 4, load);
            r3 = (r3 + 4n) & 0xffffffffn;
          }
          return u64(r0 * 1000003n + r3);
        },
      });
      // a 32-bit comparison of an iv above 2^32: its high word does not count
      shapes.push({
        source: `mov %r0, 0\nlddw %r3, 0x100000000\nlddw %r9, 0xffffffff00000000\nmov %r7, ${48 + extra}\nloop:
          mov %r4, %r1\nadd %r4, %r3\nadd %r4, %r9\nldxb %r5, [%r4+0]\nadd %r0, %r5\nadd %r3, 1
          jlt32 %r3, %r7, loop\n${fold}`,
        model(m, load) {
          let [r0, r3] = [0n, 1n << 32n];
          do r0 += m.load(r3++ - (1n << 32n), 1, load);
          while ((r3 & 0xffffffffn) < BigInt(48 + extra));
          return u64(r0 * 1000003n + r3);
        },
      });
      // a signed bound from a negative iv: unsigned, -8 is past it
      shapes.push({
        source: `mov %r0, 0\nmov %r3, -8\nmov %r7, ${40 + extra}\nloop:\nmov %r4, %r1\nadd %r4, %r3
          ldxb %r5, [%r4+8]\nadd %r0, %r5\nadd %r3, 1\njslt %r3, %r7, loop\n${fold}`,
        model(m, load) {
          let [r0, r3] = [0n, -8n];
          do r0 += m.load(8n + r3++, 1, load);
          while (r3 < BigInt(40 + extra));
          return u64(r0 * 1000003n + u64(r3));
        },
      });
    }
    const mem = pattern(48, 9);
    const got = await agree(shapes.map(({ source }) => ({ source, mem })));
    expect(got).toEqual(
      shapes.map(({ source, model }) => modelled(() => model(new Memory(mem), indexOf(source, "ldx")))),
    );
    // one iteration further, each shape faults (the third one by its data)
    expect(got.filter((g) => g.startsWith("out-of-bounds")).length).toBeGreaterThanOrEqual(5);
  });

  it("negative offsets, and offsets that take the address below the input's start", async () => {
    const cases: { c: Counted; mem: Uint8Array }[] = [];
    for (const store of [false, true]) {
      cases.push(
        { c: { size: 1, store, off: -1, start: imm(1), step: imm(1), bound: len(1) }, mem: pattern(n) },
        { c: { size: 1, store, off: -1, start: imm(1), step: imm(1), bound: len(2) }, mem: pattern(n) },
        { c: { size: 1, store, off: -1, start: imm(0), step: imm(1), bound: len(0) }, mem: pattern(n) },
        { c: { size: 8, store, off: -8, start: imm(8), step: imm(8), bound: len(1) }, mem: pattern(n) },
        { c: { size: 8, store, off: -8, start: imm(8), step: imm(8), bound: len(8) }, mem: pattern(n) },
        { c: { size: 8, store, off: -8, start: imm(8), step: imm(8), bound: len(9) }, mem: pattern(n) },
        { c: { size: 4, store, off: -4, start: imm(3), step: imm(4), bound: imm(40) }, mem: pattern(n) },
        { c: { size: 2, store, off: -3, start: imm(4), step: imm(3), bound: len(-2) }, mem: pattern(n) },
        {
          c: { size: 2, store, off: 32767, start: imm(0), step: imm(2), bound: imm(8), disp: -32767n },
          mem: pattern(n),
        },
        {
          c: { size: 4, store, off: -32768, start: imm(32768), step: imm(4), bound: imm(32768 + 64) },
          mem: pattern(n),
        },
        { c: { size: 1, store, off: 0, start: imm(0), step: imm(1), bound: imm(8), disp: -16n }, mem: pattern(n) },
        { c: { size: 1, store, off: 16, start: imm(0), step: imm(1), bound: imm(8), disp: -16n }, mem: pattern(n) },
        { c: { size: 8, store, off: 0, start: imm(-8), step: imm(8), bound: imm(56) }, mem: pattern(n) },
      );
    }
    const got = await counted(cases);
    expect(got).toContain(oob("read", 1, "ctx", -1n, indexOf(countedSource(cases[2].c, n), "ldxb")));
    expect(got).toContain(oob("write", 8, "ctx", -8n, indexOf(countedSource(cases[25].c, n), "stxdw")));
  });

  it("64-bit sums that cross 2^32 and 2^64, on both CPUs", async () => {
    const big = Uint8Array.from({ length: 256 }, (_, k) => 0xf0 | (k & 0xf));
    const cases: { c: Counted; mem: Uint8Array; opts?: RunOptions }[] = [];
    for (const opts of [undefined, A7]) {
      for (const size of [4, 8] as const) {
        cases.push({ c: { size, off: 0, start: imm(0), step: imm(size), bound: len(-size + 1) }, mem: big, opts });
        cases.push({
          c: { size, off: 0, start: imm(0), step: imm(size), bound: len(-size + 1) },
          mem: big.subarray(3),
          opts,
        });
      }
    }
    await counted(cases);
    // the input's 64 words of 32 bits add up to more than 2^32 (its 32 words of 64 bits wrap around 2^64)
    const view = new DataView(big.buffer);
    expect(
      Array.from({ length: 64 }, (_, k) => view.getUint32(4 * k, true)).reduce((a, b) => a + b, 0),
    ).toBeGreaterThan(2 ** 32);
  });
});

describe("what the loop leaves behind", () => {
  // r0 and r3-r9 change in every trip (r1 too where it is the iv) and all of r0-r9 are folded into r0 after the
  // loop, pointers relative to the input's address: a register kept elsewhere during the loop and not written back
  // shows.
  const K = 499n;
  const regs = (pointer: boolean) => `
      ldxw %r2, [%r1+0]
      lsh %r2, 3
      stxdw [%r10-8], %r1
      ${pointer ? "add %r1, 8\nadd %r2, %r1" : ""}
      mov %r0, 0
      mov %r3, 0
      lddw %r4, 0x123456789
      mov %r5, 0
      mov %r6, 1
      mov32 %r7, -1
      lddw %r8, 0xfffffffffffffff0
      mov %r9, 0
    loop:
      ${pointer ? "ldxdw %r5, [%r1+0]" : "mov %r5, %r1\nadd %r5, %r3\nldxdw %r5, [%r5+8]"}
      add %r0, %r5
      xor %r4, %r5
      mul %r6, 3
      add %r6, %r3
      sub %r7, %r5
      add32 %r8, %r5
      mov %r9, %r3
      ${pointer ? "add %r3, 1\nadd %r1, 8\njlt %r1, %r2, loop" : "add %r3, 8\njlt %r3, %r2, loop"}
      ${["%r3", "%r4", "%r5", "%r6", "%r7", "%r8", "%r9"].map((r) => `mul %r0, ${K}\nadd %r0, ${r}`).join("\n")}
      ldxdw %r9, [%r10-8]
      sub %r1, %r9
      ${pointer ? "sub %r2, %r9" : ""}
      mul %r0, ${K}
      add %r0, %r1
      mul %r0, ${K}
      add %r0, %r2
      exit`;

  function regsModel(pointer: boolean, mem: Uint8Array): string {
    const m = new Memory(mem);
    const load = indexOf(regs(pointer), "ldxdw %r5");
    return modelled(() => {
      const words = m.load(0n, 4, 0);
      let [r0, r3, r4, r5, r6, r7, r8, r9] = [0n, 0n, 0x123456789n, 0n, 1n, 0xffffffffn, u64(-16n), 0n];
      let trips = 0n;
      do {
        r5 = m.load(8n + 8n * trips, 8, load);
        r0 = u64(r0 + r5);
        r4 ^= r5;
        r6 = u64(u64(r6 * 3n) + r3);
        r7 = u64(r7 - r5);
        r8 = (r8 + r5) & 0xffffffffn;
        r9 = r3;
        r3 += pointer ? 1n : 8n;
        trips++;
      } while (trips < words);
      for (const r of [r3, r4, r5, r6, r7, r8, r9]) r0 = u64(r0 * K + r);
      const [r1, r2] = pointer ? [8n + 8n * trips, 8n + 8n * words] : [0n, 8n * words];
      return u64(u64(r0 * K + r1) * K + r2);
    });
  }

  it("every register's value after a counted loop, with an index or a pointer as the iv", async () => {
    const words = (count: number, cut = 0) => {
      const body = Uint8Array.from({ length: 8 * count }, (_, k) => (k * 89 + 200) & 0xff);
      return input(
        [
          [4, BigInt(count)],
          [4, 0n],
        ],
        body.subarray(0, body.length - cut),
      );
    };
    const runs: { pointer: boolean; mem: Uint8Array; opts?: RunOptions }[] = [];
    for (const pointer of [false, true]) {
      for (const opts of [undefined, A7]) {
        for (const mem of [words(1), words(7), words(7, 1), words(20, 8)]) runs.push({ pointer, mem, opts });
      }
    }
    const got = await agree(runs.map(({ pointer, mem, opts }) => ({ source: regs(pointer), mem, opts })));
    expect(got).toEqual(runs.map(({ pointer, mem }) => regsModel(pointer, mem)));
    expect(got[1]).toMatch(/^r0 = /);
    expect(got[2]).toMatch(/^out-of-bounds read of 8 bytes at ctx\+0x38 /);
  });

  // A loop over bytes from [r1+8] with two ways out of its middle: 0xff jumps past the loop, 0xfe to code before
  // it, which skips a byte and enters the loop again; 0xfd ends the program from inside the loop; the sum passing
  // the limit at [r1+4] also leaves it.
  const exits = `
      ldxw %r2, [%r1+0]
      ldxw %r7, [%r1+4]
      mov %r0, 0
      mov %r6, 0
      mov %r3, 0
      ja loop
    before:
      add %r6, 1
      mul %r0, 3
      add %r3, 2
    loop:
      mov %r4, %r1
      add %r4, %r3
      ldxb %r5, [%r4+8]
      jeq %r5, 0xff, out
      jeq %r5, 0xfe, before
      jne %r5, 0xfd, +2
      add %r0, %r3
      exit
      add %r0, %r5
      jgt %r0, %r7, out
      add %r3, 1
      jlt %r3, %r2, loop
    out:
      sub %r4, %r1
      mul %r0, 1000003
      add %r0, %r3
      mul %r0, 1000003
      add %r0, %r4
      mul %r0, 1000003
      add %r0, %r5
      mul %r0, 1000003
      add %r0, %r6
      exit`;

  function exitsModel(mem: Uint8Array): string {
    const m = new Memory(mem);
    const load = indexOf(exits, "ldxb");
    return modelled(() => {
      const n = m.load(0n, 4, 0);
      const limit = m.load(4n, 4, 0);
      let [r0, r3, r4, r5, r6] = [0n, 0n, 0n, 0n, 0n];
      for (;;) {
        r4 = r3;
        r5 = m.load(r3 + 8n, 1, load);
        if (r5 === 0xffn) break;
        if (r5 === 0xfen) {
          r6++;
          r0 = u64(r0 * 3n);
          r3 += 2n;
          continue;
        }
        if (r5 === 0xfdn) return u64(r0 + r3);
        r0 += r5;
        if (r0 > limit) break;
        r3++;
        if (r3 >= n) break;
      }
      for (const v of [r3, r4, r5, r6]) r0 = u64(r0 * 1000003n + v);
      return r0;
    });
  }

  it("exits from the middle of the loop body, forwards past it and backwards before it", async () => {
    const bytes = (n: number, limit: bigint, marks: [number, number][], extra = 0) => {
      const body = Uint8Array.from({ length: n + extra }, (_, k) => (k * 37 + 5) % 0xf0);
      for (const [at, v] of marks) body[at] = v;
      return input(
        [
          [4, BigInt(n)],
          [4, limit],
        ],
        body,
      );
    };
    const none = 1n << 31n;
    const mems = [
      bytes(30, none, []),
      bytes(30, none, [[11, 0xff]]),
      bytes(30, none, [[0, 0xff]]),
      bytes(30, none, [[29, 0xff]]),
      bytes(30, none, [
        [4, 0xfe],
        [17, 0xfe],
      ]),
      bytes(30, none, [
        [4, 0xfe],
        [17, 0xfe],
        [22, 0xff],
      ]),
      bytes(30, none, [[28, 0xfe]]), // skips to 30: one byte past the input
      bytes(30, none, [[28, 0xfe]], 2),
      bytes(30, none, [[27, 0xfe]]), // skips to 29, the last byte
      bytes(30, 500n, []),
      bytes(30, 500n, [[3, 0xfe]]),
      bytes(30, 0n, []),
      bytes(30, none, [[9, 0xfd]]),
      bytes(30, none, [
        [3, 0xfe],
        [9, 0xfd],
      ]),
      bytes(30, none, [[29, 0xfd]]),
    ];
    // (the first four on the other CPU too)
    const runs = [
      ...mems.map((mem) => ({ source: exits, mem })),
      ...mems.slice(0, 4).map((mem) => ({ source: exits, mem, opts: A7 })),
    ];
    const got = await agree(runs);
    expect(got).toEqual(runs.map(({ mem }) => exitsModel(mem)));
    expect(got[6]).toBe(oob("read", 1, "ctx", 38n, indexOf(exits, "ldxb")));
  });

  it("a counted loop that calls a function each trip", async () => {
    // r1-r5 do not survive a call: the loop keeps its state in r6-r9, the callee reads the input through r1
    const calls = `
        ldxw %r6, [%r1+0]
        mov %r7, %r1
        mov %r8, 0
        mov %r9, 0
      loop:
        mov %r1, %r7
        add %r1, %r8
        call local f
        add %r9, %r0
        add %r8, 1
        jlt %r8, %r6, loop
        mov %r0, %r9
        mul %r0, 1000003
        add %r0, %r8
        exit
      f:
        ldxb %r0, [%r1+8]
        mul %r0, 3
        exit`;
    const mems = [
      input(
        [
          [4, 20n],
          [4, 0n],
        ],
        pattern(20),
      ),
      input(
        [
          [4, 21n],
          [4, 0n],
        ],
        pattern(20),
      ),
    ];
    const model = (mem: Uint8Array) => {
      const m = new Memory(mem);
      return modelled(() => {
        const n = m.load(0n, 4, 0);
        let sum = 0n;
        let k = 0n;
        do sum += 3n * m.load(8n + k++, 1, indexOf(calls, "ldxb"));
        while (k < n);
        return sum * 1000003n + k;
      });
    };
    expect(await agree(mems.map((mem) => ({ source: calls, mem })))).toEqual(mems.map(model));
  });
});

describe("the stack in a loop", () => {
  it("a counted loop in a called function, over its caller's frame and its own", async () => {
    // the caller fills 64 bytes of its frame; the function copies `bound` bytes of them to the top of its own frame
    // (r10-56 up): 64 bytes reach its r10, whose address depends on how frames are laid out
    const calls = (bound: number) => `
        mov %r6, 77
        mov %r3, 0
      fill:
        mov %r4, %r10
        add %r4, -64
        add %r4, %r3
        mov %r5, %r3
        mul %r5, 0x1234567
        stxdw [%r4+0], %r5
        add %r3, 8
        jlt %r3, 64, fill
        mov %r1, %r10
        add %r1, -64
        mov %r2, ${bound}
        call local f
        mul %r0, 1000003
        add %r0, %r6
        exit
      f:
        mov %r0, 0
        mov %r3, 0
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxdw %r5, [%r4+0]
        mov %r4, %r10
        add %r4, -56
        add %r4, %r3
        stxdw [%r4+0], %r5
        mul %r0, 3
        add %r0, %r5
        add %r3, 8
        jlt %r3, %r2, loop
        ldxdw %r5, [%r10-56]
        add %r0, %r5
        exit`;
    const model = (bound: number) =>
      modelled(() => {
        let r0 = 0n;
        let k = 0n;
        do {
          if (k >= 56n)
            throw new Outcome(
              `out-of-bounds write of 8 bytes at FRAME (instruction ${indexOf(calls(bound), "stxdw", "loop")})`,
            );
          r0 = u64(r0 * 3n + u64(k * 0x1234567n));
          k += 8n;
        } while (k < BigInt(bound));
        return u64(r0 * 1000003n + 77n); // (the word at r10-56 is the first one copied: 0)
      });
    const bounds = [8, 48, 56, 64];
    const got = await agree(
      bounds.flatMap((b) => [undefined, A7].map((opts) => ({ source: calls(b), mem: new Uint8Array(8), opts }))),
    );
    expect(got.map((g) => g.replace(/ at stack\+0x[0-9a-f]+ /, " at FRAME "))).toEqual(
      bounds.flatMap((b) => [model(b), model(b)]),
    );
    expect(got[6]).toMatch(/^out-of-bounds write of 8 bytes at stack\+0x[0-9a-f]+ /);
  });

  // A loop fills a span of the stack through a pointer while it keeps a running sum at r10-8 (constant offsets
  // from r10, in the same loop, which also reads the frame's lowest byte); a second loop reads the span back. The
  // span may cover the sum's slot, start at the frame's bottom, or reach past either end of the 512-byte frame.
  const stack = (start: number, bound: number) => `
      mov %r0, 0
      stdw [%r10-8], 0
      mov %r2, %r10
      add %r2, ${start}
      mov %r3, 0
    fill:
      mov %r4, %r2
      add %r4, %r3
      stxw [%r4+0], %r3
      ldxdw %r5, [%r10-8]
      add %r5, %r3
      stxdw [%r10-8], %r5
      ldxb %r6, [%r10-512]
      add %r3, 4
      jlt %r3, ${bound}, fill
      mov %r3, 0
    sum:
      mov %r4, %r2
      add %r4, %r3
      ldxw %r5, [%r4+0]
      mul %r0, 3
      add %r0, %r5
      add %r3, 4
      jlt %r3, ${bound}, sum
      ldxdw %r5, [%r10-8]
      mul %r0, 1000003
      add %r0, %r5
      exit`;

  function stackModel(start: number, bound: number): string {
    const source = stack(start, bound);
    // the frame: offsets -512 .. -1 from r10
    const m = new Memory(new Uint8Array(512), "stack", -512n);
    const [store, load] = [indexOf(source, "stxw [%r4+0]"), indexOf(source, "ldxw %r5")];
    return modelled(() => {
      m.store(-8n, 8, 0n, 0);
      const span = BigInt(start);
      let r3 = 0n;
      do {
        m.store(span + r3, 4, r3, store);
        m.store(-8n, 8, u64(m.load(-8n, 8, 0) + r3), 0);
        r3 += 4n;
      } while (r3 < BigInt(bound));
      let r0 = 0n;
      r3 = 0n;
      do {
        r0 = u64(r0 * 3n + m.load(span + r3, 4, load));
        r3 += 4n;
      } while (r3 < BigInt(bound));
      return u64(r0 * 1000003n + m.load(-8n, 8, 0));
    });
  }

  it("through r10 with constant offsets and through a pointer into the stack", async () => {
    const cases: [number, number][] = [
      [-256, 248],
      [-256, 256],
      [-512, 512],
      [-512, 516],
      [-516, 8],
      [-4, 8],
      [-12, 8],
      [-64, 60],
      [-500, 100],
    ];
    const runs: { start: number; bound: number; opts?: RunOptions }[] = [
      ...cases.map(([start, bound]) => ({ start, bound })),
      ...cases.slice(1, 4).map(([start, bound]) => ({ start, bound, opts: A7 })),
    ];
    const got = await agree(
      runs.map(({ start, bound, opts }) => ({ source: stack(start, bound), mem: new Uint8Array(8), opts })),
    );
    expect(got).toEqual(runs.map(({ start, bound }) => stackModel(start, bound)));
    expect(got[3]).toBe(oob("write", 4, "stack", 0n, indexOf(stack(-512, 516), "stxw [%r4+0]")));
    expect(got[4]).toBe(oob("write", 4, "stack", -516n, indexOf(stack(-516, 8), "stxw [%r4+0]")));
  });
});

// ---- the benchmark kernels and a loop three deep ----

const kernel = (name: string) => readFileSync(join(root, "bench", "kernels", `${name}.s`), "utf8");

/** The CRC-32 register after `bytes`, bit by bit, before the final inversion. */
function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return crc >>> 0;
}

// CRC-32 over the bytes `rounds` times over: a round loop, a byte loop, a bit loop, each counted.
const crcRounds = `
    ldxw %r2, [%r1+0]
    ldxw %r8, [%r1+4]
    add %r1, 8
    mov32 %r0, -1
    mov %r9, 0
  round:
    mov %r7, 0
    jge %r7, %r2, next
  byte:
    mov %r4, %r1
    add %r4, %r7
    ldxb %r4, [%r4+0]
    xor32 %r0, %r4
    mov %r5, 0
  bit:
    mov32 %r6, %r0
    and32 %r6, 1
    neg32 %r6
    and32 %r6, 0xedb88320
    rsh32 %r0, 1
    xor32 %r0, %r6
    add %r5, 1
    jlt %r5, 8, bit
    add %r7, 1
    jlt %r7, %r2, byte
  next:
    add %r9, 1
    jlt %r9, %r8, round
    xor32 %r0, -1
    exit`;

function crcRoundsModel(mem: Uint8Array): string {
  const m = new Memory(mem);
  return modelled(() => {
    const [n, rounds] = [Number(m.load(0n, 4, 0)), Number(m.load(4n, 4, 0))];
    let crc = 0xffffffff;
    for (let r = 0; r < Math.max(rounds, 1); r++) {
      for (let k = 0; k < n; k++)
        crc = crc32(Uint8Array.of(Number(m.load(8n + BigInt(k), 1, indexOf(crcRounds, "ldxb")))), crc);
    }
    return BigInt((crc ^ 0xffffffff) >>> 0);
  });
}

function memcpyModel(mem: Uint8Array, source: string): string {
  const m = new Memory(mem);
  const [load, store] = [indexOf(source, "ldxdw"), indexOf(source, "stxdw")];
  const overlapping = source.includes("add %r4, 8\nstxdw");
  return modelled(() => {
    const [n, rounds] = [m.load(0n, 4, 0), m.load(4n, 4, 0)];
    let r0 = 0n;
    if (rounds === 0n || n === 0n) return 0n;
    for (let r = 0n; r < rounds; r++) {
      let k = 0n;
      do {
        const w = m.load(8n + k, 8, load);
        m.store(8n + k + (overlapping ? 8n : n), 8, w, store);
        r0 = u64(r0 + w);
        k += 8n;
      } while (k < n);
    }
    return r0;
  });
}

describe("benchmark kernels with their last access at the input's end and one byte past it", () => {
  it("sieve", async () => {
    const source = kernel("sieve");
    const [load, store] = [indexOf(source, "ldxb"), indexOf(source, "stb")];
    const mem = (n: number, size = n) =>
      input(
        [
          [4, BigInt(n)],
          [4, 0n],
        ],
        new Uint8Array(size),
      );
    const mems = [mem(2), mem(3), mem(100), mem(100, 99), mem(101, 100), mem(49), mem(49, 48), mem(50, 49), mem(1000)];
    const model = (m: Uint8Array) => {
      const n = new DataView(m.buffer).getUint32(0, true);
      return n <= 2 ? r0Is(0n) : sieveModel(n, new Memory(m), 8n, load, store);
    };
    const got = await agree(
      mems.flatMap((m) => [
        { source, mem: m },
        { source, mem: m, opts: A7 },
      ]),
    );
    expect(got).toEqual(mems.flatMap((m) => [model(m), model(m)]));
    expect(got[4]).toBe(r0Is(25n));
    expect(got[16]).toBe(r0Is(168n));
  });

  it("memcpy, into a separate span and onto itself shifted by 8 bytes", async () => {
    const copy = kernel("memcpy");
    const overlapping = copy.replace("add %r4, %r2\nstxdw", "add %r4, 8\nstxdw");
    expect(overlapping).not.toBe(copy);
    const mem = (n: number, rounds: number, size: number) =>
      input(
        [
          [4, BigInt(n)],
          [4, BigInt(rounds)],
        ],
        pattern(size, n),
      );
    const runs: Run[] = [];
    for (const opts of [undefined, A7]) {
      for (const [n, rounds, size] of [
        [64, 1, 128],
        [64, 3, 128],
        [64, 1, 127],
        [64, 1, 121],
        [8, 2, 16],
        [8, 1, 15],
        [64, 0, 128],
        [0, 2, 8],
      ]) {
        runs.push({ source: copy, mem: mem(n, rounds, size), opts });
      }
      for (const [n, rounds, size] of [
        [64, 1, 72],
        [64, 2, 72],
        [64, 1, 71],
        [56, 1, 72],
      ]) {
        runs.push({ source: overlapping, mem: mem(n, rounds, size), opts });
      }
    }
    const got = await agree(runs);
    expect(got).toEqual(runs.map((r) => memcpyModel(r.mem, r.source)));
    expect(got[2]).toBe(oob("write", 8, "ctx", 128n, indexOf(copy, "stxdw")));
  });

  it("crc32, and crc32 in rounds: a loop inside a loop inside a loop", async () => {
    const source = kernel("crc32");
    const data = pattern(40, 3);
    const runs: Run[] = [];
    const models: string[] = [];
    for (const opts of [undefined, A7]) {
      for (const [n, size] of [
        [40, 40],
        [41, 40],
        [1, 1],
        [0, 0],
        [40, 39],
      ]) {
        const mem = input(
          [
            [4, BigInt(n)],
            [4, 0n],
          ],
          data.subarray(0, size),
        );
        runs.push({ source, mem, opts });
        models.push(
          n > size
            ? oob("read", 1, "ctx", BigInt(8 + size), indexOf(source, "ldxb"))
            : r0Is(BigInt(crc32(data.subarray(0, n)) ^ 0xffffffff) & 0xffffffffn),
        );
      }
      for (const [n, rounds, size] of [
        [40, 3, 40],
        [41, 2, 40],
        [5, 1, 5],
        [0, 4, 0],
        [7, 0, 7],
      ]) {
        const mem = input(
          [
            [4, BigInt(n)],
            [4, BigInt(rounds)],
          ],
          data.subarray(0, size),
        );
        runs.push({ source: crcRounds, mem, opts });
        models.push(crcRoundsModel(mem));
      }
    }
    const got = await agree(runs);
    expect(got).toEqual(models);
    // three rounds over 40 bytes is one CRC over 120
    const thrice = Uint8Array.from({ length: 120 }, (_, k) => data[k % 40]);
    expect(got[5]).toBe(r0Is(BigInt((crc32(thrice) ^ 0xffffffff) >>> 0)));
  });
});

describe("the budget running out inside nested loops", () => {
  // The interpreter's instruction index for each budget, around and inside every loop level; with a budget that
  // lasts, the model's result. `spread` picks budgets all over the run and each one near its end.
  function spread(total: number, every: number): number[] {
    const out = new Set<number>();
    for (let b = 1; b < total; b += every) out.add(b);
    for (const b of [2, 3, 4, 5, 6, 7, 8, total - 3, total - 2, total - 1, total, total + 1]) if (b >= 1) out.add(b);
    return [...out].sort((a, b) => a - b);
  }

  function executed(source: string, mem: Uint8Array): number {
    const rt = new Runtime({ budget: 1_000_000 });
    return rt.run(rt.addProgram("program", assemble(source)), { ctx: { bytes: mem.slice() } }).executed;
  }

  async function budgets(source: string, mem: Uint8Array, every: number, want: string): Promise<void> {
    const total = executed(source, mem);
    const list = spread(total, every);
    const got = await agree(list.map((budget) => ({ source, mem, budget })));
    list.forEach((budget, k) => {
      if (budget >= total) expect(got[k]).toBe(want);
      else expect(got[k]).toMatch(new RegExp(`^instruction budget of ${budget} exhausted \\(instruction \\d+\\)$`));
    });
    // the faults name instructions all over the loops, not one place
    expect(new Set(got.map((g) => /\(instruction (\d+)\)/.exec(g)?.[1])).size).toBeGreaterThan(8);
  }

  it("crc32 in rounds (three levels)", async () => {
    const mem = input(
      [
        [4, 3n],
        [4, 2n],
      ],
      pattern(3, 5),
    );
    await budgets(crcRounds, mem, 13, crcRoundsModel(mem));
  });

  it("the sieve kernel (two levels)", async () => {
    const source = kernel("sieve");
    const mem = input(
      [
        [4, 30n],
        [4, 0n],
      ],
      new Uint8Array(30),
    );
    await budgets(source, mem, 11, r0Is(10n));
  });

  it("memcpy in rounds (two levels), on both CPUs", async () => {
    const source = kernel("memcpy");
    const mem = input(
      [
        [4, 32n],
        [4, 3n],
      ],
      pattern(64, 2),
    );
    const total = executed(source, mem);
    const list = spread(total, 13);
    const got = await agree(list.flatMap((budget) => [undefined, A7].map((opts) => ({ source, mem, budget, opts }))));
    expect(got.filter((g, k) => k % 2 === 0)).toEqual(got.filter((g, k) => k % 2 === 1));
    expect(got[got.length - 1]).toBe(memcpyModel(mem, source));
    expect(got.filter((g) => g.startsWith("instruction budget")).length).toBe(2 * list.filter((b) => b < total).length);
  });
});

// A table lookup in a counted loop: the index is a byte, or a value masked by AND, shifted by constants, added to a
// base the loop does not move (CRC-32's `table[(crc ^ b) & 255]`). loops.ts plans such an access with the index's
// range, [base, base + T + size), so the copy reads the table unchecked. The table here is the input's tail: it
// ends exactly where the input does, or one byte short of the largest index, which then faults (or not, when no
// data byte reaches that index) at the interpreter's instruction.
describe("table lookups by a bounded index in a counted loop", () => {
  const DATA = 64;
  /** r0 = sum over the DATA input bytes b of the 32-bit word at DATA + ((b >> shift) & mask) * 4, plus iv. */
  const lookup = (mask: number, shift: number, store: boolean) => `
        mov %r0, 0
        mov %r3, 0
        mov %r6, %r1
        add %r6, ${DATA}
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxb %r5, [%r4+0]
        rsh %r5, ${shift}
        and %r5, ${mask}
        lsh %r5, 2
        mov %r7, %r6
        add %r7, %r5
        ldxw %r8, [%r7+0]
        ${store ? "add %r8, 1\n        stxw [%r7+0], %r8" : ""}
        add %r0, %r8
        add %r0, %r3
        add %r3, 1
        jlt %r3, ${DATA}, loop
        exit`;
  /** The same, modelled: the final r0, or the read's (or write's) fault. */
  function model(mem: Uint8Array, mask: number, shift: number, store: boolean): string {
    const bytes = mem.slice();
    const view = new DataView(bytes.buffer);
    const load = indexOf(lookup(mask, shift, store), "ldxw");
    return modelled(() => {
      let r0 = 0n;
      for (let i = 0; i < DATA; i++) {
        const at = DATA + ((bytes[i] >> shift) & mask) * 4;
        if (at + 4 > bytes.length) throw new Outcome(oob("read", 4, "ctx", BigInt(at), load));
        let w = BigInt(view.getUint32(at, true));
        if (store) (view.setUint32(at, Number((w + 1n) & 0xffffffffn), true), (w = (w + 1n) & M64));
        r0 = u64(r0 + w + BigInt(i));
      }
      return r0;
    });
  }
  const M64 = (1n << 64n) - 1n;
  /** Data bytes below `top`, the last one top - 1, and a table. */
  function input(tableBytes: number, top: number): Uint8Array {
    const mem = new Uint8Array(DATA + tableBytes);
    for (let i = 0; i < DATA; i++) mem[i] = (i * 37 + 11) % top;
    mem[DATA - 1] = top - 1; // the largest index, in the last trip
    for (let i = DATA; i < mem.length; i++) mem[i] = (i * 151 + 7) & 255;
    return mem;
  }

  it("byte indexes, masked and shifted, with the table ending at the input's end or one byte short", async () => {
    const runs: Run[] = [];
    const expected: string[] = [];
    for (const [mask, shift] of [
      [255, 0],
      [15, 0],
      [15, 4],
      [63, 2],
    ]) {
      const entries = Math.min(mask, 255 >> shift) + 1;
      for (const store of [false, true])
        for (const [tableBytes, top] of [
          [4 * entries, 256],
          [4 * entries - 1, 256],
          [4 * entries - 1, (entries - 1) << shift], // the last entry never read: no fault, checked code
        ]) {
          const mem = input(tableBytes, top);
          runs.push({ source: lookup(mask, shift, store), mem });
          expected.push(model(mem, mask, shift, store));
        }
    }
    const got = await agree(runs);
    expect(got).toEqual(expected);
    expect(got.filter((g) => g.startsWith("out-of-bounds")).length).toBe(8);
  });

  it("the budget running out inside the copy of a table loop", async () => {
    const runs: Run[] = [];
    for (const budget of [30, 31, 37, 100, 333])
      runs.push({ source: lookup(255, 0, true), mem: input(1024, 256), budget });
    const got = await agree(runs);
    expect(got.every((g) => g.startsWith("instruction budget of"))).toBe(true);
  });
});

// A pointer bumped next to a counter (murmur3's `p += 4` under `i < n`, a matrix column moving by a row's length in
// a register): loops.ts plans accesses through it with its step, and the test on entry covers (trips - 1) * K
// bytes past the first address, K the steps summed. The last access ends exactly at the input's end, or one byte
// past it, which faults in the last trip at the interpreter's instruction.
describe("other induction variables: a pointer stepped next to the counter", () => {
  const SIZES = { b: 1, h: 2, w: 4, dw: 8 } as const;
  type Size = keyof typeof SIZES;
  interface Bump {
    step: number | bigint; // a constant, or (a bigint) a value in r8
    off: number;
    size: Size;
    trips: number;
    withIv: boolean; // the address adds the counter too
    store: boolean;
  }
  const source = (b: Bump) => `
        mov %r0, 0
        mov %r3, 0
        mov %r6, %r1
        ${typeof b.step === "bigint" ? `lddw %r8, ${b.step}` : ""}
      loop:
        mov %r4, %r6
        ${b.withIv ? "add %r4, %r3" : ""}
        ldx${b.size} %r5, [%r4+${b.off}]
        ${b.store ? `add %r5, 1\n        stx${b.size} [%r4+${b.off}], %r5` : ""}
        add %r0, %r5
        add %r6, ${typeof b.step === "bigint" ? "%r8" : b.step}
        add %r3, 1
        jlt %r3, ${b.trips}, loop
        exit`;
  function model(b: Bump, mem: Uint8Array): string {
    const bytes = mem.slice();
    const size = SIZES[b.size];
    const load = indexOf(source(b), "ldx");
    return modelled(() => {
      let r0 = 0n;
      for (let t = 0n; t < BigInt(b.trips); t++) {
        const at = u64(t * BigInt(b.step) + (b.withIv ? t : 0n) + BigInt(b.off));
        if (at + BigInt(size) > BigInt(bytes.length))
          throw new Outcome(oob("read", size, "ctx", BigInt.asIntN(64, at), load));
        let v = 0n;
        for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[Number(at) + k]);
        if (b.store) {
          v = u64(v + 1n);
          for (let k = 0; k < size; k++) bytes[Number(at) + k] = Number((v >> BigInt(8 * k)) & 0xffn);
        }
        r0 = u64(r0 + v);
      }
      return r0;
    });
  }
  /** The input's length that the last access ends at (exact) or one byte short of it. */
  const lengthFor = (b: Bump, short: boolean) =>
    (b.trips - 1) * (Number(b.step) + (b.withIv ? 1 : 0)) + b.off + SIZES[b.size] - (short ? 1 : 0);

  it("constant and register steps, with and without the counter in the address, loads and stores", async () => {
    const cases: Bump[] = [];
    for (const size of ["b", "h", "w", "dw"] as const)
      for (const step of [4, 12, 7n, 32n])
        for (const withIv of [false, true])
          for (const store of [false, true])
            cases.push({ step, off: size === "b" ? 3 : 0, size, trips: 9, withIv, store });
    const runs: Run[] = [];
    const expected: string[] = [];
    for (const b of cases)
      for (const short of [false, true]) {
        const mem = pattern(lengthFor(b, short));
        runs.push({ source: source(b), mem });
        expected.push(model(b, mem));
      }
    const got = await agree(runs);
    expect(got).toEqual(expected);
    expect(got.filter((g) => g.startsWith("out-of-bounds")).length).toBe(cases.length);
  });

  it("a step register above 2^32, one trip, no trips past the first, and the budget running out in the copy", async () => {
    const runs: Run[] = [];
    const expected: string[] = [];
    const add = (b: Bump, length: number, budget?: number) => {
      const mem = pattern(length);
      runs.push({ source: source(b), mem, budget });
      if (budget === undefined) expected.push(model(b, mem));
    };
    add({ step: (1n << 32n) + 4n, off: 0, size: "w", trips: 3, withIv: false, store: false }, 64);
    add({ step: 4, off: 0, size: "w", trips: 1, withIv: true, store: true }, 4);
    add({ step: 4, off: 0, size: "w", trips: 1, withIv: true, store: true }, 3);
    const got = await agree(runs);
    expect(got).toEqual(expected);
    expect(got[0]).toMatch(/^out-of-bounds read of 4 bytes at ctx\+0x100000004 /);
    const budgets = [20, 21, 45, 46, 47];
    const spent = await agree(
      budgets.map((budget) => ({
        source: source({ step: 8, off: 0, size: "dw", trips: 50, withIv: false, store: true }),
        mem: pattern(400),
        budget,
      })),
    );
    expect(spent.every((g) => g.startsWith("instruction budget of"))).toBe(true);
  });
});

// Counting down: `add n, -1` and `jne n, 0` (or `jgt n, 0`) as the back edge, with a pointer stepped up (fletcher32)
// or down (an insertion sort's shifting loop). The test on entry takes n0 - 1 trips after the first (n0 = 0 wraps
// around: the ordinary code) and, for a pointer moving down, the range below the first address. The accesses reach
// the input's last byte or its first, or one byte past either.
describe("counted loops that count down", () => {
  interface Down {
    n: bigint; // the counter's start
    step: number; // the pointer's step, either sign
    start: number; // the pointer's first offset in the input
    size: 1 | 4;
    jump: "jne" | "jgt";
    store: boolean;
  }
  const source = (d: Down) => `
        mov %r0, 0
        lddw %r9, ${d.n}
        mov %r6, %r1
        add %r6, ${d.start}
      loop:
        ldx${d.size === 1 ? "b" : "w"} %r5, [%r6+0]
        ${d.store ? `add %r5, %r9\n        stx${d.size === 1 ? "b" : "w"} [%r6+0], %r5` : ""}
        add %r0, %r5
        add %r6, ${d.step}
        add %r9, -1
        ${d.jump} %r9, 0, loop
        exit`;
  function model(d: Down, mem: Uint8Array, budget: number): string {
    const bytes = mem.slice();
    const load = indexOf(source(d), "ldx");
    const insns = d.store ? 7 : 5; // per trip
    return modelled(() => {
      let r0 = 0n;
      let n = d.n;
      let at = BigInt(d.start);
      let executed = 4; // mov, lddw (one instruction), mov, add
      for (;;) {
        if (executed + insns > budget) {
          // the budget runs out within this trip: at the load when nothing of it fits (no load ran)
          if (executed === budget) throw new Outcome(`instruction budget of ${budget} exhausted (instruction ${load})`);
          throw new Outcome("budget");
        }
        if (at < 0n || at + BigInt(d.size) > BigInt(bytes.length))
          throw new Outcome(oob("read", d.size, "ctx", at, load));
        let v = 0n;
        for (let k = d.size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[Number(at) + k]);
        if (d.store) {
          v = u64(v + n);
          for (let k = 0; k < d.size; k++) bytes[Number(at) + k] = Number((v >> BigInt(8 * k)) & 0xffn);
        }
        r0 = u64(r0 + v);
        at += BigInt(d.step);
        n = u64(n - 1n);
        executed += insns;
        if (n !== 0n) continue;
        if (executed === budget)
          throw new Outcome(`instruction budget of ${budget} exhausted (instruction ${indexOf(source(d), "exit")})`);
        return r0;
      }
    });
  }

  it("a pointer stepped up or down, ending at the input's last or first byte, or one byte past it", async () => {
    const runs: Run[] = [];
    const expected: string[] = [];
    for (const size of [1, 4] as const)
      for (const step of [size, -size, 2 * size + 1, -(2 * size + 1)])
        for (const n of [1n, 2n, 13n])
          for (const jump of ["jne", "jgt"] as const)
            for (const short of [false, true]) {
              const store = n !== 2n;
              const reach = Number(n - 1n) * Math.abs(step); // from the first access to the last
              const d: Down =
                step > 0
                  ? { n, step, start: 0, size, jump, store }
                  : { n, step, start: reach - (short ? 1 : 0), size, jump, store };
              const mem = pattern(step > 0 ? reach + size - (short ? 1 : 0) : reach + size + 2);
              runs.push({ source: source(d), mem });
              expected.push(model(d, mem, 1_000_000));
            }
    const got = await agree(runs);
    expect(got).toEqual(expected);
    expect(got.filter((g) => g.startsWith("out-of-bounds")).length).toBe(runs.length / 2);
  });

  it("a counter starting at 0 or above 2^32, and the budget running out in the copy", async () => {
    const d = (n: bigint): Down => ({ n, step: 1, start: 0, size: 1, jump: "jne", store: true });
    const runs: Run[] = [
      { source: source(d(0n)), mem: pattern(64) }, // wraps around: the pointer leaves the input after 64 trips
      { source: source(d((1n << 32n) + 3n)), mem: pattern(64) },
      { source: source(d(40n)), mem: pattern(64), budget: 4 },
      { source: source(d(40n)), mem: pattern(64), budget: 5 },
      { source: source(d(40n)), mem: pattern(64), budget: 4 + 7 * 39 },
      { source: source(d(40n)), mem: pattern(64), budget: 4 + 7 * 40 },
      { source: source(d(40n)), mem: pattern(64), budget: 4 + 7 * 40 + 1 },
    ];
    const got = await agree(runs);
    expect(got[0]).toBe(model(d(0n), pattern(64), 1_000_000));
    expect(got[0]).toMatch(/^out-of-bounds read of 1 bytes at ctx\+0x40 /);
    expect(got[1]).toMatch(/^out-of-bounds read of 1 bytes at ctx\+0x40 /);
    expect(got[2]).toBe(model(d(40n), pattern(64), 4));
    expect(got[4]).toBe(model(d(40n), pattern(64), 4 + 7 * 39));
    expect(got[5]).toBe(model(d(40n), pattern(64), 4 + 7 * 40));
    expect(got[6]).toBe(model(d(40n), pattern(64), 4 + 7 * 40 + 1));
    expect(got[6]).toMatch(/^r0 = /);
  });
});

// Exit tests on a value derived from the index, as clang's rotated loops have them (`i + 3 < len`, a limit kept on
// the stack, the test as a jump out over a closing `ja`), in each signedness and operand order: the translator runs
// an unchecked copy when the whole range fits. Each program runs with its last access at the input's end and with
// an input one byte short of it, where the same load must fault at the same instruction.
describe("exit tests on a value derived from the index", () => {
  function holds(back: string, a: bigint, b: bigint): boolean {
    const signed = back.startsWith("js");
    const bits = back.endsWith("32") ? 32 : 64;
    const [x, y] = [a, b].map((v) => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v)));
    switch (back.replace("js", "j").replace(/32$/, "")) {
      case "jlt":
        return x < y;
      case "jle":
        return x <= y;
      case "jgt":
        return x > y;
      case "jge":
        return x >= y;
      case "jne":
        return x !== y;
      case "jeq":
        return x === y;
    }
    throw new Error(back);
  }

  function model(d: Derived, mem: Uint8Array): string {
    const t = DERIVED_TESTS[d.test];
    const m = new Memory(mem);
    const load = indexOf(derivedExit(d), "ldx");
    return modelled(() => {
      let r0 = 0n;
      let r3 = u64(d.start);
      let r4 = r3;
      for (;;) {
        r0 = u64(r0 + m.load(u64(r4 + BigInt(d.off)), d.size, load));
        r3 = u64(r3 + BigInt(d.step));
        const r8 = u64(r4 + BigInt(d.c));
        r4 = r3;
        const [a, b] = t.rev ? [u64(d.b), r8] : [r8, u64(d.b)];
        if (holds(t.back, a, b) === t.ja) break;
      }
      return u64(r0 * 1000003n + r4 + (d.bound === "slot" ? r0 : 0n));
    });
  }

  /** The shortest input the loop runs over without a fault: its last access ends at the input's last byte. */
  function exactLength(d: Derived): number {
    for (let n = 1; n < 1000; n++) if (model(d, pattern(n)).startsWith("r0")) return n;
    throw new Error(`${derivedExit(d)}: faults on every input`);
  }

  it("each test, bound and shape, ending at the input's last byte or one byte past it", async () => {
    const runs: Run[] = [];
    const expected: string[] = [];
    for (const d of DERIVED_PROGRAMS) {
      const n = exactLength(d);
      for (const size of [n, n - 1]) {
        const mem = pattern(size);
        runs.push({ source: derivedExit(d), mem });
        expected.push(model(d, mem));
      }
    }
    const got = await agree(runs);
    expect(got).toEqual(expected);
    expect(got.filter((g) => g.startsWith("out-of-bounds read")).length).toBe(DERIVED_PROGRAMS.length);
  });

  it("the budget running out in the copy, and a != test that starts past its bound", async () => {
    const d: Derived = { ...DERIVED_SHAPES[1], test: "ja-jgt", bound: "slot", b: 200n };
    const spent = await agree(
      [9, 10, 11, 18, 19, 20, 40, 41, 42].map((budget) => ({ source: derivedExit(d), mem: pattern(256), budget })),
    );
    expect(spent.every((g) => g.startsWith("instruction budget of"))).toBe(true);
    // r8 = r4 + 4 starts above B = 2: != never holds false, the index runs off the input's end
    const past: Derived = { ...DERIVED_UNIT_SHAPES[0], test: "jne", bound: "reg", b: 2n };
    const [got] = await agree([{ source: derivedExit(past), mem: pattern(64) }]);
    expect(got).toBe(model(past, pattern(64)));
    expect(got).toMatch(/^out-of-bounds read of 2 bytes at ctx\+0x3f /);
  });
});

// The test on entry first tries each range against the window of the last memory check that passed (the one-entry
// region cache), then searches the regions. Here the code before the loop leaves the input's window there (a read,
// a write, both), the stack's (through a pointer), or nothing; the loop's words run to the input's last byte or one past
// it, reading and writing: the window must neither let a range past the input's end through nor turn one away.
describe("the test on entry through the last check's window", () => {
  type Warm = "none" | "read" | "write" | "both" | "stack";
  const source = (warm: Warm, bound: number) => `
        mov %r0, 0
        ${warm === "read" || warm === "both" ? "ldxb %r0, [%r1+3]" : ""}
        ${warm === "write" || warm === "both" ? "stb [%r1+0], 9" : ""}
        ${warm === "stack" ? "mov %r9, %r10\n        add %r9, -64\n        stxdw [%r9+0], %r0\n        ldxdw %r0, [%r9+0]" : ""}
        mov %r3, 0
      loop:
        mov %r5, %r1
        add %r5, %r3
        ldxw %r6, [%r5+2]
        add %r6, %r3
        stxw [%r5+2], %r6
        add %r0, %r6
        add %r3, 4
        jlt %r3, ${bound}, loop
        ldxw %r6, [%r1+2]
        add %r0, %r6
        exit`;
  function model(warm: Warm, bound: number, mem: Uint8Array): string {
    const m = new Memory(mem);
    const src = source(warm, bound);
    return modelled(() => {
      let r0 = 0n;
      if (warm === "read" || warm === "both") r0 = m.load(3n, 1, indexOf(src, "ldxb"));
      if (warm === "write" || warm === "both") m.store(0n, 1, 9n, indexOf(src, "stb"));
      for (let i = 0n; ; ) {
        const v = u64(m.load(i + 2n, 4, indexOf(src, "ldxw")) + i) & 0xffffffffn;
        m.store(i + 2n, 4, v, indexOf(src, "stxw"));
        r0 = u64(r0 + v);
        i += 4n;
        if (!(i < BigInt(bound))) break;
      }
      return u64(
        r0 +
          m.load(
            2n,
            4,
            insns(src)
              .filter((i) => i.text.startsWith("ldxw"))
              .at(-1)!.index,
          ),
      );
    });
  }

  it("a window left by a read, a write, the stack or nothing; ranges ending at the input's end or one byte past", async () => {
    const runs: Run[] = [];
    const expected: string[] = [];
    for (const warm of ["none", "read", "write", "both", "stack"] as const)
      for (const bound of [4, 28, 64])
        for (const short of [false, true]) {
          const mem = pattern(bound + 2 - (short ? 1 : 0)); // the last word ends at bound + 2
          runs.push({ source: source(warm, bound), mem });
          expected.push(model(warm, bound, mem));
        }
    const got = await agree(runs);
    expect(got).toEqual(expected);
    expect(got.filter((g) => g.startsWith("out-of-bounds read of 4 bytes")).length).toBe(runs.length / 2);
  });
});

// The test on entry leaves the window it found for the checks after it (the same one-entry cache): a read or a
// write of 8 bytes after the loop, ending at the input's last byte or one byte past it, is checked against it.
describe("the window the test on entry found, for the checks after the loop", () => {
  const source = (store: boolean, bound: number, after: number) => `
        mov %r0, 0
        mov %r3, 0
      loop:
        mov %r5, %r1
        add %r5, %r3
        ${store ? "stb [%r5+0], 7" : "ldxb %r6, [%r5+0]\n        add %r0, %r6"}
        add %r3, 1
        jlt %r3, ${bound}, loop
        ${store ? `stdw [%r1+${after}], 5` : `ldxdw %r6, [%r1+${after}]\n        add %r0, %r6`}
        exit`;
  function model(store: boolean, bound: number, after: number, mem: Uint8Array): string {
    const m = new Memory(mem);
    const src = source(store, bound, after);
    const last = insns(src).filter((i) => /^(ldxdw|stdw)/.test(i.text))[0].index;
    return modelled(() => {
      let r0 = 0n;
      for (let i = 0n; i < BigInt(bound); i++) {
        if (store) m.store(i, 1, 7n, indexOf(src, "stb"));
        else r0 = u64(r0 + m.load(i, 1, indexOf(src, "ldxb")));
      }
      if (store) m.store(BigInt(after), 8, 5n, last);
      else r0 = u64(r0 + m.load(BigInt(after), 8, last));
      return r0;
    });
  }

  it("reads and writes after the loop at the input's end or one byte past it", async () => {
    const runs: Run[] = [];
    const expected: string[] = [];
    for (const store of [false, true])
      for (const size of [8, 9, 40])
        for (const past of [0, 1]) {
          const mem = pattern(size);
          const after = size - 8 + past;
          runs.push({ source: source(store, size, after), mem });
          expected.push(model(store, size, after, mem));
        }
    const got = await agree(runs);
    expect(got).toEqual(expected);
    expect(got.filter((g) => g.startsWith("out-of-bounds")).length).toBe(runs.length / 2);
  });
});

// A constant below 2^32 added to 32-bit registers in the address: the test on entry adds the low words alone, and a
// carry out of them is an address of 2^32 or more, which must fail the test (the ordinary code faults there) and
// not wrap around to an address below the input (which the region search would turn away too).
describe("an address of 32-bit registers and a large constant", () => {
  const source = (k: bigint) => `
        mov %r0, 0
        mov32 %r3, 0
        mov32 %r6, %r1
      loop:
        lddw %r4, ${k}
        add %r4, %r6
        add %r4, %r3
        ldxb %r5, [%r4+0]
        add %r0, %r5
        add %r3, 1
        jlt %r3, 8, loop
        exit`;

  it("reads at input + 2^32 - 16 and at input + 0", async () => {
    const got = await agree([
      { source: source(0xfffffff0n), mem: pattern(64) },
      { source: source(0n), mem: pattern(64) },
    ]);
    expect(got[0]).toMatch(/^out-of-bounds read of 1 bytes at ctx\+0xfffffff0 /);
    expect(got[1]).toBe(r0Is([...pattern(64).slice(0, 8)].reduce((a, b) => a + BigInt(b), 0n)));
  });
});

// A 32-bit exit test (JMP32) compares the low words only: the copy's trip bound holds when every value compared lies
// below 2^31, where the 32-bit comparison is the 64-bit one. Here the index starts near 2^31 or 2^32 and reads the
// input from its start (r1 + r4 - start): a bound just inside the limit ends the loop as 64 bits would; one past it
// (`<=` 0x7fffffff holds for every 32-bit value; r4 + 16 wraps to 0 in 32 bits) runs on to the input's end.
describe("32-bit exit tests near 2^31 and 2^32", () => {
  const source = (test: string, start: bigint, b: bigint, c: number) => `
        mov %r0, 0
        lddw %r3, ${start}
        mov %r4, %r3
        lddw %r7, ${b}
        lddw %r6, ${u64(-start)}
        add %r6, %r1
      loop:
        mov %r5, %r6
        add %r5, %r4
        ldxb %r2, [%r5+0]
        add %r0, %r2
        add %r3, 1
        mov %r8, %r4
        add %r8, ${c}
        mov %r4, %r3
        ${test} %r8, %r7, loop
        exit`;
  function model(test: string, start: bigint, b: bigint, c: number, mem: Uint8Array): string {
    const m = new Memory(mem);
    const load = indexOf(source(test, start, b, c), "ldxb");
    const low = (v: bigint) => (test.startsWith("js") ? BigInt.asIntN(32, v) : BigInt.asUintN(32, v));
    return modelled(() => {
      let r0 = 0n;
      for (let i = start; ; i++) {
        r0 += m.load(i - start, 1, load);
        const y = low(i + BigInt(c));
        if (!(test.includes("le") ? y <= low(b) : y < low(b))) return r0;
      }
    });
  }

  it("ends inside the input at the limit, faults at the input's end past it", async () => {
    const cases: [string, bigint, bigint, number][] = [
      ["jsle32", 0x7ffffff0n, 0x7ffffffen, 0], // E = 2^31: copied, 15 trips
      ["jsle32", 0x7ffffff0n, 0x7fffffffn, 0], // every value <= B
      ["jslt32", 0x7ffffff0n, 0x7ffffff8n, 8], // E + c = 2^31
      ["jslt32", 0x7ffffff0n, 0x7fffffffn, 0], // the largest signed bound: 15 trips
      ["jlt32", 0xfffffff0n, 0xfffffff8n, 16], // Y wraps to 0 in the first trip
      ["jlt32", 0x70000000n, 0x70000010n, 0], // a plain 16 trips
    ];
    const mem = pattern(64);
    const got = await agree(cases.map(([t, s, b, c]) => ({ source: source(t, s, b, c), mem })));
    expect(got).toEqual(cases.map(([t, s, b, c]) => model(t, s, b, c, mem)));
    expect(got.map((g) => g.startsWith("out-of-bounds read of 1 bytes at ctx+0x40 "))).toEqual([
      false,
      true,
      false,
      false,
      true,
      false,
    ]);
  });
});
