// The daemon of a `bundle --serve` on the device: serve.sh started with the device's node and, from the same
// bundle, with the host's reference node; each gets sockex1.o, a link that runs the sample capture through it and
// the requests a client makes next. The device must answer what the host answers, and the table must hold what
// `tinybpf run --json` prints on the host. One daemon start on the device: emulated, it takes seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, FIXTURES, TIMEOUT_MS, bundleOnHost, needBuilt, referenceNode, runNode } from "./common.mjs";

const OBJ = join(FIXTURES, "sockex1.o");
const PCAP = join(FIXTURES, "pcap", "sockex1.pcap");

/** serve.sh with `node`, on a free port of 127.0.0.1; resolves once the daemon says where it listens. */
function startDaemon(node, bundleDir, dataDir) {
  const child = spawn("/bin/sh", [join(bundleDir, "serve.sh"), "--listen", "127.0.0.1:0", "--data", dataDir], {
    env: { ...process.env, NODE: node },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the daemon (${node}) did not start within ${TIMEOUT_MS} ms: ${out}`));
    }, TIMEOUT_MS);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon (${node}) exited with ${code}: ${out}`));
    });
    child.stdout.on("data", () => {
      const m = /restored/.test(out) && /listening on (http:\/\/\S+),/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ url: m[1], token: readFileSync(join(dataDir, "token"), "utf8").trim() });
    });
  });
  return { child, exited, started, output: () => out };
}

/** One request with the daemon's token; the reply's status and JSON body. */
async function request(daemon, method, path, body) {
  const headers = { Authorization: `Bearer ${daemon.token}` };
  const payload = body instanceof Uint8Array ? body : body === undefined ? undefined : JSON.stringify(body);
  const res = await fetch(daemon.url + path, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

/** What a client sees: load sockex1.o, run the capture through a link until it is done, read the table. */
async function session(daemon) {
  const mod = await request(daemon, "POST", "/modules?name=sockex1", new Uint8Array(readFileSync(OBJ)));
  assert.equal(mod.status, 201, mod.text);
  const link = await request(daemon, "POST", "/links", {
    module: mod.json.id,
    program: "bpf_prog1",
    source: `pcap:${PCAP}`,
  });
  assert.equal(link.status, 201, link.text);
  let done;
  const end = Date.now() + TIMEOUT_MS;
  while (!done) {
    const l = await request(daemon, "GET", `/links/${link.json.id}`);
    if (l.json.state === "done") done = l.json;
    else if (Date.now() > end) throw new Error(`the link is still ${l.json.state}`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  const tables = await request(daemon, "GET", `/modules/${mod.json.id}/tables`);
  const entries = await request(daemon, "GET", `/modules/${mod.json.id}/tables/my_map/entries`);
  const after = await request(daemon, "GET", `/modules/${mod.json.id}`);
  // ids and times differ from one daemon to the other; everything else must not
  const { id: _m, created: _mc, ...module } = after.json;
  const { id: _l, module: _lm, created: _lc, ...linkState } = done;
  return { module, link: linkState, tables: tables.json, entries: entries.json };
}

test("the daemon of a --serve bundle answers on the device as on the host", async (t) => {
  needBuilt(CLI);
  const work = mkdtempSync(join(tmpdir(), "tinybpf-device-serve-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dir = join(work, "bundle");
  bundleOnHost([OBJ], dir, { serve: true });

  const daemons = [];
  t.after(async () => {
    for (const d of daemons) {
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill("SIGKILL");
      await d.exited;
    }
  });
  const results = {};
  for (const [side, node] of [
    ["device", process.execPath],
    ["host", referenceNode()],
  ]) {
    const d = startDaemon(node, dir, join(work, `data-${side}`));
    daemons.push(d);
    const where = await d.started;
    results[side] = await session(where);
    d.child.kill("SIGTERM");
    assert.equal(await d.exited, 0, `the ${side} daemon did not stop cleanly: ${d.output()}`);
  }

  assert.ok(results.host.link.runs > 0, `no runs on the host: ${JSON.stringify(results.host.link)}`);
  assert.deepEqual(results.device, results.host);
  const run = runNode(referenceNode(), [CLI, "run", OBJ, "--pcap", PCAP, "--json"]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(results.device.entries, JSON.parse(run.stdout).maps.my_map);
});
