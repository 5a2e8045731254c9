// The code generator: one eBPF program per probe, from the checked script.
//
// Registers: r6 keeps the context (r1 at entry: the __sk_buff of a packet probe, the argument array of probe:NAME);
// r7-r9 hold expression temporaries, allocated as a stack (registers callee-saved across helper calls, so a
// temporary survives the map lookups inside an expression); r0-r5 are scratch between helper calls only. When all
// three temporaries are taken, a binary operator spills its left operand to the frame and brings it back in r0.
// Every gen() entry has at least one free temporary: the operators that hold one across a sub-expression
// (binary) spill first, and ?: && || route their result through a frame slot.
//
// Maps: one BPF hash map per @map, key = the key values (8 bytes per integer, 16 per string; one 8-byte zero
// for a scalar), value = 8 bytes (16 for avg/stats: count and total; 16 for strings). hist and lhist add the
// bucket index to the key, as bpftrace does, so a value stays 8 bytes. printf, exit(), print(), clear() and
// zero() become records in a ring buffer, handled by the host in order. nsecs reads a clock in .bss that the host
// sets before each run (the capture's time stamps with --pcap), so runs are reproducible.
import {
  ALU_ADD,
  ALU_SUB,
  ALU_MUL,
  ALU_DIV,
  ALU_MOD,
  ALU_AND,
  ALU_OR,
  ALU_XOR,
  ALU_LSH,
  ALU_RSH,
  ALU_ARSH,
  ALU_NEG,
  JMP_JEQ,
  JMP_JNE,
  JMP_JGT,
  JMP_JGE,
  JMP_JLT,
  JMP_JLE,
  JMP_JSGT,
  JMP_JSGE,
  JMP_JSLT,
  JMP_JSLE,
  SZ_B,
  SZ_H,
  SZ_W,
  SZ_DW,
} from "../../assembly/isa.js";
import { Emitter, Label, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, type Reg, type Relocation } from "./emitter.js";
import { fail, type Loc } from "./errors.js";
import type { Expr, MapExpr, Probe, Stmt } from "./ast.js";
import { STR_SIZE, type MapInfo, type TypedScript } from "./check.js";
import { printkCalls } from "./arm32-printf.js";

const HELPER_MAP_LOOKUP = 1,
  HELPER_MAP_UPDATE = 2,
  HELPER_MAP_DELETE = 3,
  HELPER_TRACE_PRINTK = 6,
  HELPER_PRANDOM = 7,
  HELPER_CPU = 8;
const HELPER_PID_TGID = 14,
  HELPER_COMM = 16,
  HELPER_SKB_LOAD_BYTES = 26,
  HELPER_RINGBUF_OUTPUT = 130;
const BPF_ANY = 0,
  BPF_NOEXIST = 1;
const STACK_SIZE = 512;
const MAX_PROGRAM = 32768; // instructions per probe: keeps every jump within its 16-bit offset

export const RINGBUF_SYMBOL = "printf_rb";
export const CLOCK_SYMBOL = "trace_clock";
// The first u64 of a ring buffer record: kind << 32 | argument (printf id or map index).
export const EV_PRINTF = 0,
  EV_EXIT = 1,
  EV_PRINT = 2,
  EV_CLEAR = 3,
  EV_ZERO = 4;

export interface ProgramCode {
  probe: Probe;
  section: string;
  name: string;
  insns: Uint8Array;
  relocations: Relocation[];
}

/** The ELF symbol (and map name) of @name. */
export const mapSymbol = (name: string) => `AT_${name}`;

export function keySize(m: MapInfo): number {
  const keys = m.keys.reduce((n, k) => n + (k === "str" ? STR_SIZE : 8), 0) || 8;
  return m.value === "hist" || m.value === "lhist" ? keys + 8 : keys;
}

export function valueSize(m: MapInfo): number {
  return m.value === "avg" || m.value === "stats" || m.value === "str" ? 16 : 8;
}

