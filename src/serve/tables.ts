// A module's maps over HTTP: list them, list a map's entries, read, write and delete one entry by its key's stored
// bytes in hex, exactly as `tinybpf run --json` prints keys and values. Writes keep the kernel's flag semantics
// (BPF_ANY, BPF_NOEXIST, BPF_EXIST) and its errors, each turned into a status.
import { MapError, type BpfMap } from "../api/bpf-map.js";
import { hex, unhex } from "../cli/map-output.js";
import { HttpError } from "./http.js";
import type { Module } from "./modules.js";

/** The status for each errno a map operation returns. */
const ERRNO_STATUS: Record<number, number> = { 2: 404, 17: 409, 7: 400, 22: 400, 95: 400, 12: 507, 16: 409 };
const FLAGS: Record<string, number> = { any: 0, noexist: 1, exist: 2 };

export function describeTable(map: BpfMap): Record<string, unknown> {
  return {
    name: map.name,
    type: map.typeName,
    keySize: map.keySize,
    valueSize: map.valueSize,
    maxEntries: map.maxEntries,
    perCpu: map.isPerCpu,
    ncpus: map.ncpus,
  };
}

export function table(mod: Module, name: string): BpfMap {
  const map = mod.obj.maps.get(name);
  if (!map) throw new HttpError(404, `module ${mod.name} has no map '${name}'`);
  return map;
}

const listings = new WeakMap<BpfMap, { version: number; text: string }>();

/**
 * A map's entries as JSON text. Many clients polling one table between two runs get the same listing, made once:
 * it is kept until the module's next run or write.
 */
export function entriesJson(mod: Module, map: BpfMap): string {
  const cached = listings.get(map);
  if (cached && cached.version === mod.version) return cached.text;
  const text = JSON.stringify(map.dump().map((e) => ({ key: hex(e.key), value: hex(e.value) }))) + "\n";
  // queues and stacks are read by popping and pushing back: that is not a change, but do not cache them
  if (map.keySize > 0) listings.set(map, { version: mod.version, text });
  return text;
}

function bytesOf(text: string, size: number, what: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new HttpError(400, `${what} '${text.slice(0, 80)}' is not hex bytes`);
  if (text.length !== size * 2)
    throw new HttpError(400, `${what} must be ${size} bytes (${size * 2} hex digits), got ${text.length / 2}`);
  return unhex(text);
}

function keyOf(map: BpfMap, keyHex: string): Uint8Array {
  if (map.keySize === 0) throw new HttpError(400, `map '${map.name}' (${map.typeName}) has no keys`);
  return bytesOf(keyHex, map.keySize, "key");
}

/** Runs a map operation, turning the kernel's errno into a status with the map's own message. */
function mapCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MapError) throw new HttpError(ERRNO_STATUS[e.errno ?? 22] ?? 400, e.message);
    throw new HttpError(400, e instanceof Error ? e.message : String(e));
  }
}

export function getEntry(map: BpfMap, keyHex: string): { key: string; value: string } {
  const key = keyOf(map, keyHex);
  const value = mapCall(() => map.lookupBytes(key));
  if (!value) throw new HttpError(404, `map '${map.name}': no entry for key ${keyHex}`);
  return { key: hex(key), value: hex(value) };
}

/**
 * Writes one entry. The value is the stored bytes; a per-CPU map takes every CPU's copy concatenated (as it lists
 * them) or one copy for every CPU. `flags` is "any", "noexist", "exist" or the number.
 */
export function putEntry(
  mod: Module,
  map: BpfMap,
  keyHex: string,
  body: Record<string, unknown>,
): { key: string; value: string } {
  const key = keyOf(map, keyHex);
  if (typeof body.value !== "string") throw new HttpError(400, 'body needs "value": stored bytes in hex');
  const flags = typeof body.flags === "string" ? FLAGS[body.flags] : (body.flags ?? 0);
  if (typeof flags !== "number" || ![0, 1, 2].includes(flags))
    throw new HttpError(400, 'flags must be "any", "noexist", "exist" (or 0, 1, 2)');
  let value: Uint8Array | Uint8Array[];
  if (map.isPerCpu && body.value.length === map.valueSize * map.ncpus * 2 && map.ncpus > 1) {
    const all = bytesOf(body.value, map.valueSize * map.ncpus, "value");
    value = Array.from({ length: map.ncpus }, (_, cpu) => all.slice(cpu * map.valueSize, (cpu + 1) * map.valueSize));
  } else value = bytesOf(body.value, map.valueSize, "value");
  mod.writes++;
  mapCall(() => map.update(key, value, flags));
  return getEntry(map, keyHex);
}

export function deleteEntry(mod: Module, map: BpfMap, keyHex: string): void {
  const key = keyOf(map, keyHex);
  mod.writes++;
  mapCall(() => map.delete(key));
}
