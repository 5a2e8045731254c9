// How `tinybpf run` prints a run's result and the maps, entry by entry as they are read: the output of a map of
// any size takes memory bounded by the map itself, never a copy of all its entries or of all the text. Two forms:
// the readable one (keys and values decoded through BTF, as the API decodes them; arrays without their zero
// entries) and the JSON one ({"r0", "runs", "maps"} with every stored entry in hex, on one line).
import type { BpfObject } from "../loader/loader.js";
import { decodeValue } from "../loader/btf.js";
import type { BpfMap } from "../api/bpf-map.js";
import { MAP_TYPE_ARRAY, MAP_TYPE_PERCPU_ARRAY } from "../../assembly/maps/desc.js";
import type { Out } from "./args.js";

export interface RawEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** Receives a run's result, then each map's entries in order; the readable and the JSON printers implement it. */
export interface ResultPrinter {
  /** The program's name and type, the number of runs, the last r0, how often each r0 came back. */
  /** `fallback`: why the runs went to the interpreter instead of the engine asked for (see Engine.fallbackReason). */
  run(name: string, type: string, runs: number, r0: bigint, counts: Map<bigint, number>, fallback?: string): void;
  mapStart(map: BpfMap): void;
  entry(map: BpfMap, e: RawEntry): void;
  mapEnd(map: BpfMap): void;
  /** After the last map. */
  end(): void;
}

export const hex = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
};

export const unhex = (text: string): Uint8Array => {
  const out = new Uint8Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
};

/** Prints every map of `maps` through `printer`, reading each entry as it is printed. */
export function printMaps(maps: Iterable<BpfMap>, printer: ResultPrinter): void {
  for (const map of maps) {
    printer.mapStart(map);
    for (const e of map.dumpEntries()) printer.entry(map, e);
    printer.mapEnd(map);
  }
  printer.end();
}

/** JSON, written in pieces where the sink takes pieces (the CLI's standard output), else handed over as one line. */
export function jsonPrinter(out: Out): ResultPrinter {
  let pending = "";
  const write = out.part ?? ((s: string) => (pending += s));
  let firstMap = true;
  let firstEntry = true;
  return {
    run(_name, _type, runs, r0, _counts, fallback) {
      const note = fallback ? `"fallback":${JSON.stringify(fallback)},` : "";
      write(`{"r0":${JSON.stringify(r0.toString())},"runs":${runs},${note}"maps":{`);
    },
    mapStart(map) {
      write(`${firstMap ? "" : ","}${JSON.stringify(map.name)}:[`);
      firstMap = false;
      firstEntry = true;
    },
    entry(_map, e) {
      write(`${firstEntry ? "" : ","}{"key":"${hex(e.key)}","value":"${hex(e.value)}"}`);
      firstEntry = false;
    },
    mapEnd() {
      write("]");
    },
    end() {
      write("}}");
      if (out.part) out.part("\n");
      else out(pending);
    },
  };
}

/** The readable form, keys and values decoded through the object's BTF when it describes them. */
export function readablePrinter(obj: BpfObject, out: Out): ResultPrinter {
  let zeros = 0;
  let entries = 0;
  let isArray = false;
  let keyType: number | undefined;
  let valueType: number | undefined;
  return {
    run(name, type, runs, r0, counts) {
      out(`${name} (${type}): ${runs} run${runs === 1 ? "" : "s"}`);
      out(`r0: ${r0}${runs > 1 ? " (last run)" : ""}`);
      if (runs > 1) out(`r0 counts: ${[...counts].map(([v, c]) => `${v} x${c}`).join(", ")}`);
    },
    mapStart(map) {
      out(
        `map ${map.name} (${map.typeName}, key ${map.keySize}, value ${map.valueSize}, max_entries ${map.maxEntries}):`,
      );
      zeros = 0;
      entries = 0;
      isArray = map.type === MAP_TYPE_ARRAY || map.type === MAP_TYPE_PERCPU_ARRAY;
      ({ keyType, valueType } = obj.maps[map.index] ?? {});
    },
    entry(map, e) {
      entries++;
      if (isArray && e.value.every((b) => b === 0)) {
        zeros++;
        return;
      }
      const key = e.key.length ? formatItem(obj, keyType, e.key, map.keySize) : "-";
      out(`  ${key}: ${formatValue(obj, valueType, map, e.value)}`);
    },
    mapEnd() {
      if (zeros) out(`  (${zeros} zero entries not shown)`);
      if (!entries) out("  (empty)");
    },
    end() {},
  };
}

function formatValue(obj: BpfObject, typeId: number | undefined, map: BpfMap, bytes: Uint8Array): string {
  const size = map.valueSize;
  if (!map.isPerCpu) return formatItem(obj, typeId, bytes, size);
  // one value per CPU, each formatted as a value of the map's value size
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(formatItem(obj, typeId, bytes.subarray(i, i + size), size));
  return `[${parts.join(", ")}]`;
}

/** Through BTF when the map's type is known; else 1-, 2-, 4- and 8-byte items as unsigned numbers, others in hex. */
function formatItem(obj: BpfObject, typeId: number | undefined, bytes: Uint8Array, size: number): string {
  if (obj.btf && typeId) {
    const decoded = decodeValue(obj.btf, typeId, bytes);
    // a section of unnamed data (string literals in .rodata) decodes to no field at all: its bytes say more
    const empty =
      decoded !== null && typeof decoded === "object" && !Array.isArray(decoded) && !Object.keys(decoded).length;
    if (!empty || !bytes.length) return formatDecoded(decoded);
  }
  return bytes.length === size ? formatScalar(bytes, size) : hex(bytes);
}

/** 1-, 2-, 4- and 8-byte items as unsigned decimal numbers, anything else in hex. */
export function formatScalar(bytes: Uint8Array, size: number): string {
  if (size === 1 || size === 2 || size === 4 || size === 8) {
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
    return v.toString();
  }
  return hex(bytes);
}

/** A decoded BTF value as JavaScript-like text: `{ w: "world", len: 5 }`, `[1, 2]`, numbers in decimal. */
export function formatDecoded(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return `[${v.map(formatDecoded).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const fields = Object.entries(v).map(([k, x]) => `${k}: ${formatDecoded(x)}`);
    return fields.length ? `{ ${fields.join(", ")} }` : "{}";
  }
  return String(v);
}
