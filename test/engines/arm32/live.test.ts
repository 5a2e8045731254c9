// Live capture by an ARM32 executable: sockex1 reads the loopback interface through an AF_PACKET socket (under
// qemu-arm, which forwards the socket system calls) while this test sends traffic on 127.0.0.1, and the byte
// counter of that traffic's IP protocol must have grown by at least what was sent. Where raw sockets are not
// allowed, the executable must say so in one line and exit 1.
import { describe, it, expect, beforeAll } from "vitest";
import { writeFileSync, mkdtempSync, rmSync, chmodSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSync } from "../../../src/api/object.js";
import { qemu } from "../../../src/engines/arm32/build.js";
import { buildExecutable } from "../../../src/engines/arm32/engine.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const root = join(import.meta.dirname, "..", "..", "..");
const native = process.platform === "linux" && process.arch === "arm";
let dir = "";
let exe = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-live-"));
  const obj = loadSync(join(root, "test", "fixtures", "sockex1.o"));
  exe = join(dir, "sockex1");
  writeFileSync(exe, buildExecutable(obj, obj.program()));
  chmodSync(exe, 0o755);
  return () => rmSync(dir, { recursive: true, force: true });
});

const command = (args: string[]): [string, string[]] =>
  native ? [exe, args] : [qemu(), ["-cpu", "cortex-a8", exe, ...args]];

function runSync(args: string[]) {
  const [cmd, argv] = command(args);
  return spawnSync(cmd, argv, { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
}

/** Resolves once process `pid` holds a packet socket bound to interface `ifindex` (from /proc), or after `ms`. */
async function packetSocketBound(pid: number, ifindex: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const inodes = new Set<string>();
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      }
      // sk RefCnt Type Proto Iface R Rmem User Inode
      for (const line of readFileSync("/proc/net/packet", "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length >= 9 && Number(f[4]) === ifindex && inodes.has(f[8])) return true;
      }
    } catch {
      // not there yet (or no /proc): keep waiting
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function loopbackIndex(): number {
  try {
    return Number(readFileSync("/sys/class/net/lo/ifindex", "utf8").trim());
  } catch {
    return 1;
  }
}

function hasPing(): boolean {
  return spawnSync("ping", ["-V"], { encoding: "utf8" }).error === undefined;
}

/** Sends traffic on 127.0.0.1; returns its IP protocol and the bytes of the Ethernet frames sent. */
async function sendTraffic(): Promise<{ protocol: number; bytes: number }> {
  if (hasPing()) {
    const r = spawnSync("ping", ["-c", "3", "-i", "0.2", "-n", "127.0.0.1"], { encoding: "utf8", timeout: 10_000 });
    if (r.status === 0) return { protocol: 1, bytes: 3 * (14 + 20 + 8 + 56) }; // the echo requests alone
  }
  const receiver = createSocket("udp4");
  await new Promise<void>((resolve) => receiver.bind(0, "127.0.0.1", resolve));
  const port = receiver.address().port;
  const sender = createSocket("udp4");
  const payload = Buffer.alloc(200, 0x5a);
  const count = 10;
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) =>
      sender.send(payload, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
    );
    await new Promise((r) => setTimeout(r, 50));
  }
  sender.close();
  receiver.close();
  return { protocol: 17, bytes: count * (14 + 20 + 8 + payload.length) };
}

function counter(json: string, protocol: number): bigint {
  const out = JSON.parse(json) as { maps: { my_map: { key: string; value: string }[] } };
  const entry = out.maps.my_map[protocol];
  expect(entry.key).toBe(protocol.toString(16).padStart(2, "0") + "000000");
  return Buffer.from(entry.value, "hex").readBigUInt64LE(0);
}

describe("sockex1 on the loopback interface", () => {
  it("counts the traffic sent on 127.0.0.1, or says raw sockets are not permitted", async () => {
    // Try first: a zero-second capture opens and binds the socket and prints the (empty) maps.
    const probe = runSync(["--iface", "lo", "--seconds", "0", "--json"]);
    if (probe.status !== 0) {
      expect(probe.status).toBe(1);
      expect(probe.stderr).toBe("raw sockets are not permitted here\n");
      console.log("raw sockets are not permitted here: checked the error line only");
      return;
    }
    expect(JSON.parse(probe.stdout)).toMatchObject({ r0: "0", runs: 0 });

    const [cmd, argv] = command(["--iface", "lo", "--seconds", "3", "--json"]);
    const child = spawn(cmd, argv);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const bound = await packetSocketBound(child.pid!, loopbackIndex(), 2500);
    if (!bound) await new Promise((r) => setTimeout(r, 1000)); // no /proc to watch: give it time to bind
    const started = Date.now();
    const sent = await sendTraffic();
    const status = await exited;
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const out = JSON.parse(stdout) as { runs: number };
    expect(out.runs).toBeGreaterThan(0);
    const bytes = counter(stdout, sent.protocol);
    console.log(
      `live capture: ${out.runs} packets, protocol ${sent.protocol} counter ${bytes} bytes (sent ${sent.bytes})`,
    );
    expect(bytes).toBeGreaterThanOrEqual(BigInt(sent.bytes));
  }, 30_000);

  it("names an interface that does not exist, in one line, exit status 1", () => {
    const probe = runSync(["--iface", "lo", "--seconds", "0"]);
    const r = runSync(["--iface", "nosuch0", "--seconds", "1"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(probe.status === 0 ? "no such interface: nosuch0\n" : "raw sockets are not permitted here\n");
  });

  it("refuses a bad --seconds and --iface without a name as usage errors", () => {
    expect(runSync(["--iface", "lo", "--seconds", "ten"]).status).toBe(2);
    expect(runSync(["--iface"]).status).toBe(2);
  });
});
