// Map semantics, checked against the kernel's documented behaviour (kernel/bpf/arraymap.c, hashtab.c,
// lpm_trie.c, queue_stack_maps.c, ringbuf.c and the bpf() syscall manual). Expected values are written out here
// rather than taken from the implementation's own constants, except for addresses of the shared layout.
import { beforeAll, describe, expect, it } from "vitest";
import { STATE, ST_NCPUS, ST_HEAP_TOP, ST_REGION_COUNT, SCRATCH, MAPS, MAP_DESC_SIZE } from "../../assembly/layout.js";
import { MD_KEYS, MD_VALUES, MD_BUCKETS } from "../../assembly/maps/desc.js";
import { compileMapsCore, hostImports } from "../support/maps-core.js";

// Kernel values, written out independently of the implementation
const ENOENT = -2,
  E2BIG = -7,
  EBADF = -9,
  EAGAIN = -11,
  EEXIST = -17,
  EINVAL = -22,
  ENOSPC = -28,
  ENOTSUPP = -524;
const BPF_ANY = 0n,
  BPF_NOEXIST = 1n,
  BPF_EXIST = 2n,
  BPF_F_LOCK = 4n;
const T = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  QUEUE: 22,
  STACK: 23,
  RINGBUF: 27,
};
const F_NO_PREALLOC = 1,
  F_NO_COMMON_LRU = 2,
  F_RDONLY_PROG = 1 << 7,
  F_WRONLY_PROG = 1 << 8,
  F_INNER_MAP = 1 << 12;
const HANDLE_TAG = 0x4d415000n;
const BUSY = 0x80000000,
  DISCARD = 0x40000000;

let compiled: WebAssembly.Module;

beforeAll(async () => {
  compiled = await compileMapsCore();
}, 120_000);

/** A fresh core instance with helpers to read and write its memory. */
class Core {
  readonly x: any;
  constructor(ncpus = 1) {
    const instance = new WebAssembly.Instance(
      compiled,
      hostImports(compiled, {}, (name) => `maps called the host's ${name}`),
    );
    this.x = instance.exports;
    this.setU32(STATE + ST_NCPUS, ncpus);
  }
  get dv() {
    return new DataView((this.x.memory as WebAssembly.Memory).buffer);
  }
  u8(a: number) {
    return this.dv.getUint8(a);
  }
  u32(a: number) {
    return this.dv.getUint32(a, true);
  }
  u64(a: number) {
    return this.dv.getBigUint64(a, true);
  }
  setU32(a: number, v: number) {
    this.dv.setUint32(a, v >>> 0, true);
  }
  setU64(a: number, v: bigint) {
    this.dv.setBigUint64(a, BigInt.asUintN(64, v), true);
  }
  write(a: number, bytes: ArrayLike<number>) {
    new Uint8Array((this.x.memory as WebAssembly.Memory).buffer).set(bytes, a);
  }
  read(a: number, n: number) {
    return Array.from(new Uint8Array((this.x.memory as WebAssembly.Memory).buffer, a, n));
  }
  desc(id: number, field: number) {
    return this.u32(MAPS + id * MAP_DESC_SIZE + field);
  }

  create(type: number, key: number, value: number, max: number, flags = 0, inner = -1): number {
    return this.x.mapCreate(type, key, value, max, flags, inner);
  }
  /** Puts a u32 key at `at` (scratch memory) and returns its address. */
  key32(k: number, at = SCRATCH) {
    this.setU32(at, k);
    return at;
  }
  update32(id: number, k: number, v: number, flags = BPF_ANY): number {
    this.setU32(SCRATCH, k);
    this.setU32(SCRATCH + 8, v);
    return Number(this.x.mapUpdate(id, SCRATCH, SCRATCH + 8, flags));
  }
  lookup(id: number, keyAddr: number): number {
    return Number(this.x.mapLookup(id, keyAddr));
  }
  lookup32(id: number, k: number): number | undefined {
    const addr = this.lookup(id, this.key32(k));
    return addr === 0 ? undefined : this.u32(addr);
  }
  /** Every key get_next_key yields from the start, as u32 (first 4 bytes of the key). */
  keys32(id: number, keySize = 4): number[] {
    const out: number[] = [];
    let prev = 0;
    for (let i = 0; i < 10000; i++) {
      const next = SCRATCH + 0x400 + (i % 2) * 0x200;
      const rc = Number(this.x.mapGetNextKey(id, prev, next));
      if (rc === ENOENT) return out;
      expect(rc).toBe(0);
      out.push(this.u32(next + (keySize === 8 ? 4 : 0)));
      prev = next;
    }
    throw new Error("get_next_key never ended");
  }
}

