// The description of a script's maps that an ARM32 executable of the script carries (`tinybpf build --trace`), so
// that run by itself it prints them as `tinybpf trace` does: the layout is targets/arm32/bpftrace.ts's, the
// printer targets/arm32/driver/bpftrace-print.ts. What is easy here and costly in ARM code is decided here: the
// print order, each value's kind and sign, each key part's type, every histogram row's label as text, and what the
// BEGIN and END probes print (constants: src/trace/arm32.ts).
import {
  BT_BEGIN,
  BT_BUCKETS,
  BT_END,
  BT_HEADER,
  BT_KEYTYPES,
  BT_KIND,
  BT_LABELS,
  BT_MAP,
  BT_NAME,
  BT_NKEYS,
  BT_RECORD,
  BT_SCRATCH_FIXED,
  BT_SIGNED,
  END_STOP,
  END_TEXT,
  END_VALUE,
  KT_INET,
  KT_INT,
  KT_STR,
  KT_UINT,
  VK_AVG,
  VK_HIST,
  VK_INET,
  VK_INT,
  VK_STATS,
  VK_STR,
} from "../../targets/arm32/bpftrace.js";
import {
  OPT_BT_AVG,
  OPT_BT_END_VALUES,
  OPT_BT_HIST,
  OPT_BT_INET,
  OPT_BT_SIGNED,
  OPT_BT_STR,
} from "../../targets/arm32/abi.js";
import type { KeyType, MapInfo, ValueKind } from "./check.js";
import { mapSymbol } from "./codegen.js";
import type { Arm32Script } from "./arm32.js";
import { HIST_BUCKETS, histLabel, lhistBuckets, lhistLabel } from "./output.js";

const KEY_TYPES: Record<KeyType, number> = { uint: KT_UINT, int: KT_INT, inet: KT_INET, str: KT_STR };
/** The parts of the printer each value kind needs besides the integers' (the rest is left out of the image). */
const PARTS: Record<number, number> = {
  [VK_AVG]: OPT_BT_AVG,
  [VK_STATS]: OPT_BT_AVG,
  [VK_STR]: OPT_BT_STR,
  [VK_INET]: OPT_BT_INET,
  [VK_HIST]: OPT_BT_HIST,
};

function kindOf(v: ValueKind): number {
  switch (v) {
    case "avg":
      return VK_AVG;
    case "stats":
      return VK_STATS;
    case "str":
      return VK_STR;
    case "inet":
      return VK_INET;
    case "hist":
    case "lhist":
      return VK_HIST;
    default:
      return VK_INT; // count, sum, min, max, an integer
  }
}

function labelsOf(info: MapInfo): string[] {
  if (info.value === "hist") return Array.from({ length: HIST_BUCKETS }, (_, i) => histLabel(i));
  if (info.value === "lhist")
    return Array.from({ length: lhistBuckets(info.lhist!) }, (_, i) => lhistLabel(i, info.lhist!));
  return [];
}

/**
 * The description of `c`'s maps for an executable whose maps are `objectMaps` (name and max_entries, in the
 * object's order: the executable's map indexes).
 */
export function describeForArm32(
  script: Arm32Script,
  objectMaps: { name: string; maxEntries: number }[],
): { bytes: Uint8Array; parts: number } {
  const c = script.compiled;
  const names = [...c.typed.maps.keys()].sort();
  const bytes: number[] = new Array(BT_HEADER + BT_RECORD * names.length).fill(0);
  const word = (at: number, v: number) => {
    for (let k = 0; k < 4; k++) bytes[at + k] = (v >>> (8 * k)) & 255;
  };
  const text = (s: string) => {
    const at = bytes.length;
    bytes.push(...new TextEncoder().encode(s), 0);
    return at;
  };
  let parts = 0;
  let entries = 0;
  let buckets = 0;
  const shared = new Map<string, number>(); // one copy of a label table that several histograms share
  names.forEach((name, k) => {
    const info = c.typed.maps.get(name)!;
    const index = objectMaps.findIndex((m) => m.name === mapSymbol(name));
    if (index < 0) throw new Error(`map @${name} is not in the executable`);
    entries = Math.max(entries, objectMaps[index].maxEntries);
    const r = BT_HEADER + BT_RECORD * k;
    word(r + BT_MAP, index);
    word(r + BT_KIND, kindOf(info.value));
    parts |= PARTS[kindOf(info.value)] ?? 0;
    for (const t of info.keys) parts |= t === "inet" ? OPT_BT_INET : t === "str" ? OPT_BT_STR : 0;
    const signed = info.signed && info.value !== "count";
    word(r + BT_SIGNED, signed ? 1 : 0);
    if (signed || info.keys.includes("int")) parts |= OPT_BT_SIGNED;
    word(r + BT_NKEYS, info.keys.length);
    word(r + BT_NAME, text(`@${name}`));
    word(r + BT_KEYTYPES, bytes.length);
    bytes.push(...info.keys.map((t) => KEY_TYPES[t]));
    const labels = labelsOf(info);
    if (labels.length) {
      const id = labels.join("\0");
      if (!shared.has(id)) shared.set(id, text(id));
      word(r + BT_LABELS, shared.get(id)!);
      word(r + BT_BUCKETS, labels.length);
      buckets = Math.max(buckets, labels.length);
    }
  });
  word(0, names.length);
  if (script.begin) word(BT_BEGIN, text(script.begin));
  if (script.end.length) {
    // END: text pieces and holes for scalar maps' values (END_TEXT, END_VALUE), then END_STOP
    word(BT_END, bytes.length);
    for (const s of script.end) {
      if (typeof s === "string") bytes.push(END_TEXT, ...new TextEncoder().encode(s), 0);
      else {
        bytes.push(END_VALUE, s.conv.charCodeAt(0), names.indexOf(s.map));
        parts |= OPT_BT_END_VALUES | (s.conv === "d" ? OPT_BT_SIGNED : 0);
      }
    }
    bytes.push(END_STOP);
  }
  word(4, BT_SCRATCH_FIXED + 32 * entries + 8 * buckets);
  return { bytes: Uint8Array.from(bytes), parts: parts | script.trace };
}
