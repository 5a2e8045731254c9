// A module's metrics config, in the shape of Cloudflare's ebpf_exporter (its YAML as JSON): counters, gauges and
// histograms, each read from one table, whose key is cut into labels and each label's bytes decoded (uint,
// hex, string, inet_ip, static_map, regexp). A table named in a config is exported only as the config says,
// no longer as generic tinybpf_map_value samples. Every mistake is one 400 naming the field
// (`counters[0].labels[1].decoders[0]: ...`), checked against the module's tables when the config is set.
import type { BpfMap } from "../api/bpf-map.js";
import { formatScalar, hex } from "../cli/map-output.js";
import { HttpError } from "./http.js";

export interface Decoder {
  name: "uint" | "hex" | "string" | "inet_ip" | "static_map" | "regexp";
  static_map?: Record<string, string>;
  allow_unknown?: boolean;
  regexps?: string[];
}
export interface Label {
  name: string;
  size: number;
  decoders: Decoder[];
}
export interface Metric {
  name: string;
  help: string;
  table: string;
  labels: Label[];
}
export interface Histogram extends Metric {
  bucket_type: "exp2" | "linear";
  bucket_min: number;
  bucket_max: number;
  bucket_multiplier: number;
}
export interface ExporterConfig {
  counters: Metric[];
  gauges: Metric[];
  histograms: Histogram[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DECODERS = new Set(["uint", "hex", "string", "inet_ip", "static_map", "regexp"]);
const INTEGER_SIZES = new Set([1, 2, 4, 8]);
/** The label of a histogram's key that holds the bucket index. */
export const BUCKET_LABEL = "bucket";
const MAX_BUCKETS = 128;

const bad = (where: string, what: string): never => {
  throw new HttpError(400, `${where}: ${what}`);
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown, where: string): unknown[] =>
  v === undefined ? [] : Array.isArray(v) ? v : bad(where, "must be a list");
const text = (v: unknown, where: string): string => (typeof v === "string" ? v : bad(where, "must be a string"));
const whole = (v: unknown, where: string, min: number, max: number): number =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max
    ? v
    : bad(where, `must be a whole number from ${min} to ${max}`);

/** Checks `body` against the module's tables; returns the config with defaults filled in. */
export function parseExporterConfig(body: unknown, tables: Map<string, BpfMap>): ExporterConfig {
  if (!isObject(body)) bad("metrics config", "must be a JSON object with counters, gauges and histograms");
  for (const k of Object.keys(body as object))
    if (!["counters", "gauges", "histograms"].includes(k)) bad(k, "unknown field (counters, gauges, histograms)");
  const b = body as Record<string, unknown>;
  const seen = new Set<string>();
  const metric = (v: unknown, where: string, histogram: boolean): Metric => {
    if (!isObject(v)) bad(where, "must be an object");
    const m = v as Record<string, unknown>;
    const name = text(m.name, `${where}.name`);
    if (!METRIC_NAME.test(name)) bad(`${where}.name`, `'${name}' is not a Prometheus metric name`);
    if (name.startsWith("tinybpf_")) bad(`${where}.name`, "names starting with tinybpf_ are the daemon's own");
    if (seen.has(name)) bad(`${where}.name`, `'${name}' is defined twice`);
    seen.add(name);
    const table = text(m.table, `${where}.table`);
    const map = tables.get(table) ?? bad(`${where}.table`, `no table '${table}'`);
    if (!INTEGER_SIZES.has(map.valueSize))
      bad(`${where}.table`, `'${table}' has ${map.valueSize}-byte values, not a number`);
    const labels = list(m.labels, `${where}.labels`).map((l, i) => label(l, `${where}.labels[${i}]`));
    const names = new Set<string>();
    for (const [i, l] of labels.entries()) {
      if (names.has(l.name)) bad(`${where}.labels[${i}].name`, `'${l.name}' is used twice`);
      names.add(l.name);
    }
    const size = labels.reduce((s, l) => s + l.size, 0);
    if (size !== map.keySize)
      bad(`${where}.labels`, `label sizes add up to ${size} bytes, the key of '${table}' has ${map.keySize}`);
    if (histogram && labels.at(-1)?.name !== BUCKET_LABEL)
      bad(`${where}.labels`, `a histogram's last label is '${BUCKET_LABEL}', the bucket index`);
    return { name, help: m.help === undefined ? name : text(m.help, `${where}.help`), table, labels };
  };
  const label = (v: unknown, where: string): Label => {
    if (!isObject(v)) bad(where, "must be an object");
    const l = v as Record<string, unknown>;
    const name = text(l.name, `${where}.name`);
    if (!LABEL_NAME.test(name) || name === "module") bad(`${where}.name`, `'${name}' cannot be a label name`);
    const size = whole(l.size, `${where}.size`, 1, 512);
    const decoders = list(l.decoders, `${where}.decoders`).map((d, i) => decoder(d, `${where}.decoders[${i}]`, size));
    if (name === BUCKET_LABEL && !INTEGER_SIZES.has(size)) bad(`${where}.size`, "a bucket index is 1, 2, 4 or 8 bytes");
    return { name, size, decoders };
  };
  const decoder = (v: unknown, where: string, size: number): Decoder => {
    if (!isObject(v)) bad(where, "must be an object");
    const d = v as Record<string, unknown>;
    const name = text(d.name, `${where}.name`);
    if (!DECODERS.has(name)) bad(`${where}.name`, `unknown decoder '${name}' (${[...DECODERS].join(", ")})`);
    if (name === "uint" && !INTEGER_SIZES.has(size)) bad(where, `uint decodes 1, 2, 4 or 8 bytes, not ${size}`);
    if (name === "inet_ip" && size !== 4 && size !== 16) bad(where, `inet_ip decodes 4 or 16 bytes, not ${size}`);
    const out: Decoder = { name: name as Decoder["name"] };
    if (name === "static_map") {
      if (!isObject(d.static_map)) bad(`${where}.static_map`, "must be an object of strings");
      for (const [k, s] of Object.entries(d.static_map as object)) text(s, `${where}.static_map.${k}`);
      out.static_map = d.static_map as Record<string, string>;
      out.allow_unknown = d.allow_unknown === true;
    }
    if (name === "regexp") {
      out.regexps = list(d.regexps, `${where}.regexps`).map((r, i) => {
        const source = text(r, `${where}.regexps[${i}]`);
        try {
          new RegExp(source);
        } catch (e) {
          bad(`${where}.regexps[${i}]`, (e as Error).message);
        }
        return source;
      });
      if (!out.regexps.length) bad(`${where}.regexps`, "needs at least one expression");
    }
    return out;
  };
  const histogram = (v: unknown, where: string): Histogram => {
    const m = metric(v, where, true);
    const h = v as Record<string, unknown>;
    const type = h.bucket_type ?? "exp2";
    if (type !== "exp2" && type !== "linear") bad(`${where}.bucket_type`, "is exp2 or linear");
    const min = whole(h.bucket_min ?? 0, `${where}.bucket_min`, 0, MAX_BUCKETS - 1);
    const max = whole(h.bucket_max ?? 63, `${where}.bucket_max`, min, min + MAX_BUCKETS - 1);
    const mult = h.bucket_multiplier ?? 1;
    if (typeof mult !== "number" || !(mult > 0) || !Number.isFinite(mult))
      bad(`${where}.bucket_multiplier`, "must be a positive number");
    return {
      ...m,
      bucket_type: type as Histogram["bucket_type"],
      bucket_min: min,
      bucket_max: max,
      bucket_multiplier: mult as number,
    };
  };
  return {
    counters: list(b.counters, "counters").map((m, i) => metric(m, `counters[${i}]`, false)),
    gauges: list(b.gauges, "gauges").map((m, i) => metric(m, `gauges[${i}]`, false)),
    histograms: list(b.histograms, "histograms").map((m, i) => histogram(m, `histograms[${i}]`)),
  };
}

/** The tables a config exports (the generic samples leave them out). */
export const configuredTables = (c: ExporterConfig): Set<string> =>
  new Set([...c.counters, ...c.gauges, ...c.histograms].map((m) => m.table));

/** One label's value, or undefined when a decoder drops the sample (static_map without the key, regexp). */
function decodeLabel(bytes: Uint8Array, l: Label): string | undefined {
  let v: string = l.decoders.length ? "" : hex(bytes);
  let raw = true; // the first decoder reads the bytes; the ones after it read the previous decoder's text
  for (const d of l.decoders) {
    if (d.name === "static_map") {
      const input = raw ? formatScalar(bytes, bytes.length) : v;
      const mapped = d.static_map![input];
      if (mapped === undefined && !d.allow_unknown) return undefined;
      v = mapped ?? input;
    } else if (d.name === "regexp") {
      const input = raw ? hex(bytes) : v;
      if (!d.regexps!.some((r) => new RegExp(r).test(input))) return undefined;
      v = input;
    } else if (d.name === "uint") v = formatScalar(bytes, bytes.length);
    else if (d.name === "hex") v = hex(bytes);
    else if (d.name === "string") {
      const end = bytes.indexOf(0);
      v = Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString("utf8");
    } else v = inetIp(bytes);
    raw = false;
  }
  return v;
}

function inetIp(b: Uint8Array): string {
  if (b.length === 4) return [...b].join(".");
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] << 8) | b[i + 1]).toString(16));
  // the longest run of two or more zero words becomes "::" (RFC 5952)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  if (best < 0) return words.join(":");
  return `${words.slice(0, best).join(":")}::${words.slice(best + bestLen).join(":")}`;
}