describe("map creation", () => {
  it("rejects unknown types and gives back memory and regions on failure", () => {
    const c = new Core();
    const heap = c.u32(STATE + ST_HEAP_TOP);
    const regions = c.u32(STATE + ST_REGION_COUNT);
    expect(c.create(7 /* STACK_TRACE: not supported */, 4, 8, 4)).toBe(EINVAL);
    expect(c.create(99, 4, 8, 4)).toBe(EINVAL);
    expect(c.create(T.HASH, 4, 8, 0)).toBe(EINVAL);
    expect(c.u32(STATE + ST_HEAP_TOP)).toBe(heap);
    expect(c.u32(STATE + ST_REGION_COUNT)).toBe(regions);
    expect(c.create(T.HASH, 4, 8, 4)).toBe(0);
    expect(c.create(T.ARRAY, 4, 8, 4)).toBe(1);
  });

  it("registers one region for maps whose values programs touch, none for the others", () => {
    const c = new Core(4);
    const regions = () => c.u32(STATE + ST_REGION_COUNT);
    const added = (make: () => number) => {
      const before = regions();
      expect(make()).toBeGreaterThanOrEqual(0);
      return regions() - before;
    };
    expect(added(() => c.create(T.ARRAY, 4, 8, 16))).toBe(1);
    expect(added(() => c.create(T.PERCPU_ARRAY, 4, 8, 16))).toBe(1);
    expect(added(() => c.create(T.HASH, 8, 8, 16))).toBe(1);
    expect(added(() => c.create(T.LRU_PERCPU_HASH, 8, 8, 16))).toBe(1);
    expect(added(() => c.create(T.LPM_TRIE, 8, 8, 16, F_NO_PREALLOC))).toBe(1);
    expect(added(() => c.create(T.QUEUE, 0, 8, 16))).toBe(0); // values are copied in and out
    expect(added(() => c.create(T.RINGBUF, 0, 0, 4096))).toBe(0); // only a reserved sample is a region
    expect(added(() => c.create(T.PROG_ARRAY, 4, 4, 16))).toBe(0);
    expect(added(() => c.create(T.PERF_EVENT_ARRAY, 4, 4, 4))).toBe(0);
    expect(added(() => c.create(T.ARRAY_OF_MAPS, 4, 4, 4, 0, 0))).toBe(0);
  });

  it("fixes a per-CPU map's CPU count when it is created", () => {
    const c = new Core(2);
    const id = c.create(T.PERCPU_ARRAY, 4, 4, 1);
    c.setU32(STATE + ST_NCPUS, 8);
    expect(c.x.mapLookupCpu(id, c.key32(0), 1)).not.toBe(0);
    expect(c.x.mapLookupCpu(id, c.key32(0), 2)).toBe(0);
  });

  it("fails with -ENOMEM when memory cannot hold the map", () => {
    const c = new Core();
    expect(c.create(T.ARRAY, 4, 0x10000, 0x10000)).toBe(-12);
  });
});

describe("ARRAY", () => {
  it("checks attributes like array_map_alloc_check", () => {
    const c = new Core();
    expect(c.create(T.ARRAY, 8, 4, 4)).toBe(EINVAL); // key must be a u32 index
    expect(c.create(T.ARRAY, 4, 0, 4)).toBe(EINVAL);
    expect(c.create(T.ARRAY, 4, 4, 0)).toBe(EINVAL);
    expect(c.create(T.ARRAY, 4, 4, 4, F_NO_PREALLOC)).toBe(EINVAL);
    expect(c.create(T.ARRAY, 4, 4, 4, F_RDONLY_PROG | F_WRONLY_PROG)).toBe(EINVAL);
    expect(c.create(T.PERCPU_ARRAY, 4, 4, 4, F_INNER_MAP)).toBe(EINVAL);
    expect(c.create(T.PERCPU_ARRAY, 4, 32 * 1024 + 1, 1)).toBe(E2BIG); // per-CPU unit size
  });

  it("starts zeroed, updates with BPF_ANY / BPF_EXIST, refuses BPF_NOEXIST and unknown flags", () => {
    const c = new Core();
    const id = c.create(T.ARRAY, 4, 4, 3);
    expect(c.lookup32(id, 2)).toBe(0);
    expect(c.update32(id, 1, 0xaabbccdd)).toBe(0);
    expect(c.lookup32(id, 1)).toBe(0xaabbccdd);
    expect(c.update32(id, 1, 7, BPF_EXIST)).toBe(0);
    expect(c.lookup32(id, 1)).toBe(7);
    expect(c.update32(id, 1, 8, BPF_NOEXIST)).toBe(EEXIST);
    expect(c.update32(id, 1, 9, 3n)).toBe(EINVAL);
    expect(c.update32(id, 1, 9, BPF_F_LOCK)).toBe(EINVAL); // no spin lock in the value
    expect(c.lookup32(id, 1)).toBe(7);
  });

  it("answers an index past the end with NULL on lookup and -E2BIG on update; delete is -EINVAL", () => {
    const c = new Core();
    const id = c.create(T.ARRAY, 4, 4, 3);
    expect(c.lookup32(id, 3)).toBeUndefined();
    expect(c.lookup32(id, 0xffffffff)).toBeUndefined();
    expect(c.update32(id, 3, 1)).toBe(E2BIG);
    expect(Number(c.x.mapDelete(id, c.key32(0)))).toBe(EINVAL);
  });

  it("places slot i at arena + i * roundUp8(value size), registered as one writable region", () => {
    const c = new Core();
    const id = c.create(T.ARRAY, 4, 12, 5);
    const first = c.lookup(id, c.key32(0));
    for (let i = 0; i < 5; i++) expect(c.lookup(id, c.key32(i))).toBe(first + i * 16);
    expect(c.x.accessAllowed(BigInt(first), 5 * 16, true)).toBe(1);
    expect(c.x.accessAllowed(BigInt(first + 5 * 16), 1, false)).toBe(0);
  });

  it("iterates indices 0..max-1 with get_next_key, restarting from 0 for an out-of-range key", () => {
    const c = new Core();
    const id = c.create(T.ARRAY, 4, 4, 4);
    expect(c.keys32(id)).toEqual([0, 1, 2, 3]);
    const next = SCRATCH + 0x100;
    expect(Number(c.x.mapGetNextKey(id, c.key32(1), next))).toBe(0);
    expect(c.u32(next)).toBe(2);
    expect(Number(c.x.mapGetNextKey(id, c.key32(3), next))).toBe(ENOENT);
    expect(Number(c.x.mapGetNextKey(id, c.key32(77), next))).toBe(0);
    expect(c.u32(next)).toBe(0);
  });

  it("registers BPF_F_RDONLY_PROG values readable but not writable; the host still writes them", () => {
    const c = new Core();
    const id = c.create(T.ARRAY, 4, 8, 1, F_RDONLY_PROG);
    expect(c.update32(id, 0, 42)).toBe(0);
    const v = c.lookup(id, c.key32(0));
    expect(c.u32(v)).toBe(42);
    expect(c.x.accessAllowed(BigInt(v), 8, false)).toBe(1);
    expect(c.x.accessAllowed(BigInt(v), 1, true)).toBe(0);
  });
});

