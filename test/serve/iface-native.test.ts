// iface:NAME links through the module's ARM32 executable (src/serve/native.ts): off an ARM host the daemon runs it
// under the qemu-arm on its PATH, reading lo through an AF_PACKET socket, and each snapshot it writes replaces the
// module's maps. The module counts UDP datagrams to a port only this test uses, so the tables can be checked against
// what the test sent (on lo every frame is seen twice: outgoing, then incoming). While the link runs the executable
// owns the maps: writes and other links get a 409.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { api, kill9, leHex, object, spawnDaemon, tempDir, until, type Spawned } from "./daemon.js";
import { compile } from "../../src/trace/compile.js";
import { qemu } from "../../src/engines/arm32/build.js";
import { loadSync } from "../../src/api/object.js";
import { buildExecutable } from "../../src/engines/arm32/engine.js";
import { ensureArm32Translator } from "../support/arm32.js";

const PAYLOAD = Buffer.alloc(80, 7);
const FRAME = 14 + 20 + 8 + PAYLOAD.length; // lo's Ethernet header, IPv4, UDP, payload
const ZERO_KEY = leHex(0n, 8);
const daemons: Spawned[] = [];
let sink: Socket;
let sender: Socket;
let counter: Uint8Array; // the module: datagrams and bytes to the sink's port
afterAll(async () => {
  for (const d of daemons) await kill9(d.child);
});

beforeAll(async () => {
  ensureArm32Translator();
  sink = createSocket("udp4"); // bound, so that no ICMP "port unreachable" answers the datagrams
  await new Promise<void>((resolve) => sink.bind(0, "127.0.0.1", resolve));
  sender = createSocket("udp4");
  counter = compile(`packet /udp.dport == ${sink.address().port}/ { @n = count(); @bytes = sum(len) }`).object;
  return () => {
    sink.close();
    sender.close();
  };
});

/** A directory holding an executable `name` that runs the shell script `body`. */
function fakeCommand(name: string, body: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
  return dir;
}

async function daemonWithPath(path: string): Promise<Spawned> {
  const d = await spawnDaemon(tempDir(), 0, { ...process.env, PATH: path });
  daemons.push(d);
  return d;
}

const send = async (count: number) => {
  for (let i = 0; i < count; i++)
    await new Promise<void>((res, rej) =>
      sender.send(PAYLOAD, sink.address().port, "127.0.0.1", (e) => (e ? rej(e) : res())),
    );
};

/** Can the executable capture on lo here (qemu-arm installed, raw sockets allowed)? */
function canCapture(): boolean {
  if (!existsSync("/sys/class/net/lo")) return false;
  try {
    qemu();
  } catch {
    console.log("skipped: no qemu-arm");
    return false;
  }
  ensureArm32Translator();
  const dir = tempDir();
  const obj = loadSync(object("sockex1.o"));
  const exe = join(dir, "probe");
  writeFileSync(exe, buildExecutable(obj, obj.program(), { snapshots: true }));
  chmodSync(exe, 0o755);
  const r = spawnSync(qemu(), [exe, "--iface", "lo", "--seconds", "0", "--snapshots", "100"], { encoding: "utf8" });
  if (r.status !== 0) console.log(`skipped: ${r.stderr.trim()}`);
  return r.status === 0;
}

const live = canCapture();

