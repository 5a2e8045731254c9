// A reserved ring-buffer sample is the only part of the ring a program may touch, and only until it submits or
// discards it (as the kernel's verifier allows); the consumer refuses a record whose header leaves the data the
// producer wrote. The hostile programs are the table of test/support/ringbuf-programs.ts (the ARM32 executables
// run it too); here they run on the interpreter and on the Wasm engine, which must end alike.
import { beforeAll, describe, expect, it } from "vitest";
import { Runtime } from "../../src/runtime/runtime.js";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { BpfFault, describeFault } from "../../src/runtime/faults.js";
import { BpfMap, MapError } from "../../src/api/bpf-map.js";
import { MAPS, MAP_DESC_SIZE, STATE, ST_REGION_COUNT } from "../../assembly/layout.js";
import { MD_VALUES, MD_BUCKETS } from "../../assembly/maps/desc.js";
import {
  PERF,
  RING,
  RINGBUF_CASES,
  RINGBUF_MAPS as SPECS,
  map,
  reserve,
  ringbufProgram as program,
  submit,
} from "../support/ringbuf-programs.js";

const ENGINES = ["interp", "wasm"] as const;

beforeAll(() => loadEngines());

function setup() {
  const rt = new Runtime();
  rt.createMaps(SPECS);
  const field = (index: number, offset: number) =>
    rt.core.view.getUint32(MAPS + rt.mapIds[index] * MAP_DESC_SIZE + offset, true);
  return { rt, ringData: field(RING, MD_VALUES), perfBuffer: field(PERF, MD_BUCKETS) };
}

/** r0 (decimal) of the last of `repeat` runs, or the fault line without the program's name. */
function outcome(lines: string[], engine: (typeof ENGINES)[number], repeat = 1): string {
  const { rt } = setup();
  const prog = rt.addProgram("prog", program(lines));
  try {
    let r0 = 0n;
    for (let k = 0; k < repeat; k++) r0 = rt.run(prog, {}, engine).r0;
    return r0.toString();
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

describe("a program touches only the sample it reserved", () => {
  for (const c of RINGBUF_CASES) {
    it(c.name, () => {
      for (const engine of ENGINES) expect(outcome(c.lines, engine, c.repeat), engine).toBe(c.want);
    });
  }

  it("a fault line names the program", () => {
    const { rt } = setup();
    const prog = rt.addProgram("prog", program([...reserve(12), "ldxw %r0, [%r6-8]", "exit"]));
    expect(() => rt.run(prog)).toThrow(/^prog: out-of-bounds read of 4 bytes at map "ring"\+0x0 \(instruction 9\)$/);
  });

  it("what a program writes within its sample is what the consumer reads", () => {
    const inside = [...reserve(12), "stw [%r6+8], 0x44332211", "stb [%r6+0], 5", ...submit, "mov %r0, 0", "exit"];
    for (const engine of ENGINES) {
      const { rt } = setup();
      rt.run(rt.addProgram("prog", program(inside)), {}, engine);
      const got: Uint8Array[] = [];
      new BpfMap(rt, RING, SPECS[RING]).consume((d) => got.push(d));
      expect(got, engine).toEqual([new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44])]);
    }
  });

  it("reservations beyond the bound leave the region table its size, and every granted sample is consumed", () => {
    const forty = RINGBUF_CASES.find((c) => c.name.includes("40 reservations"))!;
    for (const engine of ENGINES) {
      const { rt } = setup();
      const regions = () => rt.core.view.getUint32(STATE + ST_REGION_COUNT, true);
      const before = regions();
      const prog = rt.addProgram("prog", program(forty.lines));
      for (let run = 0; run < 2; run++) {
        expect(rt.run(prog, {}, engine).r0.toString(), engine).toBe(forty.want);
        expect(regions(), engine).toBe(before);
        expect(
          new BpfMap(rt, RING, SPECS[RING]).consume(() => {}),
          engine,
        ).toBe(Number(forty.want));
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
