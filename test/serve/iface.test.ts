// iface:NAME links via tcpdump: the daemon reads `tcpdump -w -` and runs the program once per live packet on its
// own maps (the links ask for tcpdump: where qemu-arm is on the PATH they would run the module's ARM32 executable,
// iface-native.test.ts).
// A stand-in tcpdump on the daemon's PATH replays a capture in odd-sized pieces (so the stream reader is tested
// across record boundaries) and stays open like a live capture; where the real tcpdump can capture on the
// loopback interface (root), datagrams sent during the test are counted too.
import { afterAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { api, kill9, leHex, object, sockex1Totals, spawnDaemon, tempDir, until, type Spawned } from "./daemon.js";
import { fixture } from "../support/paths.js";
import { findTcpdump, TCPDUMP_ARGS } from "../../src/serve/capture.js";

const IPPROTO_UDP = 17;
const daemons: Spawned[] = [];
afterAll(async () => {
  for (const d of daemons) await kill9(d.child);
});

// The stand-in leaves when the daemon that started it is gone: the daemons here end with SIGKILL, which gives them
// no chance to stop their capture, and a stand-in that stays open like a live capture would outlive the tests.
const LEAVE_WITH_PARENT =
  "const daemonPid = process.ppid; setInterval(() => { try { process.kill(daemonPid, 0); } catch { process.exit(0); } }, 250).unref();";

/** A directory holding an executable `tcpdump` that runs `body` (JavaScript) under this Node. */
function fakeTcpdump(body: string): string {
  const dir = tempDir();
  const file = join(dir, "tcpdump");
  writeFileSync(file, `#!${process.execPath}\n${LEAVE_WITH_PARENT}\n${body}\n`);
  chmodSync(file, 0o755);
  return dir;
}

async function daemonWithPath(path: string): Promise<Spawned> {
  const d = await spawnDaemon(tempDir(), 0, { ...process.env, PATH: path });
  daemons.push(d);
  return d;
}

const linkState = (req: ReturnType<typeof api>, id: string, state: string) =>
  until(`link ${id} ${state}`, async () => {
    const l = (await req("GET", `/links/${id}`)).json;
    return l.state === state ? l : undefined;
  });

describe("iface links", () => {
  test("packets from tcpdump's pipe run the program on the module's maps; DELETE stops tcpdump", async () => {
    const pidFile = join(tempDir(), "pid");
    const bin = fakeTcpdump(`
      const fs = require("node:fs");
      fs.writeFileSync(${JSON.stringify(pidFile)}, process.pid + " " + process.argv.slice(2).join(" "));
      const bytes = fs.readFileSync(${JSON.stringify(fixture("pcap/sockex1.pcap"))});
      // pieces of 7, 100, 7, 100... bytes: records and the file header arrive split
      let at = 0, n = 0;
      const next = () => {
        if (at >= bytes.length) return;
        const size = n++ % 2 ? 100 : 7;
        process.stdout.write(bytes.subarray(at, at + size), () => setTimeout(next, 0));
        at += size;
      };
      next();
      setInterval(() => {}, 1000); // a live capture does not end by itself
    `);
    const d = await daemonWithPath(`${bin}${delimiter}${process.env.PATH}`);
    const req = api(d);
    const id = (await req("POST", "/modules?name=live", object("sockex1.o"))).json.id;
    const r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: "iface:lo", via: "tcpdump" });
    expect(r.status).toBe(201);
    const want = sockex1Totals();
    const runs = await until("42 packets", async () => {
      const l = (await req("GET", `/links/${r.json.id}`)).json;
      return l.runs === 42 ? l : undefined;
    });
    expect(runs).toMatchObject({ state: "running", faults: 0, error: null });
    const [pid, ...args] = readFileSync(pidFile, "utf8").split(" ");
    expect(args).toEqual(TCPDUMP_ARGS("lo"));
    for (const proto of [6, IPPROTO_UDP, 1]) {
      const e = (await req("GET", `/modules/${id}/tables/my_map/entries/${leHex(BigInt(proto), 4)}`)).json;
      expect(e.value).toBe(leHex(want[proto], 8));
    }
    expect((await req("DELETE", `/links/${r.json.id}`)).status).toBe(204);
    await until("tcpdump stopped", async () => (processAlive(Number(pid)) ? undefined : true));
  }, 60_000);

  test("the link says it reads tcpdump", async () => {
    const bin = fakeTcpdump(`setInterval(() => {}, 1000);`);
    const d = await daemonWithPath(`${bin}${delimiter}${process.env.PATH}`);
    const req = api(d);
    const id = (await req("POST", "/modules?name=says", object("sockex1.o"))).json.id;
    const r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: "iface:lo", via: "tcpdump" });
    expect(r.json).toMatchObject({ via: "tcpdump", capture: "tcpdump -w -" });
    expect((await req("GET", `/links/${r.json.id}`)).json).toMatchObject({ via: "tcpdump", capture: "tcpdump -w -" });
  }, 60_000);

  test("tcpdump's error becomes the link's state; a capture that is not pcap fails it", async () => {
    const refusing = fakeTcpdump(`
      process.stderr.write("tcpdump: lo: You don't have permission to perform this capture on that device\\n");
      process.exit(1);
    `);
    let d = await daemonWithPath(`${refusing}${delimiter}${process.env.PATH}`);
    let req = api(d);
    let id = (await req("POST", "/modules?name=refused", object("sockex1.o"))).json.id;
    let r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: "iface:lo", via: "tcpdump" });
    expect(await linkState(req, r.json.id, "failed")).toMatchObject({
      runs: 0,
      error: "tcpdump: lo: You don't have permission to perform this capture on that device",
    });
    const garbage = fakeTcpdump(`process.stdout.write(Buffer.alloc(64, 0x41)); setInterval(() => {}, 1000);`);
    d = await daemonWithPath(`${garbage}${delimiter}${process.env.PATH}`);
    req = api(d);
    id = (await req("POST", "/modules?name=garbage", object("sockex1.o"))).json.id;
    r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: "iface:lo", via: "tcpdump" });
    expect((await linkState(req, r.json.id, "failed")).error).toBe(
      "tcpdump -i lo: unknown capture magic 0x41414141 at offset 0",
    );
  }, 60_000);

  test("no tcpdump, a bad or missing interface: 400 saying which", async () => {
    const empty = tempDir(); // a PATH with no tcpdump in it (the daemon itself runs from an absolute path)
    const d = await daemonWithPath(empty);
    const req = api(d);
    const id = (await req("POST", "/modules?name=nolive", object("sockex1.o"))).json.id;
    const link = (source: string, via?: string) =>
      req("POST", "/links", { module: id, program: "bpf_prog1", source, via });
    expect((await link("iface:lo", "tcpdump")).json.error).toBe(
      "iface links read packets from tcpdump, which is not on the daemon's PATH",
    );
    expect((await link("iface:lo")).json.error).toBe(
      "iface links need the ARM32 executable (not an ARM host and no qemu-arm on the daemon's PATH) or tcpdump on the daemon's PATH",
    );
    expect((await req("GET", "/links")).json).toEqual([]); // the refused link is not left behind
    expect((await link("iface:no/such")).json.error).toBe("'no/such' is not an interface name");
    expect((await link("iface:nosuchif9")).json.error).toBe("no such interface 'nosuchif9'");
    expect((await link("iface:")).status).toBe(400);
  }, 60_000);

  const canCapture = realCaptureOnLoopback();
  test.skipIf(!canCapture)(
    "the real tcpdump on lo: datagrams sent now are counted",
    async () => {
      const d = await daemonWithPath(process.env.PATH ?? "");
      const req = api(d);
      const id = (await req("POST", "/modules?name=lo", object("sockex1.o"))).json.id;
      const r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: "iface:lo", via: "tcpdump" });
      expect(r.status).toBe(201);
      const udp = async () =>
        BigInt(
          "0x" +
            Buffer.from((await req("GET", `/modules/${id}/tables/my_map/entries/${leHex(17n, 4)}`)).json.value, "hex")
              .reverse()
              .toString("hex"),
        );
      // a bound receiver, so that no ICMP "port unreachable" answers (and no error reaches the sender)
      const sink = createSocket("udp4");
      await new Promise<void>((res) => sink.bind(0, "127.0.0.1", () => res()));
      const port = sink.address().port;
      const sock = createSocket("udp4");
      const payload = Buffer.alloc(100, 1);
      const FRAME = 14 + 20 + 8 + payload.length; // Ethernet (lo's pseudo header) + IPv4 + UDP + payload
      // tcpdump takes a moment to attach: send until the first datagram shows, then count a known batch
      await until("the capture to start", async () => {
        await new Promise<void>((res) => sock.send(payload, port, "127.0.0.1", () => res()));
        return (await udp()) > 0n ? true : undefined;
      });
      const before = await udp();
      for (let i = 0; i < 20; i++) await new Promise<void>((res) => sock.send(payload, port, "127.0.0.1", () => res()));
      await until("20 datagrams", async () => ((await udp()) - before >= BigInt(20 * FRAME) ? true : undefined));
      sock.close();
      sink.close();
      expect((await req("GET", `/links/${r.json.id}`)).json).toMatchObject({ state: "running", faults: 0 });
    },
    60_000,
  );
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The real tcpdump can capture on lo here (installed, and allowed: root or CAP_NET_RAW). */
function realCaptureOnLoopback(): boolean {
  if (!findTcpdump() || !existsSync("/sys/class/net/lo")) return false;
  const probe = spawnSync("tcpdump", ["-i", "lo", "-c", "0", "-w", "/dev/null"], { timeout: 10_000 });
  const ok = !/permission|not permitted/i.test(probe.stderr?.toString() ?? "");
  if (!ok) console.log("skipped: tcpdump cannot capture on lo here (needs root or CAP_NET_RAW)");
  return ok;
}
