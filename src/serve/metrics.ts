// GET /metrics: the Prometheus text format. One sample per map entry (keys and values of 1, 2, 4 or 8 bytes as
// unsigned decimal, as `tinybpf run` prints them, other keys in hex; per-CPU values summed), log2-histogram maps as
// Prometheus histograms when the module was uploaded with hist=MAP, the metrics a module's config names
// (exporter.ts, ebpf_exporter's shape) in place of its tables' generic samples, and the daemon's own counters.
import {
  MAP_TYPE_RINGBUF,
  MAP_TYPE_PERF_EVENT_ARRAY,
  MAP_TYPE_PROG_ARRAY,
  MAP_TYPE_ARRAY_OF_MAPS,
  MAP_TYPE_HASH_OF_MAPS,
} from "../../assembly/maps/desc.js";
import type { BpfMap } from "../api/bpf-map.js";
import { formatScalar, hex } from "../cli/map-output.js";
import type { Daemon } from "./daemon.js";
import { configuredTables, renderConfigured } from "./exporter.js";
import type { Module } from "./modules.js";

/** Maps whose values are not quantities: records in flight, program and map ids. */
const NOT_SAMPLED = new Set([
  MAP_TYPE_RINGBUF,
  MAP_TYPE_PERF_EVENT_ARRAY,
  MAP_TYPE_PROG_ARRAY,
  MAP_TYPE_ARRAY_OF_MAPS,
  MAP_TYPE_HASH_OF_MAPS,
]);
const INTEGER_SIZES = new Set([1, 2, 4, 8]);

/** A label value: names are restricted to safe characters, but escape anyway. */
const label = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** A value's copies summed over the CPUs (one copy for other maps). */
function sumValue(map: BpfMap, bytes: Uint8Array): bigint {
  let sum = 0n;
  for (let off = 0; off + map.valueSize <= bytes.length; off += map.valueSize) {
    sum += BigInt(formatScalar(bytes.subarray(off, off + map.valueSize), map.valueSize));
  }
  return sum;
}

const keyText = (map: BpfMap, key: Uint8Array) =>
  INTEGER_SIZES.has(map.keySize) ? formatScalar(key, map.keySize) : hex(key);

function mapSamples(mod: Module, map: BpfMap, out: string[]): void {
  if (NOT_SAMPLED.has(map.type) || !INTEGER_SIZES.has(map.valueSize)) return;
  const entries = map.dump();
  entries.forEach((e, i) => {
    // queues and stacks have no keys: their elements are numbered in pop order
    const key = map.keySize === 0 ? String(i) : keyText(map, e.key);
    out.push(
      `tinybpf_map_value{module="${label(mod.name)}",map="${label(map.name)}",key="${label(key)}"} ${sumValue(map, e.value)}`,
    );
  });
}

/** Slot k of a log2 histogram counts values from 2^(k-1) to 2^k - 1 (slot 0: the value 0), as BCC's bpf_log2l. */
function histSamples(mod: Module, map: BpfMap, out: string[]): void {
  if (!INTEGER_SIZES.has(map.valueSize) || !INTEGER_SIZES.has(map.keySize)) return;
  const counts: bigint[] = [];
  for (const e of map.dump()) {
    const slot = Number(formatScalar(e.key, map.keySize));
    if (slot < 65) counts[slot] = (counts[slot] ?? 0n) + sumValue(map, e.value);
  }
  const labels = `module="${label(mod.name)}",map="${label(map.name)}"`;
  let cumulative = 0n;
  for (let k = 0; k < counts.length; k++) {
    cumulative += counts[k] ?? 0n;
    out.push(`tinybpf_map_hist_bucket{${labels},le="${((1n << BigInt(k)) - 1n).toString()}"} ${cumulative}`);
  }
  out.push(`tinybpf_map_hist_bucket{${labels},le="+Inf"} ${cumulative}`);
  out.push(`tinybpf_map_hist_count{${labels}} ${cumulative}`);
}

export function renderMetrics(daemon: Daemon): string {
  const out: string[] = [];
  const mods = [...daemon.modules.values()];
  out.push("# HELP tinybpf_map_value One map entry's value (per-CPU values summed).", "# TYPE tinybpf_map_value gauge");
  const configured = new Map(mods.map((m) => [m, m.record.metrics ? configuredTables(m.record.metrics) : new Set()]));
  for (const mod of mods)
    for (const map of mod.obj.maps.values())
      if (!mod.record.hist.includes(map.name) && !configured.get(mod)!.has(map.name)) mapSamples(mod, map, out);
  if (mods.some((m) => m.record.hist.length)) {
    out.push(
      "# HELP tinybpf_map_hist A log2-histogram map (bucket le = 2^k - 1 for slot k).",
      "# TYPE tinybpf_map_hist histogram",
    );
    for (const mod of mods) for (const h of mod.record.hist) histSamples(mod, mod.obj.get(h), out);
  }
  renderConfigured(
    mods
      .filter((m) => m.record.metrics)
      .map((m) => ({ name: m.name, config: m.record.metrics!, table: (t) => m.obj.get(t) })),
    sumValue,
    out,
  );
  const perModule = (name: string, help: string, type: string, value: (m: Module) => number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const m of mods) out.push(`${name}{module="${label(m.name)}"} ${value(m)}`);
  };
  perModule("tinybpf_runs_total", "Program runs that completed.", "counter", (m) => m.runs);
  perModule("tinybpf_faults_total", "Program runs stopped by a fault.", "counter", (m) => m.faults);
  perModule("tinybpf_instructions_total", "Instructions executed by completed runs.", "counter", (m) => m.instructions);
  const gauge = (name: string, help: string, type: string, value: number) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  gauge("tinybpf_modules", "Modules loaded.", "gauge", mods.length);
  gauge("tinybpf_links", "Links, whatever their state.", "gauge", daemon.links.size);
  gauge("tinybpf_http_requests_total", "HTTP requests received.", "counter", daemon.counters.requests);
  gauge(
    "tinybpf_http_unauthorized_total",
    "Requests refused for a missing or wrong token.",
    "counter",
    daemon.counters.unauthorized,
  );
  gauge("tinybpf_events_total", "Events published.", "counter", daemon.events.published);
  gauge("tinybpf_event_subscribers", "Event streams open.", "gauge", daemon.events.size);
  return out.join("\n") + "\n";
}
