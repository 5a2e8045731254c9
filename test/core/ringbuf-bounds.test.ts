// A reserved ring-buffer sample is the only part of the ring a program may touch, and only until it submits or
// discards it (as the kernel's verifier allows); the consumer refuses a record whose header leaves the data the
// producer wrote. Programs are assembled here and run on the interpreter and on the Wasm engine, which must fault
// alike.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../src/tools/asm.js";
import { Runtime, type MapSpec } from "../../src/runtime/runtime.js";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { BpfFault } from "../../src/runtime/faults.js";
import { BpfMap, MapError } from "../../src/api/bpf-map.js";
import { MAPS, MAP_DESC_SIZE, STATE, ST_REGION_COUNT } from "../../assembly/layout.js";
import { MD_VALUES, MD_BUCKETS, RINGBUF_BUSY_BIT, RINGBUF_MAX_OPEN } from "../../assembly/maps/desc.js";

const ENGINES = ["interp", "wasm"] as const;
const RING = 0;
const PERF = 1;
const SPECS: MapSpec[] = [
  { name: "ring", type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 },
  { name: "perf", type: 4, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 },
];
const MAP_MARK = 0x7e570000;

beforeAll(() => loadEngines());

/** Assembles `lines`; `lddw %rN, map(i)` becomes the PSEUDO_MAP_FD load of map i. */
function program(lines: string[]): Uint8Array {
  const code = assemble(lines.join("\n"));
  const v = new DataView(code.buffer);
  for (let at = 0; at < code.length; at += 8) {
    const imm = v.getUint32(at + 4, true);
    if (code[at] === 0x18 && (imm & 0xffff0000) === MAP_MARK) {
      code[at + 1] |= 1 << 4;
      v.setUint32(at + 4, imm & 0xffff, true);
    }
  }
  return code;
}
const map = (reg: number, index: number) => `lddw %r${reg}, ${MAP_MARK + index}`;
/** r6 = bpf_ringbuf_reserve(ring, size, 0), instructions 0-8 of a program; returns 99 when it fails. */
const reserve = (size: number) => [
  map(1, RING),
  `mov %r2, ${size}`,
  "mov %r3, 0",
  "call 131",
  "mov %r6, %r0",
  "jne %r6, 0, +2",
  "mov %r0, 99",
  "exit",
];
const submit = ["mov %r1, %r6", "mov %r2, 0", "call 132"];

function setup() {
  const rt = new Runtime();
  rt.createMaps(SPECS);
  const field = (index: number, offset: number) =>
    rt.core.view.getUint32(MAPS + rt.mapIds[index] * MAP_DESC_SIZE + offset, true);
  return { rt, ringData: field(RING, MD_VALUES), perfBuffer: field(PERF, MD_BUCKETS) };
}

/** The fault message of running `lines`, or "no fault". */
function faultOf(lines: string[], engine: string): string {
  const { rt } = setup();
  const prog = rt.addProgram("prog", program(lines));
  try {
    rt.run(prog, {}, engine as "interp");
    return "no fault";
  } catch (e) {
    if (e instanceof BpfFault) return e.message;
    throw e;
  }
}

