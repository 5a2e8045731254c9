// The core's BPF helpers, driven the way the engine calls them: arguments in r1..r5, callCoreHelper(id), result
// in r0 or a fault code with the faulting address. Expected values follow the kernel's helper documentation
// (include/uapi/linux/bpf.h) and kernel/bpf/helpers.c, written out here.
import { beforeAll, describe, expect, it } from "vitest";
import {
  STATE,
  ST_NCPUS,
  ST_ENGINE,
  ST_FAULT,
  ST_FAULT_ADDR,
  ST_FAULT_SIZE,
  ST_PID_TGID,
  ST_UID_GID,
  ST_COMM,
  ST_PRANDOM,
  ST_PKT,
  ST_PKT_LEN,
  SCRATCH,
  HELPER_KINDS,
  MAPS,
  MAP_DESC_SIZE,
} from "../../assembly/layout.js";
import { MD_VALUES } from "../../assembly/maps/desc.js";
import { compileMapsCore, hostImports } from "../support/maps-core.js";

const FAULT_READ = 1,
  FAULT_WRITE = 2,
  FAULT_HELPER = 5,
  FAULT_BAD_MAP = 7,
  FAULT_BAD_RECORD = 9;
const ENOENT = -2n,
  E2BIG = -7n,
  EFAULT = -14n,
  EINVAL = -22n,
  ERANGE = -34n;
const MAP_HANDLE_TAG = 0x4d415000n,
  FUNC_HANDLE_TAG = 0x46554e00n;
const T = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  QUEUE: 22,
  RINGBUF: 27,
};
const F_NO_PREALLOC = 1,
  F_RDONLY_PROG = 1 << 7;
const H = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  probe_read: 4,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  tail_call: 12,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  get_current_comm: 16,
  perf_event_output: 25,
  skb_load_bytes: 26,
  probe_read_str: 45,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  strtol: 105,
  strtoul: 106,
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  jiffies64: 118,
  ktime_get_boot_ns: 125,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
  snprintf: 165,
  for_each_map_elem: 164,
  loop: 181,
  map_lookup_percpu_elem: 195,
};

let compiled: WebAssembly.Module;

beforeAll(async () => {
  compiled = await compileMapsCore();
}, 120_000);

/**
 * A fresh core: SCRATCH is a writable region standing in for the program's stack, `ro` a read-only region,
 * and everything else is out of bounds.
 */
class Core {
  readonly x: any;
  readonly clockCalls: number[] = [];
  /** Callbacks the helpers made, and how the stand-in engine answers them. */
  readonly callbacks: bigint[][] = [];
  answer: (args: bigint[]) => bigint = () => 0n;
  readonly ro: number;
  stack = SCRATCH;
  constructor(ncpus = 1) {
    const clock = (which: number) => {
      this.clockCalls.push(which);
      return which === 0 ? 5_000_000_123n : 7_250_000_456n;
    };
    // The callback helpers reach the engine through env.host_callback when a host engine runs (ST_ENGINE = 1):
    // here a stand-in that records each call and answers from `answer`.
    const callback = (...args: bigint[]) => {
      this.callbacks.push(args);
      return this.answer(args);
    };
    const imports = hostImports(
      compiled,
      { host_time_ns: clock, host_callback: callback },
      (name) => `unexpected call of the host's ${name}`,
    );
    this.x = new WebAssembly.Instance(compiled, imports).exports;
    this.setU32(STATE + ST_NCPUS, ncpus);
    this.setU32(STATE + ST_ENGINE, 1);
    this.x.regionAdd(SCRATCH, SCRATCH + 0x1000, SCRATCH, SCRATCH + 0x1000);
    this.ro = this.x.allocBytes(64);
    this.x.regionAdd(this.ro, this.ro + 64, 0, 0);
    this.x.registerCoreHelpers();
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
  writeStr(a: number, s: string) {
    this.write(a, Array.from(Buffer.from(s, "latin1")));
  }
  read(a: number, n: number) {
    return Array.from(new Uint8Array((this.x.memory as WebAssembly.Memory).buffer, a, n));
  }
  /** Copies bytes to fresh stack memory and returns their address. */
  push(bytes: ArrayLike<number>) {
    const a = this.stack;
    this.write(a, bytes);
    this.stack += (bytes.length + 7) & ~7;
    return a;
  }
  push32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.push(b);
  }
  handle(id: number) {
    return (MAP_HANDLE_TAG << 32n) | BigInt(id);
  }
  create(type: number, key: number, value: number, max: number, flags = 0, inner = -1): number {
    return this.x.mapCreate(type, key, value, max, flags, inner);
  }

