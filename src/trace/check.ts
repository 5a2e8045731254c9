// The checker: types every expression, settles each map's key and value types from its first use, and enforces
// bpftrace's rules: which builtins each probe offers, which functions exist and how many arguments they take,
// where aggregations and statements may appear. Its result (TypedScript) is all the code generator needs.
import { fail, type Loc } from "./errors.js";
import type { CallExpr, Expr, MapExpr, Probe, Script, Stmt } from "./ast.js";

export type ScalarType = { t: "int"; signed: boolean } | { t: "str" } | { t: "inet" } | { t: "void" };
export type AggKind = "count" | "sum" | "avg" | "min" | "max" | "stats" | "hist" | "lhist";
export type ValueKind = "int" | "str" | "inet" | AggKind;
export type KeyType = "int" | "uint" | "str" | "inet";

export interface MapInfo {
  name: string; // without the @
  index: number; // order of first use
  keys: KeyType[];
  value: ValueKind;
  signed: boolean; // int values: print signed
  lhist?: { min: bigint; max: bigint; step: bigint };
  loc: Loc;
}

export interface PrintfInfo {
  format: string;
  args: ScalarType[];
}

export interface TypedScript {
  script: Script;
  maps: Map<string, MapInfo>;
  types: Map<Expr, ScalarType>;
  printfs: PrintfInfo[];
  printfIds: Map<Expr, number>;
  locals: Map<Probe, string[]>;
}

export const INT: ScalarType = { t: "int", signed: true };
export const UINT: ScalarType = { t: "int", signed: false };
export const STR_SIZE = 16; // comm and string keys: TASK_COMM_LEN
const AGGS = new Set<string>(["count", "sum", "avg", "min", "max", "stats", "hist", "lhist"]);
const STATEMENT_CALLS = new Set(["printf", "exit", "print", "clear", "zero", "delete"]);
const PACKET_ONLY = new Set(["len"]);
const FIELDS: Record<string, string[]> = {
  eth: ["type"],
  ip: ["proto", "src", "dst", "len", "ttl"],
  tcp: ["sport", "dport", "flags"],
  udp: ["sport", "dport"],
};
const ANYWHERE = new Set(["nsecs", "elapsed", "cpu", "rand", "pid", "tid", "comm"]);
const ARGS = new Set(["arg0", "arg1", "arg2", "arg3", "arg4", "arg5"]);

export function typeName(t: ScalarType | ValueKind): string {
  if (typeof t === "string") return t === "int" ? "int64" : t === "str" ? "string" : t === "inet" ? "inet" : `${t}_t`;
  return t.t === "int" ? (t.signed ? "int64" : "uint64") : t.t === "str" ? "string" : t.t;
}

function keyName(k: KeyType): string {
  return k === "int" ? "int64" : k === "uint" ? "uint64" : k === "str" ? "string" : "inet";
}

const ARITY: Record<string, [number, number]> = {
  count: [0, 0],
  sum: [1, 1],
  avg: [1, 1],
  min: [1, 1],
  max: [1, 1],
  stats: [1, 1],
  hist: [1, 1],
  lhist: [4, 4],
  printf: [1, 8],
  exit: [0, 0],
  print: [1, 1],
  clear: [1, 1],
  zero: [1, 1],
  delete: [1, 1],
  ntop: [1, 1],
};

function arity(call: CallExpr): void {
  const range = ARITY[call.name];
  if (!range) fail(call.loc, `Unknown function: ${call.name}`);
  const [lo, hi] = range;
  const n = call.args.length;
  if (n >= lo && n <= hi) return;
  const want =
    lo === hi
      ? lo === 0
        ? "no arguments"
        : lo === 1
          ? "one argument"
          : `${lo} arguments`
      : `${lo} to ${hi} arguments`;
  fail(call.loc, `${call.name}() requires ${want} (${n} provided)`);
}

class Checker {
  readonly maps = new Map<string, MapInfo>();
  readonly types = new Map<Expr, ScalarType>();
  readonly printfs: PrintfInfo[] = [];
  readonly printfIds = new Map<Expr, number>();
  readonly locals = new Map<Probe, string[]>();
  private probe!: Probe;
  /** First pass: maps read before the statement that defines them are taken as integers, not refused. */
  constructor(
    private readonly lenient: boolean,
    seed?: Map<string, MapInfo>,
  ) {
    if (seed) for (const [k, v] of seed) this.maps.set(k, { ...v });
  }
  private vars = new Map<string, ScalarType>();

  check(script: Script): TypedScript {
    for (const probe of script.probes) {
      this.probe = probe;
      this.vars = new Map();
      if (probe.pred) this.int(probe.pred, "predicate");
      this.stmts(probe.body);
      this.locals.set(probe, [...this.vars.keys()]);
    }
    return {
      script,
      maps: this.maps,
      types: this.types,
      printfs: this.printfs,
      printfIds: this.printfIds,
      locals: this.locals,
    };
  }