const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

interface Row {
  labels: string[]; // decoded, in the metric's label order (a histogram's bucket excluded)
  bucket?: number;
  value: bigint;
}

/** The table's entries cut into labels; entries whose labels decode to the same text are summed. */
function rows(map: BpfMap, m: Metric, sumValue: (map: BpfMap, v: Uint8Array) => bigint, histogram: boolean): Row[] {
  const out = new Map<string, Row>();
  for (const e of map.dump()) {
    const labels: string[] = [];
    let bucket: number | undefined;
    let at = 0;
    let keep = true;
    for (const l of m.labels) {
      const bytes = e.key.subarray(at, at + l.size);
      at += l.size;
      if (histogram && m.labels.at(-1) === l) {
        bucket = Number(formatScalar(bytes, l.size));
        continue;
      }
      const v = decodeLabel(bytes, l);
      if (v === undefined) keep = false;
      else labels.push(v);
    }
    if (!keep) continue;
    const id = JSON.stringify([labels, bucket]);
    const row = out.get(id) ?? { labels, bucket, value: 0n };
    row.value += sumValue(map, e.value);
    out.set(id, row);
  }
  return [...out.values()];
}

const labelText = (module: string, names: string[], values: string[], extra = "") =>
  `{module="${escape(module)}"${names.map((n, i) => `,${n}="${escape(values[i])}"`).join("")}${extra}}`;