  /** Calls helper `id` with the given r1..r5; returns { fault, r0 (signed) }. */
  call(id: number, ...args: Array<bigint | number>) {
    args.forEach((a, i) => this.x.setReg(i + 1, BigInt(a)));
    this.x.setReg(0, 0xdeadn);
    const fault = this.x.callCoreHelper(id);
    return { fault, r0: BigInt.asIntN(64, this.x.getReg(0)) };
  }
  faultAddr() {
    return this.u64(STATE + ST_FAULT_ADDR);
  }
  faultSize() {
    return this.u32(STATE + ST_FAULT_SIZE);
  }
}

describe("registration", () => {
  it("marks the core helpers HELPER_CORE and leaves the engine's and host's helpers alone", () => {
    const c = new Core();
    const core = [
      1, 2, 3, 4, 5, 7, 8, 14, 15, 16, 25, 26, 45, 87, 88, 89, 105, 106, 112, 113, 114, 115, 118, 125, 130, 131, 132,
      133, 134, 164, 181,
    ];
    for (const id of core) expect(c.u8(HELPER_KINDS + id)).toBe(1);
    for (const id of [H.trace_printk, H.tail_call, H.snprintf, 0, 9]) expect(c.u8(HELPER_KINDS + id)).toBe(0);
  });

  it("answers an id it does not implement with FAULT_HELPER naming the id", () => {
    const c = new Core();
    expect(c.call(H.trace_printk).fault).toBe(FAULT_HELPER);
    expect(c.faultAddr()).toBe(6n);
  });
});

