// The live capture's --snapshots MS: an ARM32 executable (under qemu-arm, which passes the socket calls to the host
// kernel) reads the loopback interface and writes its maps as a JSON line every MS milliseconds and at SIGTERM or
// SIGINT. The program counts UDP datagrams to one port that only this test uses, so the counts in the snapshots
// can be checked against what the test sent: on lo every frame is seen twice (outgoing, then incoming).
import { describe, it, expect, beforeAll } from "vitest";
import { writeFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSync } from "../../../src/api/object.js";
import { qemu } from "../../../src/engines/arm32/build.js";
import { buildExecutable } from "../../../src/engines/arm32/engine.js";
import { compile } from "../../../src/trace/compile.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const native = process.platform === "linux" && process.arch === "arm";
const PAYLOAD = Buffer.alloc(60, 0x33);
const FRAME = 14 + 20 + 8 + PAYLOAD.length; // lo's Ethernet header, IPv4, UDP, payload
let dir = "";
let exe = "";
let plain = "";
let sink: Socket;
let sender: Socket;
let port = 0;
let permitted = true;

beforeAll(async () => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-snapshots-"));
  sink = createSocket("udp4"); // bound, so that no ICMP "port unreachable" answers the datagrams
  await new Promise<void>((resolve) => sink.bind(0, "127.0.0.1", resolve));
  port = sink.address().port;
  sender = createSocket("udp4");
  const obj = loadSync(compile(`packet /udp.dport == ${port}/ { @n = count(); @bytes = sum(len) }`).object);
  exe = join(dir, "counter");
  writeFileSync(exe, buildExecutable(obj, obj.program(), { snapshots: true }));
  plain = join(dir, "plain");
  writeFileSync(plain, buildExecutable(obj, obj.program()));
  for (const f of [exe, plain]) chmodSync(f, 0o755);
  const probe = runSync(exe, ["--iface", "lo", "--seconds", "0", "--snapshots", "100"]);
  if (probe.status !== 0) {
    expect(probe.status).toBe(1);
    expect(probe.stderr).toBe("raw sockets are not permitted here\n");
    permitted = false;
  }
  return () => {
    sink.close();
    sender.close();
    rmSync(dir, { recursive: true, force: true });
  };
});

const command = (file: string, args: string[]): [string, string[]] =>
  native ? [file, args] : [qemu(), ["-cpu", "cortex-a8", file, ...args]];

function runSync(file: string, args: string[]) {
  const [cmd, argv] = command(file, args);
  return spawnSync(cmd, argv, { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
}

interface Snapshot {
  at: number; // Date.now() when the line arrived
  runs: number;
  n: bigint; // datagrams to the port, as the program counted them
  bytes: bigint;
}

/** The executable with --snapshots, its lines parsed as they come. */
function start(args: string[]) {
  const [cmd, argv] = command(exe, args);
  const child: ChildProcess = spawn(cmd, argv);
  const snapshots: Snapshot[] = [];
  let pending = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    pending += d;
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      snapshots.push(parse(pending.slice(0, nl)));
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, snapshots, exited, stderr: () => stderr, rest: () => pending };
}

/** A hash map's single u64 (key 0), 0 when the program has not written it yet. */
function scalar(entries: { key: string; value: string }[]): bigint {
  expect(entries.length).toBeLessThanOrEqual(1);
  if (entries.length === 0) return 0n;
  expect(entries[0].key).toBe("0000000000000000");
  return Buffer.from(entries[0].value, "hex").readBigUInt64LE(0);
}

function parse(line: string): Snapshot {
  const j = JSON.parse(line) as { runs: number; maps: Record<string, { key: string; value: string }[]> };
  return { at: Date.now(), runs: j.runs, n: scalar(j.maps.AT_n), bytes: scalar(j.maps.AT_bytes) };
}

async function send(count: number): Promise<void> {
  for (let i = 0; i < count; i++)
    await new Promise<void>((resolve, reject) =>
      sender.send(PAYLOAD, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
    );
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const last = (s: Snapshot[]) => s[s.length - 1];

describe("--snapshots MS on the loopback interface", () => {
  it("writes growing counts every MS milliseconds, and the last ones at SIGTERM", async (ctx) => {
    if (!permitted) return ctx.skip("raw sockets are not permitted here");
    const run = start(["--iface", "lo", "--snapshots", "200"]);
    await until("the first snapshot", () => run.snapshots.length > 0); // written 200 ms after the socket is bound
    await send(5);
    await until("5 datagrams in a snapshot", () => last(run.snapshots).n >= 10n);
    const first = last(run.snapshots);
    await send(7);
    await until("12 datagrams in a snapshot", () => last(run.snapshots).n >= 24n);
    const second = last(run.snapshots);
    const before = run.snapshots.length;
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe("");
    expect(run.rest()).toBe(""); // every line whole
    const final = last(run.snapshots);
    expect(run.snapshots.length).toBe(before + 1); // one more, at the signal
    expect([first.n, second.n, final.n]).toEqual([10n, 24n, 24n]);
    expect([first.bytes, second.bytes, final.bytes]).toEqual([10n, 24n, 24n].map((n) => n * BigInt(FRAME)));
    expect(final.runs).toBeGreaterThanOrEqual(24);
    // periodic: the lines came while the capture ran, about 200 ms apart, counts never going down
    const gaps = run.snapshots.slice(1, before).map((s, i) => s.at - run.snapshots[i].at);
    expect(before).toBeGreaterThanOrEqual(2);
    expect(Math.max(...gaps)).toBeLessThan(2_000);
    for (let i = 1; i < run.snapshots.length; i++)
      expect(run.snapshots[i].n).toBeGreaterThanOrEqual(run.snapshots[i - 1].n);
  }, 60_000);

  it("ends at SIGINT with the last snapshot too", async (ctx) => {
    if (!permitted) return ctx.skip("raw sockets are not permitted here");
    const run = start(["--iface", "lo", "--snapshots", "100"]);
    await until("the first snapshot", () => run.snapshots.length > 0);
    await send(3);
    await until("3 datagrams in a snapshot", () => last(run.snapshots).n >= 6n);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    expect(last(run.snapshots)).toMatchObject({ n: 6n, bytes: 6n * BigInt(FRAME) });
  }, 60_000);

  it("with --seconds, ends by itself after several snapshots", async (ctx) => {
    if (!permitted) return ctx.skip("raw sockets are not permitted here");
    const run = start(["--iface", "lo", "--seconds", "1", "--snapshots", "100"]);
    expect(await run.exited).toBe(0);
    expect(run.snapshots.length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it("refuses --snapshots 0, a bad number, and the option in an executable built without it", () => {
    for (const bad of ["0", "ten"]) {
      const r = runSync(exe, ["--iface", "lo", "--snapshots", bad]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        "usage: PROGRAM [--mem FILE | --pcap FILE | --iface IFNAME [--seconds N] [--snapshots MS]] [--repeat N] [--json]\n",
      );
    }
    const r = runSync(plain, ["--iface", "lo", "--snapshots", "100"]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain("--snapshots");
  });
});