describe("PERCPU_ARRAY", () => {
  it("keeps one value per CPU, roundUp8(value size) apart; the host writes all, a program CPU 0 only", () => {
    const c = new Core(4);
    const id = c.create(T.PERCPU_ARRAY, 4, 12, 2);
    const buf = SCRATCH + 0x100;
    for (let cpu = 0; cpu < 4; cpu++) c.setU32(buf + cpu * 16, 100 + cpu); // ncpus * roundUp8(12)
    expect(Number(c.x.mapUpdate(id, c.key32(1), buf, BPF_ANY))).toBe(0);
    const base = c.x.mapLookupCpu(id, c.key32(1), 0);
    for (let cpu = 0; cpu < 4; cpu++) {
      expect(c.x.mapLookupCpu(id, c.key32(1), cpu)).toBe(base + cpu * 16);
      expect(c.u32(base + cpu * 16)).toBe(100 + cpu);
    }
    expect(c.x.mapLookupCpu(id, c.key32(1), 4)).toBe(0);
    expect(c.lookup(id, c.key32(1))).toBe(base); // programs see CPU 0
    c.setU32(buf, 7);
    expect(Number(c.x.mapUpdateFromProgram(id, c.key32(1), buf, BPF_ANY))).toBe(0);
    expect([0, 1, 2, 3].map((cpu) => c.u32(base + cpu * 16))).toEqual([7, 101, 102, 103]);
  });

  it("treats ST_NCPUS = 0 as one CPU", () => {
    const c = new Core(0);
    const id = c.create(T.PERCPU_ARRAY, 4, 4, 1);
    expect(c.x.mapLookupCpu(id, c.key32(0), 0)).not.toBe(0);
    expect(c.x.mapLookupCpu(id, c.key32(0), 1)).toBe(0);
  });
});

describe("HASH", () => {
  it("checks attributes like htab_map_alloc_check", () => {
    const c = new Core();
    expect(c.create(T.HASH, 0, 4, 4)).toBe(EINVAL);
    expect(c.create(T.HASH, 4, 0, 4)).toBe(EINVAL);
    expect(c.create(T.HASH, 4, 4, 0)).toBe(EINVAL);
    expect(c.create(T.HASH, 513, 4, 4)).toBe(E2BIG); // keys live on the 512-byte stack
    expect(c.create(T.HASH, 4, 4, 4, F_NO_COMMON_LRU)).toBe(EINVAL); // only for LRU maps
    expect(c.create(T.HASH, 4, 4, 4, F_NO_PREALLOC)).toBe(0);
  });

  it("follows BPF_NOEXIST / BPF_EXIST and fails with -E2BIG when full", () => {
    const c = new Core();
    const id = c.create(T.HASH, 4, 4, 2);
    expect(c.update32(id, 10, 1, BPF_EXIST)).toBe(ENOENT);
    expect(c.update32(id, 10, 1, BPF_NOEXIST)).toBe(0);
    expect(c.update32(id, 10, 2, BPF_NOEXIST)).toBe(EEXIST);
    expect(c.update32(id, 10, 3, BPF_EXIST)).toBe(0);
    expect(c.update32(id, 20, 4)).toBe(0);
    expect(c.update32(id, 30, 5)).toBe(E2BIG);
    expect(c.update32(id, 20, 6)).toBe(0); // replacing needs no room
    expect(c.update32(id, 20, 6, 3n)).toBe(EINVAL);
    expect(c.lookup32(id, 10)).toBe(3);
    expect(c.lookup32(id, 20)).toBe(6);
    expect(c.lookup32(id, 30)).toBeUndefined();
    expect(Number(c.x.mapDelete(id, c.key32(30)))).toBe(ENOENT);
    expect(Number(c.x.mapDelete(id, c.key32(10)))).toBe(0);
    expect(c.lookup32(id, 10)).toBeUndefined();
    expect(c.update32(id, 30, 5)).toBe(0); // the freed element is reused
    expect(c.lookup32(id, 30)).toBe(5);
  });

  it("keeps keys outside every region and values inside one", () => {
    const c = new Core();
    const id = c.create(T.HASH, 8, 16, 4);
    c.setU64(SCRATCH, 0x1122334455667788n);
    c.setU32(SCRATCH + 8, 5);
    expect(Number(c.x.mapUpdate(id, SCRATCH, SCRATCH + 8, BPF_ANY))).toBe(0);
    const v = c.lookup(id, SCRATCH);
    expect(c.x.accessAllowed(BigInt(v), 16, true)).toBe(1);
    const records = c.desc(id, MD_KEYS);
    const buckets = c.desc(id, MD_BUCKETS);
    // the stored key is somewhere in the records: find it, then check nothing there is accessible
    let at = -1;
    for (let a = records; a < records + 4 * 32; a += 8) if (c.u64(a) === 0x1122334455667788n) at = a;
    expect(at).toBeGreaterThanOrEqual(records);
    expect(c.x.accessAllowed(BigInt(at), 1, false)).toBe(0);
    expect(c.x.accessAllowed(BigInt(records), 1, false)).toBe(0);
    expect(c.x.accessAllowed(BigInt(buckets), 1, false)).toBe(0);
  });

  it("visits every key exactly once with get_next_key; a missing key restarts from the first", () => {
    const c = new Core();
    const id = c.create(T.HASH, 4, 4, 100);
    const keys = Array.from({ length: 100 }, (_, i) => (i * 2654435761) >>> 0);
    for (const k of keys) expect(c.update32(id, k, k ^ 1)).toBe(0);
    const seen = c.keys32(id);
    expect(seen.length).toBe(100);
    expect(new Set(seen)).toEqual(new Set(keys));
    const first = SCRATCH + 0x100;
    expect(Number(c.x.mapGetNextKey(id, c.key32(12345), first))).toBe(0);
    expect(c.u32(first)).toBe(seen[0]);
    const empty = c.create(T.HASH, 4, 4, 4);
    expect(Number(c.x.mapGetNextKey(empty, 0, first))).toBe(ENOENT);
  });

  it("agrees with a model under a long random sequence of updates and deletes", () => {
    const c = new Core();
    const id = c.create(T.HASH, 4, 4, 32);
    const model = new Map<number, number>();
    let s = 12345;
    const rand = (n: number) => {
      s = (s * 1103515245 + 12345) >>> 0;
      return (s >>> 8) % n;
    };
    for (let step = 0; step < 3000; step++) {
      const k = rand(48);
      const op = rand(3);
      if (op === 0) {
        expect(Number(c.x.mapDelete(id, c.key32(k)))).toBe(model.delete(k) ? 0 : ENOENT);
      } else {
        const expected = model.has(k) || model.size < 32 ? 0 : E2BIG;
        expect(c.update32(id, k, step)).toBe(expected);
        if (expected === 0) model.set(k, step);
      }
      if (step % 500 === 0) expect(new Set(c.keys32(id))).toEqual(new Set(model.keys()));
    }
    for (let k = 0; k < 48; k++) expect(c.lookup32(id, k)).toBe(model.get(k));
    expect(c.keys32(id).length).toBe(model.size);
  });
});

