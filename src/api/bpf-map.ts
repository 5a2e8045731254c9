// A map as a front end sees it (BCC's `b["table"]`): lookup, update, delete, iterate, clear — with keys and values
// decoded through BTF when the object carries it, and as numbers, BigInts or bytes otherwise.
import {
  MAP_TYPE_ARRAY,
  MAP_TYPE_PERCPU_ARRAY,
  MAP_TYPE_PERCPU_HASH,
  MAP_TYPE_LRU_PERCPU_HASH,
  MAP_TYPE_PROG_ARRAY,
  MAP_TYPE_ARRAY_OF_MAPS,
  MAP_TYPE_QUEUE,
  MAP_TYPE_STACK,
  MAP_TYPE_RINGBUF,
  MAP_TYPE_PERF_EVENT_ARRAY,
  MAP_TYPE_HASH,
  MAP_TYPE_LRU_HASH,
  MAP_TYPE_LPM_TRIE,
  MAP_TYPE_HASH_OF_MAPS,
  RECORD_BAD,
  MD_VALUES,
  MD_BUCKETS,
  MD_FREE,
  MD_FRESH,
  MD_LRU_HEAD,
  MD_MAX_ENTRIES,
  RINGBUF_HDR_SIZE,
  RINGBUF_DISCARD_BIT,
  PERF_HDR_SIZE,
} from "../../assembly/maps/desc.js";
import { SCRATCH_SIZE, MAPS, MAP_DESC_SIZE } from "../../assembly/layout.js";
import type { Runtime, MapSpec } from "../runtime/runtime.js";

export const MAP_TYPE_NAMES: Record<number, string> = {
  [MAP_TYPE_HASH]: "hash",
  [MAP_TYPE_ARRAY]: "array",
  [MAP_TYPE_PROG_ARRAY]: "prog_array",
  [MAP_TYPE_PERF_EVENT_ARRAY]: "perf_event_array",
  [MAP_TYPE_PERCPU_HASH]: "percpu_hash",
  [MAP_TYPE_PERCPU_ARRAY]: "percpu_array",
  [MAP_TYPE_LRU_HASH]: "lru_hash",
  [MAP_TYPE_LRU_PERCPU_HASH]: "lru_percpu_hash",
  [MAP_TYPE_LPM_TRIE]: "lpm_trie",
  [MAP_TYPE_ARRAY_OF_MAPS]: "array_of_maps",
  [MAP_TYPE_HASH_OF_MAPS]: "hash_of_maps",
  [MAP_TYPE_QUEUE]: "queue",
  [MAP_TYPE_STACK]: "stack",
  [MAP_TYPE_RINGBUF]: "ringbuf",
};

const PERCPU = new Set([MAP_TYPE_PERCPU_ARRAY, MAP_TYPE_PERCPU_HASH, MAP_TYPE_LRU_PERCPU_HASH]);
const ARRAYS = new Set([MAP_TYPE_ARRAY, MAP_TYPE_PERCPU_ARRAY]);
/** Arrays of program or map ids: a slot is empty or holds an id, so clearing deletes (id 0 is a real program). */
const FD_ARRAYS = new Set([MAP_TYPE_PROG_ARRAY, MAP_TYPE_ARRAY_OF_MAPS]);
const MAPS_OF_MAPS = new Set([MAP_TYPE_ARRAY_OF_MAPS, MAP_TYPE_HASH_OF_MAPS]);

/** Converts between JavaScript values and a map's key or value bytes. */
export interface Codec {
  encode(value: unknown, size: number): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** Without BTF: 1-, 2- and 4-byte items are numbers, 8-byte ones BigInts, anything else raw bytes. */
export const plainCodec: Codec = {
  encode(value, size) {
    if (value instanceof Uint8Array) {
      if (value.length !== size) throw new Error(`expected ${size} bytes, got ${value.length}`);
      return value;
    }
    if (typeof value !== "number" && typeof value !== "bigint") {
      throw new Error(`cannot encode ${typeof value} into ${size} bytes without BTF (pass a Uint8Array)`);
    }
    const out = new Uint8Array(size);
    let v = BigInt.asUintN(size * 8, BigInt(value));
    for (let i = 0; i < size; i++, v >>= 8n) out[i] = Number(v & 0xffn);
    return out;
  },
  decode(bytes) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (bytes.length) {
      case 1:
        return v.getUint8(0);
      case 2:
        return v.getUint16(0, true);
      case 4:
        return v.getUint32(0, true);
      case 8:
        return v.getBigUint64(0, true);
      default:
        return bytes.slice();
    }
  },
};

