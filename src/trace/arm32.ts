// Scripts on the ARM32 engine: the packet probe becomes a standalone ARM executable (src/engines/arm32) that
// reads the capture (or a live interface) itself and reports its maps; they are printed here as bpftrace prints
// them. The executable runs one program and has no host beside it while it runs, so only scripts that need
// nothing else qualify: a single packet probe, no print/clear/zero (host actions) and no nsecs/elapsed (the host's
// clock); its printf calls become bpf_trace_printk calls that the executable prints at once (arm32-printf.ts), and
// its exit() a ring buffer record that makes the executable stop reading, print END's text and the maps. Besides
// it, BEGIN probes that read no builtin and call no exit(), and END probes whose bodies only printf constants
// (string and integer literals), also the values of scalar integer maps with a plain %d, %u or %x (`printf("%d
// frames\n", @n)`). BEGIN runs before any frame and reads nothing that changes from one run to the next, so it runs
// here, on the interpreter: its text is printed first and the maps it leaves are the executable's initial maps
// (`BEGIN { @limit = 100; printf("Tracing...\n") }`). END's text is formatted here, the maps' values left as holes
// that the executable fills (or the host, from the maps the executable reports). The executable holds the packet
// probe alone.
import { loadSync, type LoadedObject } from "../api/object.js";
import type { Expr, Probe, Stmt } from "./ast.js";
import { mapSymbol } from "./codegen.js";
import { compileTyped, type Compiled } from "./compile.js";
import { formatMap, formatPrintf, EXIT_SEPARATOR } from "./output.js";
import { Trace } from "./runtime.js";
import { printkCalls } from "./arm32-printf.js";
import { OPT_TRACE_EXIT, OPT_TRACE_PRINTK } from "../../targets/arm32/abi.js";

const HOST_CALLS = new Set(["print", "clear", "zero"]);
const HOST_BUILTINS = new Set(["nsecs", "elapsed"]);

/** Printed text, or the value of scalar map `map` printed with `%conv`. */
export type Segment = string | { map: string; conv: "d" | "u" | "x" };

const CONVERSION = /%(-?)(0?)(\d*)(ll|l|hh|h)?([a-zA-Z%])/g;
const INT_KINDS = new Set(["int", "count", "sum", "min", "max"]);

/**
 * What a BEGIN or END probe prints, when its body is printf calls of literals (and, with `maps`, of scalar integer
 * maps under a plain %d, %u or %x): text and holes for the maps' values. Undefined for any other body.
 */
function printedSegments(c: Compiled, p: Probe, maps: boolean): Segment[] | undefined {
  if (p.pred) return undefined;
  const out: Segment[] = [];
  for (const s of p.body) {
    if (s.k !== "expr" || s.expr.k !== "call" || s.expr.name !== "printf") return undefined;
    const [format, ...args] = s.expr.args;
    if (format.k !== "str") return undefined;
    let at = 0;
    let next = 0;
    for (const m of format.value.matchAll(CONVERSION)) {
      out.push(format.value.slice(at, m.index));
      at = m.index + m[0].length;
      if (m[0] === "%%") {
        out.push("%");
        continue;
      }
      const a = args[next++];
      if (a.k === "int" || a.k === "str") out.push(formatPrintf(m[0], [a.value]));
      else if (
        maps &&
        a.k === "map" &&
        a.keys.length === 0 &&
        INT_KINDS.has(c.typed.maps.get(a.name)?.value ?? "") &&
        (m[0] === "%d" || m[0] === "%u" || m[0] === "%x")
      )
        out.push({ map: a.name, conv: m[5] as "d" | "u" | "x" });
      else return undefined;
    }
    out.push(format.value.slice(at));
  }
  // adjacent text as one string
  return out.reduce<Segment[]>((list, x) => {
    const last = list[list.length - 1];
    if (typeof x === "string" && typeof last === "string") list[list.length - 1] = last + x;
    else if (x !== "") list.push(x);
    return list;
  }, []);
}

/** What an ARM32 executable of the script holds: its packet probe alone, and what is printed before and after. */
export interface Arm32Script {
  compiled: Compiled;
  begin: string;
  end: Segment[];
  /** The maps' entries BEGIN left (by object map name), the executable's initial contents. */
  initial: Map<string, { key: Uint8Array; value: Uint8Array }[]>;
  /** What the packet probe needs of the executable: OPT_TRACE_PRINTK (printf), OPT_TRACE_EXIT (exit()). */
  trace: number;
}

/** Gives the loaded packet-probe object the maps BEGIN left (before an executable is built from it). */
export function seedMaps(script: Arm32Script, obj: LoadedObject): void {
  for (const [name, entries] of script.initial) {
    const map = obj.maps.get(name);
    if (map) for (const e of entries) map.update(e.key, e.value);
  }
}

