// Every clang-built fixture program (test/fixtures/src/*.c), in its -mcpu=v3 and -mcpu=v4 builds, run through the
// front-end API on every engine available here (the ARM32 engine needs a device). Each test chooses its inputs and
// computes the expected r0 and map contents itself, in plain TypeScript, from what the C source's header comment
// says the program does; the engines are thereby compared with each other on the same programs and inputs.
import { describe, expect, it } from "vitest";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { engineNames, type EngineName } from "../../src/runtime/engines.js";
import { load, type LoadOptions, type LoadedObject, type ProgramInput } from "../../src/api/object.js";
import { fixture } from "../support/paths.js";

await loadEngines();
const ENGINES = engineNames().filter((n) => n !== "arm32") as EngineName[];
const BUILDS = [
  { cpu: "v3", suffix: ".o" },
  { cpu: "v4", suffix: ".v4.o" },
];

// ---- input and expectation helpers (independent of tinybpf)

const bytes = (...a: number[]) => new Uint8Array(a);
const ascii = (s: string) => new TextEncoder().encode(s);
const u32le = (values: number[]) => {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return out;
};
const u64le = (x: bigint) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, x), true);
  return out;
};
/** What a C function declared `int` returns: only the low 32 bits of r0 are defined (BPF calling convention). */
const int32 = (r0: bigint) => Number(BigInt.asIntN(32, r0));
const u64 = (x: bigint) => BigInt.asUintN(64, x);
const s8 = (x: number) => (x & 0x80 ? (x & 0xff) - 0x100 : x & 0xff);

/** An Ethernet frame: EtherType, and for IPv4 a 20-byte header with the protocol byte at frame[23]. */
function frame(opts: {
  etherType: number;
  proto?: number;
  length: number;
  src?: number[];
  dst?: number[];
}): Uint8Array {
  const f = new Uint8Array(opts.length);
  f.set(opts.dst ?? [0x02, 0, 0, 0, 0, 0xaa], 0);
  f.set(opts.src ?? [0x02, 0, 0, 0, 0, 0xbb], 6);
  f[12] = opts.etherType >> 8;
  f[13] = opts.etherType & 0xff;
  if (opts.length > 23) {
    f[14] = 0x45;
    f[23] = opts.proto ?? 6;
  }
  for (let i = 34; i < opts.length; i++) f[i] = (i * 13) & 0xff;
  return f;
}

const PACKET_HOST = 0;