export class MapError extends Error {
  /** The kernel's errno (positive, e.g. 2 for ENOENT) when the core refused the operation. */
  declare readonly errno?: number;
  constructor(message: string, errno?: number) {
    super(message);
    this.name = "MapError";
    // not enumerable: two MapErrors with the same message still compare equal
    Object.defineProperty(this, "errno", { value: errno, enumerable: false });
  }
}

const ERRNO: Record<string, string> = {
  "-2": "ENOENT (no such element)",
  "-7": "E2BIG (map is full or index out of range)",
  "-17": "EEXIST (element exists)",
  "-22": "EINVAL (invalid argument)",
  "-12": "ENOMEM (out of memory)",
  "-16": "EBUSY",
  "-95": "EOPNOTSUPP (not supported by this map type)",
};

export class BpfMap {
  constructor(
    readonly rt: Runtime,
    readonly index: number,
    readonly spec: MapSpec,
    private keyCodec: Codec = plainCodec,
    private valueCodec: Codec = plainCodec,
  ) {}

  get name(): string {
    return this.spec.name;
  }
  get type(): number {
    return this.spec.type;
  }
  get typeName(): string {
    return MAP_TYPE_NAMES[this.spec.type] ?? `type ${this.spec.type}`;
  }
  get keySize(): number {
    return this.spec.keySize;
  }
  get valueSize(): number {
    return this.spec.valueSize;
  }
  get maxEntries(): number {
    return this.spec.maxEntries;
  }
  get isPerCpu(): boolean {
    return PERCPU.has(this.spec.type);
  }
  get ncpus(): number {
    return this.isPerCpu ? Math.max(1, this.rt.options.ncpus ?? 1) : 1;
  }
  /** The map's id in the core: what a map-in-map slot holds (BCC passes the map's fd instead). */
  get id(): number {
    return this.rt.mapIds[this.index];
  }
  private get core() {
    return this.rt.core;
  }

  private check(rc: bigint, what: string): void {
    if (rc !== 0n)
      throw new MapError(`map '${this.name}': ${what}: ${ERRNO[String(rc)] ?? `errno ${-rc}`}`, Number(-rc));
  }

  private keyBytes(key: unknown): Uint8Array {
    return key instanceof Uint8Array && key.length === this.keySize ? key : this.keyCodec.encode(key, this.keySize);
  }

  /** The stored bytes of the value for `key` (per-CPU maps: every CPU's copy, concatenated), or undefined. */
  lookupBytes(key: unknown): Uint8Array | undefined {
    const keyAddr = this.core.scratch(this.keyBytes(key));
    const size = this.valueSize;
    if (!this.isPerCpu) {
      // The host's lookup (CPU 0) leaves LRU order alone, as reading a map from user space does; maps of maps
      // give the address of the stored inner map id.
      const addr = this.core.x.mapLookupCpu(this.id, keyAddr, 0);
      if (!addr) return undefined;
      return this.core.memory.slice(addr, addr + size);
    }
    const out = new Uint8Array(size * this.ncpus);
    for (let cpu = 0; cpu < this.ncpus; cpu++) {
      const addr = this.core.x.mapLookupCpu(this.id, keyAddr, cpu);
      if (!addr) return undefined;
      out.set(this.core.memory.subarray(addr, addr + size), cpu * size);
    }
    return out;
  }

  /** The decoded value (per-CPU maps: an array, one value per CPU), or undefined when absent. */
  lookup(key: unknown): unknown {
    const bytes = this.lookupBytes(key);
    if (!bytes) return undefined;
    if (!this.isPerCpu) return this.valueCodec.decode(bytes);
    const out: unknown[] = [];
    for (let cpu = 0; cpu < this.ncpus; cpu++) {
      out.push(this.valueCodec.decode(bytes.subarray(cpu * this.valueSize, (cpu + 1) * this.valueSize)));
    }
    return out;
  }

  get(key: unknown): unknown {
    return this.lookup(key);
  }