const COMPARE: Record<string, [number, number]> = {
  "==": [JMP_JEQ, JMP_JEQ],
  "!=": [JMP_JNE, JMP_JNE],
  "<": [JMP_JLT, JMP_JSLT],
  "<=": [JMP_JLE, JMP_JSLE],
  ">": [JMP_JGT, JMP_JSGT],
  ">=": [JMP_JGE, JMP_JSGE],
};
const ARITH: Record<string, number> = {
  "+": ALU_ADD,
  "-": ALU_SUB,
  "*": ALU_MUL,
  "/": ALU_DIV,
  "%": ALU_MOD,
  "&": ALU_AND,
  "|": ALU_OR,
  "^": ALU_XOR,
  "<<": ALU_LSH,
  ">>": ALU_RSH,
};
const SIZE_OF_WIDTH: Record<number, number> = { 8: SZ_B, 16: SZ_H, 32: SZ_W };

const num = (value: bigint, loc: Loc): Expr => ({ k: "int", value, loc });
const pkt = (width: 8 | 16 | 32, index: Expr, loc: Loc): Expr => ({ k: "pkt", width, index, loc });
const bin = (op: string, left: Expr, right: Expr, loc: Loc): Expr => ({ k: "binary", op, left, right, loc });

/** Packet header fields as expressions over pkt.uN[]: 0 unless the frame is IPv4 (and TCP or UDP). */
function fieldExpr(base: string, name: string, loc: Loc): Expr {
  const isIp = bin("==", pkt(16, num(12n, loc), loc), num(0x0800n, loc), loc);
  const guard = (cond: Expr, value: Expr): Expr => ({ k: "ternary", cond, then: value, else: num(0n, loc), loc });
  if (base === "eth") return pkt(16, num(12n, loc), loc);
  if (base === "ip") {
    const [width, off] = (
      { proto: [8, 23], src: [32, 26], dst: [32, 30], len: [16, 16], ttl: [8, 22] } as Record<
        string,
        [8 | 16 | 32, number]
      >
    )[name];
    return guard(isIp, pkt(width, num(BigInt(off), loc), loc));
  }
  const proto = base === "tcp" ? 6n : 17n;
  const isProto = bin("&&", isIp, bin("==", pkt(8, num(23n, loc), loc), num(proto, loc), loc), loc);
  const l4 = bin(
    "+",
    num(14n, loc),
    bin("*", bin("&", pkt(8, num(14n, loc), loc), num(15n, loc), loc), num(4n, loc), loc),
    loc,
  );
  const [width, off] = ({ sport: [16, 0], dport: [16, 2], flags: [8, 13] } as Record<string, [8 | 16 | 32, number]>)[
    name
  ];
  return guard(isProto, pkt(width, bin("+", l4, num(BigInt(off), loc), loc), loc));
}

class ProbeGen {
  readonly e = new Emitter();
  private free: Reg[] = [R9, R8, R7];
  private frame = 0; // bytes of the frame in use
  private readonly locals = new Map<string, number>();
  private readonly exitLabel = new Label();

  constructor(
    private readonly ts: TypedScript,
    private readonly probe: Probe,
    private readonly options: GenerateOptions,
  ) {}

  gen(): Uint8Array {
    const { e, probe } = this;
    e.mov(R6, R1);
    for (const name of this.ts.locals.get(probe) ?? []) this.locals.set(name, this.slot(8, probe.loc));
    for (const off of this.locals.values()) e.st(SZ_DW, R10, off, 0);
    if (probe.pred) {
      const r = this.expr(probe.pred);
      e.jmpImm(JMP_JEQ, r, 0, this.exitLabel);
      this.release(r);
    }
    const ends = this.stmts(probe.body);
    // the predicate's jump lands here even when the body always ends the program itself
    if (!ends || probe.pred) {
      e.bind(this.exitLabel);
      e.movImm(R0, 0n);
      e.exit();
    }
    return e.finish();
  }

  // ---- registers and frame ----

  private alloc(): Reg {
    const r = this.free.pop();
    if (r === undefined) throw new Error("internal: no free register");
    return r;
  }

  private release(r: Reg): void {
    this.free.push(r);
  }

