// iface: links through the module's ARM32 executable. On an ARM host the daemon runs the executable itself,
// elsewhere under qemu-arm when it is on the daemon's PATH: the executable reads the interface (an AF_PACKET socket,
// no tcpdump), runs the program natively and writes its maps every SNAPSHOT_MS milliseconds as one JSON line
// (`--iface NAME --snapshots MS`, targets/arm32/driver/snapshots.ts). Each line replaces the module's map contents,
// so tables, metrics and events follow the executable. While the link runs the executable owns the maps: the daemon
// refuses other links on the module and writes to its tables (daemon.ts). The builder lives in the engines' layer,
// above this one: whoever starts the daemon registers it (the CLI; a device bundle only with --arm32).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BpfMap } from "../api/bpf-map.js";
import { unhex } from "../cli/map-output.js";
import { findTcpdump } from "./capture.js";
import { onPath, WatchedChild, type LiveCapture } from "./child.js";
import { HttpError, oneLine } from "./http.js";
import type { Module } from "./modules.js";
import { writeFileAtomic } from "./store.js";

/** How often the executable writes the maps: the web UI refreshes tables once a second. */
export const SNAPSHOT_MS = 500;

export type Via = "native" | "tcpdump";

export interface ExecutableBuilder {
  /** Identifies what the builder makes (its translator): part of the cache key. */
  id: string;
  /** Can a program of this type capture live in an executable (a socket filter)? */
  capturesLive(type: string): boolean;
  /** The executable of `program` of the object `bytes`, with --snapshots. */
  build(bytes: Uint8Array, program: string, opts: { budget: number; ncpus: number }): Uint8Array;
}

let loader: (() => Promise<ExecutableBuilder>) | undefined;
let builder: ExecutableBuilder | undefined;
let missing = "this daemon cannot build ARM32 executables (a device bundle made without --arm32)";

/** Registers what loads the builder; the daemon loads it at start (loadExecutableBuilder), once. */
export function registerExecutableBuilder(load: () => Promise<ExecutableBuilder>): void {
  loader = load;
}

/** Loads the registered builder; a builder that does not load (no build/arm32.wasm) is the reason given later. */
export async function loadExecutableBuilder(): Promise<void> {
  if (!loader || builder) return;
  try {
    builder = await loader();
  } catch (e) {
    missing = `this daemon cannot build ARM32 executables: ${oneLine(e)}`;
  }
}

/** How the executable is started: the command before its own path and arguments. */
export interface Runner {
  command: string | undefined; // undefined: the executable itself
  args: string[];
  describe: string;
}

/** The executable runs natively on 32-bit ARM Linux, else under qemu-arm from the PATH; or why it cannot run. */
function runner(): Runner | string {
  if (!builder) return missing;
  if (process.platform === "linux" && process.arch === "arm")
    return { command: undefined, args: [], describe: "ARM32 executable" };
  const qemu = onPath("qemu-arm");
  if (qemu) return { command: qemu, args: ["-cpu", "cortex-a8"], describe: "ARM32 executable under qemu-arm" };
  return "not an ARM host and no qemu-arm on the daemon's PATH";
}

/**
 * Which way an iface: link reads packets: as asked (`via`), else the executable where it can run and the
 * program is a socket filter, else tcpdump. A way that cannot be taken is a 400 saying why.
 */
export function chooseVia(asked: Via | undefined, mod: Module, program: string): { via: Via; runner?: Runner } {
  const type = mod.obj.program(program).type;
  const run = runner();
  const executable = (): { via: Via; runner: Runner } | string => {
    if (typeof run === "string") return run;
    if (!builder!.capturesLive(type)) return `${program} is a ${type} program, and executables capture socket filters`;
    return { via: "native", runner: run };
  };
  if (asked === "native") {
    const e = executable();
    if (typeof e === "string") throw new HttpError(400, `iface link via native: ${e}`);
    return e;
  }
  if (asked === "tcpdump" || asked === undefined) {
    if (asked === undefined) {
      const e = executable();
      if (typeof e !== "string") return e;
    }
    if (findTcpdump()) return { via: "tcpdump" };
    if (asked === "tcpdump")
      throw new HttpError(400, "iface links read packets from tcpdump, which is not on the daemon's PATH");
    throw new HttpError(
      400,
      `iface links need the ARM32 executable (${executable() as string}) or tcpdump on the daemon's PATH`,
    );
  }
  throw new HttpError(400, `via must be "native" or "tcpdump", not ${JSON.stringify(asked)}`);
}