describe("PERCPU_HASH", () => {
  it("stores every CPU's value from the host; a program's new element starts zeroed on other CPUs", () => {
    const c = new Core(3);
    const id = c.create(T.PERCPU_HASH, 4, 4, 4);
    const buf = SCRATCH + 0x100;
    [11, 12, 13].forEach((v, cpu) => c.setU32(buf + cpu * 8, v));
    expect(Number(c.x.mapUpdate(id, c.key32(1), buf, BPF_ANY))).toBe(0);
    expect([0, 1, 2].map((cpu) => c.u32(c.x.mapLookupCpu(id, c.key32(1), cpu)))).toEqual([11, 12, 13]);
    c.setU32(buf, 99);
    expect(Number(c.x.mapUpdateFromProgram(id, c.key32(1), buf, BPF_ANY))).toBe(0);
    expect([0, 1, 2].map((cpu) => c.u32(c.x.mapLookupCpu(id, c.key32(1), cpu)))).toEqual([99, 12, 13]);
    // a deleted element's memory is reused: the new one must not inherit CPU 1 and 2's values
    expect(Number(c.x.mapDelete(id, c.key32(1)))).toBe(0);
    c.setU32(buf, 5);
    expect(Number(c.x.mapUpdateFromProgram(id, c.key32(2), buf, BPF_ANY))).toBe(0);
    expect([0, 1, 2].map((cpu) => c.u32(c.x.mapLookupCpu(id, c.key32(2), cpu)))).toEqual([5, 0, 0]);
  });
});

describe("LRU_HASH", () => {
  it("evicts the least recently used element instead of failing", () => {
    const c = new Core();
    const id = c.create(T.LRU_HASH, 4, 4, 3);
    for (const k of [1, 2, 3]) expect(c.update32(id, k, k * 10)).toBe(0);
    expect(c.lookup32(id, 1)).toBe(10); // a program's lookup: 1 is now the most recent, 2 the least
    expect(c.update32(id, 4, 40)).toBe(0);
    expect(new Set(c.keys32(id))).toEqual(new Set([1, 3, 4]));
    expect(c.update32(id, 3, 31)).toBe(0); // updating is a use too: 1 is now the least recent
    expect(c.update32(id, 5, 50)).toBe(0);
    expect(new Set(c.keys32(id))).toEqual(new Set([3, 4, 5]));
  });

  it("does not count the host's lookups as uses", () => {
    const c = new Core();
    const id = c.create(T.LRU_HASH, 4, 4, 2);
    expect(c.update32(id, 1, 1)).toBe(0);
    expect(c.update32(id, 2, 2)).toBe(0);
    expect(c.x.mapLookupCpu(id, c.key32(1), 0)).not.toBe(0);
    expect(c.update32(id, 3, 3)).toBe(0);
    expect(new Set(c.keys32(id))).toEqual(new Set([2, 3]));
  });

  it("keeps BPF_NOEXIST / BPF_EXIST semantics, reuses deleted elements, and needs preallocation", () => {
    const c = new Core();
    expect(c.create(T.LRU_HASH, 4, 4, 2, F_NO_PREALLOC)).toBe(ENOTSUPP);
    const id = c.create(T.LRU_HASH, 4, 4, 2);
    expect(c.update32(id, 1, 1, BPF_EXIST)).toBe(ENOENT);
    expect(c.update32(id, 1, 1)).toBe(0);
    expect(c.update32(id, 1, 1, BPF_NOEXIST)).toBe(EEXIST);
    expect(c.update32(id, 2, 2)).toBe(0);
    expect(Number(c.x.mapDelete(id, c.key32(1)))).toBe(0);
    expect(c.update32(id, 3, 3)).toBe(0); // room from the delete: nothing evicted
    expect(new Set(c.keys32(id))).toEqual(new Set([2, 3]));
  });

  it("LRU_PERCPU_HASH evicts the same way and keeps per-CPU values", () => {
    const c = new Core(2);
    const id = c.create(T.LRU_PERCPU_HASH, 4, 4, 2);
    const buf = SCRATCH + 0x100;
    for (const k of [1, 2, 3]) {
      c.setU32(buf, k);
      c.setU32(buf + 8, k + 100);
      expect(Number(c.x.mapUpdate(id, c.key32(k), buf, BPF_ANY))).toBe(0);
    }
    expect(new Set(c.keys32(id))).toEqual(new Set([2, 3]));
    expect(c.u32(c.x.mapLookupCpu(id, c.key32(3), 1))).toBe(103);
  });
});

