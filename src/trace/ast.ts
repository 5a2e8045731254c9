// The syntax tree of a script. Every node keeps its source position for error messages.
import type { Loc } from "./errors.js";

export type ProbeKind = "BEGIN" | "END" | "interval" | "packet" | "probe";

export interface Probe {
  kind: ProbeKind;
  name: string; // the probe as written: "BEGIN", "interval:s:1", "probe:open", ...
  periodNs?: bigint; // interval probes
  event?: string; // probe:NAME
  pred?: Expr;
  body: Stmt[];
  loc: Loc;
}

export interface Script {
  probes: Probe[];
}

export type Expr =
  | { k: "int"; value: bigint; loc: Loc }
  | { k: "str"; value: string; loc: Loc }
  | { k: "builtin"; name: string; loc: Loc }
  | { k: "field"; base: string; name: string; loc: Loc } // eth.type, ip.src, tcp.dport, ...
  | { k: "pkt"; width: 8 | 16 | 32; index: Expr; loc: Loc } // pkt.u16[off]
  | { k: "map"; name: string; keys: Expr[]; loc: Loc }
  | { k: "var"; name: string; loc: Loc }
  | { k: "unary"; op: string; arg: Expr; loc: Loc }
  | { k: "binary"; op: string; left: Expr; right: Expr; loc: Loc }
  | { k: "ternary"; cond: Expr; then: Expr; else: Expr; loc: Loc }
  | { k: "call"; name: string; args: Expr[]; loc: Loc };

export type MapExpr = Extract<Expr, { k: "map" }>;
export type VarExpr = Extract<Expr, { k: "var" }>;
export type CallExpr = Extract<Expr, { k: "call" }>;

export type Stmt =
  | { k: "expr"; expr: Expr; loc: Loc }
  | { k: "assign"; target: MapExpr | VarExpr; op: string; value: Expr; loc: Loc } // op: "=", "+=", ...
  | { k: "if"; cond: Expr; then: Stmt[]; else: Stmt[]; loc: Loc }
  | { k: "unroll"; count: bigint; body: Stmt[]; loc: Loc }
  | { k: "return"; value?: Expr; loc: Loc };

/** A position covering two others (first's start to last's end), when they share a line. */
export function span(a: Loc, b: Loc): Loc {
  return a.line === b.line && b.end > a.col ? { line: a.line, col: a.col, end: b.end } : a;
}
