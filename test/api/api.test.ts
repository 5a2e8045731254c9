// The front-end API as the README documents it: load(path | bytes), programs.get(name).run(input) for each kind
// of program, maps through obj.get / obj.maps.get (lookup, update with its flags and errors, delete, entries,
// keys, values, clear), BTF and plain decoding, printLog2Hist, ring-buffer and perf consumers, and the errors.
// Expected values are computed here from the inputs and the fixtures' documented behaviour.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { load, loadSync, LoadedObject } from "../../src/api/object.js";
import { MapError } from "../../src/api/bpf-map.js";
import { BpfFault } from "../../src/runtime/faults.js";
import { ElfError } from "../../src/loader/elf.js";
import { printLog2Hist } from "../../src/api/print-hist.js";
import { readCapture } from "../../src/tools/pcap.js";
import { fixture } from "../support/paths.js";

const bytes = (...a: number[]) => new Uint8Array(a);
const int32 = (r0: bigint) => Number(BigInt.asIntN(32, r0));
const BPF_ANY = 0,
  BPF_NOEXIST = 1,
  BPF_EXIST = 2;

/** The index of the first `ldxb dst, [r1 + off]` (opcode 0x71, source register 1) in a program's code. */
function firstByteLoadFromR1(insns: Uint8Array): number {
  for (let pc = 0; pc * 8 < insns.length; pc++) {
    if (insns[pc * 8] === 0x71 && insns[pc * 8 + 1] >> 4 === 1) return pc;
  }
  throw new Error("no byte load from r1");
}

beforeAll(async () => {
  await loadEngines();
});

describe("load", () => {
  it("loads from a path and from bytes", async () => {
    const fromPath = await load(fixture("sockex1.o"));
    const fromBytes = await load(new Uint8Array(readFileSync(fixture("sockex1.o"))), { fileName: "sockex1_kern.o" });
    const unnamed = await load(new Uint8Array(readFileSync(fixture("sockex1.o"))));
    for (const obj of [fromPath, fromBytes, unnamed]) {
      expect(obj).toBeInstanceOf(LoadedObject);
      expect([...obj.programs.keys()]).toEqual(["bpf_prog1"]);
      expect([...obj.maps.keys()]).toEqual(["my_map"]);
      expect(obj.license).toBe("GPL");
      const prog = obj.programs.get("bpf_prog1")!;
      expect(prog.type).toBe("socket_filter");
      expect(prog.section).toBe("socket1");
    }
    expect(fromPath.fileName).toBe("sockex1.o");
    expect(fromBytes.fileName).toBe("sockex1_kern.o");
    expect(() => fromBytes.get("nope")).toThrow(/^sockex1_kern\.o: no map named 'nope'/);
  });

  it("runs on the engine it was asked for", async () => {
    const obj = await load(fixture("sockex1.o"), { engine: "interp" });
    expect(obj.engineName).toBe("interp");
  });

  it("replays the README's sockex1 capture", async () => {
    const obj = await load(fixture("sockex1.o"));
    const packets = readCapture(new Uint8Array(readFileSync(fixture("pcap/sockex1.pcap"))), "sockex1.pcap");
    const expected = new Map<number, bigint>();
    for (const p of packets) {
      expect(obj.programs.get("bpf_prog1")!.run({ packet: p.data })).toBe(0n);
      expected.set(p.data[23], (expected.get(p.data[23]) ?? 0n) + BigInt(p.data.length));
    }
    const table = obj.get("my_map");
    for (const proto of [6, 17, 1]) expect(table.lookup(proto)).toBe(expected.get(proto));
    // The figures the README shows for this capture.
    expect(packets.length).toBe(42);
    expect([table.lookup(6), table.lookup(17), table.lookup(1)]).toEqual([20092n, 14521n, 1434n]);
  });
});