describe("map helpers", () => {
  it("map_lookup_elem returns the value's address or NULL, and the inner handle for maps of maps", () => {
    const c = new Core();
    const arr = c.create(T.ARRAY, 4, 8, 2);
    const key = c.push32(1);
    const { fault, r0 } = c.call(H.map_lookup_elem, c.handle(arr), key);
    expect(fault).toBe(0);
    expect(c.x.accessAllowed(r0, 8, true)).toBe(1);
    expect(c.call(H.map_lookup_elem, c.handle(arr), c.push32(2)).r0).toBe(0n);
    const outer = c.create(T.ARRAY_OF_MAPS, 4, 4, 1, 0, arr);
    expect(Number(c.x.mapUpdate(outer, c.push32(0), c.push32(arr), 0n))).toBe(0);
    expect(c.call(H.map_lookup_elem, c.handle(outer), c.push32(0)).r0).toBe(c.handle(arr));
  });

  it("faults with FAULT_READ naming a key that is not in a region", () => {
    const c = new Core();
    const h = c.create(T.HASH, 8, 4, 2);
    const outside = MAPS; // the descriptor table: runtime state, not program memory
    expect(c.call(H.map_lookup_elem, c.handle(h), outside).fault).toBe(FAULT_READ);
    expect([c.faultAddr(), c.faultSize()]).toEqual([BigInt(outside), 8]);
    const straddling = SCRATCH + 0x1000 - 4; // half in the stack, half beyond
    expect(c.call(H.map_update_elem, c.handle(h), straddling, c.push([0, 0, 0, 0]), 0).fault).toBe(FAULT_READ);
    expect(c.faultAddr()).toBe(BigInt(straddling));
    expect(c.call(H.map_update_elem, c.handle(h), c.push(new Array(8).fill(1)), outside, 0).fault).toBe(FAULT_READ);
    expect([c.faultAddr(), c.faultSize()]).toEqual([BigInt(outside), 4]);
    expect(c.call(H.map_delete_elem, c.handle(h), 1n << 40n).fault).toBe(FAULT_READ);
  });

  it("faults with FAULT_BAD_MAP for what is not a map of an allowed kind", () => {
    const c = new Core();
    const arr = c.create(T.ARRAY, 4, 4, 1);
    const prog = c.create(T.PROG_ARRAY, 4, 4, 1);
    const rodata = c.create(T.ARRAY, 4, 4, 1, F_RDONLY_PROG);
    const key = c.push32(0);
    const val = c.push32(0);
    expect(c.call(H.map_lookup_elem, BigInt(arr), key).fault).toBe(FAULT_BAD_MAP); // no tag
    expect(c.faultAddr()).toBe(BigInt(arr));
    expect(c.call(H.map_lookup_elem, c.handle(9), key).fault).toBe(FAULT_BAD_MAP); // no such map
    expect(c.call(H.map_lookup_elem, c.handle(prog), key).fault).toBe(FAULT_BAD_MAP);
    expect(c.call(H.map_update_elem, c.handle(rodata), key, val, 0).fault).toBe(FAULT_BAD_MAP);
    expect(c.call(H.map_lookup_elem, c.handle(rodata), key).fault).toBe(0);
    expect(c.call(H.map_push_elem, c.handle(arr), val, 0).fault).toBe(FAULT_BAD_MAP);
    expect(c.call(H.ringbuf_reserve, c.handle(arr), 8, 0).fault).toBe(FAULT_BAD_MAP);
  });

  it("map_update_elem and map_delete_elem return the kernel's errnos in r0", () => {
    const c = new Core();
    const h = c.create(T.HASH, 4, 4, 1);
    const k1 = c.push32(1),
      k2 = c.push32(2),
      v = c.push32(0x1234);
    expect(c.call(H.map_update_elem, c.handle(h), k1, v, 0).r0).toBe(0n);
    expect(c.call(H.map_update_elem, c.handle(h), k2, v, 0).r0).toBe(E2BIG);
    expect(c.call(H.map_update_elem, c.handle(h), k1, v, 1).r0).toBe(-17n);
    expect(c.call(H.map_delete_elem, c.handle(h), k2).r0).toBe(ENOENT);
    expect(c.call(H.map_delete_elem, c.handle(h), k1).r0).toBe(0n);
  });

  it("a program's update of a per-CPU map writes CPU 0; map_lookup_percpu_elem reads any CPU", () => {
    const c = new Core(2);
    const h = c.create(T.PERCPU_HASH, 4, 4, 4);
    const key = c.push32(3);
    expect(c.call(H.map_update_elem, c.handle(h), key, c.push32(77), 0).r0).toBe(0n);
    const cpu0 = c.call(H.map_lookup_percpu_elem, c.handle(h), key, 0).r0;
    const cpu1 = c.call(H.map_lookup_percpu_elem, c.handle(h), key, 1).r0;
    expect([c.u32(Number(cpu0)), c.u32(Number(cpu1))]).toEqual([77, 0]);
    expect(c.call(H.map_lookup_percpu_elem, c.handle(h), key, 2).r0).toBe(0n);
    expect(c.call(H.map_lookup_elem, c.handle(h), key).r0).toBe(cpu0);
  });

  it("map_push/pop/peek move values through the program's buffer", () => {
    const c = new Core();
    const q = c.create(T.QUEUE, 0, 4, 2);
    expect(c.call(H.map_push_elem, c.handle(q), c.push32(5), 0).r0).toBe(0n);
    expect(c.call(H.map_push_elem, c.handle(q), c.push32(6), 0).r0).toBe(0n);
    expect(c.call(H.map_push_elem, c.handle(q), c.push32(7), 0).r0).toBe(E2BIG);
    const out = c.push32(0);
    expect(c.call(H.map_peek_elem, c.handle(q), out).r0).toBe(0n);
    expect(c.u32(out)).toBe(5);
    expect(c.call(H.map_pop_elem, c.handle(q), c.ro).fault).toBe(FAULT_WRITE); // read-only destination
    expect(c.faultAddr()).toBe(BigInt(c.ro));
    expect(c.call(H.map_pop_elem, c.handle(q), out).r0).toBe(0n);
    expect(c.call(H.map_pop_elem, c.handle(q), out).r0).toBe(0n);
    expect(c.u32(out)).toBe(6);
    expect(c.call(H.map_pop_elem, c.handle(q), out).r0).toBe(ENOENT);
  });
});

