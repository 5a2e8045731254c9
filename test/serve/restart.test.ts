// The store survives restarts and kill -9: acknowledged modules and links come back (links run again on fresh
// maps), and a daemon killed in the middle of uploads leaves whole modules only, never a torn file.
import { describe, expect, test } from "vitest";
import { request } from "node:http";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { api, kill9, leHex, object, sha256, sockex1Totals, spawnDaemon, tempDir, until } from "./daemon.js";
import { fixture } from "../support/paths.js";
import { startServer } from "../../src/serve/server.js";

const OBJECTS = ["sockex1.o", "bitehist.o", "maps_all.o", "ringbuf.o", "helpers.o"];
const DIGESTS = new Map(OBJECTS.map((o) => [sha256(object(o)), o]));

/** Every file under the store, and what the records on disk say, read without the daemon's code. */
function inspectStore(dir: string) {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name));
  };
  walk(dir);
  // a temporary file may be cut anywhere by the kill (the daemon removes it at start); records are whole
  const modules = readdirSync(join(dir, "modules"))
    .filter((f) => !f.includes(".tmp-"))
    .map((f) => JSON.parse(readFileSync(join(dir, "modules", f), "utf8")));
  for (const m of modules) {
    const blob = new Uint8Array(readFileSync(join(dir, "blobs", m.digest.slice(7))));
    expect(sha256(blob)).toBe(m.digest);
    expect(DIGESTS.has(m.digest)).toBe(true);
  }
  for (const f of readdirSync(join(dir, "blobs")))
    if (!f.includes(".tmp-")) expect(DIGESTS.has(`sha256:${f}`)).toBe(true);
  return { files, modules };
}

/** An upload whose body is cut off after `sent` bytes (the rest never comes): what a killed client leaves. */
function partialUpload(url: string, token: string, name: string, bytes: Uint8Array, sent: number): void {
  const u = new URL(url);
  const r = request({
    host: u.hostname,
    port: u.port,
    method: "POST",
    path: `/modules?name=${name}`,
    headers: { Authorization: `Bearer ${token}`, "Content-Length": bytes.length },
  });
  r.on("error", () => {});
  r.write(bytes.subarray(0, sent));
}