  /** A frame slot of `size` bytes (8-aligned) for the rest of the statement; its offset from r10. */
  private slot(size: number, loc: Loc): number {
    this.frame += Math.ceil(size / 8) * 8;
    if (this.frame > STACK_SIZE) fail(loc, `this statement needs more than the ${STACK_SIZE}-byte BPF stack`);
    return -this.frame;
  }

  /**
   * Generates a block; true when it ends the program on every path (return, exit()). What would follow is not
   * generated: the kernel's verifier refuses unreachable instructions.
   */
  private stmts(list: Stmt[]): boolean {
    for (const s of list) {
      const mark = this.frame;
      const ends = this.stmt(s);
      if (this.e.pc > MAX_PROGRAM) fail(s.loc, `probe ${this.probe.name} needs more than ${MAX_PROGRAM} instructions`);
      this.frame = mark;
      if (ends) return true;
    }
    return false;
  }

  // ---- statements ----

  /** One statement; true when it ends the program on every path. */
  private stmt(s: Stmt): boolean {
    const e = this.e;
    switch (s.k) {
      case "expr": {
        if (s.expr.k === "call") return this.call(s.expr);
        const r = this.expr(s.expr);
        this.release(r);
        return false;
      }
      case "if": {
        const otherwise = new Label();
        const end = new Label();
        const c = this.expr(s.cond);
        e.jmpImm(JMP_JEQ, c, 0, otherwise);
        this.release(c);
        const thenEnds = this.stmts(s.then);
        if (!thenEnds) e.ja(end);
        e.bind(otherwise);
        const elseEnds = this.stmts(s.else);
        e.bind(end);
        return thenEnds && elseEnds;
      }
      case "unroll":
        for (let i = 0n; i < s.count; i++) if (this.stmts(s.body)) return true;
        return false;
      case "return":
        if (s.value) {
          const r = this.expr(s.value);
          e.mov(R0, r);
          this.release(r);
        } else e.movImm(R0, 0n);
        e.exit();
        return true;
      case "assign":
        if (s.target.k === "var") this.assignVar(s.target.name, s.op, s.value, s.loc);
        else this.assignMap(s.target, s.op, s.value, s.loc);
        return false;
    }
  }

  private assignVar(name: string, op: string, value: Expr, loc: Loc): void {
    const off = this.locals.get(name)!;
    const r = this.expr(value);
    if (op !== "=") {
      this.e.ldx(SZ_DW, R0, R10, off);
      this.op(op.slice(0, -1), R0, r, this.ts.types.get(value)?.t === "int" && this.signedVar(value), loc);
      this.e.mov(r, R0);
    }
    this.e.stx(SZ_DW, R10, off, r);
    this.release(r);
  }

  private signedVar(value: Expr): boolean {
    const t = this.ts.types.get(value);
    return t?.t === "int" && t.signed;
  }

  private map(name: string): MapInfo {
    return this.ts.maps.get(name)!;
  }

  private assignMap(target: MapExpr, op: string, value: Expr, loc: Loc): void {
    const e = this.e;
    const info = this.map(target.name);
    const kb = this.key(target, info);
    if (value.k === "call" && info.value !== "int" && info.value !== "str" && info.value !== "inet") {
      return this.aggregate(target, info, value, kb);
    }
    if (info.value === "str") {
      const vb = this.slot(16, loc);
      this.str(value, vb);
      this.update(target.name, kb, vb, BPF_ANY);
      return;
    }
    const v = this.expr(value);
    if (op === "=") {
      const vb = this.slot(8, loc);
      e.stx(SZ_DW, R10, vb, v);
      this.release(v);
      this.update(target.name, kb, vb, BPF_ANY);
      return;
    }
    const skip = this.lookupOrInit(target.name, kb, 8, loc);
    e.ldx(SZ_DW, R1, R0, 0);
    this.op(op.slice(0, -1), R1, v, info.signed, loc);
    e.stx(SZ_DW, R0, 0, R1);
    e.bind(skip);
    this.release(v);
  }

