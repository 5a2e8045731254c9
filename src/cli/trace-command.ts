// `tinybpf trace`: bpftrace-style one-liners compiled by tinybpf itself (src/trace) and run over a capture, a
// memory file or nothing (BEGIN/END only). Script errors print in bpftrace's shape (position, line, marker).
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { tmpdir } from "node:os";
import { readCapture, type Packet } from "../tools/pcap.js";
import { CaptureStream } from "../tools/pcap-stream.js";
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
  const feed = feeder(t, seconds);
  if (pcap === "-") await streamStdin(feed);
  else if (pcap) readCapture(readInput(pcap), basename(pcap)).every(feed.packet);
  else if (mem) t.packet(readInput(mem), 0n);
  t.finish(feed.end());
  return 0;
}

interface Feeder {
  /** Runs the packet probes over one frame; false when the trace is over (exit(), --seconds). */
  packet(p: Packet): boolean;
  /** The capture time the trace ended at (undefined without frames). */
  end(): bigint | undefined;
}

/** Frames in capture order: BEGIN at the first one's time, the clock from their time stamps, --seconds. */
function feeder(t: Trace, seconds: bigint | undefined): Feeder {
  let first: bigint | undefined;
  let end: bigint | undefined;
  let over = false;
  return {
    packet(p) {
      if (over || t.exited) return false;
      const now = BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec);
      if (first === undefined) t.begin((first = now));
      if (seconds !== undefined && now - first >= seconds) {
        t.advance(first + seconds);
        end = first + seconds;
        over = true;
        return false;
      }
      t.packet(p.data, now);
      end = now;
      return !t.exited;
    },
    end: () => end,
  };
}

/**
 * The capture on standard input, traced as its records arrive (a pipe from a live capture). The input ends at its
 * end, at exit() or --seconds, or at SIGINT (Ctrl-C), which then ends the trace as bpftrace does: END probes and
 * the maps, exit status 0.
 */
function streamStdin(feed: Feeder): Promise<void> {
  const stream = new CaptureStream("stdin");
  const input = process.stdin;
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", finish);
      process.off("SIGINT", onInterrupt);
      input.destroy();
      if (error) reject(error);
      else resolve();
    };
    const run = (packets: Packet[]) => packets.every(feed.packet);
    const onData = (chunk: Buffer) => {
      try {
        if (!run(stream.push(chunk))) finish();
      } catch (e) {
        finish(e);
      }
    };
    const onEnd = () => {
      try {
        run(stream.end());
        finish();
      } catch (e) {
        finish(e);
      }
    };
    const onInterrupt = () => finish();
    input.on("data", onData);
    input.on("end", onEnd);
    input.on("error", finish);
    process.on("SIGINT", onInterrupt);
  });
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
    const text = await runOnArm32(
      compiled,
      { pcap, mem: args.options.get("mem"), iface: args.options.get("iface"), seconds },
      (begin) => process.stdout.write(begin), // BEGIN's text before the capture starts
    );
    process.stdout.write(text);
    return 0;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

export const commands: Record<string, Command> = { trace };
