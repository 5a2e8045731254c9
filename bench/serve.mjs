#!/usr/bin/env node
// A loopback load test of `tinybpf serve`: 50 concurrent clients read a module's table while a pcap link runs
// packets through the module, for a few seconds; prints requests per second, latency percentiles and packets per
// second, then checks the table against the capture. Everything stays on 127.0.0.1 and is bounded in time and count.
// --node runs the daemon with another node, for example Debian's armhf Node 18 under qemu-arm (the clients stay on
// this node, so that they do not take the emulated CPU's time); its start may then take a minute.
//
//   npm run build && node bench/serve.mjs [--seconds N (1-60, default 5)] [--clients N (1-200, default 50)]
//                                         [--node PATH (default: this node; e.g. targets/armhf/node-arm)]
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCapture } from "../dist/src/tools/pcap.js";
import { benchFail, parseBenchArgs } from "./args.mjs";

const root = join(import.meta.dirname, "..");
const {
  seconds,
  clients,
  node: daemonNode,
} = parseBenchArgs("serve", process.argv.slice(2), {
  usage: "usage: node bench/serve.mjs [--seconds N] [--clients N] [--node PATH]",
  defaults: { seconds: 5, clients: 50, node: process.execPath },
  flags: { "--seconds": ["seconds", "count", 60], "--clients": ["clients", "count", 200], "--node": ["node", "text"] },
});
if (!existsSync(daemonNode)) benchFail("serve", `--node ${daemonNode}: no such file`);
const emulated = daemonNode !== process.execPath;
const MAX_REQUESTS = 1_000_000;
const capturePath = join(root, "test/fixtures/pcap/sockex1.pcap");
const packets = readCapture(readFileSync(capturePath), "sockex1.pcap");
// enough passes over the capture to outlast the measurement
const REPEAT = 100_000;

const dir = mkdtempSync(join(tmpdir(), "tinybpf-bench-serve-"));
const daemon = spawn(daemonNode, [join(root, "bin/tinybpf.js"), "serve", "--listen", "127.0.0.1:0", "--data", dir], {
  stdio: ["ignore", "pipe", "inherit"],
});
try {
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the daemon did not start: ${out}`)), emulated ? 180_000 : 20_000);
    daemon.on("exit", (code) => reject(new Error(`the daemon exited (${code}): ${out}`)));
    daemon.stdout.on("data", (d) => {
      out += d;
      const m = /restored/.test(out) && /listening on (http:\/\/\S+),/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const token = readFileSync(join(dir, "token"), "utf8").trim();
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const headers = { Authorization: `Bearer ${token}` };
      if (body) headers["Content-Length"] = body.length;
      const req = request(url + path, { method, headers, agent }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      });
      req.setTimeout(emulated ? 60_000 : 10_000, () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(body);
    });
  const json = async (method, path, body) => JSON.parse((await call(method, path, body)).body.toString());

  const mod = await json("POST", "/modules?name=sockex1", readFileSync(join(root, "test/fixtures/sockex1.o")));
  const entries = `/modules/${mod.id}/tables/my_map/entries`;
  const link = await json(
    "POST",
    "/links",
    Buffer.from(
      JSON.stringify({ module: mod.id, program: "bpf_prog1", source: `pcap:${capturePath}`, repeat: REPEAT }),
    ),
  );
  const runsBefore = (await json("GET", `/links/${link.id}`)).runs;

  // connections opened and code warmed before the clock starts
  await Promise.all(Array.from({ length: clients }, () => call("GET", entries)));
  const latencies = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end && latencies.length < MAX_REQUESTS) {
        const t = performance.now();
        try {
          const r = await call("GET", entries);
          if (r.status !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const after = await json("GET", `/links/${link.id}`);
  await call("DELETE", `/links/${link.id}`);
  // stopped now: the module's run count is final (the link was its only source of runs)
  const { runs } = await json("GET", `/modules/${mod.id}`);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
  const version = await new Promise((resolve) => {
    const probe = spawn(daemonNode, ["-p", "process.arch + ' ' + process.version"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let text = "";
    probe.stdout.on("data", (d) => (text += d));
    probe.on("exit", () => resolve(text.trim()));
  });
  console.log(
    `tinybpf serve (node ${version}) on 127.0.0.1: ${clients} clients reading a 256-entry table for ${elapsed.toFixed(1)} s while a pcap link ran`,
  );
  console.log(`  requests: ${latencies.length} (${(latencies.length / elapsed).toFixed(0)}/s), errors ${errors}`);
  console.log(`  latency ms: p50 ${pct(50)}  p90 ${pct(90)}  p99 ${pct(99)}  max ${latencies.at(-1).toFixed(1)}`);
  console.log(
    `  packets run meanwhile: ${after.runs - runsBefore} (${((after.runs - runsBefore) / elapsed).toFixed(0)}/s), faults ${after.faults}`,
  );
  // the table must hold exactly the bytes of the packets that ran: whole passes over the capture, then the first
  // packets of the pass the link was stopped in
  const table = await json("GET", entries);
  const total = table.reduce((s, e) => s + Number(Buffer.from(e.value, "hex").readBigUInt64LE()), 0);
  const perPass = packets.reduce((s, p) => s + p.data.length, 0);
  const passes = Math.floor(runs / packets.length);
  const partial = packets.slice(0, runs % packets.length).reduce((s, p) => s + p.data.length, 0);
  const want = passes * perPass + partial;
  console.log(
    `  table check: ${total} bytes counted, ${want} expected from the capture: ${total === want ? "ok" : "MISMATCH"}`,
  );
  agent.destroy();
  if (total !== want || errors) process.exitCode = 1;
} finally {
  daemon.kill("SIGTERM");
  await new Promise((r) => daemon.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