/** Can BEGIN probe `p` run on the host before the executable (no builtin read, no exit())? */
function beginOnHost(p: Probe): boolean {
  let ok = true;
  const expr = (e: Expr | undefined): void => {
    if (!e || !ok) return;
    if (e.k === "builtin" || (e.k === "call" && e.name === "exit")) ok = false;
    else if (e.k === "call") e.args.forEach(expr);
    else if (e.k === "map") e.keys.forEach(expr);
    else if (e.k === "unary") expr(e.arg);
    else if (e.k === "binary") [e.left, e.right].forEach(expr);
    else if (e.k === "ternary") [e.cond, e.then, e.else].forEach(expr);
  };
  walk(p.body, expr);
  expr(p.pred);
  return ok;
}

/** Every expression of `list`'s statements, nested ones included. */
function walk(list: Stmt[], expr: (e: Expr) => void): void {
  for (const s of list) {
    if (s.k === "expr") expr(s.expr);
    else if (s.k === "assign") {
      expr(s.target);
      expr(s.value);
    } else if (s.k === "if") {
      expr(s.cond);
      walk(s.then, expr);
      walk(s.else, expr);
    } else if (s.k === "unroll") walk(s.body, expr);
    else if (s.value) expr(s.value);
  }
}

/** Runs the BEGIN probes on the interpreter: their text and the maps they leave. */
function runBegin(c: Compiled, probes: Probe[]): { text: string; initial: Arm32Script["initial"] } {
  let text = "";
  const initial: Arm32Script["initial"] = new Map();
  if (probes.length === 0) return { text, initial };
  const typed = { ...c.typed, script: { ...c.typed.script, probes } };
  const trace = new Trace(compileTyped(typed), { engine: "interp", out: (t) => (text += t) });
  trace.begin(0n);
  for (const name of c.typed.maps.keys()) {
    const entries = trace.object.get(mapSymbol(name)).dump();
    if (entries.length) initial.set(mapSymbol(name), entries);
  }
  return { text, initial };
}

/** END's text with the maps' values (`value(name)`: the scalar map's value, 0 when it has none). */
export function endText(end: Segment[], value: (map: string) => bigint): string {
  return end.map((s) => (typeof s === "string" ? s : formatPrintf(`%${s.conv}`, [value(s.map)]))).join("");
}

/** The packet probe's calls of `name` (printf, exit). */
function calls(p: Probe, name: string): Extract<Expr, { k: "call" }>[] {
  const found: Extract<Expr, { k: "call" }>[] = [];
  const expr = (e: Expr | undefined): void => {
    if (!e) return;
    if (e.k === "call") {
      if (e.name === name) found.push(e);
      e.args.forEach(expr);
    } else if (e.k === "map") e.keys.forEach(expr);
    else if (e.k === "pkt") expr(e.index);
    else if (e.k === "unary") expr(e.arg);
    else if (e.k === "binary") [e.left, e.right].forEach(expr);
    else if (e.k === "ternary") [e.cond, e.then, e.else].forEach(expr);
  };
  expr(p.pred);
  walk(p.body, expr);
  return found;
}

/** The script for the ARM32 engine (arm32Obstacle says why not, first). */
export function arm32Script(c: Compiled): Arm32Script {
  const probes = c.typed.script.probes;
  const packet = probes.filter((p) => p.kind === "packet");
  const trace =
    (calls(packet[0], "printf").length ? OPT_TRACE_PRINTK : 0) | (calls(packet[0], "exit").length ? OPT_TRACE_EXIT : 0);
  const typed = { ...c.typed, script: { ...c.typed.script, probes: packet } };
  const compiled = trace
    ? compileTyped(typed, { printk: true })
    : packet.length === probes.length
      ? c
      : compileTyped(typed);
  if (packet.length === probes.length) return { compiled, begin: "", end: [], initial: new Map(), trace };
  const begin = runBegin(
    c,
    probes.filter((p) => p.kind === "BEGIN"),
  );
  const end = probes.filter((p) => p.kind === "END").flatMap((p) => printedSegments(c, p, true)!);
  return { compiled, begin: begin.text, end, initial: begin.initial, trace };
}

/** Does any string literal of the script hold a character outside ASCII? */
function nonAsciiLiteral(c: Compiled): boolean {
  let found = false;
  const expr = (e: Expr | undefined): void => {
    if (!e || found) return;
    if (e.k === "str") found = /[^\x00-\x7f]/.test(e.value);
    else if (e.k === "call") e.args.forEach(expr);
    else if (e.k === "map") e.keys.forEach(expr);
    else if (e.k === "unary") expr(e.arg);
    else if (e.k === "binary") [e.left, e.right].forEach(expr);
    else if (e.k === "ternary") [e.cond, e.then, e.else].forEach(expr);
  };
  for (const p of c.typed.script.probes) {
    expr(p.pred);
    walk(p.body, expr);
  }
  return found;
}

/** Why the packet probe's printf calls cannot be printed by the executable, or undefined when they can. */
function printfObstacle(c: Compiled, packet: Probe): string | undefined {
  for (const call of calls(packet, "printf")) {
    const args = call.args.slice(1);
    const plan = printkCalls(
      (call.args[0] as { value: string }).value,
      args.map((a) => c.typed.types.get(a)!),
    );
    if (typeof plan === "string") return plan;
    // the executable prints a string's bytes one character each (Latin-1), the host decodes them as UTF-8
    if (args.some((a) => c.typed.types.get(a)!.t === "str") && nonAsciiLiteral(c))
      return "the arm32 engine's printf prints strings of ASCII characters only";
  }
  return undefined;
}

