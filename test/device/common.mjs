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
    throw new Error(
      `${path.slice(ROOT.length)} is missing: run 'npm run build' on the host first (the device suite runs the built CLI and API)`,
    );
  }
}

/** The host's node that computes the expected results. */
export function referenceNode() {
  const node = process.env.TINYBPF_HOST_NODE || process.env.npm_node_execpath;
  if (!node) {
    throw new Error(
      "no reference node: set TINYBPF_HOST_NODE to the host's node (the device's results are compared with its results)",
    );
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

/** Makes a bundle with the host's node through the bundle() API (options the CLI has no flags for). */
export function bundleOnHost(objs, out, options) {
  const api = join(ROOT, "dist", "src", "tools/bundle.js");
  needBuilt(api);
  const script = `const { bundle } = await import(${JSON.stringify(pathToFileURL(api).href)});
bundle(${JSON.stringify(objs)}, ${JSON.stringify(out)}, ${JSON.stringify(options)});`;
  const made = runNode(referenceNode(), ["--input-type=module", "-e", script]);
  if (made.status !== 0) throw new Error(`bundle() failed on the host:\n${made.stderr}`);
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
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, plain(value[k])]),
    );
  }
  return value;
}

/** The fixture objects the API scenario loads (clang -target bpf output, committed in test/fixtures). */
export const API_OBJECTS = [
  "sockex1.o",
  "xdp.o",
  "sections.o",
  "globals.o",
  "bitehist.o",
  "calls.o",
  "tailcall.o",
  "ringbuf.o",
  "maps_all.o",
  "helpers.o",
];

/** Program types whose input is a packet: the scenario replays the capture through them. */
const PACKET_TYPES = new Set(["socket_filter", "xdp", "sched_cls", "cgroup_skb"]);

const message = (e) => String(e && e.message ? e.message : e);

/** Every entry of every map of `obj`, by map name. */
function mapContents(obj) {
  const maps = {};
  for (const [name, map] of obj.maps) {
    try {
      maps[name] = plain(map.entries());
    } catch (e) {
      maps[name] = { error: message(e) };
    }
  }
  return maps;
}

/**
 * The API scenario, run in-process on the device and in a reference node on the host. For each fixture object:
 * load it, report its programs (name and type) and the initial contents of its maps, replay the sockex1 capture's
 * packets through every packet program (r0 of each run, or the fault it raised), and report the maps again.
 * Load errors are results too, so that both sides can be compared whatever happens.
 */
export async function apiScenario() {
  needBuilt(API);
  const { load, readCapture } = await import(pathToFileURL(API).href);
  const capture = join(FIXTURES, "pcap", "sockex1.pcap");
  const packets = readCapture(new Uint8Array(readFileSync(capture)), capture);
  const out = { packets: packets.length };
  for (const name of API_OBJECTS) {
    let obj;
    try {
      obj = await load(join(FIXTURES, name));
    } catch (e) {
      out[name] = { error: message(e) };
      continue;
    }
    const result = {
      programs: [...obj.programs.values()].map((p) => `${p.name}:${p.type}`),
      maps: mapContents(obj),
      runs: {},
    };
    for (const prog of obj.programs.values()) {
      if (!PACKET_TYPES.has(prog.type)) continue;
      result.runs[prog.name] = packets.map((p) => {
        try {
          return plain(prog.run({ packet: p.data }));
        } catch (e) {
          return { fault: message(e) };
        }
      });
    }
    result.mapsAfter = mapContents(obj);
    out[name] = result;
  }
  return out;
}

/** The objects that did not load, as "object: message". */
export function loadErrors(result) {
  return Object.entries(result)
    .filter(([, v]) => v && typeof v === "object" && "error" in v)
    .map(([k, v]) => `${k}: ${v.error}`);
}