describe("a program touches only the sample it reserved", () => {
  // The first record of an empty ring has its header at the start of the data area, its sample 8 bytes on. Fault
  // reports name an address in the ring by its offset in the ring's data area, whatever the engine's layout.
  const ring = (offset: number) => `map "ring"+0x${offset.toString(16)}`;

  it("writing its own record header faults, naming the instruction and the offset in the ring, on every engine", () => {
    const lines = [
      ...reserve(8), // instructions 0-8
      "stdw [%r6+0], 7", // 9: inside the sample
      `lddw %r1, ${(0x3fffffff | RINGBUF_BUSY_BIT) >>> 0}`, // 10-11
      "stxw [%r6-8], %r1", // 12: the header's length word
      ...submit,
      "mov %r0, 0",
      "exit",
    ];
    const want = `prog: out-of-bounds write of 4 bytes at ${ring(0)} (instruction 12)`;
    for (const engine of ENGINES) expect(faultOf(lines, engine), engine).toBe(want);
  });

  it("writes within the sample work; one byte past it, or a read of the header, faults", () => {
    const inside = [...reserve(12), "stw [%r6+8], 0x44332211", "stb [%r6+0], 5", ...submit, "mov %r0, 0", "exit"];
    const past = [...reserve(12), "stw [%r6+8], 1", "stb [%r6+12], 1", ...submit, "mov %r0, 0", "exit"];
    const header = [...reserve(12), "ldxw %r0, [%r6-8]", "exit"];
    for (const engine of ENGINES) {
      const { rt } = setup();
      rt.run(rt.addProgram("prog", program(inside)), {}, engine);
      const got: Uint8Array[] = [];
      new BpfMap(rt, RING, SPECS[RING]).consume((d) => got.push(d));
      expect(got, engine).toEqual([new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44])]);
      expect(faultOf(past, engine), engine).toBe(
        `prog: out-of-bounds write of 1 bytes at ${ring(8 + 12)} (instruction 10)`,
      );
      expect(faultOf(header, engine), engine).toBe(`prog: out-of-bounds read of 4 bytes at ${ring(0)} (instruction 9)`);
    }
  });

  it("after submit or discard the sample is gone: a write faults", () => {
    for (const [helper, name] of [
      [132, "submit"],
      [133, "discard"],
    ] as const) {
      const lines = [
        ...reserve(16),
        "stdw [%r6+0], 1",
        "mov %r1, %r6",
        "mov %r2, 0",
        `call ${helper}`,
        "stdw [%r6+8], 2",
        "mov %r0, 0",
        "exit",
      ];
      const want = `prog: out-of-bounds write of 8 bytes at ${ring(8 + 8)} (instruction 13)`;
      for (const engine of ENGINES) expect(faultOf(lines, engine), `${name} on ${engine}`).toBe(want);
    }
  });

  it("submit of a header forged inside a sample is refused", () => {
    // 64-byte sample; at offset 16 a BUSY header for 8 bytes of map 0, then submit of what would be its data.
    const lines = [
      ...reserve(64),
      `lddw %r1, ${(8 | RINGBUF_BUSY_BIT) >>> 0}`,
      "stxw [%r6+16], %r1",
      "stw [%r6+20], 0",
      "mov %r1, %r6",
      "add %r1, 24",
      "mov %r2, 0",
      "call 132",
      "mov %r0, 0",
      "exit",
    ];
    for (const engine of ENGINES) {
      expect(faultOf(lines, engine), engine).toBe(
        `prog: helper argument ${ring(8 + 24)} is not a reserved ring buffer sample (instruction 16)`,
      );
    }
  });

  it(`at most ${RINGBUF_MAX_OPEN} samples are open at once; more reservations get NULL and the region table keeps its size`, () => {
    // Reserve 40 8-byte samples, keeping each pointer on the stack, then submit the ones that were granted; r0 is
    // the number granted.
    const lines = ["mov %r7, 0"];
    for (let i = 0; i < 40; i++) {
      lines.push(
        map(1, RING),
        "mov %r2, 8",
        "mov %r3, 0",
        "call 131",
        `stxdw [%r10-${8 * (i + 1)}], %r0`,
        "jeq %r0, 0, +1",
        "add %r7, 1",
      );
    }
    for (let i = 0; i < 40; i++)
      lines.push(`ldxdw %r1, [%r10-${8 * (i + 1)}]`, "jeq %r1, 0, +2", "mov %r2, 0", "call 132");
    lines.push("mov %r0, %r7", "exit");
    for (const engine of ENGINES) {
      const { rt } = setup();
      const regions = () => rt.core.view.getUint32(STATE + ST_REGION_COUNT, true);
      const before = regions();
      const prog = rt.addProgram("prog", program(lines));
      for (let run = 0; run < 2; run++) {
        expect(rt.run(prog, {}, engine).r0, engine).toBe(BigInt(RINGBUF_MAX_OPEN));
        expect(regions(), engine).toBe(before);
        expect(
          new BpfMap(rt, RING, SPECS[RING]).consume(() => {}),
          engine,
        ).toBe(RINGBUF_MAX_OPEN);
      }
    }
  });
});

describe("the consumer refuses a record header that leaves the data written", () => {
  /** Runs a program that emits two 8-byte records (values 1 and 2) into map `index` on every engine. */
  function emitTwo(index: number) {
    const s = setup();
    const out = (value: number) =>
      index === RING
        ? [
            `stdw [%r10-8], ${value}`,
            map(1, RING),
            "mov %r2, %r10",
            "add %r2, -8",
            "mov %r3, 8",
            "mov %r4, 0",
            "call 130",
          ]
        : [
            `stdw [%r10-8], ${value}`,
            "mov %r1, 0",
            map(2, PERF),
            "mov %r3, 0",
            "mov %r4, %r10",
            "add %r4, -8",
            "mov %r5, 8",
            "call 25",
          ];
    s.rt.run(s.rt.addProgram("emit", program([...out(1), ...out(2), "mov %r0, 0", "exit"])));
    return s;
  }
  const u64le = (x: number) => new Uint8Array(new BigUint64Array([BigInt(x)]).buffer);

  for (const [name, index] of [
    ["ring buffer", RING],
    ["perf event array", PERF],
  ] as const) {
    it(`${name}: the records before a bad length arrive, then consume() throws and keeps refusing`, () => {
      for (const bad of [0x3fffffff, 100, 9]) {
        const s = emitTwo(index);
        const m = new BpfMap(s.rt, index, SPECS[index]);
        // Both records are 16 bytes (8-byte header, 8 bytes of data): the second header is 16 bytes in.
        const second = (index === RING ? s.ringData : s.perfBuffer) + 16;
        s.rt.core.view.setUint32(second, bad, true);
        const got: Uint8Array[] = [];
        const message = new RegExp(`^map '${SPECS[index].name}': corrupt record at position 16 \\(length ${bad}`);
        expect(() => m.consume((d) => got.push(d)), `length ${bad}`).toThrow(message);
        expect(got).toEqual([u64le(1)]);
        expect(() => m.consume(() => {}), `length ${bad}`).toThrow(message);
      }
    });
  }

  it("events() yields the good records, then throws", async () => {
    const s = emitTwo(RING);
    s.rt.core.view.setUint32(s.ringData + 16, 0x3fffffff, true);
    const got: Uint8Array[] = [];
    await expect(
      (async () => {
        for await (const e of new BpfMap(s.rt, RING, SPECS[RING]).events()) got.push(e);
      })(),
    ).rejects.toThrow(MapError);
    expect(got).toEqual([u64le(1)]);
  });
});
