// BCC's `table.print_log2_hist(val_type)` / `print_linear_hist` for a map whose keys are bucket indexes and whose
// values are counts (per-CPU counts are summed, as BCC does).
import { formatLog2Hist, formatLinearHist } from "./hist.js";
import type { BpfMap } from "./bpf-map.js";

function toCount(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(v);
  if (Array.isArray(v)) return v.reduce((sum: bigint, x) => sum + toCount(x), 0n);
  throw new Error(`histogram values must be integers, got ${typeof v}`);
}

/** A bucket index: an integer key, or a struct key with a single integer field (BCC's `struct { u32 slot; }`). */
function toIndex(k: unknown): number {
  if (typeof k === "number" || typeof k === "bigint") return Number(k);
  if (k && typeof k === "object" && !(k instanceof Uint8Array)) {
    const fields = Object.values(k);
    if (fields.length === 1) return toIndex(fields[0]);
  }
  throw new Error(`histogram keys must be integers (bucket indexes) or one-field structs, got ${typeof k}`);
}

/** The counts per bucket index, from a map's entries (missing buckets count 0). */
export function bucketCounts(map: BpfMap): bigint[] {
  const counts: bigint[] = [];
  for (const [k, v] of map.entries()) {
    const i = toIndex(k);
    if (i < 0 || i > 65536) throw new Error(`map '${map.name}': bucket index ${i} is out of range`);
    while (counts.length <= i) counts.push(0n);
    counts[i] += toCount(v);
  }
  return counts;
}

export function printLog2Hist(
  map: BpfMap,
  valType = "value",
  write: (s: string) => void = (s) => process.stdout.write(s),
): void {
  write(formatLog2Hist(bucketCounts(map), valType));
}

export function printLinearHist(
  map: BpfMap,
  valType = "value",
  write: (s: string) => void = (s) => process.stdout.write(s),
): void {
  write(formatLinearHist(bucketCounts(map), valType));
}