describe.skipIf(!live)("iface links through the ARM32 executable", () => {
  test("tables hold what was sent; writes and other links get 409 while it runs; the last snapshot stays", async () => {
    const d = await daemonWithPath(process.env.PATH ?? "");
    const req = api(d);
    const id = (await req("POST", "/modules?name=counter", counter)).json.id;
    const r = await req("POST", "/links", { module: id, program: "packet_0", source: "iface:lo" });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ via: "native", capture: "ARM32 executable under qemu-arm", state: "running" });
    const value = async (map: string) => {
      const e = await req("GET", `/modules/${id}/tables/${map}/entries/${ZERO_KEY}`);
      return e.status === 404 ? 0n : Buffer.from(e.json.value, "hex").readBigUInt64LE(0);
    };
    // the executable takes a moment to bind its socket: send one datagram at a time until one shows
    await until(
      "the capture to start",
      async () => {
        await send(1);
        return (await value("AT_n")) > 0n ? true : undefined;
      },
      30_000,
    );
    await new Promise((res) => setTimeout(res, 1200)); // every datagram of that loop counted (a snapshot later)
    const before = await value("AT_n");
    expect(before % 2n).toBe(0n);
    await send(15);
    await until("15 more datagrams", async () => ((await value("AT_n")) - before >= 30n ? true : undefined), 15_000);
    await new Promise((res) => setTimeout(res, 1200));
    expect((await value("AT_n")) - before).toBe(30n);
    expect(await value("AT_bytes")).toBe((await value("AT_n")) * BigInt(FRAME));
    const link = (await req("GET", `/links/${r.json.id}`)).json;
    expect(link).toMatchObject({ state: "running", faults: 0, error: null, via: "native" });
    expect(link.runs).toBeGreaterThanOrEqual(Number(before) + 30);

    const owned = `module counter's maps belong to link ${r.json.id} (iface:lo through the ARM32 executable) while it runs`;
    const put = await req("PUT", `/modules/${id}/tables/AT_n/entries/${ZERO_KEY}`, { value: leHex(1n, 8) });
    expect(put).toMatchObject({ status: 409, json: { error: owned } });
    const del = await req("DELETE", `/modules/${id}/tables/AT_n/entries/${ZERO_KEY}`);
    expect(del).toMatchObject({ status: 409, json: { error: owned } });
    const other = await req("POST", "/links", { module: id, program: "packet_0", source: "interval:100" });
    expect(other).toMatchObject({ status: 409, json: { error: owned } });

    const last = await value("AT_n");
    expect((await req("DELETE", `/links/${r.json.id}`)).status).toBe(204);
    await new Promise((res) => setTimeout(res, 700)); // a snapshot's time: none comes after the stop
    expect(await value("AT_n")).toBe(last);
    const after = await req("PUT", `/modules/${id}/tables/AT_n/entries/${ZERO_KEY}`, { value: leHex(1n, 8) });
    expect(after.status).toBe(200);
  }, 90_000);

  test("an executable's link needs the module to itself; explicit via; a failing executable fails the link", async () => {
    // qemu-arm that runs the real one with the interface renamed: the executable itself finds no such interface
    const renaming = fakeCommand(
      "qemu-arm",
      `for a; do shift; [ "$prev" = --iface ] && a=nosuch0; set -- "$@" "$a"; prev=$a; done
exec ${qemu()} "$@"`,
    );
    const d = await daemonWithPath(`${renaming}${delimiter}${process.env.PATH}`);
    const req = api(d);
    const id = (await req("POST", "/modules?name=counter", counter)).json.id;
    const failing = await req("POST", "/links", { module: id, program: "packet_0", source: "iface:lo", via: "native" });
    expect(failing.status).toBe(201);
    const failed = await until("the link to fail", async () => {
      const l = (await req("GET", `/links/${failing.json.id}`)).json;
      return l.state === "failed" ? l : undefined;
    });
    expect(failed).toMatchObject({ error: "no such interface: nosuch0", via: "native", runs: 0 });

    const ticking = await req("POST", "/links", { module: id, program: "packet_0", source: "interval:1000" });
    expect(ticking.status).toBe(201);
    const refused = await req("POST", "/links", { module: id, program: "packet_0", source: "iface:lo" });
    expect(refused).toMatchObject({
      status: 409,
      json: {
        error: `module counter has link ${ticking.json.id} (interval:1000): an iface link through the ARM32 executable needs its maps to itself`,
      },
    });

    const bad = (body: Record<string, unknown>) =>
      req("POST", "/links", { module: id, program: "packet_0", ...body }).then((x) => [x.status, x.json.error]);
    expect(await bad({ source: "iface:lo", via: "kernel" })).toEqual([
      400,
      'via must be "native" or "tcpdump", not "kernel"',
    ]);
    expect(await bad({ source: "interval:100", via: "native" })).toEqual([
      400,
      'via ("native" or "tcpdump") is for iface: links only',
    ]);
    const xdp = (await req("POST", "/modules?name=xdp", object("xdp.o"))).json;
    const prog = xdp.programs[0].name;
    expect(
      (await req("POST", "/links", { module: xdp.id, program: prog, source: "iface:lo", via: "native" })).json.error,
    ).toBe(`iface link via native: ${prog} is a xdp program, and executables capture socket filters`);
  }, 90_000);
});

describe("iface links: where the executable cannot run", () => {
  test("via native without qemu-arm is a 400 saying why; via tcpdump takes tcpdump", async () => {
    const tcpdump = fakeCommand("tcpdump", "sleep 60");
    const d = await daemonWithPath(tcpdump); // no qemu-arm on this PATH
    const req = api(d);
    const id = (await req("POST", "/modules?name=counter", counter)).json.id;
    const link = (via?: string) => req("POST", "/links", { module: id, program: "packet_0", source: "iface:lo", via });
    const native = await link("native");
    expect(native.status).toBe(400);
    expect(native.json.error).toBe("iface link via native: not an ARM host and no qemu-arm on the daemon's PATH");
    const chosen = await link(); // the best way this host has: tcpdump
    expect(chosen.json).toMatchObject({ via: "tcpdump", capture: "tcpdump -w -" });
    expect((await req("DELETE", `/links/${chosen.json.id}`)).status).toBe(204);
  }, 60_000);
});