  private aggregate(target: MapExpr, info: MapInfo, call: Extract<Expr, { k: "call" }>, kb: number): void {
    const e = this.e;
    const loc = call.loc;
    const kind = info.value;
    if (kind === "count") {
      const skip = this.lookupOrInit(target.name, kb, 8, loc);
      e.ldx(SZ_DW, R1, R0, 0);
      e.aluImm(ALU_ADD, R1, 1);
      e.stx(SZ_DW, R0, 0, R1);
      e.bind(skip);
      return;
    }
    const v = this.expr(call.args[0]);
    if (kind === "hist" || kind === "lhist") {
      const bucketOff = kb + keySize(info) - 8;
      if (kind === "hist") this.log2Bucket(v);
      else this.linearBucket(v, info.lhist!);
      e.stx(SZ_DW, R10, bucketOff, R2);
      this.release(v);
      const skip = this.lookupOrInit(target.name, kb, 8, loc);
      e.ldx(SZ_DW, R1, R0, 0);
      e.aluImm(ALU_ADD, R1, 1);
      e.stx(SZ_DW, R0, 0, R1);
      e.bind(skip);
      return;
    }
    if (kind === "sum" || kind === "avg" || kind === "stats") {
      const wide = kind !== "sum";
      const skip = this.lookupOrInit(target.name, kb, wide ? 16 : 8, loc);
      if (wide) {
        e.ldx(SZ_DW, R1, R0, 0);
        e.aluImm(ALU_ADD, R1, 1);
        e.stx(SZ_DW, R0, 0, R1);
      }
      e.ldx(SZ_DW, R1, R0, wide ? 8 : 0);
      e.alu(ALU_ADD, R1, v);
      e.stx(SZ_DW, R0, wide ? 8 : 0, R1);
      e.bind(skip);
      this.release(v);
      return;
    }
    // min / max: the first value is stored as it is, later ones only when smaller (larger).
    const found = new Label();
    const done = new Label();
    this.lookup(target.name, kb);
    e.jmpImm(JMP_JNE, R0, 0, found);
    const vb = this.slot(8, loc);
    e.stx(SZ_DW, R10, vb, v);
    this.update(target.name, kb, vb, BPF_ANY);
    e.ja(done);
    e.bind(found);
    e.ldx(SZ_DW, R1, R0, 0);
    const keep = kind === "min" ? (info.signed ? JMP_JSLE : JMP_JLE) : info.signed ? JMP_JSGE : JMP_JGE;
    e.jmp(keep, R1, v, done);
    e.stx(SZ_DW, R0, 0, v);
    e.bind(done);
    this.release(v);
  }

  /** r2 = bpftrace's log2 bucket of v (v is clobbered): 0 for negatives, 1 for 0, 2 + floor(log2 v) above. */
  private log2Bucket(v: Reg): void {
    const e = this.e;
    const done = new Label();
    e.movImm(R2, 0n);
    e.jmpImm(JMP_JSLT, v, 0, done);
    e.movImm(R2, 1n);
    e.jmpImm(JMP_JEQ, v, 0, done);
    e.movImm(R2, 2n);
    for (const s of [32, 16, 8, 4, 2, 1]) {
      const skip = new Label();
      e.mov(R1, v);
      e.aluImm(ALU_RSH, R1, s);
      e.jmpImm(JMP_JEQ, R1, 0, skip);
      e.mov(v, R1);
      e.aluImm(ALU_ADD, R2, s);
      e.bind(skip);
    }
    e.bind(done);
  }

  /** r2 = lhist bucket of v: 0 below min, 1 + (max - min) / step at or above max, else 1 + (v - min) / step. */
  private linearBucket(v: Reg, p: { min: bigint; max: bigint; step: bigint }): void {
    const e = this.e;
    const done = new Label();
    e.movImm(R2, 0n);
    e.movImm(R1, p.min);
    e.jmp(JMP_JSLT, v, R1, done);
    e.movImm(R2, 1n + (p.max - p.min) / p.step);
    e.movImm(R1, p.max);
    e.jmp(JMP_JSGE, v, R1, done);
    e.mov(R2, v);
    e.movImm(R1, p.min);
    e.alu(ALU_SUB, R2, R1);
    e.movImm(R1, p.step);
    e.alu(ALU_DIV, R2, R1);
    e.aluImm(ALU_ADD, R2, 1);
    e.bind(done);
  }

