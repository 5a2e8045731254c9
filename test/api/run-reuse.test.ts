// Program.run reuses what it can from one run to the next: the core's views over linear memory, the input and
// context areas, and the packet left in memory (copied out only when lastPacket is read or the next run would
// overwrite it). These tests are the cases where such reuse could carry state from one run into another: a
// context field a program wrote, a packet longer than the next one, memory that grew between runs, two programs
// of one object taking turns. Expected values are computed here from the inputs.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { loadSync, type LoadedObject } from "../../src/api/object.js";
import { assemble } from "../../src/tools/asm.js";
import { writeObject } from "../../src/trace/elf-writer.js";
import type { ProgramCode } from "../../src/trace/codegen.js";
import { fixture } from "../support/paths.js";

const ENGINES = ["interp", "wasm"] as const;

beforeAll(async () => {
  await loadEngines();
});

/** An object of programs written in assembly, each in its own section (the section gives its type). */
function objectOf(programs: { section: string; name: string; source: string }[], engine: string): LoadedObject {
  const code = programs.map(
    (p) => ({ section: p.section, name: p.name, insns: assemble(p.source), relocations: [] }) as unknown as ProgramCode,
  );
  const bytes = writeObject({ programs: code, maps: [], bss: { symbol: "unused", size: 8 } });
  return loadSync(bytes, { engine: engine as "interp", fileName: "reuse.o" });
}

// A socket filter returning what cb[0] held when it started, then storing the packet's length there.
const CB_CARRY = `
  ldxw %r0, [%r1+48]
  ldxw %r2, [%r1+0]
  stxw [%r1+48], %r2
  exit`;

// An XDP program that adds `delta` to every byte of its packet and returns the packet's length.
const xdpAdd = (delta: number) => `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r0, %r3
  sub %r0, %r2
loop:
  jge %r2, %r3, done
  ldxb %r4, [%r2]
  add32 %r4, ${delta}
  stxb [%r2], %r4
  add %r2, 1
  ja loop
done:
  exit`;

const frame = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
const added = (p: Uint8Array, delta: number) => p.map((b) => (b + delta) & 0xff);

describe.each(ENGINES)("runs that reuse buffers (%s)", (engine) => {
  it("a context field a program wrote does not reach the next run: each __sk_buff starts zeroed", () => {
    const prog = objectOf([{ section: "socket", name: "cb_carry", source: CB_CARRY }], engine).program();
    expect(prog.run({ packet: frame(60, 1) })).toBe(0n);
    // The first run stored 60 in cb[0]; the kernel gives every packet a fresh cb[], and so must the runtime.
    expect(prog.run({ packet: frame(42, 2) })).toBe(0n);
    expect(prog.run(frame(100, 3))).toBe(0n);
  });

  it("a shorter packet after a longer one the program rewrote: its own length and bytes, nothing left over", () => {
    const prog = objectOf([{ section: "xdp", name: "add1", source: xdpAdd(1) }], engine).program();
    const long = frame(300, 5);
    const short = frame(17, 9);
    expect(prog.run({ packet: long })).toBe(300n);
    expect(prog.lastPacket).toEqual(added(long, 1));
    expect(prog.run({ packet: short })).toBe(17n);
    expect(prog.lastPacket).toEqual(added(short, 1));
    expect(short).toEqual(frame(17, 9)); // the caller's bytes are left alone
    expect(prog.run({ packet: new Uint8Array(0) })).toBe(0n);
    expect(prog.lastPacket).toEqual(new Uint8Array(0));
  });

  it("two programs of one object taking turns: each keeps the packet its own last run left", () => {
    const obj = objectOf(
      [
        { section: "xdp", name: "add1", source: xdpAdd(1) },
        { section: "xdp.frags", name: "add100", source: xdpAdd(100) },
      ],
      engine,
    );
    const a = obj.program("add1");
    const b = obj.program("add100");
    const p1 = frame(64, 11);
    const p2 = frame(64, 23);
    a.run({ packet: p1 });
    b.run({ packet: p2 }); // lands where a's packet was
    expect(a.lastPacket).toEqual(added(p1, 1));
    expect(b.lastPacket).toEqual(added(p2, 100));
    a.run({ packet: p2 });
    expect(b.lastPacket).toEqual(added(p2, 100));
    expect(a.lastPacket).toEqual(added(p2, 1));
    // A run without a packet leaves none to read, and does not disturb the other program's.
    b.run({ packet: p1 });
    expect(a.run({ ctx: new Uint8Array(24) })).toBe(0n); // an xdp_md of zeros: an empty packet at 0
    expect(a.lastPacket).toBeUndefined();
    expect(b.lastPacket).toEqual(added(p1, 100));
  });

  it("linear memory that grew between runs: the next run, its packet and the maps see the new memory", () => {
    const obj = loadSync(new Uint8Array(readFileSync(fixture("sockex1.o"))), { engine, fileName: "sockex1.o" });
    const prog = obj.program("bpf_prog1");
    const packet = frame(80, 0);
    packet[23] = 17; // IPv4 protocol byte: sockex1 adds the packet's length to my_map[17]
    prog.run({ packet });
    const memory = obj.runtime.core.x.memory;
    const before = memory.buffer.byteLength;
    expect(obj.runtime.core.x.allocBytes(before)).toBeGreaterThan(0);
    expect(memory.buffer.byteLength).toBeGreaterThan(before);
    expect(prog.lastPacket).toEqual(packet); // copied out of the grown memory
    prog.run({ packet });
    obj.runtime.core.x.allocBytes(memory.buffer.byteLength);
    expect(prog.lastPacket).toEqual(packet);
    expect(obj.get("my_map").lookup(17)).toBe(160n);
  });
});