  private stmts(list: Stmt[]): void {
    for (const s of list) this.stmt(s);
  }

  private stmt(s: Stmt): void {
    switch (s.k) {
      case "expr":
        if (s.expr.k === "call" && STATEMENT_CALLS.has(s.expr.name)) return this.statementCall(s.expr);
        if (s.expr.k === "call" && AGGS.has(s.expr.name)) {
          fail(s.expr.loc, `${s.expr.name}() should be directly assigned to a map`);
        }
        if (this.expr(s.expr).t !== "int")
          fail(s.expr.loc, "this expression alone is not a statement: it has no effect");
        return;
      case "if":
        this.int(s.cond, "if condition");
        this.stmts(s.then);
        this.stmts(s.else);
        return;
      case "unroll":
        this.stmts(s.body);
        return;
      case "return":
        if (s.value) {
          if (this.probe.kind !== "packet") fail(s.loc, "return with a value is only allowed in packet probes");
          this.int(s.value, "return value");
        }
        return;
      case "assign":
        return this.assign(s);
    }
  }

  private assign(s: Extract<Stmt, { k: "assign" }>): void {
    const { target, value, op } = s;
    const call = value.k === "call" && AGGS.has(value.name) ? value : undefined;
    if (target.k === "var") {
      if (call) fail(call.loc, `${call.name}() should be directly assigned to a map`);
      const t = this.expr(value);
      if (t.t === "void") fail(value.loc, "expression has no value to assign");
      if (t.t === "str") fail(value.loc, `variable $${target.name} cannot hold a string: only maps can`);
      const had = this.vars.get(target.name);
      if (op !== "=") {
        if (!had) fail(target.loc, `Undefined or undeclared variable: $${target.name}`);
        this.needInt(had, target.loc, `$${target.name}`);
        this.needInt(t, value.loc, "right operand");
      } else if (had && had.t !== t.t) {
        fail(
          s.loc,
          `Type mismatch for $${target.name}: trying to assign value of type '${typeName(t)}' when variable already contains a value of type '${typeName(had)}'`,
        );
      }
      this.vars.set(
        target.name,
        had && had.t === "int" && t.t === "int" ? { t: "int", signed: had.signed && t.signed } : t,
      );
      return;
    }
    const keys = target.keys.map((k) => this.key(k));
    if (call) {
      if (op !== "=") fail(s.loc, `${call.name}() can only be assigned with '=', not '${op}'`);
      arity(call);
      let signed = true;
      if (call.name !== "count") signed = this.int(call.args[0], `${call.name}() argument`).signed;
      let lhist: MapInfo["lhist"];
      if (call.name === "lhist") lhist = this.lhistParams(call);
      this.define(target, keys, call.name as AggKind, call.name === "count" ? false : signed, s.loc, lhist);
      return;
    }
    const t = this.expr(value);
    if (t.t === "void") fail(value.loc, "expression has no value to assign");
    if (op !== "=") {
      this.needInt(t, value.loc, "right operand");
      const existing = this.maps.get(target.name);
      if (existing && existing.value !== "int") {
        fail(s.loc, `'${op}' needs an integer map, but @${target.name} holds ${typeName(existing.value)}`);
      }
    }
    this.define(target, keys, t.t === "int" ? "int" : t.t, t.t === "int" ? t.signed : true, s.loc);
  }

  private lhistParams(call: CallExpr): MapInfo["lhist"] {
    const names = ["min", "max", "step"];
    const [min, max, step] = call.args.slice(1).map((a, i) => {
      const v = constValue(a);
      if (v === undefined) fail(a.loc, `lhist() ${names[i]} must be an integer literal`);
      return v;
    });
    if (step <= 0n) fail(call.args[3].loc, "lhist() step must be >= 1");
    if (max <= min) fail(call.args[2].loc, "lhist() max must be greater than min");
    if ((max - min) / step > 1000n)
      fail(call.loc, "lhist() has too many buckets: (max - min) / step must be at most 1000");
    return { min, max, step };
  }

  private define(
    target: MapExpr,
    keys: KeyType[],
    value: ValueKind,
    signed: boolean,
    loc: Loc,
    lhist?: MapInfo["lhist"],
  ): void {
    const name = target.name;
    const existing = this.maps.get(name);
    if (!existing) {
      this.maps.set(name, { name, index: this.maps.size, keys, value, signed, lhist, loc: target.loc });
      return;
    }
    this.sameKeys(existing, keys, target.loc);
    if (existing.value !== value) {
      fail(
        loc,
        `Type mismatch for @${name}: trying to assign value of type '${typeName(value)}' when map already contains a value of type '${typeName(existing.value)}'`,
      );
    }
    if (
      lhist &&
      existing.lhist &&
      (lhist.min !== existing.lhist.min || lhist.max !== existing.lhist.max || lhist.step !== existing.lhist.step)
    ) {
      fail(loc, `lhist() parameters of @${name} differ from its first use`);
    }
    if (value === "int" && !signed) existing.signed = false;
  }