describe("PROG_ARRAY", () => {
  it("holds program ids in slots that programs cannot touch", () => {
    const c = new Core();
    expect(c.create(T.PROG_ARRAY, 4, 8, 4)).toBe(EINVAL); // values are u32 ids
    expect(c.create(T.PROG_ARRAY, 4, 4, 4, F_RDONLY_PROG)).toBe(EINVAL);
    const id = c.create(T.PROG_ARRAY, 4, 4, 4);
    expect(c.x.progArrayGet(id, 1)).toBe(-1);
    expect(c.update32(id, 1, 5)).toBe(0);
    expect(c.x.progArrayGet(id, 1)).toBe(5);
    expect(c.x.progArrayGet(id, 4)).toBe(-1);
    expect(c.update32(id, 1, 6, BPF_NOEXIST)).toBe(EINVAL); // fd arrays take BPF_ANY only
    expect(c.update32(id, 4, 6)).toBe(E2BIG);
    const slot = c.x.mapLookupCpu(id, c.key32(1), 0);
    expect(c.u32(slot)).toBe(5);
    expect(c.x.accessAllowed(BigInt(slot), 4, false)).toBe(0);
    expect(Number(c.x.mapDelete(id, c.key32(1)))).toBe(0);
    expect(Number(c.x.mapDelete(id, c.key32(1)))).toBe(ENOENT);
    expect(Number(c.x.mapDelete(id, c.key32(9)))).toBe(E2BIG);
    expect(c.x.progArrayGet(id, 1)).toBe(-1);
    expect(c.keys32(id)).toEqual([0, 1, 2, 3]);
  });
});

describe("QUEUE and STACK", () => {
  const val = (c: Core, v: number) => {
    c.setU32(SCRATCH + 0x40, v);
    return SCRATCH + 0x40;
  };
  const take = (c: Core, id: number, remove: boolean) => {
    const rc = Number(remove ? c.x.mapPop(id, SCRATCH + 0x80) : c.x.mapPeek(id, SCRATCH + 0x80));
    return rc === 0 ? c.u32(SCRATCH + 0x80) : rc;
  };

  it("checks attributes like queue_stack_map_alloc_check", () => {
    const c = new Core();
    expect(c.create(T.QUEUE, 4, 4, 4)).toBe(EINVAL); // no keys
    expect(c.create(T.QUEUE, 0, 0, 4)).toBe(EINVAL);
    expect(c.create(T.STACK, 0, 4, 0)).toBe(EINVAL);
    expect(c.create(T.STACK, 0, 4, 4, F_NO_PREALLOC)).toBe(EINVAL);
  });

  it("QUEUE pops oldest first; BPF_EXIST overwrites the oldest when full, else -E2BIG", () => {
    const c = new Core();
    const id = c.create(T.QUEUE, 0, 4, 3);
    expect(take(c, id, true)).toBe(ENOENT);
    expect(take(c, id, false)).toBe(ENOENT);
    for (const v of [1, 2, 3]) expect(Number(c.x.mapPush(id, val(c, v), BPF_ANY))).toBe(0);
    expect(Number(c.x.mapPush(id, val(c, 4), BPF_ANY))).toBe(E2BIG);
    expect(Number(c.x.mapPush(id, val(c, 4), BPF_NOEXIST))).toBe(EINVAL);
    expect(Number(c.x.mapPush(id, val(c, 4), 3n))).toBe(EINVAL);
    expect(Number(c.x.mapPush(id, val(c, 4), BPF_EXIST))).toBe(0);
    expect(take(c, id, false)).toBe(2);
    expect([take(c, id, true), take(c, id, true), take(c, id, true), take(c, id, true)]).toEqual([2, 3, 4, ENOENT]);
    // wrap around the circular buffer a few times
    for (let round = 0; round < 5; round++) {
      expect(Number(c.x.mapPush(id, val(c, round * 2), BPF_ANY))).toBe(0);
      expect(Number(c.x.mapPush(id, val(c, round * 2 + 1), BPF_ANY))).toBe(0);
      expect([take(c, id, true), take(c, id, true)]).toEqual([round * 2, round * 2 + 1]);
    }
  });

  it("STACK pops newest first; BPF_EXIST drops the oldest (bottom) value when full", () => {
    const c = new Core();
    const id = c.create(T.STACK, 0, 8, 3);
    for (const v of [1, 2, 3]) expect(Number(c.x.mapPush(id, val(c, v), BPF_ANY))).toBe(0);
    expect(Number(c.x.mapPush(id, val(c, 4), BPF_ANY))).toBe(E2BIG);
    expect(Number(c.x.mapPush(id, val(c, 4), BPF_EXIST))).toBe(0);
    expect(take(c, id, false)).toBe(4);
    expect([take(c, id, true), take(c, id, true), take(c, id, true), take(c, id, true)]).toEqual([4, 3, 2, ENOENT]);
  });

  it("answers the element operations like the kernel: lookup NULL, delete and get_next_key -EINVAL, host update pushes", () => {
    const c = new Core();
    const id = c.create(T.QUEUE, 0, 4, 2);
    expect(Number(c.x.mapUpdate(id, 0, val(c, 9), BPF_ANY))).toBe(0);
    expect(c.lookup(id, 0)).toBe(0);
    expect(Number(c.x.mapDelete(id, 0))).toBe(EINVAL);
    expect(Number(c.x.mapGetNextKey(id, 0, SCRATCH))).toBe(EINVAL);
    expect(take(c, id, true)).toBe(9);
    const array = c.create(T.ARRAY, 4, 4, 1);
    expect(Number(c.x.mapPush(array, val(c, 1), BPF_ANY))).toBe(EINVAL);
  });
});