describe("Program.run by program type", () => {
  it("socket filter: { packet } becomes a __sk_buff (len, pkt_type)", async () => {
    const obj = await load(fixture("sockex1.o"));
    const prog = obj.programs.get("bpf_prog1")!;
    const packet = new Uint8Array(90);
    packet[12] = 0x08;
    packet[23] = 17;
    prog.run({ packet });
    prog.run({ packet, pktType: 0 }); // PACKET_HOST: not counted
    prog.run(packet); // bare bytes are a packet for a socket filter
    expect(obj.get("my_map").lookup(17)).toBe(180n);
  });

  it("XDP: { packet } becomes an xdp_md, and the rewritten packet is readable", async () => {
    const obj = await load(fixture("xdp.o"));
    const prog = obj.programs.get("xdp_parse")!;
    const packet = new Uint8Array(64);
    packet.set([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0x08, 0x00]);
    packet[23] = 17;
    expect(prog.run({ packet })).toBe(3n); // XDP_TX
    expect([...prog.lastPacket!.subarray(0, 12)]).toEqual([2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]);
    expect([...packet.subarray(0, 12)]).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]); // the caller's copy is left alone
    packet[23] = 1;
    expect(prog.run(packet)).toBe(1n); // XDP_DROP
  });

  it("raw program: bytes as r1, their length as r2", async () => {
    const obj = await load(fixture("bitehist.o"));
    const sizes = new Uint8Array(new Uint32Array([1, 2, 3]).buffer);
    expect(int32(obj.programs.get("bitehist")!.run(sizes))).toBe(3);
    expect(int32(obj.programs.get("bitehist")!.run(sizes.subarray(0, 7)))).toBe(1);
  });

  it("tracing programs take a context buffer", async () => {
    const obj = await load(fixture("sections.o"));
    expect(obj.programs.get("p_kprobe")!.type).toBe("kprobe");
    expect(int32(obj.programs.get("p_kprobe")!.run({ ctx: new Uint8Array(168) }))).toBe(2);
    expect(int32(obj.programs.get("p_tracepoint")!.run(new Uint8Array(64)))).toBe(5);
    expect(int32(obj.programs.get("p_raw_tp")!.run({ ctx: new Uint8Array(16), writable: [] }))).toBe(8);
    expect(int32(obj.programs.get("p_perf_event")!.run())).toBe(11);
  });
});