  private sameKeys(m: MapInfo, keys: KeyType[], loc: Loc): void {
    const norm = (k: KeyType) => (k === "uint" ? "int" : k);
    if (m.keys.length !== keys.length || m.keys.some((k, i) => norm(k) !== norm(keys[i]))) {
      const list = (ks: KeyType[]) => (ks.length === 0 ? "none" : `[${ks.map(keyName).join(", ")}]`);
      fail(
        loc,
        `Argument mismatch for @${m.name}: trying to access with arguments: ${list(keys)} when map expects arguments: ${list(m.keys)}`,
      );
    }
  }

  private key(e: Expr): KeyType {
    const t = this.expr(e);
    if (t.t === "void") fail(e.loc, "a map key needs a value");
    if (t.t === "int") return t.signed ? "int" : "uint";
    return t.t;
  }

  private statementCall(call: CallExpr): void {
    arity(call);
    const a = call.args;
    switch (call.name) {
      case "printf":
        return this.printf(call);
      case "exit":
        return;
      case "print":
      case "clear":
      case "zero":
        if (a[0].k !== "map" || a[0].keys.length > 0)
          fail(a[0].loc, `${call.name}() expects a map with no keys, e.g. ${call.name}(@name)`);
        this.mapRef(a[0]);
        return;
      case "delete": {
        const m = a[0];
        if (m.k !== "map") fail(m.loc, "delete() expects a map element, e.g. delete(@name[key])");
        const info = this.mapRef(m);
        if (info.value === "hist" || info.value === "lhist")
          fail(m.loc, "delete() of a histogram element is not supported: use clear()");
        this.sameKeys(
          info,
          m.keys.map((k) => this.key(k)),
          m.loc,
        );
        return;
      }
    }
  }

  private printf(call: CallExpr): void {
    const [fmt, ...args] = call.args;
    if (fmt.k !== "str") fail(fmt.loc, "printf() expects a string literal as its first argument");
    const specs = parseFormat(fmt.value, fmt.loc);
    if (specs.length !== args.length) {
      fail(
        call.loc,
        `printf: Expected ${specs.length} argument${specs.length === 1 ? "" : "s"} but ${args.length} given`,
      );
    }
    const types = args.map((arg, i) => {
      const t = this.expr(arg);
      const conv = specs[i];
      if (t.t === "void") fail(arg.loc, "printf() argument has no value");
      if (conv === "s" ? t.t === "int" : t.t !== "int") {
        fail(
          arg.loc,
          `printf: %${conv} specifier expects a value of type ${conv === "s" ? "string" : "integer"} (${typeName(t)} supplied)`,
        );
      }
      return t;
    });
    this.printfIds.set(call, this.printfs.length);
    this.printfs.push({ format: fmt.value, args: types });
  }

  private mapRef(m: MapExpr): MapInfo {
    const info = this.maps.get(m.name);
    if (!info && this.lenient)
      return { name: m.name, index: -1, keys: m.keys.map(() => "int"), value: "int", signed: true, loc: m.loc };
    if (!info) fail(m.loc, `Undefined map: @${m.name}`);
    return info;
  }

  private needInt(t: ScalarType, loc: Loc, what: string): void {
    if (t.t !== "int") fail(loc, `${what} must be an integer, not ${typeName(t)}`);
  }

  private int(e: Expr, what: string): Extract<ScalarType, { t: "int" }> {
    const t = this.expr(e);
    this.needInt(t, e.loc, what);
    return t as Extract<ScalarType, { t: "int" }>;
  }

  expr(e: Expr): ScalarType {
    const t = this.type(e);
    this.types.set(e, t);
    return t;
  }