describe("RINGBUF", () => {
  it("requires a power-of-two, page-aligned size and no key or value size", () => {
    const c = new Core();
    expect(c.create(T.RINGBUF, 0, 0, 3 * 4096)).toBe(EINVAL);
    expect(c.create(T.RINGBUF, 0, 0, 2048)).toBe(EINVAL);
    expect(c.create(T.RINGBUF, 4, 0, 4096)).toBe(EINVAL);
    expect(c.create(T.RINGBUF, 0, 4, 4096)).toBe(EINVAL);
    expect(c.create(T.RINGBUF, 0, 0, 4096, F_NO_PREALLOC)).toBe(EINVAL);
    expect(c.create(T.RINGBUF, 0, 0, 4096)).toBe(0);
  });

  it("frames records with an 8-byte header (length + BUSY/DISCARD bits) padded to 8, and reports positions", () => {
    const c = new Core();
    const id = c.create(T.RINGBUF, 0, 0, 4096);
    const data = c.desc(id, MD_VALUES);
    const r = c.x.ringbufReserve(id, 10, 0n);
    expect(r).toBe(data + 8);
    expect(c.u32(r - 8)).toBe((10 | BUSY) >>> 0);
    expect(c.x.accessAllowed(BigInt(r), 10, true)).toBe(1);
    expect(c.x.ringbufNext(id)).toBe(0); // still reserved
    c.write(r, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(c.x.ringbufSubmit(r, 0n)).toBe(0);
    expect(c.u32(r - 8)).toBe(10);
    expect(c.x.ringbufSubmit(r, 0n)).toBe(EINVAL); // already committed
    const q = (sel: bigint) => c.x.ringbufQuery(id, sel);
    expect([q(0n), q(1n), q(2n), q(3n)]).toEqual([24n, 4096n, 0n, 24n]); // 8 + 10 rounded up to 8 = 24
    const r2 = c.x.ringbufReserve(id, 3, 0n);
    expect(r2).toBe(data + 24 + 8);
    expect(c.x.ringbufDiscard(r2, 0n)).toBe(0);
    expect(c.u32(r2 - 8)).toBe((3 | DISCARD) >>> 0);
    expect(Number(c.x.ringbufOutput(id, SCRATCH, 4, 0n))).toBe(0);
    expect(q(3n)).toBe(24n + 16n + 16n);
    const got = c.x.ringbufNext(id);
    expect(got).toBe(r);
    expect(c.x.ringbufNextLen()).toBe(10);
    expect(c.read(got, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(q(2n)).toBe(24n);
    expect(c.x.ringbufNext(id)).toBe(data + 40 + 8); // the discarded record is skipped
    expect(c.x.ringbufNextLen()).toBe(4);
    expect(c.x.ringbufNext(id)).toBe(0);
    expect(q(0n)).toBe(0n);
    expect(q(9n)).toBe(0n);
  });

  it("keeps the producer less than the ring size ahead of the consumer; output then fails with -EAGAIN", () => {
    const c = new Core();
    const id = c.create(T.RINGBUF, 0, 0, 4096);
    expect(c.x.ringbufReserve(id, 4081, 0n)).toBe(0); // 8 + 4081 -> 4096 bytes: not below the size
    expect(c.x.ringbufReserve(id, 8, 1n)).toBe(0); // flags must be 0
    const big = c.x.ringbufReserve(id, 4080, 0n); // 4088 bytes
    expect(big).not.toBe(0);
    expect(c.x.ringbufReserve(id, 1, 0n)).toBe(0);
    expect(Number(c.x.ringbufOutput(id, SCRATCH, 1, 0n))).toBe(EAGAIN);
    expect(Number(c.x.ringbufOutput(id, SCRATCH, 1, 4n))).toBe(EINVAL);
    expect(c.x.ringbufSubmit(big, 0n)).toBe(0);
    expect(c.x.ringbufNext(id)).toBe(big);
    expect(c.x.ringbufNextLen()).toBe(4080);
  });

  it("keeps a record that would cross the end contiguous by padding the rest of the ring", () => {
    const c = new Core();
    const id = c.create(T.RINGBUF, 0, 0, 4096);
    const data = c.desc(id, MD_VALUES);
    const first = c.x.ringbufReserve(id, 3000, 0n); // 3008 bytes
    c.x.ringbufSubmit(first, 0n);
    expect(c.x.ringbufNext(id)).toBe(first);
    const second = c.x.ringbufReserve(id, 2000, 0n); // 2008 bytes: 1088 left before the end
    expect(second).toBe(data + 8);
    expect(c.u32(data + 3008)).toBe(((1088 - 8) | DISCARD) >>> 0);
    expect(c.x.ringbufQuery(id, 3n)).toBe(BigInt(3008 + 1088 + 2008));
    c.x.ringbufSubmit(second, 0n);
    expect(c.x.ringbufNext(id)).toBe(second);
    expect(c.x.ringbufNextLen()).toBe(2000);
    expect(c.x.ringbufQuery(id, 0n)).toBe(0n);
    expect(c.x.ringbufQuery(id, 2n)).toBe(BigInt(3008 + 1088 + 2008));
  });

  it("refuses to commit an address that is not a reserved record", () => {
    const c = new Core();
    const id = c.create(T.RINGBUF, 0, 0, 4096);
    const data = c.desc(id, MD_VALUES);
    expect(c.x.ringbufSubmit(data + 8, 0n)).toBe(EINVAL); // nothing reserved there
    expect(c.x.ringbufSubmit(4, 0n)).toBe(EINVAL);
    expect(c.x.ringbufDiscard(SCRATCH + 8, 0n)).toBe(EINVAL);
  });
});

describe("PERF_EVENT_ARRAY", () => {
  it("stores records with their CPU index for the host to drain, in order", () => {
    const c = new Core();
    expect(c.create(T.PERF_EVENT_ARRAY, 4, 8, 4)).toBe(EINVAL);
    const id = c.create(T.PERF_EVENT_ARRAY, 4, 4, 2);
    c.write(SCRATCH, [1, 2, 3, 4, 5]);
    expect(Number(c.x.perfOutput(id, SCRATCH, 5, 0xffffffffn))).toBe(0); // BPF_F_CURRENT_CPU
    expect(Number(c.x.perfOutput(id, SCRATCH + 1, 3, 1n))).toBe(0);
    expect(Number(c.x.perfOutput(id, SCRATCH, 3, 2n))).toBe(E2BIG);
    expect(Number(c.x.perfOutput(id, SCRATCH, 3, 1n << 32n))).toBe(EINVAL);
    const a = c.x.perfNext(id);
    expect([c.read(a, 5), c.x.perfNextLen(), c.x.perfNextCpu()]).toEqual([[1, 2, 3, 4, 5], 5, 0]);
    const b = c.x.perfNext(id);
    expect([c.read(b, 3), c.x.perfNextLen(), c.x.perfNextCpu()]).toEqual([[2, 3, 4], 3, 1]);
    expect(c.x.perfNext(id)).toBe(0);
    expect(c.x.accessAllowed(BigInt(a), 1, false)).toBe(0);
  });

  it("drops records that do not fit until the host drains, counting them", () => {
    const c = new Core();
    const id = c.create(T.PERF_EVENT_ARRAY, 4, 4, 1);
    let stored = 0;
    while (Number(c.x.perfOutput(id, SCRATCH, 1000, 0n)) === 0) stored++;
    expect(stored).toBe(Math.floor(16384 / 1008));
    expect(Number(c.x.perfOutput(id, SCRATCH, 1000, 0n))).toBe(ENOSPC);
    expect(c.x.perfLost(id)).toBe(2);
    for (let i = 0; i < stored; i++) expect(c.x.perfNext(id)).not.toBe(0);
    expect(c.x.perfNext(id)).toBe(0);
    expect(Number(c.x.perfOutput(id, SCRATCH, 1000, 0n))).toBe(0);
  });
});

describe("LPM_TRIE", () => {
  /** Writes an IPv4 LPM key (u32 prefix length, 4 address bytes) at `at`. */
  const ip4 = (c: Core, prefix: number, addr: string, at = SCRATCH) => {
    c.setU32(at, prefix);
    c.write(at + 4, addr.split(".").map(Number));
    return at;
  };
  const put = (c: Core, id: number, prefix: number, addr: string, v: number, flags = BPF_ANY) => {
    c.setU32(SCRATCH + 0x40, v);
    return Number(c.x.mapUpdate(id, ip4(c, prefix, addr), SCRATCH + 0x40, flags));
  };
  const get = (c: Core, id: number, addr: string, prefix = 32) => {
    const v = c.lookup(id, ip4(c, prefix, addr));
    return v === 0 ? undefined : c.u32(v);
  };

  it("checks attributes like trie_alloc: BPF_F_NO_PREALLOC required, key of 5..260 bytes", () => {
    const c = new Core();
    expect(c.create(T.LPM_TRIE, 8, 4, 16)).toBe(EINVAL);
    expect(c.create(T.LPM_TRIE, 4, 4, 16, F_NO_PREALLOC)).toBe(EINVAL);
    expect(c.create(T.LPM_TRIE, 261, 4, 16, F_NO_PREALLOC)).toBe(EINVAL);
    expect(c.create(T.LPM_TRIE, 8, 0, 16, F_NO_PREALLOC)).toBe(EINVAL);
    expect(c.create(T.LPM_TRIE, 8, 4, 0, F_NO_PREALLOC)).toBe(EINVAL);
    expect(c.create(T.LPM_TRIE, 260, 4, 16, F_NO_PREALLOC)).toBe(0);
  });

  it("finds the longest matching prefix, limited by the key's own prefix length", () => {
    const c = new Core();
    const id = c.create(T.LPM_TRIE, 8, 4, 8, F_NO_PREALLOC);
    expect(put(c, id, 8, "10.0.0.0", 1)).toBe(0);
    expect(put(c, id, 16, "10.1.0.0", 2)).toBe(0);
    expect(put(c, id, 24, "10.1.2.0", 3)).toBe(0);
    expect(put(c, id, 23, "192.168.0.0", 5)).toBe(0);
    expect(get(c, id, "10.1.2.3")).toBe(3);
    expect(get(c, id, "10.1.3.3")).toBe(2);
    expect(get(c, id, "10.2.0.0")).toBe(1);
    expect(get(c, id, "11.0.0.0")).toBeUndefined();
    expect(get(c, id, "10.1.2.3", 16)).toBe(2);
    expect(get(c, id, "10.1.2.3", 7)).toBeUndefined();
    expect(get(c, id, "192.168.1.200")).toBe(5); // /23 covers 192.168.0.0 - 192.168.1.255
    expect(get(c, id, "192.168.2.1")).toBeUndefined();
    expect(put(c, id, 0, "0.0.0.0", 9)).toBe(0);
    expect(get(c, id, "11.0.0.0")).toBe(9);
    expect(c.x.accessAllowed(BigInt(c.lookup(id, ip4(c, 32, "10.1.2.3"))), 4, true)).toBe(1);
  });

  it("matches prefixes exactly for update and delete, with kernel errnos", () => {
    const c = new Core();
    const id = c.create(T.LPM_TRIE, 8, 4, 2, F_NO_PREALLOC);
    expect(put(c, id, 33, "10.0.0.0", 1)).toBe(EINVAL);
    expect(put(c, id, 8, "10.0.0.0", 1, BPF_EXIST)).toBe(ENOENT);
    expect(put(c, id, 8, "10.0.0.0", 1, BPF_NOEXIST)).toBe(0);
    expect(put(c, id, 8, "10.9.9.9", 2, BPF_NOEXIST)).toBe(EEXIST); // same /8 prefix
    expect(put(c, id, 8, "10.9.9.9", 2, BPF_EXIST)).toBe(0);
    expect(get(c, id, "10.0.0.1")).toBe(2);
    expect(put(c, id, 16, "10.1.0.0", 3)).toBe(0);
    expect(put(c, id, 24, "10.1.1.0", 4)).toBe(ENOSPC);
    expect(put(c, id, 8, "10.0.0.0", 4, 3n)).toBe(EINVAL);
    expect(Number(c.x.mapDelete(id, ip4(c, 9, "10.0.0.0")))).toBe(ENOENT);
    expect(Number(c.x.mapDelete(id, ip4(c, 33, "10.0.0.0")))).toBe(EINVAL);
    expect(Number(c.x.mapDelete(id, ip4(c, 16, "10.1.0.0")))).toBe(0);
    expect(get(c, id, "10.1.0.1")).toBe(2);
    expect(put(c, id, 24, "10.1.1.0", 4)).toBe(0);
    expect(get(c, id, "10.1.1.1")).toBe(4);
  });

  it("visits every prefix once with get_next_key", () => {
    const c = new Core();
    const id = c.create(T.LPM_TRIE, 8, 4, 16, F_NO_PREALLOC);
    const prefixes: Array<[number, string]> = [
      [8, "10.0.0.0"],
      [16, "10.1.0.0"],
      [0, "0.0.0.0"],
      [32, "1.2.3.4"],
    ];
    prefixes.forEach(([p, a], i) => expect(put(c, id, p, a, i)).toBe(0));
    expect(Number(c.x.mapDelete(id, ip4(c, 16, "10.1.0.0")))).toBe(0);
    const seen: string[] = [];
    let prev = 0;
    for (let i = 0; ; i++) {
      const next = SCRATCH + 0x100 + (i % 2) * 0x20;
      const rc = Number(c.x.mapGetNextKey(id, prev, next));
      if (rc === ENOENT) break;
      expect(rc).toBe(0);
      seen.push(`${c.read(next + 4, 4).join(".")}/${c.u32(next)}`);
      prev = next;
    }
    expect(seen.sort()).toEqual(["0.0.0.0/0", "1.2.3.4/32", "10.0.0.0/8"]);
  });
});

describe("maps of maps", () => {
  it("ARRAY_OF_MAPS holds inner map ids; a program's lookup yields the inner map's handle", () => {
    const c = new Core();
    const template = c.create(T.ARRAY, 4, 8, 4);
    const same = c.create(T.ARRAY, 4, 8, 4);
    const otherSize = c.create(T.ARRAY, 4, 16, 4);
    const otherMax = c.create(T.ARRAY, 4, 8, 5);
    expect(c.create(T.ARRAY_OF_MAPS, 4, 4, 2, 0, -1)).toBe(EBADF);
    expect(c.create(T.ARRAY_OF_MAPS, 4, 8, 2, 0, template)).toBe(EINVAL);
    const outer = c.create(T.ARRAY_OF_MAPS, 4, 4, 2, 0, template);
    expect(outer).toBeGreaterThan(0);
    expect(c.lookup(outer, c.key32(0))).toBe(0);
    expect(c.update32(outer, 0, same)).toBe(0);
    expect(c.update32(outer, 1, otherSize)).toBe(EINVAL);
    expect(c.update32(outer, 1, otherMax)).toBe(EINVAL);
    expect(c.update32(outer, 1, 200)).toBe(EBADF);
    expect(c.x.mapLookup(outer, c.key32(0))).toBe((HANDLE_TAG << 32n) | BigInt(same));
    expect(c.u32(c.x.mapLookupCpu(outer, c.key32(0), 0))).toBe(same);
    expect(c.create(T.ARRAY_OF_MAPS, 4, 4, 2, 0, outer)).toBe(EINVAL); // one level only
  });

  it("BPF_F_INNER_MAP on the template lets inner maps differ in max_entries", () => {
    const c = new Core();
    const template = c.create(T.ARRAY, 4, 8, 1, F_INNER_MAP);
    const bigger = c.create(T.ARRAY, 4, 8, 64, F_INNER_MAP);
    const outer = c.create(T.ARRAY_OF_MAPS, 4, 4, 1, 0, template);
    expect(c.update32(outer, 0, bigger)).toBe(0);
  });

  it("HASH_OF_MAPS maps keys to inner maps", () => {
    const c = new Core();
    const template = c.create(T.HASH, 4, 4, 8);
    const inner = c.create(T.HASH, 4, 4, 8);
    const outer = c.create(T.HASH_OF_MAPS, 4, 4, 4, 0, template);
    expect(c.update32(outer, 77, inner)).toBe(0);
    expect(c.x.mapLookup(outer, c.key32(77))).toBe((HANDLE_TAG << 32n) | BigInt(inner));
    expect(c.x.mapLookup(outer, c.key32(78))).toBe(0n);
    expect(c.x.accessAllowed(BigInt(c.x.mapLookupCpu(outer, c.key32(77), 0)), 4, false)).toBe(0);
    expect(Number(c.x.mapDelete(outer, c.key32(77)))).toBe(0);
    expect(c.x.mapLookup(outer, c.key32(77))).toBe(0n);
  });
});