  /** A statement call; true for exit(), which ends the program. */
  private call(c: Extract<Expr, { k: "call" }>): boolean {
    const e = this.e;
    switch (c.name) {
      case "printf":
        this.printf(c);
        return false;
      case "exit":
        this.event(EV_EXIT, 0, c.loc);
        e.movImm(R0, 0n);
        e.exit();
        return true;
      case "print":
      case "clear":
      case "zero": {
        const info = this.map((c.args[0] as MapExpr).name);
        this.event(c.name === "print" ? EV_PRINT : c.name === "clear" ? EV_CLEAR : EV_ZERO, info.index, c.loc);
        return false;
      }
      case "delete": {
        const m = c.args[0] as MapExpr;
        const kb = this.key(m, this.map(m.name));
        e.ldSymbol(R1, mapSymbol(m.name));
        this.frameAddr(R2, kb);
        e.call(HELPER_MAP_DELETE);
        return false;
      }
    }
    return false;
  }

  private event(kind: number, arg: number, loc: Loc): void {
    const buf = this.slot(8, loc);
    this.e.st(SZ_W, R10, buf, arg);
    this.e.st(SZ_W, R10, buf + 4, kind);
    this.output(buf, 8);
  }

  private output(buf: number, size: number): void {
    const e = this.e;
    e.ldSymbol(R1, RINGBUF_SYMBOL);
    this.frameAddr(R2, buf);
    e.movImm(R3, BigInt(size));
    e.movImm(R4, 0n);
    e.call(HELPER_RINGBUF_OUTPUT);
  }

  private printf(c: Extract<Expr, { k: "call" }>): void {
    if (this.options.printk) return this.printk(c);
    const id = this.ts.printfIds.get(c)!;
    const args = c.args.slice(1);
    const size = 8 + args.reduce((n, a) => n + (this.ts.types.get(a)!.t === "str" ? STR_SIZE : 8), 0);
    const buf = this.slot(size, c.loc);
    this.e.st(SZ_W, R10, buf, id);
    this.e.st(SZ_W, R10, buf + 4, EV_PRINTF);
    let off = buf + 8;
    for (const a of args) {
      if (this.ts.types.get(a)!.t === "str") {
        this.str(a, off);
        off += STR_SIZE;
      } else {
        const r = this.expr(a);
        this.e.stx(SZ_DW, R10, off, r);
        this.release(r);
        off += 8;
      }
    }
    this.output(buf, size);
  }

  /**
   * printf as trace_printk calls (arm32-printf.ts plans them): the arguments evaluated once, into frame slots (a
   * string's 16 bytes, whose address is the argument), then each call's piece of the format written to the frame.
   */
  private printk(c: Extract<Expr, { k: "call" }>): void {
    const e = this.e;
    const args = c.args.slice(1);
    const calls = printkCalls(
      (c.args[0] as { value: string }).value,
      args.map((a) => this.ts.types.get(a)!),
    );
    if (typeof calls === "string") fail(c.loc, calls);
    const slots = args.map((a) => {
      if (this.ts.types.get(a)!.t === "str") {
        const off = this.slot(STR_SIZE, a.loc);
        this.str(a, off);
        return off;
      }
      const off = this.slot(8, a.loc);
      const r = this.expr(a);
      e.stx(SZ_DW, R10, off, r);
      this.release(r);
      return off;
    });
    const fb = this.slot(Math.max(0, ...calls.map((k) => k.format.length)), c.loc);
    for (const call of calls) {
      const bytes = new Uint8Array(Math.ceil(call.format.length / 4) * 4);
      bytes.set(new TextEncoder().encode(call.format));
      const v = new DataView(bytes.buffer);
      for (let i = 0; i < bytes.length; i += 4) e.st(SZ_W, R10, fb + i, v.getInt32(i, true));
      this.frameAddr(R1, fb);
      e.movImm(R2, BigInt(call.format.length));
      call.args.forEach((a, k) => {
        const r = [R3, R4, R5][k];
        if (this.ts.types.get(args[a.arg])!.t === "str") return this.frameAddr(r, slots[a.arg]);
        e.ldx(SZ_DW, r, R10, slots[a.arg]);
        if (a.octet === undefined) return;
        if (a.octet < 3) e.aluImm(ALU_RSH, r, 24 - 8 * a.octet);
        e.aluImm(ALU_AND, r, 255);
      });
      e.call(HELPER_TRACE_PRINTK);
    }
  }

