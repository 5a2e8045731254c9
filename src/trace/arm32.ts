// Scripts on the ARM32 engine: the packet probe becomes a standalone ARM executable (src/engines/arm32) that
// reads the capture (or a live interface) itself and reports its maps; they are printed here as bpftrace prints
// them. The executable runs one program and has no host beside it while it runs, so only scripts that need
// nothing else qualify: a single packet probe, no printf/exit/print/clear/zero (host actions) and no
// nsecs/elapsed (the host's clock); besides it, BEGIN and END probes whose bodies only printf constants (string
// and integer literals, the usual "Tracing... Hit Ctrl-C to end."): their text is known before the run, so it is
// formatted here and printed before the capture and after it, and the executable holds the packet probe alone.
import { loadSync, type LoadedObject } from "../api/object.js";
import type { Expr, Probe, Stmt } from "./ast.js";
import { mapSymbol } from "./codegen.js";
import { compileTyped, type Compiled } from "./compile.js";
import { formatMap, formatPrintf, EXIT_SEPARATOR } from "./output.js";

const HOST_CALLS = new Set(["printf", "exit", "print", "clear", "zero"]);
const HOST_BUILTINS = new Set(["nsecs", "elapsed"]);

/** The text a BEGIN or END probe prints, when its body is printf calls of literals only (else undefined). */
function constantText(p: Probe): string | undefined {
  if (p.pred) return undefined;
  let text = "";
  for (const s of p.body) {
    if (s.k !== "expr" || s.expr.k !== "call" || s.expr.name !== "printf") return undefined;
    const [format, ...args] = s.expr.args;
    const values: (bigint | string)[] = [];
    for (const a of args) {
      if (a.k === "int" || a.k === "str") values.push(a.value);
      else return undefined;
    }
    if (format.k !== "str") return undefined;
    text += formatPrintf(format.value, values);
  }
  return text;
}

/** What an ARM32 executable of the script holds: its packet probe alone, and the text printed before and after. */
export interface Arm32Script {
  compiled: Compiled;
  begin: string;
  end: string;
}

/** The script for the ARM32 engine (arm32Obstacle says why not, first). */
export function arm32Script(c: Compiled): Arm32Script {
  const probes = c.typed.script.probes;
  const text = (kind: "BEGIN" | "END") =>
    probes
      .filter((p) => p.kind === kind)
      .map((p) => constantText(p)!)
      .join("");
  const packet = probes.filter((p) => p.kind === "packet");
  if (packet.length === probes.length) return { compiled: c, begin: "", end: "" };
  const typed = { ...c.typed, script: { ...c.typed.script, probes: packet } };
  return { compiled: compileTyped(typed), begin: text("BEGIN"), end: text("END") };
}

/** Why the script cannot run as an ARM32 executable, or undefined when it can. */
export function arm32Obstacle(c: Compiled): string | undefined {
  const probes = c.typed.script.probes;
  const packets = probes.filter((p) => p.kind === "packet");
  const others = probes.filter((p) => p.kind !== "packet");
  if (
    packets.length !== 1 ||
    others.some((p) => (p.kind !== "BEGIN" && p.kind !== "END") || constantText(p) === undefined)
  )
    return "the arm32 engine runs one packet probe, with BEGIN and END probes that only printf constants";
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
  const stmts = (list: Stmt[]): void => {
    for (const s of list) {
      if (s.k === "expr") expr(s.expr);
      else if (s.k === "assign") {
        expr(s.target);
        expr(s.value);
      } else if (s.k === "if") {
        expr(s.cond);
        stmts(s.then);
        stmts(s.else);
      } else if (s.k === "unroll") stmts(s.body);
      else expr(s.value);
    }
  };
  expr(packets[0].pred);
  stmts(packets[0].body);
  return found ? `the arm32 engine cannot run ${found}: it needs the host while the probe runs` : undefined;
}

export interface Arm32Input {
  pcap?: string;
  mem?: string;
  iface?: string;
  seconds?: number;
}

const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

/**
 * Runs the script's packet probe natively (qemu-arm off ARM) and returns what bpftrace prints: the BEGIN text, the
 * END text and the maps. With `early`, the BEGIN text goes there before the run instead (a live capture's banner).
 */
export async function runOnArm32(c: Compiled, input: Arm32Input, early?: (text: string) => void): Promise<string> {
  const why = arm32Obstacle(c);
  if (why) throw new Error(why);
  const script = arm32Script(c);
  c = script.compiled;
  if (early && script.begin) early(script.begin);
  const { runExecutable } = await import("../engines/arm32/engine.js");
  const obj: LoadedObject = loadSync(c.object, { engine: "interp", fileName: "trace.o" });
  const prog = obj.program(c.programs[0].name);
  // Ctrl-C during a live capture reaches the executable too (one process group): it stops reading and prints its
  // maps, and this process, not stopped by the signal meanwhile, prints them as bpftrace does.
  const ignore = () => {};
  if (input.iface) process.on("SIGINT", ignore);
  let text: string;
  try {
    text = runExecutable(obj, prog, { ...input, json: true }).trim();
  } finally {
    process.off("SIGINT", ignore);
  }
  const result = JSON.parse(text.split("\n").pop() ?? "") as { maps: Record<string, { key: string; value: string }[]> };
  const names = [...c.typed.maps.keys()].sort();
  return (
    (early ? "" : script.begin) +
    script.end +
    EXIT_SEPARATOR +
    names
      .map((name) => {
        const entries = (result.maps[mapSymbol(name)] ?? []).map((e) => ({ key: unhex(e.key), value: unhex(e.value) }));
        return formatMap(c.typed.maps.get(name)!, entries);
      })
      .join("")
  );
}
