// A reserved ring-buffer sample is the only part of the ring a program may touch, and only until it submits or
// discards it, in ARM32 executables as in the core (test/core/ringbuf-bounds.test.ts): the same programs run on the
// interpreter, the Wasm engine and, under qemu-arm, as executables, and must end alike, fault lines included: each
// engine keeps the ring at its own address, and fault lines name an address by its offset in the ring.
import { beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { buildArm32Executable } from "../../../src/engines/arm32/build.js";
import { layoutMaps, linkForArm32 } from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { RINGBUF_BUSY_BIT, RINGBUF_MAX_OPEN } from "../../../assembly/maps/desc.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const RING = 0;
const DEFS: MapDef[] = [
  { name: "ring", type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0, section: ".maps" },
  { name: "perf", type: 4, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, section: ".maps" },
];
const MAP_MARK = 0x7e570000;
let dir = "";

beforeAll(async () => {
  ensureArm32Translator();
  await loadEngines();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-ringbuf-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

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

const ENGINES = ["interp", "wasm", "arm32"] as const;
type EngineName = (typeof ENGINES)[number];

/** An address in the ring as fault reports name it: its offset in the ring's data area, the same on every engine. */
const ring = (offset: number) => `map "ring"+0x${offset.toString(16)}`;

/** r0 (decimal) of the last of `repeat` runs, or the fault line without the program's name. */
function outcome(lines: string[], engine: EngineName, repeat = 1): string {
  const code = program(lines);
  if (engine === "arm32") {
    const layout = layoutMaps(DEFS);
    const exe = buildArm32Executable(linkForArm32("prog", code, layout, DEFS), { maps: layout.maps });
    const path = join(dir, `prog-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, exe);
    chmodSync(path, 0o755);
    const r = spawnSync("qemu-arm", [path, "--repeat", String(repeat)], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 1) return r.stderr.trim();
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split("\n")[0];
  }
  const rt = new Runtime();
  rt.createMaps(DEFS);
  const prog = rt.addProgram("prog", code);
  try {
    let r0 = 0n;
    for (let k = 0; k < repeat; k++) r0 = rt.run(prog, {}, engine).r0;
    return r0.toString();
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

describe("ARM32 executables confine a program to the sample it reserved, as the core does", () => {
  it("writing its own record header faults", () => {
    const lines = [
      ...reserve(8), // instructions 0-8
      "stdw [%r6+0], 7", // 9: inside the sample
      `lddw %r1, ${(0x3fffffff | RINGBUF_BUSY_BIT) >>> 0}`, // 10-11
      "stxw [%r6-8], %r1", // 12: the header's length word
      ...submit,
      "mov %r0, 0",
      "exit",
    ];
    for (const e of ENGINES) {
      expect(outcome(lines, e), e).toBe(`out-of-bounds write of 4 bytes at ${ring(0)} (instruction 12)`);
    }
  });

  it("writes within the sample work; one byte past it, or a read of the header, faults", () => {
    const inside = [
      ...reserve(12),
      "stw [%r6+8], 0x44332211",
      "stb [%r6+0], 5",
      "ldxw %r7, [%r6+8]",
      ...submit,
      "mov %r0, %r7",
      "exit",
    ];
    const past = [...reserve(12), "stw [%r6+8], 1", "stb [%r6+12], 1", ...submit, "mov %r0, 0", "exit"];
    const header = [...reserve(12), "ldxw %r0, [%r6-8]", "exit"];
    for (const e of ENGINES) {
      expect(outcome(inside, e), e).toBe(String(0x44332211));
      expect(outcome(past, e), e).toBe(`out-of-bounds write of 1 bytes at ${ring(8 + 12)} (instruction 10)`);
      expect(outcome(header, e), e).toBe(`out-of-bounds read of 4 bytes at ${ring(0)} (instruction 9)`);
    }
  });

  it("after submit or discard the sample is gone: a write faults", () => {
    for (const helper of [132, 133]) {
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
      for (const e of ENGINES) {
        expect(outcome(lines, e), `${helper} on ${e}`).toBe(
          `out-of-bounds write of 8 bytes at ${ring(8 + 8)} (instruction 13)`,
        );
      }
    }
  });

  it("submit of a header forged inside a sample is refused, naming the pointer", () => {
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
    for (const e of ENGINES) {
      expect(outcome(lines, e), e).toBe(
        `helper argument ${ring(8 + 24)} is not a reserved ring buffer sample (instruction 16)`,
      );
    }
  });

  it(`at most ${RINGBUF_MAX_OPEN} samples are open at once: 40 reservations give ${RINGBUF_MAX_OPEN}, run after run`, () => {
    // Reserve 40 8-byte samples, keeping each pointer on the stack, then submit the ones that were granted; r0 is
    // the number granted. Every sample is submitted, so the second run is granted as many again.
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
    for (const e of ENGINES) expect(outcome(lines, e, 2), e).toBe(String(RINGBUF_MAX_OPEN));
  });

  it("a sample left open stays open in the next runs and counts against the bound", () => {
    // Each run keeps one sample open (never submitted), then tries one more reservation, discarded at once: r0 = 1
    // when it was granted. Before run k, k - 1 samples are open: run 31 ends with 31 + 1 granted, run 32 keeps the
    // 32nd and is refused the extra one.
    const lines = [
      ...reserve(8),
      "stdw [%r6+0], 1",
      map(1, RING),
      "mov %r2, 8",
      "mov %r3, 0",
      "call 131",
      "jeq %r0, 0, +4",
      "mov %r1, %r0",
      "mov %r2, 0",
      "call 133",
      "mov %r0, 1",
      "exit",
    ];
    for (const e of ENGINES) {
      expect(outcome(lines, e, RINGBUF_MAX_OPEN - 1), e).toBe("1");
      expect(outcome(lines, e, RINGBUF_MAX_OPEN), e).toBe("0");
    }
  });
});