  /** Updates with BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2). Per-CPU maps take one value for every CPU or an array. */
  update(key: unknown, value: unknown, flags = 0): void {
    const keyBytes = this.keyBytes(key);
    let valueBytes: Uint8Array;
    if (this.isPerCpu) {
      const stride = (this.valueSize + 7) & ~7;
      valueBytes = new Uint8Array(stride * this.ncpus);
      for (let cpu = 0; cpu < this.ncpus; cpu++) {
        const v = Array.isArray(value) ? value[cpu] : value;
        valueBytes.set(this.valueCodec.encode(v, this.valueSize), cpu * stride);
      }
    } else if (value instanceof BpfMap && MAPS_OF_MAPS.has(this.type)) {
      // A map of maps takes an inner map: its slot holds the inner map's id.
      if (value.rt !== this.rt) throw new MapError(`map '${this.name}': map '${value.name}' belongs to another object`);
      valueBytes = plainCodec.encode(value.id, this.valueSize);
    } else {
      valueBytes =
        value instanceof Uint8Array && value.length === this.valueSize
          ? value
          : this.valueCodec.encode(value, this.valueSize);
    }
    if (keyBytes.length + valueBytes.length + 16 > SCRATCH_SIZE)
      throw new MapError(`map '${this.name}': key and value too large`);
    const keyAddr = this.core.scratch(keyBytes);
    const valueAddr = this.core.scratch(valueBytes, (keyBytes.length + 7) & ~7);
    this.check(this.core.x.mapUpdate(this.id, keyAddr, valueAddr, BigInt(flags)), "update");
  }

  set(key: unknown, value: unknown): void {
    this.update(key, value);
  }

  delete(key: unknown): void {
    this.check(this.core.x.mapDelete(this.id, this.core.scratch(this.keyBytes(key))), "delete");
  }

  /** Keys as stored bytes, in the map's iteration order (get_next_key from the start). */
  *keyBytesAll(): Generator<Uint8Array> {
    if (this.keySize === 0) return;
    let prev: Uint8Array | undefined;
    const guard = this.maxEntries + 1;
    for (let i = 0; i < guard; i++) {
      const next = this.keySize;
      const keyAddr = prev ? this.core.scratch(prev) : 0;
      const nextAddr = this.core.scratch(new Uint8Array(next), (this.keySize + 7) & ~7);
      const rc = this.core.x.mapGetNextKey(this.id, keyAddr, nextAddr);
      if (rc !== 0n) return;
      prev = this.core.memory.slice(nextAddr, nextAddr + next);
      yield prev;
    }
  }

  *keys(): Generator<unknown> {
    for (const k of this.keyBytesAll()) yield this.keyCodec.decode(k);
  }

  *entries(): Generator<[unknown, unknown]> {
    for (const k of this.keyBytesAll()) yield [this.keyCodec.decode(k), this.lookup(k)];
  }