for (const engine of ENGINES) {
  for (const build of BUILDS) {
    const open = (name: string, opts: LoadOptions = {}): Promise<LoadedObject> =>
      load(fixture(name + build.suffix), { engine, printk: () => {}, ...opts });

    describe(`fixtures (${build.cpu} build) on the ${engine} engine`, () => {
      it("sockex1: my_map[protocol] += skb->len for outgoing packets only", async () => {
        const obj = await open("sockex1");
        expect(obj.engineName).toBe(engine);
        const prog = obj.programs.get("bpf_prog1")!;
        const packets: { packet: Uint8Array; pktType?: number }[] = [
          { packet: frame({ etherType: 0x0800, proto: 6, length: 74 }) },
          { packet: frame({ etherType: 0x0800, proto: 17, length: 60 }) },
          { packet: frame({ etherType: 0x0800, proto: 6, length: 1514 }) },
          { packet: frame({ etherType: 0x0800, proto: 1, length: 98 }) },
          { packet: frame({ etherType: 0x0800, proto: 17, length: 333 }), pktType: PACKET_HOST },
          { packet: frame({ etherType: 0x0800, proto: 47, length: 120 }) },
        ];
        const expected = new Map<number, bigint>();
        for (const p of packets) {
          expect(prog.run(p)).toBe(0n);
          if ((p.pktType ?? 4) === 4)
            expected.set(p.packet[23], (expected.get(p.packet[23]) ?? 0n) + BigInt(p.packet.length));
        }
        const table = obj.get("my_map");
        const seen = [...table.entries()];
        expect(seen.length).toBe(256); // an array lists every index
        for (const [k, v] of seen) expect(v).toBe(expected.get(k as number) ?? 0n);
      });

      it("bitehist: dist[bits needed for s] counts each of the first 16 sizes", async () => {
        const obj = await open("bitehist");
        const prog = obj.programs.get("bitehist")!;
        const slot = (s: number) => (s === 0 ? 1 : s.toString(2).length);
        const expected = new Map<number, bigint>();
        const runs = [
          [0, 1, 2, 3, 4, 5, 7, 8, 1023, 1024, 4096, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff, 9, 10],
          [100, 200, 300],
          [],
        ];
        for (const sizes of runs) {
          const input = new Uint8Array(sizes.length * 4 + 3); // a trailing partial size is ignored
          input.set(u32le(sizes));
          const counted = Math.min(sizes.length, 16);
          for (const s of sizes.slice(0, 16)) expected.set(slot(s), (expected.get(slot(s)) ?? 0n) + 1n);
          expect(int32(prog.run(input))).toBe(counted);
        }
        const got = new Map([...obj.get("dist").entries()].map(([k, v]) => [(k as { slot: number }).slot, v]));
        expect(got).toEqual(expected);
      });

      it("globals: .data, .bss, .rodata and string literals", async () => {
        const obj = await open("globals");
        const prog = obj.programs.get("globals")!;
        const greeting = "hello, tinybpf";
        const suffix = "wxyz";
        const inputs = [
          bytes(0xf1, 2, 3, 4, 5),
          bytes(0x90, 0x80, 0x70),
          new Uint8Array(20).map((_, i) => 200 + i),
          bytes(7),
        ];
        let counter = 5;
        let total = 0n;
        const last = new Array(16).fill(0);
        for (const input of inputs) {
          const len = input.length;
          counter += 1;
          total += BigInt(len) * 3n;
          for (let i = 0; i < Math.min(len, 15); i++) last[i] = s8(input[i]); // char is signed on the BPF target
          const r0 = greeting.charCodeAt(len % 14) + suffix.charCodeAt(len % 4);
          expect(int32(prog.run(input))).toBe(r0);
          expect(obj.get(".data").lookup(0)).toEqual({ counter });
          expect(obj.get(".bss").lookup(0)).toEqual({ total, last });
        }
        expect(obj.get(".rodata").lookup(0)).toEqual({ scale: 3, greeting });
        expect(obj.get(".rodata.str1.1").lookupBytes(0)).toEqual(ascii("wxyz\0"));
      });

      it("maps_all: arrays and per-CPU arrays", async () => {
        const obj = await open("maps_all", { ncpus: 2 });
        const prog = obj.programs.get("touch_arrays")!;
        const counts = [0n, 0n, 0n, 0n];
        for (const k of [6, 1, 9, 255, 6, 0]) {
          expect(int32(prog.run(bytes(k, 0, 0, 0)))).toBe(0);
          counts[k % 4] += 1n;
        }
        expect([...obj.get("array").entries()]).toEqual(counts.map((c, i) => [i, c]));
        // Programs run on CPU 0: the other CPU's copy stays zero.
        expect([...obj.get("pcpu_array").entries()]).toEqual(counts.map((c, i) => [i, [c, 0n]]));
      });

      it("maps_all: hash, per-CPU hash, LRU hash and LRU per-CPU hash", async () => {
        const obj = await open("maps_all", { ncpus: 2 });
        const prog = obj.programs.get("touch_hashes")!;
        const expected = new Map<number, bigint>();
        for (const [k, len] of [
          [6, 4],
          [200, 9],
          [6, 12],
          [3, 5],
        ]) {
          expect(int32(prog.run(new Uint8Array(len).fill(k, 0, 1)))).toBe(0);
          expected.set(k, BigInt(len));
        }
        const sorted = (e: [unknown, unknown][]) => e.sort((a, b) => (a[0] as number) - (b[0] as number));
        const want = [...expected].sort((a, b) => a[0] - b[0]);
        expect(sorted([...obj.get("hash").entries()])).toEqual(want);
        expect(sorted([...obj.get("lru_hash").entries()])).toEqual(want);
        expect(sorted([...obj.get("pcpu_hash").entries()])).toEqual(want.map(([k, v]) => [k, [v, 0n]]));
        expect(sorted([...obj.get("lru_pcpu_hash").entries()])).toEqual(want.map(([k, v]) => [k, [v, 0n]]));
      });

      it("maps_all: LPM trie lookups take the longest matching prefix", async () => {
        const obj = await open("maps_all");
        const routes = obj.get("routes");
        const table: [number, number[], number][] = [
          [8, [10, 0, 0, 0], 1],
          [24, [10, 1, 2, 0], 2],
          [32, [10, 1, 2, 3], 3],
          [16, [192, 168, 0, 0], 4],
        ];
        for (const [prefixlen, addr, value] of table) routes.update({ prefixlen, addr }, value);
        const toU32 = (a: number[]) => ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
        const match = (addr: number[]) => {
          let best = { len: -1, value: 0 };
          for (const [len, net, value] of table) {
            const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
            if ((toU32(addr) & mask) >>> 0 === (toU32(net) & mask) >>> 0 && len > best.len) best = { len, value };
          }
          return best.value;
        };
        const prog = obj.programs.get("touch_lpm")!;
        for (const addr of [
          [10, 1, 2, 3],
          [10, 1, 2, 4],
          [10, 1, 3, 3],
          [10, 200, 0, 1],
          [11, 0, 0, 1],
          [192, 168, 7, 7],
          [192, 169, 0, 0],
        ]) {
          expect(int32(prog.run(bytes(...addr)))).toBe(match(addr));
        }
      });

      it("maps_all: queue (FIFO) and stack (LIFO)", async () => {
        const obj = await open("maps_all");
        const prog = obj.programs.get("touch_queues")!;
        const fifo: number[] = [];
        const lifo: number[] = [];
        for (const k of [6, 40, 100]) {
          fifo.push(k, k + 1);
          lifo.push(k, k + 1);
          const a = fifo.shift()!;
          const b = lifo.pop()!;
          expect(int32(prog.run(bytes(k, 0, 0, 0)))).toBe(a * 256 + b);
        }
        const drain = (name: string) => {
          const out: unknown[] = [];
          for (let v = obj.get(name).pop(); v !== undefined; v = obj.get(name).pop()) out.push(v);
          return out;
        };
        expect(drain("fifo")).toEqual(fifo);
        expect(drain("lifo")).toEqual([...lifo].reverse());
      });

      it("maps_all: ring buffer and perf event array records", async () => {
        const obj = await open("maps_all");
        const prog = obj.programs.get("touch_events")!;
        const inputs = [bytes(1, 2, 3, 4), bytes(9, 8, 7, 6, 5)];
        for (const input of inputs) expect(int32(prog.run(input))).toBe(0);
        const want = inputs.map((i) => i.slice(0, 4));
        expect(obj.get("events").drain()).toEqual(want);
        expect(obj.get("perf").drain()).toEqual(want);
        expect(obj.get("events").drain()).toEqual([]);
      });

      it("maps_all: array of maps (preset) and hash of maps", async () => {
        const obj = await open("maps_all");
        const prog = obj.programs.get("touch_outer")!;
        expect(int32(prog.run(bytes(6, 0, 0, 0)))).toBe(1);
        expect([...obj.get("inner_a").values()]).toEqual([6n, 0n]);
        obj.get("outer_hash").update(7, obj.get("inner_b"));
        expect(int32(prog.run(bytes(10, 0, 0, 0)))).toBe(3);
        expect([...obj.get("inner_a").values()]).toEqual([16n, 0n]);
        expect([...obj.get("inner_b").values()]).toEqual([10n, 0n]);
        obj.get("outer_array").delete(0);
        expect(int32(prog.run(bytes(1, 0, 0, 0)))).toBe(2);
        expect([...obj.get("inner_a").values()]).toEqual([16n, 0n]);
        expect([...obj.get("inner_b").values()]).toEqual([11n, 0n]);
      });

      it("maps_all: program array preset to touch_arrays", async () => {
        const obj = await open("maps_all");
        const prog = obj.programs.get("touch_progs")!;
        expect(int32(prog.run(bytes(5, 0, 0, 0)))).toBe(0); // touch_arrays' result
        expect([...obj.get("array").values()]).toEqual([0n, 1n, 0n, 0n]);
        obj.get("progs").delete(0);
        expect(int32(prog.run(bytes(5, 0, 0, 0)))).toBe(99);
        expect([...obj.get("array").values()]).toEqual([0n, 1n, 0n, 0n]);
      });

      it("tailcall: entry -> step0 -> step1, and spin up to the tail-call limit", async () => {
        const obj = await open("tailcall");
        const entry = obj.programs.get("entry")!;
        for (const k of [0, 5, 200]) {
          expect(int32(entry.run(bytes(k, 1)))).toBe(20 + k);
          expect(obj.get(".bss").lookup(0)).toMatchObject({ hops: 2 });
        }
        const spin = obj.programs.get("spin")!;
        const MAX_TAIL_CALLS = 33; // Linux's MAX_TAIL_CALL_CNT
        expect(int32(spin.run(bytes(1)))).toBe(MAX_TAIL_CALLS + 1);
        expect(int32(spin.run(bytes(1)))).toBe(2 * (MAX_TAIL_CALLS + 1)); // spins keeps counting
        obj.get("jmp_table").delete(1);
        expect(int32(entry.run(bytes(3)))).toBe(2000);
        expect(obj.get(".bss").lookup(0)).toMatchObject({ hops: 1 });
        obj.get("jmp_table").delete(0);
        expect(int32(entry.run(bytes(3)))).toBe(1000);
        expect(obj.get(".bss").lookup(0)).toMatchObject({ hops: 0 });
      });

      it("ringbuf: submitted events in order, discarded ones skipped, then the summary", async () => {
        const obj = await open("ringbuf");
        const produce = obj.programs.get("produce")!;
        const avail = obj.programs.get("avail")!;
        const HDR = 8;
        const recordSize = (n: number) => Math.ceil((n + HDR) / 8) * 8;
        for (const input of [
          bytes(2, 3, 4, 5, 6),
          bytes(1, 3, 5),
          bytes(10, 20, 31, 40, 50, 60, 70, 80, 90, 100),
          bytes(),
        ]) {
          const read = input.slice(0, 8);
          const even = [...read].map((b, i) => ({ i, b })).filter((e) => e.b % 2 === 0);
          expect(int32(produce.run(input))).toBe(even.length);
          // Discarded records stay in the ring until the consumer passes them (Linux's BPF_RB_AVAIL_DATA).
          expect(avail.run(bytes(0))).toBe(BigInt(read.length * recordSize(16) + recordSize(8)));
          const want = even.map(({ i, b }) => {
            const e = new Uint8Array(16);
            const v = new DataView(e.buffer);
            v.setUint32(0, i, true);
            v.setUint32(4, b, true);
            v.setBigUint64(8, BigInt(b * b), true);
            return e;
          });
          want.push(u32le([read.length, read.length - even.length]));
          expect(obj.get("events").drain()).toEqual(want);
          expect(avail.run(bytes(0))).toBe(0n);
        }
      });

      it("helpers: ktime, prandom, smp id, pid/uid, boot time, jiffies64", async () => {
        const obj = await open("helpers", { pid: 4321, tgid: 8765, uid: 1001, gid: 50 });
        const prog = obj.programs.get("ids")!;
        const before = process.hrtime.bigint();
        expect(int32(prog.run(bytes(1)))).toBe(0);
        const after = process.hrtime.bigint();
        const out = [...obj.get("out").values()] as bigint[];
        const [ktime, rand, cpu, pidTgid, uidGid, boot, jiffies] = out;
        expect(ktime >= before && ktime <= after).toBe(true); // CLOCK_MONOTONIC, as process.hrtime
        expect(boot >= ktime && boot <= after).toBe(true); // CLOCK_BOOTTIME never runs behind MONOTONIC
        const HZ_NS = 10_000_000n; // jiffies at HZ=100
        expect(jiffies >= boot / HZ_NS && jiffies <= after / HZ_NS).toBe(true);
        expect(rand < 1n << 32n).toBe(true);
        expect(cpu).toBe(0n);
        expect(pidTgid).toBe((8765n << 32n) | 4321n);
        expect(uidGid).toBe((50n << 32n) | 1001n);
        const randoms = new Set<bigint>([rand]);
        for (let i = 0; i < 4; i++) {
          prog.run(bytes(1));
          const v = obj.get("out").lookup(1) as bigint;
          expect(v < 1n << 32n).toBe(true);
          randoms.add(v);
        }
        expect(randoms.size).toBeGreaterThan(1);
      });

      it("helpers: get_current_comm (truncated to 15 characters and a NUL)", async () => {
        for (const comm of ["fixture", "a-very-long-command-name"]) {
          const obj = await open("helpers", { comm });
          expect(int32(obj.programs.get("comm")!.run(bytes(1)))).toBe(0);
          const want = new Uint8Array(16);
          want.set(ascii(comm.slice(0, 15)));
          expect(obj.get("comm_out").lookupBytes(0)).toEqual(want);
        }
      });

      it("helpers: trace_printk through the printk option", async () => {
        const lines: string[] = [];
        const obj = await open("helpers", { printk: (l) => lines.push(l) });
        const prog = obj.programs.get("printk")!;
        for (const len of [0, 3, 1234]) {
          const line = `len ${len}\n`;
          expect(int32(prog.run(new Uint8Array(len)))).toBe(line.length);
        }
        expect(lines).toEqual(["len 0\n", "len 3\n", "len 1234\n"]);
      });

      it("helpers: probe_read, probe_read_kernel/user and the _str variants", async () => {
        const obj = await open("helpers");
        const prog = obj.programs.get("probes")!;
        const cases = [ascii("hello\0xyzw12"), ascii("ABCDEFGHIJKLMNOPQRSTUV"), ascii("12345678\0")];
        for (const input of cases) {
          const nul = input.indexOf(0);
          const strLen = nul >= 0 && nul < 16 ? nul : 15; // without a NUL in 16 bytes: 15 characters and a NUL
          const expectedValue = new Uint8Array(56);
          const first8 = input.slice(0, 8);
          expectedValue.set(first8, 0);
          expectedValue.set(first8, 8);
          expectedValue.set(first8, 16);
          expectedValue.set(input.slice(0, strLen), 24);
          expectedValue.set(input.slice(0, strLen), 40);
          const before = obj.get("copies").lookupBytes(0)!;
          // Bytes past the NUL keep what the buffer held (probe_read_str writes only the string and its NUL).
          for (let i = strLen + 1; i < 16; i++) {
            expectedValue[24 + i] = before[24 + i];
            expectedValue[40 + i] = before[40 + i];
          }
          expect(int32(prog.run(input))).toBe(2 * (strLen + 1));
          expect(obj.get("copies").lookupBytes(0)).toEqual(expectedValue);
        }
      });

      it("helpers: strtol (base 10) and strtoul (base 16)", async () => {
        const obj = await open("helpers");
        const prog = obj.programs.get("parse_numbers")!;
        const EINVAL = -22;
        // The kernel's rules: leading white space, one '-' (refused by strtoul), base 16 takes a "0x" prefix.
        const parse = (text: string, base: number, signed: boolean): { used: number; value?: bigint } => {
          let i = 0;
          while (i < text.length && " \t\n\v\f\r".includes(text[i])) i++;
          const neg = text[i] === "-";
          if (neg) i++;
          if (base === 16 && /^0[xX][0-9a-fA-F]/.test(text.slice(i))) i += 2;
          const digits = base === 16 ? /^[0-9a-fA-F]*/ : /^[0-9]*/;
          const d = text.slice(i).match(digits)![0];
          if (d.length === 0) return { used: EINVAL };
          if (neg && !signed) return { used: EINVAL };
          const v = BigInt(base === 16 ? "0x" + d : d);
          return { used: i + d.length, value: neg ? -v : v };
        };
        for (const text of ["  -123xyz", "0x1F,", "777", "42", "-9", "abc"]) {
          const l = parse(text, 10, true);
          const u = parse(text, 16, false);
          expect(int32(prog.run(ascii(text)))).toBe(l.used);
          expect(obj.get("out").lookup(0)).toBe(u64(l.value ?? 0n));
          expect(obj.get("out").lookup(1)).toBe(u64(u.value ?? 0n));
        }
      });

      it("helpers: snprintf", async () => {
        const obj = await open("helpers");
        const prog = obj.programs.get("format")!;
        for (const input of [bytes(200, 1, 2), bytes(0), new Uint8Array(1000).fill(255)]) {
          const text = `${input.length}-${input[0]}`;
          expect(int32(prog.run(input))).toBe(text.length + 1);
          const want = new Uint8Array(32);
          want.set(ascii(text));
          expect(
            obj
              .get("text_out")
              .lookupBytes(0)!
              .subarray(0, text.length + 1),
          ).toEqual(want.subarray(0, text.length + 1));
          expect(obj.get("text_out").lookup(0)).toBe(text);
        }
      });

      it("helpers: bpf_loop and for_each_map_elem", async () => {
        const obj = await open("helpers");
        const loop = obj.programs.get("sum_loop")!;
        for (const input of [bytes(1, 2, 3, 250), bytes(), new Uint8Array(100).map((_, i) => i * 3)]) {
          const sum = [...input.slice(0, 64)].reduce((a, b) => a + b, 0);
          expect(int32(loop.run(input))).toBe(sum);
        }
        const nums = obj.get("nums");
        const values = [5n, 0n, 1000n, 77n];
        values.forEach((v, i) => nums.update(i, v));
        expect(int32(obj.programs.get("sum_map")!.run(bytes(1)))).toBe(Number(values.reduce((a, b) => a + b)));
      });

      it("helpers: queue push, peek and pop", async () => {
        const obj = await open("helpers");
        const prog = obj.programs.get("queue_ops")!;
        for (const [x, y] of [
          [3, 9],
          [255, 0],
          [1, 1],
        ]) {
          expect(int32(prog.run(bytes(x, y)))).toBe(x * 257 + y * 65536);
          expect(obj.get("q").pop()).toBeUndefined();
        }
        // With an element already queued: peek and the first pop see it, the second pop sees x; y stays.
        obj.get("q").push(5);
        expect(int32(prog.run(bytes(7, 8)))).toBe(5 + 256 * 5 + 65536 * 7);
        expect(obj.get("q").pop()).toBe(8);
        expect(obj.get("q").pop()).toBeUndefined();
      });

      it("helpers: ringbuf reserve/submit/discard/output/query and perf_event_output", async () => {
        const obj = await open("helpers");
        const ring = obj.programs.get("ring_ops")!;
        for (const input of [bytes(77, 1), bytes(3, 4, 5, 6, 7, 8)]) {
          expect(ring.run(input)).toBe(3n * (8n + 8n)); // submitted, discarded and output records, with headers
          expect(obj.get("ring").drain()).toEqual([u64le(BigInt(input.length)), u64le(BigInt(input[0]))]);
        }
        const perf = obj.programs.get("perf_out")!;
        for (const len of [3, 17]) expect(int32(perf.run(new Uint8Array(len)))).toBe(0);
        expect(obj.get("perf").drain()).toEqual([u64le(3n), u64le(17n)]);
      });

      it("helpers: tail_call into the preset slot, and its failure", async () => {
        const obj = await open("helpers");
        const tail = obj.programs.get("tail")!;
        expect(int32(tail.run(bytes(1)))).toBe(42);
        obj.get("jumps").delete(0);
        expect(int32(tail.run(bytes(1)))).toBe(7);
        obj.setTailCall("jumps", 0, "tail_target");
        expect(int32(tail.run(bytes(1)))).toBe(42);
      });

      it("helpers: skb_load_bytes", async () => {
        const obj = await open("helpers");
        const prog = obj.programs.get("skb_bytes")!;
        for (const packet of [
          bytes(1, 2, 3, 0xf4, 5, 6),
          frame({ etherType: 0x0800, length: 64 }),
          bytes(0xff, 0xff, 0xff, 0x7f),
        ]) {
          const word = new DataView(packet.buffer).getUint32(0, true) & 0x7fffffff;
          expect(int32(prog.run({ packet }))).toBe(word);
        }
        expect(int32(prog.run({ packet: bytes(1, 2, 3) }))).toBe(0); // too short: the helper fails
      });

      it("xdp: verdicts per frame, per-CPU counters and the MAC swap for UDP", async () => {
        const obj = await open("xdp", { ncpus: 2 });
        const prog = obj.programs.get("xdp_parse")!;
        const XDP_ABORTED = 0,
          XDP_DROP = 1,
          XDP_PASS = 2,
          XDP_TX = 3;
        const src = [0x02, 1, 2, 3, 4, 5],
          dst = [0x02, 9, 8, 7, 6, 5];
        const counts = [0n, 0n];
        const cases: { f: Uint8Array; verdict: number; counter?: number }[] = [
          { f: new Uint8Array(10), verdict: XDP_ABORTED },
          { f: frame({ etherType: 0x0806, length: 42 }), verdict: XDP_PASS, counter: 0 },
          { f: frame({ etherType: 0x86dd, length: 14 }), verdict: XDP_PASS, counter: 0 },
          { f: frame({ etherType: 0x0800, length: 30 }), verdict: XDP_ABORTED },
          { f: frame({ etherType: 0x0800, proto: 1, length: 98 }), verdict: XDP_DROP, counter: 1 },
          { f: frame({ etherType: 0x0800, proto: 6, length: 34 }), verdict: XDP_PASS, counter: 1 },
          { f: frame({ etherType: 0x0800, proto: 17, length: 60, src, dst }), verdict: XDP_TX, counter: 1 },
        ];
        for (const { f, verdict, counter } of cases) {
          expect(int32(prog.run({ packet: f }))).toBe(verdict);
          if (counter !== undefined) counts[counter] += 1n;
          const after = prog.lastPacket!;
          if (verdict === XDP_TX) {
            expect([...after.subarray(0, 6)]).toEqual(src);
            expect([...after.subarray(6, 12)]).toEqual(dst);
            expect(after.subarray(12)).toEqual(f.subarray(12));
          } else {
            expect(after).toEqual(f);
          }
        }
        expect([...obj.get("stats").entries()]).toEqual([
          [0, [counts[0], 0n]],
          [1, [counts[1], 0n]],
        ]);
      });

      it("calls: bpf-to-bpf calls several levels deep", async () => {
        const obj = await open("calls");
        const mix = (a: bigint, b: bigint) => u64(a * 31n + b);
        const checksum = (input: Uint8Array) => {
          const n = Math.min(input.length, 32);
          const acc = new Array<bigint>(8).fill(0n);
          for (let i = 0; i < n; i++) acc[i % 8] = mix(acc[i % 8], BigInt(input[i]));
          let r = 0n;
          for (const a of acc) r = mix(r, a);
          return r ^ BigInt(n);
        };
        const low32 = (x: bigint) => Number(BigInt.asIntN(32, x));
        for (const input of [
          bytes(),
          bytes(1),
          ascii("the quick brown fox"),
          new Uint8Array(40).map((_, i) => 255 - i * 5),
        ]) {
          const len = BigInt(input.length);
          expect(int32(obj.programs.get("calls_main")!.run(input))).toBe(low32(checksum(input)));
          expect(int32(obj.programs.get("calls_local")!.run(input))).toBe(low32(mix(len, len)));
          expect(int32(obj.programs.get("calls_deep")!.run(input))).toBe(low32(len + 15n));
        }
      });

      it("sections: every program runs and returns its number", async () => {
        const obj = await open("sections");
        const order = [
          "p_socket",
          "p_kprobe",
          "p_kretprobe",
          "p_uprobe",
          "p_tracepoint",
          "p_tp",
          "p_raw_tracepoint",
          "p_raw_tp",
          "p_tc",
          "p_classifier",
          "p_perf_event",
          "p_xdp",
          "p_fentry",
          "p_cgroup_skb",
          "p_lsm",
          "p_custom",
        ];
        const packetPrograms = new Set(["p_socket", "p_tc", "p_classifier", "p_xdp", "p_cgroup_skb"]);
        const packet = frame({ etherType: 0x0800, proto: 17, length: 60 });
        order.forEach((name, i) => {
          const input: ProgramInput = packetPrograms.has(name) ? { packet } : { ctx: new Uint8Array(168) };
          expect(int32(obj.programs.get(name)!.run(input)), name).toBe(i + 1);
        });
        expect(obj.programs.size).toBe(order.length);
      });

      it("v4ops: signed loads, sign extension, signed division and byte swaps", async () => {
        const obj = await open("v4ops");
        const prog = obj.programs.get("v4ops")!;
        const cases = [
          bytes(0xf0, 0, 0x34, 0x82, 0x01, 0x02, 0x03, 0x84, 9),
          bytes(0x7f, 0xaa, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f),
          bytes(0x80, 0, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80),
          bytes(0x03, 0, 0x10, 0x00, 0x2a, 0x00, 0x00, 0x00),
          new Uint8Array(200).map((_, i) => (i * 37 + 0x91) & 0xff),
        ];
        for (const input of cases) {
          const v = new DataView(input.buffer);
          const a = BigInt(v.getInt8(0));
          const b = BigInt(v.getInt16(2, true));
          const c = BigInt(v.getInt32(4, true));
          const res = [a, b, c, c / (a | 1n), c % 7n, BigInt(v.getUint32(4, false)), BigInt(s8(input.length))];
          expect(int32(prog.run(input))).toBe(0);
          expect(obj.get(".bss").lookup(0)).toEqual({ res });
        }
        const before = obj.get(".bss").lookup(0);
        expect(int32(prog.run(bytes(1, 2, 3)))).toBe(1);
        expect(obj.get(".bss").lookup(0)).toEqual(before);
      });
    });
  }
}
