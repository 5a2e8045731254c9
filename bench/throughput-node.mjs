#!/usr/bin/env node
// The node side of bench/throughput.mjs under a device's Node (targets/armhf/node-arm on a workstation): every
// program of bench/throughput-programs.mjs over a capture on each engine this Node has, in this process. Prints
// one JSON object: {"node", "arch", "results": [{"kind", "engine", "counters", "ns"}]} (ns: per packet, fastest pass).
//
//   node bench/throughput-node.mjs CAPTURE [--reps N]
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { THROUGHPUT_PROGRAMS, passOverCapture } from "./throughput-programs.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, "..", "dist", "src");

const capture = process.argv[2];
const repsAt = process.argv.indexOf("--reps");
const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 1;
if (!capture || !(reps >= 1)) {
  console.error("usage: node bench/throughput-node.mjs CAPTURE [--reps N]");
  process.exit(2);
}
const mod = async (rel) => {
  const path = join(DIST, rel);
  if (!existsSync(path)) {
    console.error(`bench: ${path} is missing: run 'npm run build' first`);
    process.exit(2);
  }
  return import(pathToFileURL(path).href);
};
const api = await mod("api/object.js");
const pcap = await mod("tools/pcap.js");
const enginesMod = await mod("runtime/engines.js");
await (await mod("runtime/engine-loader.js")).loadEngines();
const packets = pcap.readCapture(new Uint8Array(readFileSync(capture)), capture).map((p) => p.data);
const results = [];
for (const p of THROUGHPUT_PROGRAMS) {
  const objectBytes = new Uint8Array(readFileSync(join(HERE, "..", "test", "fixtures", p.object)));
  for (const engine of ["interp", "wasm"].filter((e) => enginesMod.engineNames().includes(e))) {
    results.push({ kind: p.kind, engine, ...passOverCapture(api, objectBytes, p, packets, engine, reps) });
  }
}
console.log(JSON.stringify({ node: process.version, arch: process.arch, results }));