describe("maps", () => {
  it("obj.get(name) is obj.maps.get(name)", async () => {
    const obj = await load(fixture("maps_all.o"));
    for (const name of ["array", "hash", "routes", "events", "outer_array"])
      expect(obj.get(name)).toBe(obj.maps.get(name));
    expect(obj.maps.get("nope")).toBeUndefined();
    expect(() => obj.get("nope")).toThrow(/^maps_all\.o: no map named 'nope' \(maps: .*\barray\b.*\)$/);
  });

  it("hash map with a BTF struct key: update flags and their errors, delete, iteration", async () => {
    const obj = await load(fixture("bitehist.o"));
    const dist = obj.get("dist");
    expect(dist.typeName).toBe("hash");
    dist.update({ slot: 3 }, 5n, BPF_ANY);
    dist.update({ slot: 4 }, 1n, BPF_NOEXIST);
    expect(() => dist.update({ slot: 3 }, 6n, BPF_NOEXIST)).toThrow(
      new MapError("map 'dist': update: EEXIST (element exists)"),
    );
    expect(() => dist.update({ slot: 9 }, 6n, BPF_EXIST)).toThrow(
      new MapError("map 'dist': update: ENOENT (no such element)"),
    );
    dist.update({ slot: 4 }, 8n, BPF_EXIST);
    expect(dist.lookup({ slot: 3 })).toBe(5n);
    expect(dist.lookup({ slot: 4 })).toBe(8n);
    expect(dist.lookup({ slot: 9 })).toBeUndefined();
    const sort = <T>(a: T[]) =>
      a.sort((x, y) => JSON.stringify(x, (_, v) => String(v)).localeCompare(JSON.stringify(y, (_, v) => String(v))));
    expect(sort([...dist.keys()])).toEqual([{ slot: 3 }, { slot: 4 }]);
    expect(sort([...dist.values()])).toEqual([5n, 8n]);
    expect(sort([...dist.entries()])).toEqual([
      [{ slot: 3 }, 5n],
      [{ slot: 4 }, 8n],
    ]);
    expect(sort([...dist])).toEqual([
      [{ slot: 3 }, 5n],
      [{ slot: 4 }, 8n],
    ]);
    dist.delete({ slot: 3 });
    expect(dist.lookup({ slot: 3 })).toBeUndefined();
    let err: unknown;
    try {
      dist.delete({ slot: 3 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MapError);
    expect((err as MapError).name).toBe("MapError");
    expect((err as MapError).message).toBe("map 'dist': delete: ENOENT (no such element)");
    // The program counts into entries the host put there.
    obj.programs.get("bitehist")!.run(new Uint8Array(new Uint32Array([8, 9]).buffer)); // slot 4 twice
    expect(dist.lookup({ slot: 4 })).toBe(10n);
    dist.clear();
    expect([...dist.keys()]).toEqual([]);
  });

  it("array map without BTF types (legacy maps section): plain numbers and BigInts", async () => {
    const obj = await load(fixture("sockex1.o"));
    const table = obj.get("my_map");
    expect([table.keySize, table.valueSize, table.maxEntries]).toEqual([4, 8, 256]);
    table.update(6, 100n);
    table.update(7, 5); // numbers are accepted for 8-byte values
    table.update(8, 1n, BPF_EXIST);
    expect(() => table.update(9, 1n, BPF_NOEXIST)).toThrow(
      new MapError("map 'my_map': update: EEXIST (element exists)"),
    );
    expect(() => table.update(256, 1n)).toThrow(
      new MapError("map 'my_map': update: E2BIG (map is full or index out of range)"),
    );
    expect(() => table.delete(6)).toThrow(new MapError("map 'my_map': delete: EINVAL (invalid argument)"));
    expect(table.lookup(6)).toBe(100n);
    expect(table.lookup(7)).toBe(5n);
    expect(table.lookup(256)).toBeUndefined();
    expect(table.lookupBytes(6)).toEqual(bytes(100, 0, 0, 0, 0, 0, 0, 0));
    const keys = [...table.keys()];
    expect(keys).toEqual(Array.from({ length: 256 }, (_, i) => i));
    const values = [...table.values()];
    expect(values.filter((v) => v !== 0n)).toEqual([100n, 5n, 1n]);
    table.clear();
    expect([...table.values()].every((v) => v === 0n)).toBe(true);
    expect([...table.keys()].length).toBe(256);
  });

  it("BTF decoding: numbers, BigInts, structs, nested arrays and char arrays", async () => {
    const obj = await load(fixture("maps_all.o"));
    const routes = obj.get("routes");
    routes.update({ prefixlen: 24, addr: [192, 168, 1, 0] }, 7);
    expect([...routes.entries()]).toEqual([[{ prefixlen: 24, addr: [192, 168, 1, 0] }, 7]]);
    obj.get("hash").update(5, 1n << 40n);
    expect(obj.get("hash").lookup(5)).toBe(1n << 40n);
    const helpers = await load(fixture("helpers.o"), { comm: "api-test" });
    helpers.programs.get("comm")!.run(bytes(0));
    expect(helpers.get("comm_out").lookup(0)).toBe("api-test");
  });

  it("per-CPU maps take and give one value per CPU", async () => {
    const obj = await load(fixture("maps_all.o"), { ncpus: 3 });
    const pcpu = obj.get("pcpu_hash");
    expect(pcpu.isPerCpu).toBe(true);
    pcpu.update(1, [10n, 20n, 30n]);
    pcpu.update(2, 4n); // one value for every CPU
    expect(pcpu.lookup(1)).toEqual([10n, 20n, 30n]);
    expect(pcpu.lookup(2)).toEqual([4n, 4n, 4n]);
    obj.programs.get("touch_arrays")!.run(bytes(2, 0, 0, 0));
    expect(obj.get("pcpu_array").lookup(2)).toEqual([1n, 0n, 0n]);
    obj.get("pcpu_array").clear();
    expect(obj.get("pcpu_array").lookup(2)).toEqual([0n, 0n, 0n]);
  });

  it("clear() empties a program array (slots do not point at program 0 afterwards)", async () => {
    const obj = await load(fixture("tailcall.o"));
    const entry = obj.programs.get("entry")!;
    expect(int32(entry.run(bytes(4)))).toBe(24);
    obj.get("jmp_table").clear();
    expect([...obj.get("jmp_table").values()]).toEqual([undefined, undefined, undefined, undefined]);
    expect(int32(entry.run(bytes(4)))).toBe(1000); // the first tail call finds no program
    obj.setTailCall("jmp_table", 0, "step0");
    obj.setTailCall("jmp_table", 1, "step1");
    expect(int32(entry.run(bytes(4)))).toBe(24);
  });

  it("queue and stack: push and pop from the host", async () => {
    const obj = await load(fixture("maps_all.o"));
    const fifo = obj.get("fifo");
    const lifo = obj.get("lifo");
    for (const v of [1, 2, 3]) {
      fifo.push(v);
      lifo.push(v);
    }
    expect([fifo.pop(), fifo.pop(), fifo.pop(), fifo.pop()]).toEqual([1, 2, 3, undefined]);
    expect([lifo.pop(), lifo.pop(), lifo.pop(), lifo.pop()]).toEqual([3, 2, 1, undefined]);
    for (let i = 0; i < 8; i++) fifo.push(i);
    expect(() => fifo.push(8)).toThrow(MapError);
  });
});

describe("printLog2Hist", () => {
  // BCC's print_log2_hist layout (bcc/table.py), written out here.
  function bccLog2Hist(counts: Map<number, bigint>, valType: string): string {
    let idxMax = -1;
    let valMax = 0n;
    for (const [i, v] of counts) {
      if (v > 0n && i > idxMax) idxMax = i;
      if (v > valMax) valMax = v;
    }
    let out = "";
    if (idxMax > 0) out += `     ${valType.padEnd(19)} : count     distribution\n`;
    for (let i = 1; i <= idxMax; i++) {
      let low = 2 ** i / 2;
      const high = 2 ** i - 1;
      if (low === high) low -= 1;
      const val = counts.get(i) ?? 0n;
      let stars = "";
      const scaled = (40 * Number(val)) / Number(valMax);
      for (let s = 0; s <= scaled - 1 && s <= 39; s++) stars += "*";
      out += `${String(low).padStart(10)} -> ${String(high).padEnd(10)} : ${String(val).padEnd(8)} |${stars.padEnd(40)}|\n`;
    }
    return out;
  }

  it("prints the bitehist histogram character for character", async () => {
    const obj = await load(fixture("bitehist.o"));
    const prog = obj.programs.get("bitehist")!;
    const counts = new Map<number, bigint>();
    const slot = (s: number) => (s === 0 ? 1 : s.toString(2).length);
    const runs = [
      [4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 64, 100, 0, 1],
      [5, 6, 7, 4, 4, 4, 4, 1000, 1000, 2000, 40000, 1 << 20, 3_000_000_000],
      [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
    ];
    for (const sizes of runs) {
      prog.run(new Uint8Array(new Uint32Array(sizes).buffer));
      for (const s of sizes) counts.set(slot(s), (counts.get(slot(s)) ?? 0n) + 1n);
    }
    let text = "";
    printLog2Hist(obj.get("dist"), "kbytes", (s) => {
      text += s;
    });
    const expected = bccLog2Hist(counts, "kbytes");
    expect(text).toBe(expected);
    expect(text.split("\n")[0]).toBe("     kbytes              : count     distribution");
    expect(text.split("\n").length).toBe(32 + 2); // header, buckets 1..32, and the final newline
  });

  it("prints nothing for an empty map", async () => {
    const obj = await load(fixture("bitehist.o"));
    let text = "";
    printLog2Hist(obj.get("dist"), "kbytes", (s) => {
      text += s;
    });
    expect(text).toBe("");
  });
});

describe("ring buffer and perf consumers", () => {
  it("consume(cb) and for await (const e of map.events())", async () => {
    const obj = await load(fixture("ringbuf.o"));
    const produce = obj.programs.get("produce")!;
    produce.run(bytes(2, 7, 4));
    const seen: Uint8Array[] = [];
    expect(obj.get("events").consume((d) => seen.push(d))).toBe(3);
    const event = (seq: number, value: number) => {
      const e = new Uint8Array(16);
      const v = new DataView(e.buffer);
      v.setUint32(0, seq, true);
      v.setUint32(4, value, true);
      v.setBigUint64(8, BigInt(value * value), true);
      return e;
    };
    const summary = (count: number, odd: number) => new Uint8Array(new Uint32Array([count, odd]).buffer);
    expect(seen).toEqual([event(0, 2), event(2, 4), summary(3, 1)]);
    expect(
      obj.get("events").consume(() => {
        throw new Error("no events expected");
      }),
    ).toBe(0);
    produce.run(bytes(8));
    const streamed: Uint8Array[] = [];
    for await (const e of obj.get("events").events()) streamed.push(e);
    expect(streamed).toEqual([event(0, 8), summary(1, 0)]);
  });

  it("perf event array records through consume", async () => {
    const obj = await load(fixture("maps_all.o"));
    obj.programs.get("touch_events")!.run(bytes(0xde, 0xad, 0xbe, 0xef));
    const perf: Uint8Array[] = [];
    expect(obj.get("perf").consume((d) => perf.push(d))).toBe(1);
    expect(perf).toEqual([bytes(0xde, 0xad, 0xbe, 0xef)]);
    const ring: Uint8Array[] = [];
    for await (const e of obj.get("events").events()) ring.push(e);
    expect(ring).toEqual([bytes(0xde, 0xad, 0xbe, 0xef)]);
  });

  it("consume on a map that holds no events is a MapError", async () => {
    const obj = await load(fixture("bitehist.o"));
    expect(() => obj.get("dist").consume(() => {})).toThrow(
      new MapError("map 'dist' is not a ring buffer or perf event array"),
    );
  });
});

describe("errors", () => {
  it("a fault is a BpfFault naming the program and the instruction", async () => {
    const obj = await load(fixture("maps_all.o"));
    const prog = obj.programs.get("touch_arrays")!;
    const pc = firstByteLoadFromR1(prog.def.insns);
    let err: unknown;
    try {
      prog.run(new Uint8Array(0));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfFault);
    expect((err as BpfFault).name).toBe("BpfFault");
    expect((err as BpfFault).message).toBe(`touch_arrays: out-of-bounds read of 1 bytes at 0x0 (instruction ${pc})`);
    // The object stays usable after a fault.
    expect(int32(prog.run(bytes(1, 0, 0, 0)))).toBe(0);
    expect(obj.get("array").lookup(1)).toBe(1n);
  });

  it("a fault after a tail call names the program that faulted", async () => {
    const obj = await load(fixture("tailcall.o"));
    const pc = firstByteLoadFromR1(obj.programs.get("step1")!.def.insns);
    // entry tail-calls step0, which tail-calls step1; step1 reads in[0] from an empty input.
    expect(() => obj.programs.get("entry")!.run(new Uint8Array(0))).toThrow(
      `step1: out-of-bounds read of 1 bytes at 0x0 (instruction ${pc})`,
    );
  });

  it("unknown program and map names", async () => {
    const obj = await load(fixture("sockex1.o"));
    expect(obj.programs.get("nope")).toBeUndefined();
    expect(() => obj.program("nope")).toThrow("sockex1.o: no program named 'nope' (programs: bpf_prog1)");
    expect(() => obj.get("nope")).toThrow("sockex1.o: no map named 'nope' (maps: my_map)");
    expect(() => obj.setTailCall("my_map", 0, "nope")).toThrow(/no program named 'nope'/);
  });

  it("ELF errors and missing files", async () => {
    const good = new Uint8Array(readFileSync(fixture("sockex1.o")));
    await expect(load(bytes(1, 2, 3, 4), { fileName: "junk.o" })).rejects.toThrow(ElfError);
    await expect(load(bytes(1, 2, 3, 4), { fileName: "junk.o" })).rejects.toThrow(/^junk\.o: /);
    await expect(load(good.slice(0, 40), { fileName: "short.o" })).rejects.toThrow(ElfError);
    await expect(load(new Uint8Array(good.length), { fileName: "zeros.o" })).rejects.toThrow(ElfError);
    const missing = fixture("no-such-object.o");
    await expect(load(missing)).rejects.toThrow(`${missing}: no such file`);
    expect(() => loadSync(bytes(0x7f, 0x45, 0x4c, 0x46))).toThrow(ElfError);
  });
});