  *values(): Generator<unknown> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): Generator<[unknown, unknown]> {
    return this.entries();
  }

  /** Raw key/value pairs for dumps (per-CPU values concatenated); queues and stacks list their elements in order. */
  dump(): { key: Uint8Array; value: Uint8Array }[] {
    return [...this.dumpEntries()];
  }

  /** dump()'s pairs one at a time, so that a large map can be written out without a copy of all of it. */
  *dumpEntries(): Generator<{ key: Uint8Array; value: Uint8Array }> {
    if (this.type === MAP_TYPE_QUEUE || this.type === MAP_TYPE_STACK) {
      for (const value of this.elements()) yield { key: new Uint8Array(0), value };
      return;
    }
    for (const key of this.keyBytesAll()) {
      const value = this.lookupBytes(key);
      if (value) yield { key, value };
    }
  }

  /** A queue's or stack's elements in pop order, left in place (popped, then pushed back). */
  elements(): Uint8Array[] {
    const got: Uint8Array[] = [];
    const addr = this.core.scratch(new Uint8Array(this.valueSize));
    for (let i = 0; i <= this.maxEntries; i++) {
      if (this.core.x.mapPop(this.id, addr) !== 0n) break;
      got.push(this.core.memory.slice(addr, addr + this.valueSize));
    }
    // Push back so that the next pops see the same order: a queue re-pushes front first, a stack back first.
    const order = this.type === MAP_TYPE_STACK ? [...got].reverse() : got;
    for (const v of order) this.core.x.mapPush(this.id, this.core.scratch(v), 0n);
    return got;
  }

  push(value: unknown, flags = 0): void {
    const addr = this.core.scratch(this.valueCodec.encode(value, this.valueSize));
    this.check(this.core.x.mapPush(this.id, addr, BigInt(flags)), "push");
  }

  pop(): unknown {
    const addr = this.core.scratch(new Uint8Array(this.valueSize));
    const rc = this.core.x.mapPop(this.id, addr);
    if (rc === -2n) return undefined;
    this.check(rc, "pop");
    return this.valueCodec.decode(this.core.memory.slice(addr, addr + this.valueSize));
  }

  /** Deletes every element (arrays: zeroes every value, as BCC's clear() does; program arrays and arrays of maps
   * empty every slot). */
  clear(): void {
    if (FD_ARRAYS.has(this.type)) {
      for (let i = 0; i < this.maxEntries; i++) {
        const rc = this.core.x.mapDelete(this.id, this.core.scratch(this.keyBytes(i)));
        if (rc !== -2n) this.check(rc, "delete");
      }
      return;
    }
    if (ARRAYS.has(this.type)) {
      const zero = this.isPerCpu
        ? new Array(this.ncpus).fill(new Uint8Array(this.valueSize))
        : new Uint8Array(this.valueSize);
      for (let i = 0; i < this.maxEntries; i++) this.update(i, zero);
      return;
    }
    for (const k of [...this.keyBytesAll()]) this.delete(k);
  }

  /**
   * Records waiting in a ring buffer or perf event array, oldest first; reading consumes them. A corrupt record
   * throws as in consume(), and the records before it are then lost to the caller: consume() hands them over.
   */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.consume((d) => out.push(d));
    return out;
  }

  /**
   * Calls `fn` for every waiting event (BCC's open_ring_buffer / open_perf_buffer + poll); returns the count. A
   * record whose header claims more bytes than were written after it stops consumption with a MapError, after
   * `fn` has had the records before it; the record stays, so every later call stops there too. (libbpf's
   * ring_buffer__poll trusts the kernel's headers; here the check costs one compare and a bad header can never
   * make the consumer read outside the ring or loop over garbage.)
   */
  consume(fn: (data: Uint8Array) => void): number {
    const ring = this.type === MAP_TYPE_RINGBUF;
    if (!ring && this.type !== MAP_TYPE_PERF_EVENT_ARRAY)
      throw new MapError(`map '${this.name}' is not a ring buffer or perf event array`);
    const x = this.core.x;
    let n = 0;
    for (; n < 1 << 20; n++) {
      const addr = ring ? x.ringbufNext(this.id) : x.perfNext(this.id);
      if (addr === RECORD_BAD) throw this.badRecord(ring);
      if (!addr) break;
      const len = ring ? x.ringbufNextLen() : x.perfNextLen();
      fn(this.core.memory.slice(addr, addr + len));
    }
    return n;
  }

  /** The error for the record the core refused to consume: where it is, what it claims, what room it has. */
  private badRecord(ring: boolean): MapError {
    const v = this.core.view;
    const field = (offset: number) => v.getUint32(MAPS + this.id * MAP_DESC_SIZE + offset, true);
    let pos: number, at: number, room: number;
    if (ring) {
      const size = field(MD_MAX_ENTRIES);
      pos = field(MD_FREE);
      at = field(MD_VALUES) + (pos & (size - 1));
      room = Math.min((field(MD_FRESH) - pos) >>> 0, size - (pos & (size - 1)));
    } else {
      pos = field(MD_LRU_HEAD);
      at = field(MD_BUCKETS) + pos;
      room = field(MD_FRESH) - pos;
    }
    const len = ring ? v.getUint32(at, true) & ~RINGBUF_DISCARD_BIT : v.getUint32(at, true);
    const follow = room - (ring ? RINGBUF_HDR_SIZE : PERF_HDR_SIZE);
    return new MapError(
      `map '${this.name}': corrupt record at position ${pos} (length ${len}, but ${follow} bytes ` +
        "follow its header); consumption stopped",
    );
  }

  /** Async iteration over the events waiting now (consume()'s records, then its error if it stopped on one). */
  async *events(): AsyncGenerator<Uint8Array> {
    const out: Uint8Array[] = [];
    let error: unknown;
    try {
      this.consume((d) => out.push(d));
    } catch (e) {
      error = e;
    }
    yield* out;
    if (error) throw error;
  }
}