  // ---- maps ----

  /** Builds the key of `m` in a new frame slot (the last 8 bytes left for the bucket of a histogram). */
  private key(m: MapExpr, info: MapInfo): number {
    const kb = this.slot(keySize(info), m.loc);
    if (m.keys.length === 0) this.e.st(SZ_DW, R10, kb, 0);
    let off = kb;
    for (const k of m.keys) {
      if (this.ts.types.get(k)!.t === "str") {
        this.str(k, off);
        off += STR_SIZE;
      } else {
        const r = this.expr(k);
        this.e.stx(SZ_DW, R10, off, r);
        this.release(r);
        off += 8;
      }
    }
    return kb;
  }

  private frameAddr(dst: Reg, off: number): void {
    this.e.mov(dst, R10);
    this.e.aluImm(ALU_ADD, dst, off);
  }

  private lookup(name: string, kb: number): void {
    this.e.ldSymbol(R1, mapSymbol(name));
    this.frameAddr(R2, kb);
    this.e.call(HELPER_MAP_LOOKUP);
  }

  private update(name: string, kb: number, vb: number, flags: number): void {
    this.e.ldSymbol(R1, mapSymbol(name));
    this.frameAddr(R2, kb);
    this.frameAddr(R3, vb);
    this.e.movImm(R4, BigInt(flags));
    this.e.call(HELPER_MAP_UPDATE);
  }

  /** r0 = the element's address, created zeroed if missing; returns the label to bind after its use. */
  private lookupOrInit(name: string, kb: number, size: number, loc: Loc): Label {
    const e = this.e;
    const found = new Label();
    const skip = new Label();
    this.lookup(name, kb);
    e.jmpImm(JMP_JNE, R0, 0, found);
    const vb = this.slot(size, loc);
    for (let i = 0; i < size; i += 8) e.st(SZ_DW, R10, vb + i, 0);
    this.update(name, kb, vb, BPF_NOEXIST);
    this.lookup(name, kb);
    e.jmpImm(JMP_JEQ, R0, 0, skip);
    e.bind(found);
    return skip;
  }

  // ---- expressions ----

  /** Writes the 16 bytes of a string expression at frame offset `dest`. */
  private str(x: Expr, dest: number): void {
    const e = this.e;
    if (x.k === "str") {
      const bytes = new Uint8Array(STR_SIZE);
      bytes.set(new TextEncoder().encode(x.value));
      const v = new DataView(bytes.buffer);
      for (let i = 0; i < STR_SIZE; i += 4) e.st(SZ_W, R10, dest + i, v.getInt32(i, true));
      return;
    }
    if (x.k === "builtin") {
      // comm
      this.frameAddr(R1, dest);
      e.movImm(R2, BigInt(STR_SIZE));
      e.call(HELPER_COMM);
      return;
    }
    // a map holding strings
    const m = x as MapExpr;
    const kb = this.key(m, this.map(m.name));
    const found = new Label();
    const done = new Label();
    this.lookup(m.name, kb);
    e.jmpImm(JMP_JNE, R0, 0, found);
    e.st(SZ_DW, R10, dest, 0);
    e.st(SZ_DW, R10, dest + 8, 0);
    e.ja(done);
    e.bind(found);
    e.ldx(SZ_DW, R1, R0, 0);
    e.stx(SZ_DW, R10, dest, R1);
    e.ldx(SZ_DW, R1, R0, 8);
    e.stx(SZ_DW, R10, dest + 8, R1);
    e.bind(done);
  }

  private signed(x: Expr): boolean {
    const t = this.ts.types.get(x);
    return t !== undefined && t.t === "int" && t.signed;
  }

