// Ctrl-C ends a trace as bpftrace's does: `tinybpf trace --pcap -` reading a pipe that stays open (a live
// capture piped in) traces the frames as they arrive, and SIGINT stops the input, runs the END probes, prints
// the maps and exits 0. The expected text comes from the model (cases.ts / model.ts), not from tinybpf. A live
// capture on the loopback interface by a trace executable (alone, and under `tinybpf trace --engine arm32`) stops
// at SIGINT too and prints its maps; where raw sockets are not permitted, only the refusal is checked.
import { describe, expect, test, beforeAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFileSync, readdirSync, readlinkSync, writeFileSync, chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSync } from "../../src/api/object.js";
import { qemu } from "../../src/engines/arm32/build.js";
import { buildExecutable } from "../../src/engines/arm32/engine.js";
import { traceBuild } from "../../src/trace/build-object.js";
import { ensureArm32Translator } from "../support/arm32.js";
import { loadFrames, ipProto, tally, keyed, EXIT } from "./model.js";

const root = join(__dirname, "..", "..");
const capture = readFileSync(join(root, "test/fixtures/pcap/trace-mix.pcap"));
const frames = loadFrames("trace-mix.pcap");

/**
 * Runs `tinybpf ARGS` with the capture on a pipe left open; once `ready(stdout)` holds (or after 10 s), sends
 * SIGINT.
 */
function interrupted(args: string[], ready: (out: string) => boolean) {
  return new Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(root, "bin/tinybpf.js"), ...args]);
    let stdout = "";
    let stderr = "";
    let sent = false;
    const interrupt = () => {
      if (!sent) child.kill("SIGINT");
      sent = true;
    };
    const timer = setTimeout(interrupt, 10_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (ready(stdout)) interrupt();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {}); // the child may close its end first
    child.stdin.write(capture); // and never ended
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

describe("SIGINT", () => {
  test("--pcap - from an open pipe: the frames so far, then END and the maps, exit 0", async () => {
    const script = 'packet { @[ip.proto] = count(); printf(".\\n") } END { printf("end\\n") }';
    const dots = (out: string) => out.split("\n").filter((l) => l === ".").length;
    const r = await interrupted(["trace", "-e", script, "--pcap", "-"], (out) => dots(out) === frames.length);
    expect(r.stderr).toBe("");
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    const perProto = tally(frames, (d) => [ipProto(d)]);
    expect(r.stdout).toBe(".\n".repeat(frames.length) + "end\n" + EXIT + keyed("", perProto));
  }, 20_000);
});

/** Does process `pid` hold a packet socket bound to the loopback interface (/proc/PID/fd, /proc/net/packet)? */
function boundToLoopback(pid: number): boolean {
  try {
    const lo = Number(readFileSync("/sys/class/net/lo/ifindex", "utf8").trim());
    const inodes = readdirSync(`/proc/${pid}/fd`)
      .map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1])
      .filter((x) => x !== undefined);
    // sk RefCnt Type Proto Iface R Rmem User Inode
    return readFileSync("/proc/net/packet", "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .some((f) => f.length >= 9 && Number(f[4]) === lo && inodes.includes(f[8]));
  } catch {
    return false;
  }
}

/** The first of `pids()` bound to the loopback interface, within 10 s. */
async function waitBound(pids: () => number[]): Promise<number | undefined> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const pid = pids().find(boundToLoopback);
    if (pid !== undefined) return pid;
  }
  return undefined;
}

