// Scripts on the ARM32 engine: the packet probe becomes a standalone ARM executable (src/engines/arm32) that
// reads the capture (or a live interface) itself and reports its maps; they are printed here as bpftrace prints
// them. The executable runs one program and has no host beside it while it runs, so only scripts that need
// nothing else qualify: a single packet probe, no printf/exit/print/clear/zero (host actions) and no
// nsecs/elapsed (the host's clock).
import { loadSync, type LoadedObject } from "../api/object.js";
import type { Expr, Stmt } from "./ast.js";
import { mapSymbol } from "./codegen.js";
import type { Compiled } from "./compile.js";
import { formatMap, EXIT_SEPARATOR } from "./output.js";

const HOST_CALLS = new Set(["printf", "exit", "print", "clear", "zero"]);
const HOST_BUILTINS = new Set(["nsecs", "elapsed"]);

/** Why the script cannot run as an ARM32 executable, or undefined when it can. */
export function arm32Obstacle(c: Compiled): string | undefined {
  const probes = c.typed.script.probes;
  if (probes.length !== 1 || probes[0].kind !== "packet")
    return "the arm32 engine runs scripts made of one packet probe";
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
  expr(probes[0].pred);
  stmts(probes[0].body);
  return found ? `the arm32 engine cannot run ${found}: it needs the host while the probe runs` : undefined;
}

export interface Arm32Input {
  pcap?: string;
  mem?: string;
  iface?: string;
  seconds?: number;
}

const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

/** Runs the script's packet probe natively (qemu-arm off ARM) and returns bpftrace's printing of its maps. */
export async function runOnArm32(c: Compiled, input: Arm32Input): Promise<string> {
  const why = arm32Obstacle(c);
  if (why) throw new Error(why);
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
    EXIT_SEPARATOR +
    names
      .map((name) => {
        const entries = (result.maps[mapSymbol(name)] ?? []).map((e) => ({ key: unhex(e.key), value: unhex(e.value) }));
        return formatMap(c.typed.maps.get(name)!, entries);
      })
      .join("")
  );
}