  /** Evaluates an integer expression into a newly allocated temporary. */
  expr(x: Expr): Reg {
    const e = this.e;
    switch (x.k) {
      case "int": {
        const r = this.alloc();
        e.movImm(r, x.value);
        return r;
      }
      case "var": {
        const r = this.alloc();
        e.ldx(SZ_DW, r, R10, this.locals.get(x.name)!);
        return r;
      }
      case "builtin":
        return this.builtin(x.name);
      case "field":
        return this.expr(fieldExpr(x.base, x.name, x.loc));
      case "pkt":
        return this.packetRead(x.width, x.index);
      case "call":
        return this.expr(x.args[0]); // ntop: the address itself, printed as one
      case "map":
        return this.mapRead(x);
      case "unary": {
        const r = this.expr(x.arg);
        if (x.op === "-") e.aluImm(ALU_NEG, r, 0);
        else if (x.op === "~") e.aluImm(ALU_XOR, r, -1);
        else this.boolean(r, JMP_JEQ);
        return r;
      }
      case "binary": {
        if (x.op === "&&" || x.op === "||") return this.logical(x.op, x.left, x.right, x.loc);
        let l = this.expr(x.left);
        let spill: number | undefined;
        if (this.free.length === 0) {
          spill = this.slot(8, x.loc);
          e.stx(SZ_DW, R10, spill, l);
          this.release(l);
        }
        const r = this.expr(x.right);
        if (spill !== undefined) {
          e.ldx(SZ_DW, R0, R10, spill);
          l = R0;
        }
        const signed = this.signed(x.left) && this.signed(x.right);
        this.op(x.op, l, r, signed, x.loc);
        if (spill !== undefined) {
          e.mov(r, R0);
          return r;
        }
        this.release(r);
        return l;
      }
      case "ternary": {
        const slot = this.slot(8, x.loc);
        const otherwise = new Label();
        const done = new Label();
        const c = this.expr(x.cond);
        e.jmpImm(JMP_JEQ, c, 0, otherwise);
        this.release(c);
        const a = this.expr(x.then);
        e.stx(SZ_DW, R10, slot, a);
        this.release(a);
        e.ja(done);
        e.bind(otherwise);
        const b = this.expr(x.else);
        e.stx(SZ_DW, R10, slot, b);
        this.release(b);
        e.bind(done);
        const r = this.alloc();
        e.ldx(SZ_DW, r, R10, slot);
        return r;
      }
      case "str":
        throw new Error("internal: string in integer context");
    }
  }

  /** r = (r <cmp> 0) ? 1 : 0 */
  private boolean(r: Reg, cmp: number): void {
    const yes = new Label();
    const done = new Label();
    this.e.jmpImm(cmp, r, 0, yes);
    this.e.movImm(r, 0n);
    this.e.ja(done);
    this.e.bind(yes);
    this.e.movImm(r, 1n);
    this.e.bind(done);
  }

  private logical(op: string, left: Expr, right: Expr, loc: Loc): Reg {
    const e = this.e;
    const slot = this.slot(8, loc);
    const done = new Label();
    e.st(SZ_DW, R10, slot, op === "&&" ? 0 : 1);
    const l = this.expr(left);
    e.jmpImm(op === "&&" ? JMP_JEQ : JMP_JNE, l, 0, done);
    this.release(l);
    const r = this.expr(right);
    this.boolean(r, JMP_JNE);
    e.stx(SZ_DW, R10, slot, r);
    this.release(r);
    e.bind(done);
    const out = this.alloc();
    e.ldx(SZ_DW, out, R10, slot);
    return out;
  }

  /** a = a <op> b */
  private op(op: string, a: Reg, b: Reg, signed: boolean, loc: Loc): void {
    const e = this.e;
    const cmp = COMPARE[op];
    if (cmp) {
      const yes = new Label();
      const done = new Label();
      e.jmp(signed ? cmp[1] : cmp[0], a, b, yes);
      e.movImm(a, 0n);
      e.ja(done);
      e.bind(yes);
      e.movImm(a, 1n);
      e.bind(done);
      return;
    }
    const alu = ARITH[op];
    if (alu === undefined) fail(loc, `unsupported operator '${op}'`);
    if (op === ">>" && signed) return e.alu(ALU_ARSH, a, b);
    if ((op === "/" || op === "%") && signed) return e.alu(alu, a, b, 1); // sdiv, smod
    e.alu(alu, a, b);
  }