/** The children of process `pid` (/proc/N/stat's fourth field). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** Ten UDP datagrams to `port` on 127.0.0.1. */
async function sendDatagrams(port: number): Promise<number> {
  const sender = createSocket("udp4");
  for (let i = 0; i < 10; i++) {
    await new Promise<void>((resolve, reject) =>
      sender.send(Buffer.alloc(64, 1), port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
    );
    await new Promise((r) => setTimeout(r, 20));
  }
  sender.close();
  return 10;
}

describe("SIGINT during a live capture by a trace executable", () => {
  const port = 40000 + (process.pid % 20000);
  const script = `packet /udp.dport == ${port}/ { @[udp.dport] = count() }`;
  let exe = "";
  let permitted = true;
  beforeAll(() => {
    ensureArm32Translator();
    const b = traceBuild(script);
    const obj = loadSync(b.object, { engine: "interp", fileName: "trace.o" });
    exe = join(mkdtempSync(join(tmpdir(), "tinybpf-trace-live-")), "count");
    writeFileSync(exe, buildExecutable(obj, [...obj.programs.values()][0], { bpftrace: b.describe(obj.object.maps) }));
    chmodSync(exe, 0o755);
    const probe = spawnSync(qemu(), [exe, "--iface", "lo", "--seconds", "0"], { encoding: "utf8" });
    if (probe.status !== 0) {
      expect(probe.stderr).toBe("raw sockets are not permitted here\n");
      permitted = false;
    }
  });
  // bpftrace's text for the map: the loopback interface shows each datagram twice (out and in)
  const counted = (stdout: string, sent: number) => {
    const m = new RegExp(`^\\n\\n@\\[${port}\\]: (\\d+)\\n$`).exec(stdout);
    expect(m, stdout).not.toBe(null);
    expect(Number(m![1])).toBeGreaterThanOrEqual(sent);
  };

  test("the executable alone: it stops reading, prints its maps and exits 0", async () => {
    if (!permitted) return console.log("raw sockets are not permitted here: checked the refusal only");
    const child = spawn(qemu(), [exe, "--iface", "lo", "--seconds", "60"]);
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const closed = new Promise<[number | null, string | null]>((r) => child.on("close", (s, sig) => r([s, sig])));
    expect(await waitBound(() => [child.pid!])).toBe(child.pid);
    const sent = await sendDatagrams(port);
    const started = Date.now();
    child.kill("SIGINT");
    expect(await closed).toEqual([0, null]);
    expect(Date.now() - started).toBeLessThan(5_000);
    counted(stdout, sent);
  }, 30_000);

  test("tinybpf trace --engine arm32 --iface: Ctrl-C (SIGINT to the process group) prints the maps, exit 0", async () => {
    if (!permitted) return console.log("raw sockets are not permitted here: checked the refusal only");
    const cli = [join(root, "bin/tinybpf.js"), "trace", "-e", script, "--engine", "arm32", "--iface", "lo"];
    const child = spawn(process.execPath, [...cli, "--seconds", "60"], { detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const closed = new Promise<[number | null, string | null]>((r) => child.on("close", (s, sig) => r([s, sig])));
    expect(await waitBound(() => children(child.pid!))).toBeDefined();
    const sent = await sendDatagrams(port);
    process.kill(-child.pid!, "SIGINT"); // what the terminal does at Ctrl-C
    expect(await closed).toEqual([0, null]);
    expect(stderr).toBe("");
    counted(stdout, sent);
  }, 30_000);
});

/** The capture's header and its first `n` records, in bytes (classic pcap, little-endian). */
function prefixBytes(n: number): number {
  let at = 24;
  for (let k = 0; k < n; k++) at += 16 + capture.readUInt32LE(at + 8);
  return at;
}

describe("a trace executable reads --pcap - as it arrives", () => {
  const script = 'BEGIN { printf("ready\\n") } packet { @[ip.proto] = count() } END { printf("end\\n") }';
  let exe = "";
  beforeAll(() => {
    ensureArm32Translator();
    const b = traceBuild(script);
    const obj = loadSync(b.object, { engine: "interp", fileName: "trace.o" });
    exe = join(mkdtempSync(join(tmpdir(), "tinybpf-trace-stream-")), "count");
    writeFileSync(exe, buildExecutable(obj, [...obj.programs.values()][0], { bpftrace: b.describe(obj.object.maps) }));
    chmodSync(exe, 0o755);
  });
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Starts the executable on a pipe; resolves once it printed BEGIN's text (it reads from then on). */
  async function started() {
    const child = spawn(qemu(), [exe, "--pcap", "-"]);
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const closed = new Promise<[number | null, string | null]>((r) => child.on("close", (s, sig) => r([s, sig])));
    for (const end = Date.now() + 20_000; !stdout.startsWith("ready\n") && Date.now() < end; ) await pause(20);
    return { child, closed, stdout: () => stdout };
  }

  test("fed in pieces with pauses (records split across them): every frame, when the pipe ends", async () => {
    const { child, closed, stdout } = await started();
    const cuts = [0, 10, 24 + 7, prefixBytes(50) + 3, prefixBytes(200), capture.length];
    for (let k = 1; k < cuts.length; k++) {
      child.stdin.write(capture.subarray(cuts[k - 1], cuts[k]));
      await pause(150);
    }
    child.stdin.end();
    expect(await closed).toEqual([0, null]);
    expect(stdout()).toBe(
      "ready\nend\n" +
        EXIT +
        keyed(
          "",
          tally(frames, (d) => [ipProto(d)]),
        ),
    );
  }, 40_000);

  test("SIGINT mid-stream: the END text and the maps of the frames read so far, exit 0", async () => {
    const { child, closed, stdout } = await started();
    const n = 100;
    child.stdin.write(capture.subarray(0, prefixBytes(n) + 10)); // and part of the next record
    await pause(2_000); // the pipe stays open
    child.kill("SIGINT");
    expect(await closed).toEqual([0, null]);
    expect(stdout()).toBe(
      "ready\nend\n" +
        EXIT +
        keyed(
          "",
          tally(frames.slice(0, n), (d) => [ipProto(d)]),
        ),
    );
  }, 40_000);
});