/** Why the script cannot run as an ARM32 executable, or undefined when it can. */
export function arm32Obstacle(c: Compiled): string | undefined {
  const probes = c.typed.script.probes;
  const packets = probes.filter((p) => p.kind === "packet");
  const others = probes.filter((p) => p.kind !== "packet");
  if (
    packets.length !== 1 ||
    others.some((p) =>
      p.kind === "BEGIN" ? !beginOnHost(p) : p.kind !== "END" || printedSegments(c, p, true) === undefined,
    )
  )
    return "the arm32 engine runs one packet probe (printf and exit() included, not print/clear/zero), with BEGIN probes that read no builtin and call no exit() and END probes that only printf constants (and END scalar maps)";
  const printf = printfObstacle(c, packets[0]);
  if (printf) return printf;
  let found: string | undefined;
  const expr = (e: Expr | undefined): void => {
    if (!e || found) return;
    switch (e.k) {
      case "builtin":
        if (HOST_BUILTINS.has(e.name)) found = e.name;
        return;
      case "call":
        if (HOST_CALLS.has(e.name)) found = `${e.name}()`;
        e.args.forEach(expr);
        return;
      case "map":
        e.keys.forEach(expr);
        return;
      case "pkt":
        expr(e.index);
        return;
      case "unary":
        expr(e.arg);
        return;
      case "binary":
        expr(e.left);
        expr(e.right);
        return;
      case "ternary":
        expr(e.cond);
        expr(e.then);
        expr(e.else);
        return;
    }
  };
  expr(packets[0].pred);
  walk(packets[0].body, expr);
  return found ? `the arm32 engine cannot run ${found}: it needs the host while the probe runs` : undefined;
}

export interface Arm32Input {
  pcap?: string;
  mem?: string;
  iface?: string;
  seconds?: number;
}

const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

const REPORT = '{"r0":';

/**
 * The executable's output as it comes: its printf lines go to `write` at once, line by line; its last line, the
 * --json report, is held back (in `rest`). A line holding what looks like the report is held until another line
 * follows it (a printf line may hold anything).
 */
class LiveLines {
  rest = "";
  constructor(private readonly write: (text: string) => void) {}
  add(text: string): void {
    this.rest += text;
    for (let end = this.rest.indexOf("\n"); end >= 0; end = this.rest.indexOf("\n")) {
      if (end === this.rest.length - 1 && this.rest.includes(REPORT)) return; // perhaps the report
      this.write(this.rest.slice(0, end + 1));
      this.rest = this.rest.slice(end + 1);
    }
  }
}

/**
 * Runs the script's packet probe natively (qemu-arm off ARM) and returns what bpftrace prints: the BEGIN text, the
 * END text and the maps. With `early`, the BEGIN text goes there before the run instead (a live capture's banner),
 * and the packet probe's printf lines as the executable writes them.
 */
export async function runOnArm32(c: Compiled, input: Arm32Input, early?: (text: string) => void): Promise<string> {
  const why = arm32Obstacle(c);
  if (why) throw new Error(why);
  const script = arm32Script(c);
  c = script.compiled;
  if (early && script.begin) early(script.begin);
  const { runExecutable, streamExecutable } = await import("../engines/arm32/engine.js");
  const obj: LoadedObject = loadSync(c.object, { engine: "interp", fileName: "trace.o" });
  const prog = obj.program(c.programs[0].name);
  seedMaps(script, obj);
  // Ctrl-C during a live capture reaches the executable too (one process group): it stops reading and prints its
  // maps, and this process, not stopped by the signal meanwhile, prints them as bpftrace does.
  const ignore = () => {};
  if (input.iface) process.on("SIGINT", ignore);
  let text: string;
  try {
    const args = { ...input, json: true, trace: script.trace };
    if (early && script.trace & OPT_TRACE_PRINTK) {
      const lines = new LiveLines(early);
      await streamExecutable(obj, prog, args, (t) => lines.add(t));
      text = lines.rest;
    } else text = runExecutable(obj, prog, args);
  } finally {
    process.off("SIGINT", ignore);
  }
  // the packet probe's printf lines, then the --json report on a line of its own
  const report = text.lastIndexOf(REPORT);
  const printed = text.slice(0, report);
  const result = JSON.parse(text.slice(report)) as { maps: Record<string, { key: string; value: string }[]> };
  const names = [...c.typed.maps.keys()].sort();
  const scalar = (name: string) => {
    const e = result.maps[mapSymbol(name)]?.[0];
    return e ? new DataView(unhex(e.value).buffer).getBigUint64(0, true) : 0n;
  };
  return (
    (early ? "" : script.begin) +
    printed +
    endText(script.end, scalar) +
    EXIT_SEPARATOR +
    names
      .map((name) => {
        const entries = (result.maps[mapSymbol(name)] ?? []).map((e) => ({ key: unhex(e.key), value: unhex(e.value) }));
        return formatMap(c.typed.maps.get(name)!, entries);
      })
      .join("")
  );
}
