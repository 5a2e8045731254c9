// Shared by the device suite (test/device/*.test.mjs). The suite runs on the device's node (for example Debian
// armhf Node 18 under targets/armhf/node-arm) and checks that tinybpf gives there exactly what it gives on the
// host: every expected result is the same command or API call run by a reference node on the host, found in
// $TINYBPF_HOST_NODE (or, under `npm run`, the node that runs npm).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = join(ROOT, "bin", "tinybpf.js");
export const API = join(ROOT, "dist", "src", "index.js");
export const FIXTURES = join(ROOT, "test", "fixtures");

/** Emulated start-up alone takes seconds; a conformance run takes tens. */
export const TIMEOUT_MS = 600_000;

/** Throws a clear message when a file the suite exercises has not been built. */
export function needBuilt(path) {
  if (!existsSync(path)) {
    throw new Error(`${path.slice(ROOT.length)} is missing: run 'npm run build' on the host first (the device suite runs the built CLI and API)`);
  }
}

/** The host's node that computes the expected results. */
export function referenceNode() {
  const node = process.env.TINYBPF_HOST_NODE || process.env.npm_node_execpath;
  if (!node) {
    throw new Error("no reference node: set TINYBPF_HOST_NODE to the host's node (the device's results are compared with its results)");
  }
  return node;
}

/** Runs `node args...` in the repository; returns status and output, throws if it could not start. */
export function runNode(node, args, env = {}) {
  const r = spawnSync(node, args, {
    cwd: ROOT,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
  });
  if (r.error) throw new Error(`${node} ${args.join(" ")}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** `tinybpf args...` with this (the device's) node and with the reference node. */
export function cliBoth(args) {
  needBuilt(CLI);
  const device = runNode(process.execPath, [CLI, ...args]);
  const host = runNode(referenceNode(), [CLI, ...args]);
  return { device, host };
}

/** A description of the reference node, to make sure the comparison is between two different nodes. */
export function describeNode(node) {
  const r = runNode(node, ["-p", "process.arch + ' ' + process.version"]);
  return r.stdout.trim();
}

/** JSON-friendly, deterministic form of API results: bigint as "123n", bytes as hex, Maps and iterables as arrays. */
export function plain(value) {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  if (ArrayBuffer.isView(value)) return plain(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [plain(k), plain(v)]);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    if (typeof value[Symbol.iterator] === "function") return [...value].map(plain);
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, plain(value[k])]));
  }
  return value;
}

/** The fixture objects the API scenario loads (clang -target bpf output, committed in test/fixtures). */
export const API_OBJECTS = ["sockex1.o", "globals.o", "maps_all.o", "bitehist.o", "xdp.o"];

/**
 * The API scenario, run in-process on the device and in a reference node on the host: loads each fixture
 * object and reports its programs and maps (with their initial entries), then replays the sockex1 capture's
 * packets through sockex1's program and reports every r0 and the counters it leaves in my_map. Errors are
 * reported as results, so that both sides can be compared even when something fails.
 */
export async function apiScenario() {
  needBuilt(API);
  const { load } = await import(pathToFileURL(API).href);
  const { readCapture } = await import(pathToFileURL(join(ROOT, "dist", "src", "pcap.js")).href);
  const out = {};
  for (const name of API_OBJECTS) {
    try {
      const obj = await load(join(FIXTURES, name));
      const maps = {};
      for (const [mapName, map] of obj.maps) maps[mapName] = plain(map.entries());
      out[name] = { programs: [...obj.programs.keys()].sort(), maps };
    } catch (e) {
      out[name] = { error: String(e && e.message ? e.message : e) };
    }
  }
  try {
    const obj = await load(join(FIXTURES, "sockex1.o"));
    const [progName] = obj.programs.keys();
    const prog = obj.programs.get(progName);
    const capture = join(FIXTURES, "pcap", "sockex1.pcap");
    const packets = readCapture(new Uint8Array(readFileSync(capture)), capture);
    const r0 = [];
    for (const p of packets) r0.push(plain(prog.run({ packet: p.data })));
    out.sockex1Run = { program: progName, packets: packets.length, r0, my_map: plain(obj.maps.get("my_map").entries()) };
  } catch (e) {
    out.sockex1Run = { error: String(e && e.message ? e.message : e) };
  }
  return out;
}

/** Every `error` field in a scenario result, as "where: message". */
export function scenarioErrors(result) {
  return Object.entries(result)
    .filter(([, v]) => v && typeof v === "object" && "error" in v)
    .map(([k, v]) => `${k}: ${v.error}`);
}