/** The module's executable for `program`, built once and kept under DIR/executables by what it is made from. */
export function executableFor(dataDir: string, mod: Module, bytes: Uint8Array, program: string): string {
  const budget = mod.record.budget;
  const ncpus = mod.record.ncpus ?? 1;
  const key = createHash("sha256")
    .update([mod.record.digest, program, budget, ncpus, builder!.id].join("\n"))
    .digest("hex");
  const dir = join(dataDir, "executables");
  const file = join(dir, key);
  if (existsSync(file)) return file;
  let exe: Uint8Array;
  try {
    exe = builder!.build(bytes, program, { budget, ncpus });
  } catch (e) {
    throw new HttpError(400, `${program}: no ARM32 executable: ${oneLine(e)}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(file, exe, 0o755);
  return file;
}

export interface Snapshot {
  r0: bigint;
  runs: number;
  maps: Record<string, { key: string; value: string }[]>;
}

/**
 * Runs the executable on `iface` in snapshot mode: `onSnapshot` gets each line as it arrives, `onEnd` once, with an
 * error when the executable failed (its stderr's last line: a fault, no such interface, raw sockets not permitted;
 * or its exit status). stop() ends it with SIGTERM.
 */
export function captureSnapshots(
  exe: string,
  run: Runner,
  iface: string,
  program: string,
  onSnapshot: (s: Snapshot) => void,
  onEnd: (error?: string) => void,
): LiveCapture {
  const args = [exe, "--iface", iface, "--snapshots", String(SNAPSHOT_MS)];
  const child = run.command
    ? spawn(run.command, [...run.args, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(exe, args.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const watch = new WatchedChild(child, run.describe, onEnd);
  let pending = "";
  child.stdout!.setEncoding("utf8").on("data", (text: string) => {
    if (watch.ended || watch.stopped) return;
    pending += text;
    for (let nl = pending.indexOf("\n"); nl >= 0 && !watch.ended; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        const j = JSON.parse(line) as { r0: string; runs: number; maps: Snapshot["maps"] };
        onSnapshot({ r0: BigInt(j.r0), runs: j.runs, maps: j.maps });
      } catch (e) {
        watch.finish(`${run.describe}: unreadable snapshot: ${oneLine(e)}`);
        child.kill("SIGKILL");
      }
    }
  });
  child.on("close", (code, signal) => {
    if (watch.stopped || code === 0) return watch.finish();
    // the last line of its standard error says why it failed
    const line = watch.stderr.trim().split("\n").pop()?.trim();
    if (code === 1 && line) return watch.finish(/\(instruction \d+\)$/.test(line) ? `${program}: ${line}` : line);
    watch.finish(`${run.describe} ended with ${signal ?? `exit status ${code}`}${line ? `: ${line}` : ""}`);
  });
  return watch;
}

/** Maps whose contents a snapshot carries and the daemon can write: not program arrays, maps of maps or streams. */
function replaceable(map: BpfMap): boolean {
  return map.keySize > 0 && !/^(prog_array|array_of_maps|hash_of_maps|ringbuf|perf_event_array)$/.test(map.typeName);
}

/**
 * Makes the module's maps hold what the snapshot says (keys and values in hex, per-CPU values as the executable
 * keeps them: one CPU's, or every CPU's concatenated): arrays entry by entry, other maps emptied first.
 */
export function applySnapshot(mod: Module, s: Snapshot): void {
  for (const [name, entries] of Object.entries(s.maps)) {
    const map = mod.obj.maps.get(name);
    if (!map || !replaceable(map)) continue;
    if (!/array/.test(map.typeName)) map.clear();
    for (const e of entries) map.update(unhex(e.key), valueOf(map, unhex(e.value)));
  }
}

function valueOf(map: BpfMap, bytes: Uint8Array): Uint8Array | Uint8Array[] {
  if (!map.isPerCpu) return bytes;
  const size = map.valueSize;
  return Array.from({ length: map.ncpus }, (_, cpu) =>
    (cpu + 1) * size <= bytes.length ? bytes.slice(cpu * size, (cpu + 1) * size) : new Uint8Array(size),
  );
}