/** A bucket's upper bound: exp2 buckets hold values up to 2^k, linear ones up to k (times the multiplier). */
const upperBound = (h: Histogram, k: number) => (h.bucket_type === "exp2" ? 2 ** k : k) * h.bucket_multiplier;

export interface ConfiguredModule {
  name: string;
  config: ExporterConfig;
  table: (name: string) => BpfMap;
}

/** The configured metrics of every module, one HELP/TYPE per metric name. */
export function renderConfigured(
  mods: ConfiguredModule[],
  sumValue: (map: BpfMap, v: Uint8Array) => bigint,
  out: string[],
): void {
  const families = new Map<string, { type: string; help: string; lines: string[] }>();
  const family = (name: string, type: string, help: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { type, help, lines: [] }));
    return f.type === type ? f : undefined; // another module's metric of the same name but another type: left out
  };
  for (const mod of mods) {
    const simple = (metrics: Metric[], type: string) => {
      for (const m of metrics) {
        const f = family(m.name, type, m.help);
        if (!f) continue;
        const names = m.labels.map((l) => l.name);
        for (const r of rows(mod.table(m.table), m, sumValue, false))
          f.lines.push(`${m.name}${labelText(mod.name, names, r.labels)} ${r.value}`);
      }
    };
    simple(mod.config.counters, "counter");
    simple(mod.config.gauges, "gauge");
    for (const h of mod.config.histograms) {
      const f = family(h.name, "histogram", h.help);
      if (!f) continue;
      const names = h.labels.slice(0, -1).map((l) => l.name);
      const series = new Map<string, { labels: string[]; counts: Map<number, bigint> }>();
      for (const r of rows(mod.table(h.table), h, sumValue, true)) {
        const id = JSON.stringify(r.labels);
        const s = series.get(id) ?? { labels: r.labels, counts: new Map() };
        // buckets below the range count in the first one, above it in +Inf only
        const k = Math.max(r.bucket!, h.bucket_min);
        s.counts.set(k, (s.counts.get(k) ?? 0n) + r.value);
        series.set(id, s);
      }
      for (const s of series.values()) {
        let cumulative = 0n;
        for (let k = h.bucket_min; k <= h.bucket_max; k++) {
          cumulative += s.counts.get(k) ?? 0n;
          f.lines.push(
            `${h.name}_bucket${labelText(mod.name, names, s.labels, `,le="${upperBound(h, k)}"`)} ${cumulative}`,
          );
        }
        let total = 0n;
        for (const c of s.counts.values()) total += c;
        f.lines.push(`${h.name}_bucket${labelText(mod.name, names, s.labels, ',le="+Inf"')} ${total}`);
        // no _sum: a table of bucket counts does not know it (as for the hist= histograms)
        f.lines.push(`${h.name}_count${labelText(mod.name, names, s.labels)} ${total}`);
      }
    }
  }
  for (const [name, f] of families)
    out.push(`# HELP ${name} ${f.help.replace(/\n/g, " ")}`, `# TYPE ${name} ${f.type}`, ...f.lines);
}
