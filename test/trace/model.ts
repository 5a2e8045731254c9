// An independent reading of a capture for the trace tests: header fields by plain byte arithmetic, and bpftrace's
// printed formats written out again here (not imported from src/trace), so a test compares the compiler's result
// with a computation that shares no code with it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readCapture } from "../../src/tools/pcap.js";

export interface Frame {
  d: Uint8Array;
  ns: bigint;
}

export function loadFrames(name: string): Frame[] {
  const path = join(__dirname, "..", "fixtures", "pcap", name);
  return readCapture(new Uint8Array(readFileSync(path)), name).map((p) => ({
    d: p.data,
    ns: BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec),
  }));
}

export const u8 = (d: Uint8Array, o: number) => (o >= 0 && o + 1 <= d.length ? d[o] : 0);
export const u16 = (d: Uint8Array, o: number) => (o >= 0 && o + 2 <= d.length ? d[o] * 256 + d[o + 1] : 0);
export const u32 = (d: Uint8Array, o: number) =>
  o >= 0 && o + 4 <= d.length ? ((d[o] << 24) >>> 0) + (d[o + 1] << 16) + (d[o + 2] << 8) + d[o + 3] : 0;

export const ethType = (d: Uint8Array) => u16(d, 12);
const isIp = (d: Uint8Array) => ethType(d) === 0x0800;
export const ipProto = (d: Uint8Array) => (isIp(d) ? u8(d, 23) : 0);
export const ipSrc = (d: Uint8Array) => (isIp(d) ? u32(d, 26) : 0);
export const ipDst = (d: Uint8Array) => (isIp(d) ? u32(d, 30) : 0);
export const ipLen = (d: Uint8Array) => (isIp(d) ? u16(d, 16) : 0);
export const ipTtl = (d: Uint8Array) => (isIp(d) ? u8(d, 22) : 0);
const l4 = (d: Uint8Array) => 14 + (u8(d, 14) & 15) * 4;
const isTcp = (d: Uint8Array) => isIp(d) && u8(d, 23) === 6;
const isUdp = (d: Uint8Array) => isIp(d) && u8(d, 23) === 17;
export const tcpSport = (d: Uint8Array) => (isTcp(d) ? u16(d, l4(d)) : 0);
export const tcpDport = (d: Uint8Array) => (isTcp(d) ? u16(d, l4(d) + 2) : 0);
export const tcpFlags = (d: Uint8Array) => (isTcp(d) ? u8(d, l4(d) + 13) : 0);
export const udpSport = (d: Uint8Array) => (isUdp(d) ? u16(d, l4(d)) : 0);
export const udpDport = (d: Uint8Array) => (isUdp(d) ? u16(d, l4(d) + 2) : 0);
export const dotted = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** `@name: value` */
export const scalar = (name: string, v: number | bigint | string) => `@${name}: ${v}\n`;

/** avg and stats maps: an empty line follows them. */
export const statsScalar = (name: string, v: number | bigint | string) => `@${name}: ${v}\n\n`;

/** What bpftrace prints at exit before the maps. */
export const EXIT = "\n\n";

/**
 * A keyed map: `@name[key]: value` lines (an empty map: one line break) ordered by value, then by key (numbers numerically, dotted addresses by
 * their numeric value, strings by code unit); keys are arrays of parts.
 */
export function keyed(
  name: string,
  entries: Map<string, { key: (number | string | bigint)[]; value: number | bigint }>,
  show = (k: (number | string | bigint)[]) => k.join(", "),
): string {
  const list = [...entries.values()];
  if (list.length === 0) return "\n";
  list.sort((a, b) => {
    if (a.value !== b.value) return a.value < b.value ? -1 : 1;
    for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i] < b.key[i] ? -1 : 1;
    return 0;
  });
  return list.map((e) => `@${name}[${show(e.key)}]: ${e.value}`).join("\n") + "\n";
}

/** Counts (or sums) per key over frames, skipping frames for which key() returns undefined. */
export function tally(
  frames: Frame[],
  key: (d: Uint8Array) => (number | string | bigint)[] | undefined,
  value: (d: Uint8Array) => number = () => 1,
) {
  const m = new Map<string, { key: (number | string | bigint)[]; value: number }>();
  for (const f of frames) {
    const k = key(f.d);
    if (!k) continue;
    const id = k.map((p) => `${typeof p}:${p}`).join(",");
    const e = m.get(id) ?? { key: k, value: 0 };
    e.value += value(f.d);
    m.set(id, e);
  }
  return m;
}

function barRows(counts: number[], label: (i: number) => string): string {
  const used = counts.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  if (used.length === 0) return "";
  const max = Math.max(...counts);
  let s = "";
  for (let i = used[0]; i <= used[used.length - 1]; i++) {
    const width = Math.floor((counts[i] * 52) / max);
    s +=
      label(i) +
      " ".repeat(16 - label(i).length) +
      String(counts[i]).padStart(8) +
      " |" +
      "@".repeat(width) +
      " ".repeat(52 - width) +
      "|\n";
  }
  return s;
}

function power(n: number): string {
  const units = ["", "K", "M", "G"];
  let u = 0;
  while (n >= 10 && u < 3) {
    n -= 10;
    u++;
  }
  return `${2 ** n}${units[u]}`;
}

/** A log2 histogram of values: rows [0], [1], [2, 4), [4, 8), ... [1K, 2K) ... */
export function log2Hist(values: number[]): string {
  const counts = new Array(66).fill(0);
  for (const v of values) {
    if (v < 0) counts[0]++;
    else if (v === 0) counts[1]++;
    else counts[2 + Math.floor(Math.log2(v))]++;
  }
  return barRows(counts, (i) =>
    i === 0 ? "(..., 0)" : i === 1 ? "[0]" : i === 2 ? "[1]" : `[${power(i - 2)}, ${power(i - 1)})`,
  );
}

/** A linear histogram: (..., min), [min, min+step), ..., [max, ...). */
export function linHist(values: number[], min: number, max: number, step: number): string {
  const n = (max - min) / step + 2;
  const counts = new Array(n).fill(0);
  for (const v of values) counts[v < min ? 0 : v >= max ? n - 1 : 1 + Math.floor((v - min) / step)]++;
  // bpftrace 0.20 labels multiples of 1M and 1K with a suffix
  const label = (v: number) =>
    v !== 0 && v % 1048576 === 0 ? `${v / 1048576}M` : v !== 0 && v % 1024 === 0 ? `${v / 1024}K` : String(v);
  return barRows(counts, (i) =>
    i === 0
      ? `(..., ${label(min)})`
      : i === n - 1
        ? `[${label(max)}, ...)`
        : `[${label(min + (i - 1) * step)}, ${label(min + i * step)})`,
  );
}
