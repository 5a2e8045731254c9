// `tinybpf trace`: bpftrace-style one-liners compiled by tinybpf itself (src/trace) and run over a capture, a
// memory file or nothing (BEGIN/END only). Script errors print in bpftrace's shape (position, line, marker).
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { tmpdir } from "node:os";
import { readCapture } from "../tools/pcap.js";
import { compile, type Compiled } from "../trace/compile.js";
import { arm32Obstacle, runOnArm32 } from "../trace/arm32.js";
import { Trace } from "../trace/runtime.js";
import { TraceError, formatError } from "../trace/errors.js";
import { engineNames, type EngineName } from "../runtime/engines.js";
import { type Args, type Command, type Out, UsageError, readInput, intOption } from "./args.js";

export const TRACE_USAGE = `usage: tinybpf trace (-e 'SCRIPT' | FILE.bt) [--pcap FILE|- | --mem FILE] [--seconds N]
                    [--engine auto|interp|wasm|arm32] [-o prog.o]
  Compiles a bpftrace-style script to eBPF and runs it: BEGIN, packet probes once per frame of the capture (their
  clock is the capture's time stamps), interval probes as capture time passes, END; then prints every map.
  -o writes the compiled ELF object (BTF-defined maps) for tinybpf run / info.`;

function scriptOf(args: Args): { source: string; file: string } {
  const pos = args.positional;
  const e = pos.indexOf("-e");
  if (e >= 0) {
    if (e + 1 >= pos.length) throw new UsageError("-e needs a script");
    if (pos.length > 2) throw new UsageError(`unexpected argument '${pos.find((_, i) => i !== e && i !== e + 1)}'`);
    return { source: pos[e + 1], file: "stdin" };
  }
  if (pos.length !== 1) throw new UsageError("trace needs -e 'SCRIPT' or a script file");
  return { source: new TextDecoder().decode(readInput(pos[0])), file: pos[0] };
}

const KNOWN = new Set(["pcap", "mem", "engine", "o", "seconds", "help", "iface"]);

export async function trace(args: Args, out: Out, err: Out = (s) => process.stderr.write(s + "\n")): Promise<number> {
  if (args.options.has("help")) {
    out(TRACE_USAGE);
    return 0;
  }
  for (const k of args.options.keys()) if (!KNOWN.has(k)) throw new UsageError(`unknown option --${k}`);
  if (args.options.has("iface") && args.options.get("engine") !== "arm32") {
    throw new UsageError("--iface captures live packets natively: it needs --engine arm32");
  }
  if (args.options.has("pcap") && args.options.has("mem")) throw new UsageError("--pcap and --mem cannot be combined");
  const engine = (args.options.get("engine") ?? "auto") as EngineName | "auto";
  if (engine !== "auto" && !engineNames().includes(engine)) {
    throw new UsageError(`unknown engine '${engine}' (available: ${engineNames().join(", ")}, auto)`);
  }
  const { source, file } = scriptOf(args);
  let compiled;
  try {
    compiled = compile(source);
  } catch (e) {
    if (e instanceof TraceError) {
      err(formatError(e, source, file === "stdin" ? "stdin" : basename(file)));
      return 1;
    }
    throw e;
  }
  const dest = args.options.get("o");
  if (dest) {
    writeFileSync(dest, compiled.object);
    if (!args.options.has("pcap") && !args.options.has("mem")) return 0;
  }
  if (engine === "arm32") return arm32(compiled, args, out);
  const seconds = args.options.has("seconds") ? BigInt(intOption(args, "seconds", 0)) * 1_000_000_000n : undefined;
  const t = new Trace(compiled, { engine, out: (text) => process.stdout.write(text) });
  const pcap = args.options.get("pcap");
  const mem = args.options.get("mem");
  let end: bigint | undefined;
  if (pcap) {
    const bytes = pcap === "-" ? new Uint8Array(readFileSync(0)) : readInput(pcap);
    const packets = readCapture(bytes, pcap === "-" ? "stdin" : basename(pcap));
    const time = (i: number) => BigInt(packets[i].tsSec) * 1_000_000_000n + BigInt(packets[i].tsNsec);
    if (packets.length > 0) t.begin(time(0));
    for (let i = 0; i < packets.length && !t.exited; i++) {
      const now = time(i);
      if (seconds !== undefined && now - time(0) >= seconds) {
        t.advance(time(0) + seconds);
        end = time(0) + seconds;
        break;
      }
      t.packet(packets[i].data, now);
      end = now;
    }
  } else if (mem) {
    t.packet(readInput(mem), 0n);
  }
  t.finish(end);
  return 0;
}

/** The packet probe as an ARM32 executable over the capture, the interface or the memory file. */
async function arm32(compiled: Compiled, args: Args, out: Out): Promise<number> {
  const why = arm32Obstacle(compiled);
  if (why) throw new UsageError(`${why} (use --engine interp or wasm)`);
  let pcap = args.options.get("pcap");
  let dir: string | undefined;
  if (pcap === "-") {
    dir = mkdtempSync(join(tmpdir(), "tinybpf-trace-"));
    pcap = join(dir, "stdin.pcap");
    writeFileSync(pcap, readFileSync(0));
  }
  try {
    const seconds = args.options.has("iface") ? intOption(args, "seconds", 10) : undefined;
    const text = await runOnArm32(compiled, {
      pcap,
      mem: args.options.get("mem"),
      iface: args.options.get("iface"),
      seconds,
    });
    process.stdout.write(text);
    return 0;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

export const commands: Record<string, Command> = { trace };
