// bpftrace's printing, as bpftrace 0.20 prints (the release whose text format the tools and tutorials show):
// maps as `@name[key]: value` lines sorted by value, scalars as `@name: value`; avg and stats maps followed by an
// empty line; histograms as `@name: ` then rows with bucket labels ([0], [1], [2, 4), [1K, 2K) ...) and 52-column
// bars, an empty line after each; stats as `count N, average N, total N`; and printf's conversions. At exit
// bpftrace prints two line breaks before the maps (EXIT_SEPARATOR).
import type { KeyType, MapInfo } from "./check.js";

export interface Entry {
  key: Uint8Array;
  value: Uint8Array;
}

const BAR_WIDTH = 52;
export const EXIT_SEPARATOR = "\n\n";

export function ntop(v: bigint): string {
  const n = Number(BigInt.asUintN(32, v));
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

const u64 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0, true);

type KeyPart = bigint | string;

function decodeKey(types: KeyType[], key: Uint8Array): KeyPart[] {
  let off = 0;
  return types.map((t) => {
    if (t === "str") {
      off += 16;
      return cString(key.subarray(off - 16, off));
    }
    const v = u64(key, off);
    off += 8;
    return t === "int" ? BigInt.asIntN(64, v) : v;
  });
}

function keyText(types: KeyType[], parts: KeyPart[]): string {
  if (types.length === 0) return "";
  return `[${parts.map((p, i) => (types[i] === "inet" ? ntop(p as bigint) : String(p))).join(", ")}]`;
}