describe("restart", () => {
  test("modules, links and the token survive kill -9; a pcap link runs again onto fresh maps", async () => {
    const dir = tempDir();
    let d = await spawnDaemon(dir);
    const req = api(d);
    const mod = (await req("POST", "/modules?name=sock", object("sockex1.o"))).json;
    const link = (
      await req("POST", "/links", {
        module: mod.id,
        program: "bpf_prog1",
        source: `pcap:${fixture("pcap/sockex1.pcap")}`,
      })
    ).json;
    const ring = (await req("POST", "/modules?name=ring", object("ringbuf.o"))).json;
    const tick = (await req("POST", "/links", { module: ring.id, program: "produce", source: "interval:20" })).json;
    const gone = (await req("POST", "/modules?name=gone", object("bitehist.o"))).json;
    await req("POST", "/links", { module: gone.id, program: "bitehist", source: "interval:1000" });
    expect((await req("DELETE", `/modules/${gone.id}`)).status).toBe(204);
    // a link record left behind by a daemon that stopped between removing a module's links and the module
    writeFileSync(
      join(dir, "links", "0123456789ab.json"),
      JSON.stringify({
        id: "0123456789ab",
        module: "ba9876543210",
        program: "x",
        source: "interval:100",
        repeat: 1,
        created: new Date().toISOString(),
      }),
    );
    const token = d.token;
    await kill9(d.child);
    d = await spawnDaemon(dir);
    try {
      expect(d.token).toBe(token);
      expect(d.output()).toMatch(/token in /);
      const again = api(d);
      expect((await again("GET", "/modules")).json.map((m: any) => [m.id, m.name, m.digest])).toEqual([
        [mod.id, "sock", mod.digest],
        [ring.id, "ring", ring.digest],
      ]);
      expect((await again("GET", "/links")).json.map((l: any) => l.id)).toEqual([link.id, tick.id]);
      expect(existsSync(join(dir, "links", "0123456789ab.json"))).toBe(false);
      await until("the timer link to run again", async () =>
        (await again("GET", `/links/${tick.id}`)).json.runs > 0 ? true : undefined,
      );
      const l = await until("the link to finish again", async () => {
        const r = (await again("GET", `/links/${link.id}`)).json;
        return r.state === "done" ? r : undefined;
      });
      expect(l).toMatchObject({ runs: 42, faults: 0, lastR0: "0", source: `pcap:${fixture("pcap/sockex1.pcap")}` });
      const totals = sockex1Totals();
      expect((await again("GET", `/modules/${mod.id}/tables/my_map/entries/11000000`)).json.value).toBe(
        leHex(totals[17], 8),
      );
    } finally {
      await kill9(d.child);
    }
  });

  test("one daemon per data directory; the lock of a killed daemon is taken over", async () => {
    const dir = tempDir();
    const d = await spawnDaemon(dir);
    await expect(startServer({ listen: "127.0.0.1:0", dataDir: dir })).rejects.toThrow(
      `${dir} is in use by another tinybpf serve (pid ${d.child.pid})`,
    );
    await kill9(d.child);
    const s = await startServer({ listen: "127.0.0.1:0", dataDir: dir });
    expect(readFileSync(join(dir, "lock"), "utf8").trim()).toBe(String(process.pid));
    await s.close();
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });

  test("kill -9 during uploads, 8 times: only whole modules, every acknowledged one kept", async () => {
    const dir = tempDir();
    const acknowledged = new Map<string, string>(); // name -> digest of uploads that got a 201
    let n = 0;
    for (let round = 0; round < 8; round++) {
      const d = await spawnDaemon(dir);
      // after a restart: no temporary file is left, and the daemon lists exactly the records on disk
      const before = inspectStore(dir);
      expect(before.files.filter((f) => f.includes(".tmp-"))).toEqual([]);
      const listed = (await api(d)("GET", "/modules")).json;
      expect(listed.map((m: any) => m.id).sort()).toEqual(before.modules.map((m) => m.id).sort());
      for (const [name, digest] of acknowledged) expect(listed.find((m: any) => m.name === name)?.digest).toBe(digest);

      let first: () => void = () => {};
      const firstDone = new Promise<void>((r) => (first = r));
      const uploads = OBJECTS.map((o) => {
        const name = `m${n++}`;
        const bytes = object(o);
        return api(d)("POST", `/modules?name=${name}`, bytes).then(
          (r) => {
            if (r.status === 201) acknowledged.set(name, r.json.digest);
            first();
          },
          () => first(), // cut off by the kill (or the daemon failed: then the checks below say so)
        );
      });
      const big = object("helpers.o");
      partialUpload(d.url, d.token, `cut${round}`, big, big.length >> 1);
      // odd rounds: kill as soon as one upload is answered, the others still in flight; even rounds: after a delay
      if (round % 2) await firstDone;
      else await new Promise((r) => setTimeout(r, round * 5));
      await kill9(d.child);
      await Promise.all(uploads);
      const after = inspectStore(dir);
      expect(after.modules.some((m) => m.name.startsWith("cut"))).toBe(false);
    }
    expect(acknowledged.size).toBeGreaterThan(0);
    const last = await spawnDaemon(dir);
    try {
      const listed = (await api(last)("GET", "/modules")).json;
      for (const [name, digest] of acknowledged) expect(listed.find((m: any) => m.name === name)?.digest).toBe(digest);
      for (const m of listed) expect(DIGESTS.has(m.digest)).toBe(true);
      expect(existsSync(join(dir, "token"))).toBe(true);
    } finally {
      await kill9(last.child);
    }
  }, 120_000);
});