  private type(e: Expr): ScalarType {
    switch (e.k) {
      case "int":
        return INT;
      case "str":
        if (new TextEncoder().encode(e.value).length >= STR_SIZE)
          fail(e.loc, `string literal is longer than ${STR_SIZE - 1} bytes`);
        return { t: "str" };
      case "var": {
        const t = this.vars.get(e.name);
        if (!t) fail(e.loc, `Undefined or undeclared variable: $${e.name}`);
        return t;
      }
      case "builtin":
        return this.builtin(e.name, e.loc);
      case "field": {
        const fields = FIELDS[e.base];
        if (!fields) {
          if (ANYWHERE.has(e.base) || ARGS.has(e.base)) fail(e.loc, `${e.base} has no fields`);
          fail(e.loc, `Unknown identifier: '${e.base}'`);
        }
        if (!fields.includes(e.name)) fail(e.loc, `${e.base} has no field '${e.name}' (fields: ${fields.join(", ")})`);
        this.packetOnly(`${e.base}.${e.name}`, e.loc);
        return UINT;
      }
      case "pkt":
        this.packetOnly(`pkt.u${e.width}`, e.loc);
        this.int(e.index, "packet offset");
        return UINT;
      case "map": {
        const info = this.mapRef(e);
        this.sameKeys(
          info,
          e.keys.map((k) => this.key(k)),
          e.loc,
        );
        if (info.value === "hist" || info.value === "lhist" || info.value === "stats") {
          fail(e.loc, `the value of @${e.name} (${typeName(info.value)}) cannot be used in an expression`);
        }
        if (info.value === "str") return { t: "str" };
        if (info.value === "inet") return { t: "inet" };
        return { t: "int", signed: info.value === "count" ? false : info.signed };
      }
      case "unary": {
        const t = this.int(e.arg, `operand of '${e.op}'`);
        return e.op === "!" ? UINT : e.op === "-" ? INT : t;
      }
      case "binary": {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        if ((e.op === "==" || e.op === "!=") && l.t === r.t && l.t === "inet") return UINT;
        if (l.t !== "int" || r.t !== "int") {
          const bad = l.t !== "int" ? l : r;
          fail(e.loc, `operator '${e.op}' needs integer operands (${typeName(bad)} supplied)`);
        }
        if (["==", "!=", "<", "<=", ">", ">=", "&&", "||"].includes(e.op)) return UINT;
        return { t: "int", signed: l.signed && r.signed };
      }
      case "ternary": {
        this.int(e.cond, "condition");
        const a = this.expr(e.then);
        const b = this.expr(e.else);
        if (a.t !== "int" || b.t !== "int")
          fail(e.loc, `ternary operator branches must both be integers (${typeName(a.t !== "int" ? a : b)} supplied)`);
        return { t: "int", signed: a.signed && b.signed };
      }
      case "call": {
        if (AGGS.has(e.name)) fail(e.loc, `${e.name}() should be directly assigned to a map`);
        if (STATEMENT_CALLS.has(e.name)) fail(e.loc, `${e.name}() should not be used in an expression`);
        arity(e);
        // ntop is the only function with a value
        this.int(e.args[0], "ntop() argument");
        return { t: "inet" };
      }
    }
  }

  private builtin(name: string, loc: Loc): ScalarType {
    if (name === "comm") return { t: "str" };
    if (ANYWHERE.has(name)) return UINT;
    if (PACKET_ONLY.has(name)) {
      this.packetOnly(name, loc);
      return UINT;
    }
    if (ARGS.has(name)) {
      if (this.probe.kind !== "probe")
        fail(loc, `The ${name} builtin can only be used with 'probe' probes (not '${this.probe.name}')`);
      return UINT;
    }
    if (name in FIELDS || name === "pkt")
      fail(loc, `${name} needs a field, e.g. ${name === "pkt" ? "pkt.u8[0]" : `${name}.${FIELDS[name][0]}`}`);
    if (name in ARITY) fail(loc, `${name} is a function: call it as ${name}()`);
    return fail(loc, `Unknown identifier: '${name}'`);
  }

  private packetOnly(what: string, loc: Loc): void {
    if (this.probe.kind !== "packet")
      fail(loc, `The ${what} builtin can only be used with 'packet' probes (not '${this.probe.name}')`);
  }
}

/** An integer literal, possibly negated. */
function constValue(e: Expr): bigint | undefined {
  if (e.k === "int") return BigInt.asIntN(64, e.value);
  if (e.k === "unary" && e.op === "-" && e.arg.k === "int") return -e.arg.value;
  return undefined;
}

export const FORMAT_RE = /%(-?)(\d*)(ll|l|hh|h)?([a-zA-Z%])/g;

/** The conversions of a printf format ('d', 'u', 'x', 's', 'c'); refuses what the host cannot print. */
export function parseFormat(format: string, loc: Loc): string[] {
  const specs: string[] = [];
  for (const m of format.matchAll(FORMAT_RE)) {
    const conv = m[4];
    if (conv === "%") {
      if (m[0] !== "%%") fail(loc, `printf: invalid format '${m[0]}'`);
      continue;
    }
    if (!"duxXsci".includes(conv)) fail(loc, `printf: Unknown format string token: %${conv}`);
    specs.push(conv === "i" ? "d" : conv);
  }
  const stray = format.replace(FORMAT_RE, "");
  if (stray.includes("%")) fail(loc, "printf: a '%' at the end of the format has no conversion");
  return specs;
}

export function check(script: Script): TypedScript {
  // Maps may be read in a probe that comes before the one that assigns them: a first pass learns every map.
  const first = new Checker(true).check(script);
  return new Checker(false, first.maps).check(script);
}