function compareKeys(a: KeyPart[], b: KeyPart[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

/** bpftrace's bar length: computed in single-precision float, as bpftrace does, then truncated. */
function bar(count: bigint, max: bigint): string {
  const f = Math.fround;
  const width = Math.trunc(f(f(f(Number(count)) / f(Number(max))) * BAR_WIDTH));
  return "@".repeat(width).padEnd(BAR_WIDTH);
}

function rows(counts: bigint[], label: (i: number) => string): string {
  let first = -1;
  let last = -1;
  let max = 0n;
  counts.forEach((c, i) => {
    if (c > 0n) {
      if (first < 0) first = i;
      last = i;
    }
    if (c > max) max = c;
  });
  let out = "";
  for (let i = first; i >= 0 && i <= last; i++) {
    out += `${label(i).padEnd(16)}${String(counts[i]).padStart(8)} |${bar(counts[i], max)}|\n`;
  }
  return out;
}

function log2Label(power: number): string {
  const suffixes = ["", "K", "M", "G", "T", "P", "E"];
  const s = Math.floor(power / 10);
  return `${2n ** BigInt(power - s * 10)}${suffixes[s]}`;
}

/** Buckets of a log2 histogram: bucket 0 holds negatives, 1 holds 0, i >= 2 holds [2^(i-2), 2^(i-1)). */
export const HIST_BUCKETS = 66;

/** The row label of log2 bucket i. */
export function histLabel(i: number): string {
  return i === 0 ? "(..., 0)" : i === 1 ? "[0]" : i === 2 ? "[1]" : `[${log2Label(i - 2)}, ${log2Label(i - 1)})`;
}

/** bpftrace's log2 histogram. */
export function formatHist(counts: bigint[]): string {
  return rows(counts, histLabel);
}

/** bpftrace 0.20's lhist labels: multiples of 1M and 1K get a suffix, whatever the step. */
function linearLabel(n: bigint): string {
  const M = 1048576n;
  const K = 1024n;
  if (n !== 0n && n % M === 0n) return `${n / M}M`;
  if (n !== 0n && n % K === 0n) return `${n / K}K`;
  return String(n);
}

export interface LhistParams {
  min: bigint;
  max: bigint;
  step: bigint;
}

/** Buckets of an lhist: below min, one per step, max and above. */
export function lhistBuckets(p: LhistParams): number {
  return Number((p.max - p.min) / p.step) + 2;
}

/** The row label of lhist bucket i. */
export function lhistLabel(i: number, p: LhistParams): string {
  if (i === 0) return `(..., ${linearLabel(p.min)})`;
  if (i === lhistBuckets(p) - 1) return `[${linearLabel(p.max)}, ...)`;
  return `[${linearLabel(p.min + BigInt(i - 1) * p.step)}, ${linearLabel(p.min + BigInt(i) * p.step)})`;
}

export function formatLhist(counts: bigint[], p: LhistParams): string {
  return rows(counts, (i) => lhistLabel(i, p));
}

/** The whole map as bpftrace prints it at exit or with print(); an empty map still prints its line break(s). */
export function formatMap(info: MapInfo, entries: Entry[]): string {
  const name = `@${info.name}`;
  if (info.value === "hist" || info.value === "lhist") {
    const groups = new Map<string, { parts: KeyPart[]; counts: bigint[] }>();
    const n = info.value === "hist" ? HIST_BUCKETS : lhistBuckets(info.lhist!);
    for (const e of entries) {
      const userKey = e.key.subarray(0, e.key.length - 8);
      const id = Array.from(userKey).join(",");
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { parts: decodeKey(info.keys, userKey), counts: new Array<bigint>(n).fill(0n) }));
      const bucket = Number(u64(e.key, e.key.length - 8));
      if (bucket < n) g.counts[bucket] += u64(e.value, 0);
    }
    const sorted = [...groups.values()].sort((a, b) => {
      const ta = a.counts.reduce((x, y) => x + y, 0n);
      const tb = b.counts.reduce((x, y) => x + y, 0n);
      return ta < tb ? -1 : ta > tb ? 1 : compareKeys(a.parts, b.parts);
    });
    return (
      sorted
        .map((g) => {
          const body = info.value === "hist" ? formatHist(g.counts) : formatLhist(g.counts, info.lhist!);
          return `${name}${keyText(info.keys, g.parts)}: \n${body}`;
        })
        .join("\n") + "\n"
    );
  }
  const items = entries.map((e) => {
    const parts = info.keys.length ? decodeKey(info.keys, e.key) : [];
    const raw = u64(e.value, 0);
    let sortValue = info.signed && info.value !== "count" ? BigInt.asIntN(64, raw) : raw;
    let text: string;
    switch (info.value) {
      case "str":
        text = cString(e.value);
        sortValue = 0n;
        break;
      case "inet":
        text = ntop(raw);
        break;
      case "avg":
      case "stats": {
        const count = raw;
        const total = info.signed ? BigInt.asIntN(64, u64(e.value, 8)) : u64(e.value, 8);
        const avg = count === 0n ? 0n : total / count;
        sortValue = avg;
        text = info.value === "avg" ? String(avg) : `count ${count}, average ${avg}, total ${total}`;
        break;
      }
      default:
        text = String(sortValue);
    }
    return { parts, sortValue, text };
  });
  items.sort((a, b) =>
    a.sortValue < b.sortValue ? -1 : a.sortValue > b.sortValue ? 1 : compareKeys(a.parts, b.parts),
  );
  const lines = items.map((i) => `${name}${keyText(info.keys, i.parts)}: ${i.text}`).join("\n") + "\n";
  return info.value === "avg" || info.value === "stats" ? lines + "\n" : lines;
}

/** printf with bpftrace's conversions: %d %i %u %x %X %c %s with flags '-' and '0', widths and l/ll/h/hh. */
export function formatPrintf(format: string, args: (bigint | string)[]): string {
  let i = 0;
  return format.replace(
    /%(-?)(0?)(\d*)(ll|l|hh|h)?([a-zA-Z%])/g,
    (_m, left: string, zero: string, width: string, _len, conv: string) => {
      if (conv === "%") return "%";
      const a = args[i++];
      let s: string;
      if (typeof a === "string") s = a;
      else if (conv === "d" || conv === "i") s = String(BigInt.asIntN(64, a));
      else if (conv === "u") s = String(BigInt.asUintN(64, a));
      else if (conv === "x") s = BigInt.asUintN(64, a).toString(16);
      else if (conv === "X") s = BigInt.asUintN(64, a).toString(16).toUpperCase();
      else if (conv === "c") s = String.fromCharCode(Number(a & 0xffn));
      else s = String(a);
      const w = Number(width || 0);
      if (left) return s.padEnd(w);
      if (zero && typeof a !== "string")
        return s.startsWith("-") ? "-" + s.slice(1).padStart(w - 1, "0") : s.padStart(w, "0");
      return s.padStart(w);
    },
  );
}