describe("ring buffer and perf event helpers", () => {
  it("reserve, write, submit and query; the host then reads the record", () => {
    const c = new Core();
    const rb = c.create(T.RINGBUF, 0, 0, 4096);
    const rec = c.call(H.ringbuf_reserve, c.handle(rb), 12, 0).r0;
    expect(rec).not.toBe(0n);
    expect(c.x.accessAllowed(rec, 12, true)).toBe(1);
    c.write(Number(rec), [9, 8, 7]);
    expect(c.call(H.ringbuf_query, c.handle(rb), 0).r0).toBe(24n);
    expect(c.call(H.ringbuf_submit, rec, 0)).toEqual({ fault: 0, r0: 0n });
    expect(c.x.ringbufNext(rb)).toBe(Number(rec));
    expect(c.x.ringbufNextLen()).toBe(12);
    expect(c.call(H.ringbuf_reserve, c.handle(rb), 8, 1).r0).toBe(0n); // flags must be 0
    const dropped = c.call(H.ringbuf_reserve, c.handle(rb), 8, 0).r0;
    expect(c.call(H.ringbuf_discard, dropped, 0).fault).toBe(0);
    expect(c.x.ringbufNext(rb)).toBe(0);
  });

  it("submit of a pointer that is not a reserved record faults with FAULT_BAD_RECORD", () => {
    const c = new Core();
    const rb = c.create(T.RINGBUF, 0, 0, 4096);
    const data = c.u32(MAPS + rb * MAP_DESC_SIZE + MD_VALUES);
    expect(c.call(H.ringbuf_submit, data + 64, 0).fault).toBe(FAULT_BAD_RECORD);
    expect(c.faultAddr()).toBe(BigInt(data + 64));
    expect(c.call(H.ringbuf_discard, c.push32(0) + 8, 0).fault).toBe(FAULT_BAD_RECORD);
  });

  it("ringbuf_output copies from a readable buffer and faults on an unreadable one", () => {
    const c = new Core();
    const rb = c.create(T.RINGBUF, 0, 0, 4096);
    const src = c.push([1, 2, 3, 4, 5]);
    expect(c.call(H.ringbuf_output, c.handle(rb), src, 5, 0).r0).toBe(0n);
    const got = c.x.ringbufNext(rb);
    expect(c.read(got, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(c.call(H.ringbuf_output, c.handle(rb), MAPS, 5, 0).fault).toBe(FAULT_READ);
    expect(c.call(H.ringbuf_output, c.handle(rb), src, 5, 8).r0).toBe(EINVAL);
  });

  it("perf_event_output(ctx, map, flags, data, size) queues a record for the host", () => {
    const c = new Core();
    const pe = c.create(T.PERF_EVENT_ARRAY, 4, 4, 2);
    const src = c.push([4, 3, 2, 1]);
    expect(c.call(H.perf_event_output, 0, c.handle(pe), 0xffffffffn, src, 4).r0).toBe(0n);
    expect(c.call(H.perf_event_output, 0, c.handle(pe), 5, src, 4).r0).toBe(E2BIG);
    expect(c.call(H.perf_event_output, 0, c.handle(pe), 0, c.ro + 60, 8).fault).toBe(FAULT_READ);
    const rec = c.x.perfNext(pe);
    expect([c.read(rec, 4), c.x.perfNextLen(), c.x.perfNextCpu()]).toEqual([[4, 3, 2, 1], 4, 0]);
  });
});

describe("probe_read family", () => {
  it("copies from a readable source; an unreadable one zeroes the destination and returns -EFAULT", () => {
    const c = new Core();
    c.write(c.ro, [10, 20, 30, 40]);
    for (const id of [H.probe_read, H.probe_read_user, H.probe_read_kernel]) {
      const dst = c.push([1, 1, 1, 1]);
      expect(c.call(id, dst, 4, c.ro)).toEqual({ fault: 0, r0: 0n });
      expect(c.read(dst, 4)).toEqual([10, 20, 30, 40]);
      expect(c.call(id, dst, 4, MAPS).r0).toBe(EFAULT);
      expect(c.read(dst, 4)).toEqual([0, 0, 0, 0]);
    }
  });

  it("faults with FAULT_WRITE when the destination is not writable", () => {
    const c = new Core();
    expect(c.call(H.probe_read, c.ro, 4, SCRATCH).fault).toBe(FAULT_WRITE);
    expect([c.faultAddr(), c.faultSize()]).toEqual([BigInt(c.ro), 4]);
  });

  it("probe_read_str copies up to the NUL and returns the length including it", () => {
    const c = new Core();
    c.writeStr(c.ro, "hello\0world");
    for (const id of [H.probe_read_str, H.probe_read_user_str, H.probe_read_kernel_str]) {
      const dst = c.push(new Array(16).fill(0xff));
      expect(c.call(id, dst, 16, c.ro).r0).toBe(6n);
      expect(c.read(dst, 6)).toEqual([104, 101, 108, 108, 111, 0]);
      expect(c.u8(dst + 6)).toBe(0xff); // nothing written past the NUL
      expect(c.call(id, dst, 3, c.ro).r0).toBe(3n); // truncated: "he" and a NUL
      expect(c.read(dst, 3)).toEqual([104, 101, 0]);
    }
  });

  it("probe_read_str fails with -EFAULT when the source leaves readable memory before a NUL", () => {
    const c = new Core();
    c.write(c.ro, new Array(64).fill(65)); // no NUL in the whole region
    const dst = c.push(new Array(16).fill(0xff));
    expect(c.call(H.probe_read_str, dst, 16, c.ro + 60).r0).toBe(EFAULT);
    expect(c.read(dst, 16)).toEqual(new Array(16).fill(0));
    expect(c.call(H.probe_read_str, dst, 5, c.ro + 60).r0).toBe(5n); // 4 bytes + NUL: still inside
    expect(c.call(H.probe_read_str, dst, 0, MAPS).r0).toBe(0n);
  });
});

describe("task and time helpers", () => {
  it("report the pid/tgid, uid/gid and comm from the run state, CPU 0 and the host's clocks", () => {
    const c = new Core();
    c.setU64(STATE + ST_PID_TGID, (4321n << 32n) | 1234n);
    c.setU64(STATE + ST_UID_GID, (1000n << 32n) | 1001n);
    c.writeStr(STATE + ST_COMM, "sensor-daemon\0\0\0");
    expect(c.call(H.get_current_pid_tgid).r0).toBe((4321n << 32n) | 1234n);
    expect(c.call(H.get_current_uid_gid).r0).toBe((1000n << 32n) | 1001n);
    expect(c.call(H.get_smp_processor_id).r0).toBe(0n);
    const comm = c.push(new Array(16).fill(0xff));
    expect(c.call(H.get_current_comm, comm, 16).r0).toBe(0n);
    expect(Buffer.from(c.read(comm, 16)).toString("latin1")).toBe("sensor-daemon\0\0\0");
    const short = c.push(new Array(8).fill(0xff));
    expect(c.call(H.get_current_comm, short, 6).r0).toBe(0n);
    expect(c.read(short, 8)).toEqual([...Buffer.from("senso"), 0, 0xff, 0xff]);
    expect(c.call(H.get_current_comm, c.ro, 16).fault).toBe(FAULT_WRITE);
    expect(c.call(H.ktime_get_ns).r0).toBe(5_000_000_123n);
    expect(c.call(H.ktime_get_boot_ns).r0).toBe(7_250_000_456n);
    expect(c.call(H.jiffies64).r0).toBe(725n); // boot time at HZ = 100
    expect(c.clockCalls).toEqual([0, 1, 1]);
  });

  it("get_prandom_u32 steps xorshift64* over ST_PRANDOM", () => {
    const c = new Core();
    const mask = (1n << 64n) - 1n;
    let x = 0x0123456789abcdefn;
    c.setU64(STATE + ST_PRANDOM, x);
    for (let i = 0; i < 5; i++) {
      x ^= x >> 12n;
      x ^= (x << 25n) & mask;
      x ^= x >> 27n;
      expect(c.call(H.get_prandom_u32).r0).toBe(((x * 0x2545f4914f6cdd1dn) & mask) >> 32n);
    }
    expect(c.u64(STATE + ST_PRANDOM)).toBe(x);
    c.setU64(STATE + ST_PRANDOM, 0n); // zero state is seeded rather than stuck
    const a = c.call(H.get_prandom_u32).r0,
      b = c.call(H.get_prandom_u32).r0;
    expect(a === 0n && b === 0n).toBe(false);
  });
});

describe("skb_load_bytes", () => {
  it("copies packet bytes; a range past the packet zeroes the buffer and returns -EFAULT", () => {
    const c = new Core();
    const pkt = c.x.allocBytes(32);
    c.write(
      pkt,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    c.setU32(STATE + ST_PKT, pkt);
    c.setU32(STATE + ST_PKT_LEN, 20);
    const to = c.push(new Array(8).fill(0xee));
    expect(c.call(H.skb_load_bytes, 0, 14, to, 6).r0).toBe(0n);
    expect(c.read(to, 6)).toEqual([15, 16, 17, 18, 19, 20]);
    expect(c.call(H.skb_load_bytes, 0, 15, to, 6).r0).toBe(EFAULT);
    expect(c.read(to, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(c.call(H.skb_load_bytes, 0, 0xffffffff, to, 1).r0).toBe(EFAULT);
    expect(c.call(H.skb_load_bytes, 0, 0, MAPS, 4).fault).toBe(FAULT_WRITE);
  });
});

describe("strtol and strtoul", () => {
  /** Runs helper `id` on `text` (its first `len` bytes); returns [r0, *res]. */
  const run = (c: Core, id: number, text: string, flags: number | bigint, len = text.length) => {
    const buf = c.push(Buffer.from(text + "\0", "latin1"));
    const res = c.push(Array.from(Buffer.from("\xaa".repeat(8), "latin1")));
    const { fault, r0 } = c.call(id, buf, len, flags, res);
    expect(fault).toBe(0);
    return [r0, BigInt.asIntN(64, c.u64(res))];
  };
  const UNTOUCHED = BigInt.asIntN(64, 0xaaaaaaaaaaaaaaaan);

  it("parses decimal, octal and hex with base 0 detection, after spaces and one minus sign", () => {
    const c = new Core();
    expect(run(c, H.strtol, "123", 10)).toEqual([3n, 123n]);
    expect(run(c, H.strtol, "  -0x1f", 0)).toEqual([7n, -31n]);
    expect(run(c, H.strtol, "0777", 0)).toEqual([4n, 511n]);
    expect(run(c, H.strtol, "0x1fz", 16)).toEqual([4n, 31n]);
    expect(run(c, H.strtol, "1fz", 16)).toEqual([2n, 31n]);
    expect(run(c, H.strtol, "0xg", 0)).toEqual([1n, 0n]); // "0x" without a hex digit: octal "0"
    expect(run(c, H.strtol, "089", 0)).toEqual([1n, 0n]);
    expect(run(c, H.strtol, "\t\n42abc", 10)).toEqual([4n, 42n]);
    expect(run(c, H.strtol, "12345", 10, 3)).toEqual([3n, 123n]); // only buf_len bytes count
    expect(run(c, H.strtoul, "18446744073709551615", 10)).toEqual([20n, -1n]);
    expect(run(c, H.strtol, "-9223372036854775808", 10)).toEqual([20n, -9223372036854775808n]);
  });

  it("returns -EINVAL without digits, for bad bases or flags, and strtoul of a negative", () => {
    const c = new Core();
    expect(run(c, H.strtol, "abc", 10)).toEqual([EINVAL, UNTOUCHED]);
    expect(run(c, H.strtol, "0x", 16)).toEqual([EINVAL, UNTOUCHED]);
    expect(run(c, H.strtol, "   ", 10)).toEqual([EINVAL, UNTOUCHED]);
    expect(run(c, H.strtol, "-", 10)).toEqual([EINVAL, UNTOUCHED]);
    expect(run(c, H.strtol, "12", 2)).toEqual([EINVAL, UNTOUCHED]);
    expect(run(c, H.strtol, "12", 0x20 | 10)).toEqual([EINVAL, UNTOUCHED]);
    expect(run(c, H.strtol, "12", 10, 0)).toEqual([EINVAL, UNTOUCHED]);
    expect(run(c, H.strtoul, "-1", 10)).toEqual([EINVAL, UNTOUCHED]);
  });

  it("returns -ERANGE on overflow", () => {
    const c = new Core();
    expect(run(c, H.strtoul, "18446744073709551616", 10)).toEqual([ERANGE, UNTOUCHED]);
    expect(run(c, H.strtol, "9223372036854775808", 10)).toEqual([ERANGE, UNTOUCHED]);
    expect(run(c, H.strtol, "-9223372036854775809", 10)).toEqual([ERANGE, UNTOUCHED]);
    expect(run(c, H.strtol, "0x10000000000000000", 0)).toEqual([ERANGE, UNTOUCHED]);
  });

  it("checks the buffer and the result pointer", () => {
    const c = new Core();
    expect(c.call(H.strtol, MAPS, 4, 10, c.push32(0)).fault).toBe(FAULT_READ);
    expect(c.call(H.strtol, c.push(Buffer.from("1")), 1, 10, c.ro).fault).toBe(FAULT_WRITE);
    expect([c.faultAddr(), c.faultSize()]).toEqual([BigInt(c.ro), 8]);
  });
});

describe("callback helpers", () => {
  const fn = (FUNC_HANDLE_TAG << 32n) | 40n;

  it("bpf_loop calls callback(i, ctx) nr_loops times and stops when it returns 1", () => {
    const c = new Core();
    expect(c.call(H.loop, 3, fn, 0x1234, 0)).toEqual({ fault: 0, r0: 3n });
    expect(c.callbacks).toEqual([
      [fn, 0n, 0x1234n, 0n, 0n],
      [fn, 1n, 0x1234n, 0n, 0n],
      [fn, 2n, 0x1234n, 0n, 0n],
    ]);
    c.callbacks.length = 0;
    c.answer = ([, i]) => (i === 4n ? 1n : 0n);
    expect(c.call(H.loop, 10, fn, 0, 0).r0).toBe(5n); // calls made, the stopping one included
    expect(c.callbacks.length).toBe(5);
    expect(c.call(H.loop, 0, fn, 0, 0).r0).toBe(0n);
  });

  it("bpf_loop refuses flags, more than 1 << 23 loops and what is not a function", () => {
    const c = new Core();
    expect(c.call(H.loop, 5, fn, 0, 1).r0).toBe(EINVAL);
    expect(c.call(H.loop, (1 << 23) + 1, fn, 0, 0).r0).toBe(E2BIG);
    expect(c.call(H.loop, 5, 40, 0, 0).fault).toBe(FAULT_HELPER);
    expect(c.callbacks.length).toBe(0);
  });

  it("for_each_map_elem calls callback(map, &key, &value, ctx) for each array element", () => {
    const c = new Core();
    const arr = c.create(T.ARRAY, 4, 4, 4);
    for (let i = 0; i < 4; i++) expect(Number(c.x.mapUpdate(arr, c.push32(i), c.push32(100 + i), 0n))).toBe(0);
    const seen: number[][] = [];
    c.answer = ([, map, key, value, ctx]) => {
      expect([map, ctx]).toEqual([c.handle(arr), 0x99n]);
      expect(c.x.accessAllowed(key, 4, false)).toBe(1);
      expect(c.x.accessAllowed(key, 4, true)).toBe(0); // the key is read-only to the callback
      expect(c.x.accessAllowed(value, 4, true)).toBe(1);
      seen.push([c.u32(Number(key)), c.u32(Number(value))]);
      return 0n;
    };
    expect(c.call(H.for_each_map_elem, c.handle(arr), fn, 0x99, 0)).toEqual({ fault: 0, r0: 4n });
    expect(seen).toEqual([
      [0, 100],
      [1, 101],
      [2, 102],
      [3, 103],
    ]);
  });

  it("for_each_map_elem walks a hash map, may stop early, and refuses flags and LPM tries", () => {
    const c = new Core();
    const h = c.create(T.HASH, 4, 4, 8);
    for (const k of [3, 1, 4]) expect(Number(c.x.mapUpdate(h, c.push32(k), c.push32(k * 10), 0n))).toBe(0);
    const seen = new Map<number, number>();
    c.answer = ([, , key, value]) => {
      seen.set(c.u32(Number(key)), c.u32(Number(value)));
      return 0n;
    };
    expect(c.call(H.for_each_map_elem, c.handle(h), fn, 0, 0).r0).toBe(3n);
    expect(seen).toEqual(
      new Map([
        [3, 30],
        [1, 10],
        [4, 40],
      ]),
    );
    c.answer = () => 1n;
    expect(c.call(H.for_each_map_elem, c.handle(h), fn, 0, 0).r0).toBe(1n);
    expect(c.call(H.for_each_map_elem, c.handle(h), fn, 0, 1).r0).toBe(EINVAL);
    const lpm = c.create(T.LPM_TRIE, 8, 4, 4, F_NO_PREALLOC);
    expect(c.call(H.for_each_map_elem, c.handle(lpm), fn, 0, 0).fault).toBe(FAULT_BAD_MAP);
  });

  it("for_each_map_elem survives the callback deleting the element it is given", () => {
    const c = new Core();
    const h = c.create(T.HASH, 4, 4, 8);
    for (const k of [1, 2, 3, 4, 5]) expect(Number(c.x.mapUpdate(h, c.push32(k), c.push32(k), 0n))).toBe(0);
    const keyCopy = c.push32(0);
    c.answer = ([, , key]) => {
      c.setU32(keyCopy, c.u32(Number(key)));
      expect(Number(c.x.mapDelete(h, keyCopy))).toBe(0);
      return 0n;
    };
    expect(c.call(H.for_each_map_elem, c.handle(h), fn, 0, 0).r0).toBe(5n);
    expect(Number(c.x.mapGetNextKey(h, 0, keyCopy))).toBe(Number(ENOENT));
  });

  it("stops and propagates a fault that a callback left in ST_FAULT", () => {
    const c = new Core();
    c.answer = () => {
      c.setU32(STATE + ST_FAULT, FAULT_WRITE);
      return 0n;
    };
    expect(c.call(H.loop, 5, fn, 0, 0).fault).toBe(FAULT_WRITE);
    expect(c.callbacks.length).toBe(1);
    c.setU32(STATE + ST_FAULT, 0);
    const arr = c.create(T.ARRAY, 4, 4, 6);
    expect(c.call(H.for_each_map_elem, c.handle(arr), fn, 0, 0).fault).toBe(FAULT_WRITE);
    expect(c.callbacks.length).toBe(2);
  });
});