  private mapRead(m: MapExpr): Reg {
    const e = this.e;
    const info = this.map(m.name);
    const kb = this.key(m, info);
    this.lookup(m.name, kb);
    const r = this.alloc();
    const done = new Label();
    e.movImm(r, 0n);
    e.jmpImm(JMP_JEQ, R0, 0, done);
    if (info.value === "avg") {
      e.ldx(SZ_DW, R1, R0, 0);
      e.ldx(SZ_DW, r, R0, 8);
      e.alu(ALU_DIV, r, R1, info.signed ? 1 : 0);
    } else e.ldx(SZ_DW, r, R0, 0);
    e.bind(done);
    return r;
  }

  private packetRead(width: 8 | 16 | 32, index: Expr): Reg {
    const e = this.e;
    const buf = this.slot(8, index.loc);
    const i = this.expr(index);
    e.mov(R2, i);
    this.release(i);
    e.mov(R1, R6);
    this.frameAddr(R3, buf);
    e.movImm(R4, BigInt(width / 8));
    e.call(HELPER_SKB_LOAD_BYTES);
    const r = this.alloc();
    const done = new Label();
    e.movImm(r, 0n);
    e.jmpImm(JMP_JNE, R0, 0, done); // out of range (or a negative offset): 0
    e.ldx(SIZE_OF_WIDTH[width], r, R10, buf);
    if (width !== 8) e.toBe(r, width);
    e.bind(done);
    return r;
  }

  private builtin(name: string): Reg {
    const e = this.e;
    const r = this.alloc();
    switch (name) {
      case "len":
        e.ldx(SZ_W, r, R6, 0);
        break;
      case "nsecs":
      case "elapsed":
        e.ldSymbol(R1, CLOCK_SYMBOL);
        e.ldx(SZ_DW, r, R1, 0);
        if (name === "elapsed") {
          e.ldx(SZ_DW, R1, R1, 8);
          e.alu(ALU_SUB, r, R1);
        }
        break;
      case "cpu":
        e.call(HELPER_CPU);
        e.mov(r, R0);
        break;
      case "rand":
        e.call(HELPER_PRANDOM);
        e.mov(r, R0);
        break;
      case "pid":
      case "tid":
        e.call(HELPER_PID_TGID);
        e.mov(r, R0);
        if (name === "pid") e.aluImm(ALU_RSH, r, 32);
        else {
          e.aluImm(ALU_LSH, r, 32);
          e.aluImm(ALU_RSH, r, 32);
        }
        break;
      default: {
        // arg0..arg5
        const n = Number(name.slice(3));
        e.ldx(SZ_DW, r, R6, n * 8);
      }
    }
    return r;
  }
}

/** Section names by probe kind; each program gets its own section, made unique by a suffix when needed. */
function sectionFor(p: Probe): string {
  switch (p.kind) {
    case "packet":
      return "socket";
    case "BEGIN":
      return "uprobe/BEGIN_trigger";
    case "END":
      return "uprobe/END_trigger";
    case "interval":
      return "perf_event";
    case "probe":
      return `raw_tp/${p.event}`;
  }
}

export interface GenerateOptions {
  /** printf as bpf_trace_printk calls (arm32-printf.ts): the ARM32 executables print them themselves. */
  printk?: boolean;
}

export function generate(ts: TypedScript, options: GenerateOptions = {}): ProgramCode[] {
  const seen = new Map<string, number>();
  return ts.script.probes.map((probe, i) => {
    const base = sectionFor(probe);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const section = n === 1 ? base : `${base}_${n}`;
    const name = `${probe.kind === "probe" ? `probe_${probe.event}` : probe.kind === "interval" ? "interval" : probe.kind}_${i}`;
    const g = new ProbeGen(ts, probe, options);
    const insns = g.gen();
    return { probe, section, name, insns, relocations: g.e.relocations };
  });
}
