// XDP programs and tail calls in ARM32 executables, under qemu-arm: every result is compared with the
// interpreter's, byte for byte where the CLI prints JSON (`tinybpf run --json`).
import { describe, it, expect, beforeAll } from "vitest";
import { writeFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { loadSync, type LoadedObject, type Program } from "../../../src/api/object.js";
import { commands, dumpMaps } from "../../../src/cli/object-commands.js";
import { parseArgs } from "../../../src/cli/args.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfMap, plainCodec } from "../../../src/api/bpf-map.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { xdpContext } from "../../../src/runtime/contexts.js";
import { buildArm32Executable, Arm32Error } from "../../../src/engines/arm32/build.js";
import {
  buildExecutable,
  runExecutable,
  layoutMaps,
  linkForArm32,
  executablePrograms,
  Arm32RunError,
} from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const root = join(import.meta.dirname, "..", "..", "..");
const fixture = (name: string) => join(root, "test", "fixtures", name);
let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-xdp-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

/** What `tinybpf run ARGS --json` prints, computed by the interpreter in this process. */
async function interpreterJson(argv: string[]): Promise<string> {
  let out = "";
  await commands.run(parseArgs([...argv.slice(1), "--json", "--engine", "interp"]), (s) => (out += s + "\n"));
  return out;
}

/** The interpreter's fault line for `tinybpf run ARGS` (undefined when the run does not fault). */
async function interpreterFault(argv: string[]): Promise<string | undefined> {
  try {
    await interpreterJson(argv);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function runFile(exe: Uint8Array, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const path = file(`exe-${Math.random().toString(36).slice(2)}`, exe);
  chmodSync(path, 0o755);
  return spawnSync("qemu-arm", ["-cpu", "cortex-a8", path, ...args], { encoding: "utf8", timeout: 60_000 });
}

/** An Ethernet frame: EtherType, then an IPv4 header whose protocol byte (frame[23]) is `proto`. */
function frame(etherType: number, proto: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < 12; i++) f[i] = 0x10 + i;
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  if (length > 23) f[23] = proto;
  return f;
}

describe("XDP programs see struct xdp_md and a writable packet", () => {
  it("xdp.o over the sockex1 captures prints what `tinybpf run --json` prints", async () => {
    for (const o of ["xdp.o", "xdp.v4.o"]) {
      const obj = loadSync(fixture(o));
      const prog = obj.program();
      console.log(`${o}: ${buildExecutable(obj, prog).length} bytes`);
      for (const [capture, repeat] of [
        ["pcap/sockex1.pcap", 1],
        ["pcap/sockex1-be-ns.pcap", 2],
        ["pcap/sockex1.pcapng", 1],
      ] as const) {
        const pcap = fixture(capture);
        const json = runExecutable(obj, prog, { pcap, repeat, json: true });
        expect(json).toBe(await interpreterJson(["run", fixture(o), "--pcap", pcap, "--repeat", String(repeat)]));
        if (capture === "pcap/sockex1.pcap" && repeat === 1) expect(JSON.parse(json).runs).toBe(42);
      }
    }
  });

  it("xdp.o over one frame (--mem): short, not IPv4, IPv4 too short, ICMP, UDP (XDP_TX, MACs swapped), TCP", async () => {
    const obj = loadSync(fixture("xdp.o"));
    const frames: [string, Uint8Array, string][] = [
      ["short", frame(0x0800, 1, 13), "0"],
      ["arp", frame(0x0806, 0), "2"],
      ["ipv4-short", frame(0x0800, 17, 33), "0"],
      ["icmp", frame(0x0800, 1), "1"],
      ["udp", frame(0x0800, 17), "3"],
      ["tcp", frame(0x0800, 6), "2"],
      ["empty", new Uint8Array(0), "0"],
    ];
    for (const [name, bytes, r0] of frames) {
      const mem = file(`xdp-${name}`, bytes);
      const json = runExecutable(obj, obj.program(), { mem, repeat: 3, json: true });
      expect(json).toBe(await interpreterJson(["run", fixture("xdp.o"), "--mem", mem, "--repeat", "3"]));
      expect(JSON.parse(json).r0).toBe(r0);
    }
  });

  // Raw programs: r1 = struct xdp_md, r2 = its size, through the executable and through the interpreter.
  function interpretXdp(code: Uint8Array, packet: Uint8Array, runs = 1): string {
    const rt = new Runtime();
    const prog = rt.addProgram("xdp", code, "xdp");
    let r0 = 0n;
    try {
      for (let k = 0; k < runs; k++) {
        r0 = rt.run(prog, { packet: { bytes: packet }, buildCtx: (dataAddr) => xdpContext(packet, { dataAddr }) }).r0;
      }
    } catch (e) {
      if (e instanceof BpfFault) return describeFault(e.info);
      throw e;
    }
    return r0.toString();
  }
  function armXdp(code: Uint8Array, packet: Uint8Array, runs = 1): string {
    const r = runFile(buildArm32Executable(code, { xdp: true }), [
      "--mem",
      file(`p-${Math.random()}`, packet),
      "--repeat",
      String(runs),
    ]);
    if (r.status === 1) return r.stderr.trim();
    expect(r.status).toBe(0);
    return r.stdout.trim();
  }
  const noAddress = (s: string) => s.replace(/at 0x[0-9a-f]+/, "at ADDR");

  it("builds struct xdp_md as src/runtime/contexts.ts xdpContext does: every field, r2 = its size", () => {
    const code = assemble(
      [
        "mov %r9, %r2", // 24
        "ldxw %r3, [%r1+0]",
        "ldxw %r4, [%r1+4]",
        "ldxw %r5, [%r1+8]", // data, data_end, data_meta
        "sub %r4, %r3",
        "sub %r5, %r3", // length, 0
        "ldxw %r6, [%r1+12]",
        "ldxw %r7, [%r1+16]",
        "ldxw %r8, [%r1+20]", // ingress_ifindex 1, rx queue 0, egress 0
        "mov %r0, %r9",
        "lsh %r0, 8",
        "or %r0, %r4",
        "lsh %r0, 8",
        "or %r0, %r5",
        "lsh %r0, 8",
        "or %r0, %r6",
        "lsh %r0, 8",
        "or %r0, %r7",
        "lsh %r0, 8",
        "or %r0, %r8",
        "exit",
      ].join("\n"),
    );
    const packet = frame(0x0800, 17, 77);
    const r0 = armXdp(code, packet);
    expect(r0).toBe(interpretXdp(code, packet));
    expect(BigInt(r0)).toBe((24n << 40n) | (77n << 32n) | (1n << 16n));
  });

  it("gives each run a fresh copy of the packet, which the program may write; LD_ABS reads it too", () => {
    const code = assemble(
      [
        "ldxw %r2, [%r1+0]",
        "ldxb %r0, [%r2+0]",
        "mov %r3, %r0",
        "add %r3, 1",
        "stxb [%r2+0], %r3",
        "ldxb %r4, [%r2+0]",
        "lsh %r4, 8",
        "or %r0, %r4",
        "ldabsh 12",
        "exit",
      ].join("\n"),
    );
    const packet = frame(0x0806, 0);
    expect(armXdp(code, packet, 3)).toBe(interpretXdp(code, packet, 3));
    const plain = assemble(
      [
        "ldxw %r2, [%r1+0]",
        "ldxb %r0, [%r2+0]",
        "add %r0, 1",
        "stxb [%r2+0], %r0",
        "ldxw %r3, [%r1+4]",
        "ldxb %r3, [%r3-1]",
        "lsh %r3, 8",
        "or %r0, %r3",
        "exit",
      ].join("\n"),
    );
    expect(armXdp(plain, packet, 3)).toBe(interpretXdp(plain, packet, 3));
    expect(armXdp(plain, packet, 3)).toBe(String(0x11));
  });

  it("faults like the interpreter: context writes, reads past data_end", () => {
    const write = assemble("mov %r0, 2\nstxw [%r1+12], %r0\nexit");
    const past = assemble("ldxw %r2, [%r1+4]\nldxb %r0, [%r2+0]\nexit");
    const packet = frame(0x0800, 6);
    for (const code of [write, past]) {
      const arm = armXdp(code, packet);
      expect(arm).toMatch(
        /^(out-of-bounds read|write) of \d bytes (to read-only memory )?at (context|packet)\+0x[0-9a-f]+ \(instruction 1\)$/,
      );
      expect(noAddress(arm)).toBe(noAddress(interpretXdp(code, packet)));
    }
  });
});

describe("tail calls agree with the interpreter", () => {
  const tailcall = fixture("tailcall.o");
  const inputA = () => file("tc-A", new Uint8Array([65, 1, 2]));

  it("tailcall.o: every program, the 33-call limit, maps printed as `run --json` prints them", async () => {
    const obj = loadSync(tailcall);
    for (const name of ["entry", "step0", "step1", "spin"]) {
      const prog = obj.program(name);
      console.log(
        `tailcall.o ${name}: ${buildExecutable(obj, prog).length} bytes, ` +
          `${executablePrograms(obj, prog)
            .map((p) => p.name)
            .join(", ")}`,
      );
      for (const repeat of [1, 3]) {
        const json = runExecutable(obj, prog, { mem: inputA(), repeat, json: true });
        expect(json).toBe(
          await interpreterJson(["run", tailcall, "--prog", name, "--mem", inputA(), "--repeat", String(repeat)]),
        );
      }
    }
    expect(JSON.parse(runExecutable(obj, obj.program("spin"), { mem: inputA(), json: true })).r0).toBe("34");
    expect(JSON.parse(runExecutable(obj, obj.program("entry"), { mem: inputA(), json: true })).r0).toBe("85");
  });

  it("holds only what a chain can reach", () => {
    const obj = loadSync(tailcall);
    expect(executablePrograms(obj, obj.program("step1")).map((p) => p.name)).toEqual(["step1"]);
    expect(
      executablePrograms(obj, obj.program("entry"))
        .map((p) => p.name)
        .sort(),
    ).toEqual(["entry", "spin", "step0", "step1"]);
    expect(buildExecutable(obj, obj.program("step1")).length).toBeLessThan(
      buildExecutable(obj, obj.program("entry")).length,
    );
  });

  it("names the program that was running when a fault ends the chain, with its own instruction index", async () => {
    const obj = loadSync(tailcall, { budget: 50 });
    const empty = file("tc-empty", new Uint8Array(0));
    const cases: [string, string, number][] = [
      ["entry", empty, 1_000_000],
      ["spin", inputA(), 50],
      ["step0", empty, 1_000_000],
    ];
    for (const [name, mem, budget] of cases) {
      const expected = await interpreterFault([
        "run",
        tailcall,
        "--prog",
        name,
        "--mem",
        mem,
        "--budget",
        String(budget),
      ]);
      expect(expected).toMatch(/^(step1|spin): /);
      expect(() => runExecutable(obj, obj.program(name), { mem, budget })).toThrow(Arm32RunError);
      let got = "";
      try {
        runExecutable(obj, obj.program(name), { mem, budget });
      } catch (e) {
        got = (e as Error).message;
      }
      expect(got).toBe(expected);
    }
  });

  it("follows slots changed through the API before building", async () => {
    const run = (obj: LoadedObject, prog: Program) => {
      const bytes = new Uint8Array([7]);
      let r0 = 0n;
      for (let k = 0; k < 2; k++) r0 = prog.run(bytes, "interp");
      return JSON.stringify({ r0: r0.toString(), runs: 2, maps: dumpMaps(obj) }) + "\n";
    };
    const make = () => {
      const obj = loadSync(tailcall, { engine: "interp" });
      obj.setTailCall("jmp_table", 0, "step1"); // entry -> step1 directly
      obj.get("jmp_table").delete(1);
      obj.setTailCall("jmp_table", 3, "entry");
      return obj;
    };
    for (const name of ["entry", "step0"]) {
      const a = make();
      const b = make();
      expect(runExecutable(a, a.program(name), { mem: file("tc-7", new Uint8Array([7])), repeat: 2, json: true })).toBe(
        run(b, b.program(name)),
      );
    }
  });

  // Raw programs: map 0 a program array, map 1 an array; programs "main" and "other".
  const PROG_ARRAY = 3;
  const DEFS: MapDef[] = [
    { name: "progs", type: PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, section: ".maps" },
    { name: "arr", type: 2, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0, section: ".maps" },
  ];
  /** lddw rN, map (PSEUDO_MAP_FD) in place of the marker */
  function lddwMap(code: Uint8Array, marker: number, map: number): Uint8Array {
    const v = new DataView(code.buffer);
    for (let at = 0; at < code.length; at += 8) {
      if (code[at] === 0x18 && v.getUint32(at + 4, true) === marker) {
        code[at + 1] = (code[at + 1] & 0x0f) | (1 << 4);
        v.setUint32(at + 4, map, true);
      }
    }
    return code;
  }
  const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  /** main calls bpf_tail_call(r1, r2 = `handle`, r3 = `index`) with r0 = 77 before; other returns r0 * 2 + 1. */
  const mainCode = (handle: string, index: number) =>
    assemble(`mov %r0, 77\nmov %r6, 5\n${handle}\nmov %r3, ${index}\ncall 12\nadd %r0, %r6\nexit`);
  const otherCode = () => assemble("lsh %r0, 1\nadd %r0, 1\nadd %r0, %r6\nexit");

  function interpretRaw(main: Uint8Array, slots: number[]): string {
    const rt = new Runtime();
    rt.createMaps(DEFS);
    const m = rt.addProgram("main", main);
    const o = rt.addProgram("other", otherCode());
    const progs = new BpfMap(rt, 0, DEFS[0], plainCodec, plainCodec);
    for (const s of slots) progs.update(s, new Uint8Array(new Uint32Array([s === 2 ? m.id : o.id]).buffer));
    try {
      const r0 = rt.run(m, {}).r0;
      const maps: Record<string, { key: string; value: string }[]> = {};
      DEFS.forEach((d, i) => {
        maps[d.name] = new BpfMap(rt, i, d, plainCodec, plainCodec)
          .dump()
          .map((e) => ({ key: hexOf(e.key), value: hexOf(e.value) }));
      });
      return JSON.stringify({ r0: r0.toString(), runs: 1, maps }) + "\n";
    } catch (e) {
      if (e instanceof BpfFault) return e.message; // names the program that faulted
      throw e;
    }
  }
  function armRaw(main: Uint8Array, slots: number[]): string {
    // program ids: main 0, other 1 (as the interpreter numbers them)
    const layout = layoutMaps(
      DEFS,
      1,
      () => [0, 1, 2, 3].map((k) => (slots.includes(k) ? (k === 2 ? 0 : 1) : undefined)),
      ["main", "other"],
    );
    const a = linkForArm32("main", main, layout, DEFS);
    const b = linkForArm32("other", otherCode(), layout, DEFS);
    const insns = new Uint8Array(a.length + b.length);
    insns.set(a);
    insns.set(b, a.length);
    const programs = new Int32Array([0, layout.names[0].address, 4, a.length / 8, layout.names[1].address, 5]);
    const r = runFile(buildArm32Executable(insns, { maps: layout.maps, programs }), ["--json"]);
    if (r.status === 1) return r.stderr.trim();
    expect(r.status).toBe(0);
    return r.stdout;
  }

  const cases: [string, string, number, number[]][] = [
    ["a taken tail call keeps the registers", "lddw %r2, 0x7e570000", 1, [1]],
    ["an empty slot falls through with r0 unchanged", "lddw %r2, 0x7e570000", 0, [1]],
    ["an index out of range falls through", "lddw %r2, 0x7e570000", 4, [1]],
    ["a huge index falls through", "lddw %r2, 0x7e570000", -1, [0, 1, 2, 3]],
    ["a map that is not a program array falls through", "lddw %r2, 0x7e570001", 1, [1]],
    ["a program tail-calling itself stops after 33 calls", "lddw %r2, 0x7e570000", 2, [2]],
    ["something that is not a map faults", "mov %r2, 1", 1, [1]],
  ];
  for (const [title, handle, index, slots] of cases) {
    it(title, () => {
      const code = lddwMap(lddwMap(mainCode(handle, index), 0x7e570000, 0), 0x7e570001, 1);
      expect(armRaw(code, slots)).toBe(interpretRaw(code, slots));
    });
  }

  // A counted loop (emitted twice: a range test on entry, L_RANGE) in a program that also tail-calls (TC_BAD, the
  // tail call's own label): both labels once had the same id, so each branch to one reached the other's code.
  const loopThenCall = (handle: string) =>
    assemble(
      [
        "mov %r0, 77",
        "mov %r6, 5",
        "mov %r4, 0",
        "fill:",
        "mov %r5, %r10",
        "add %r5, %r4",
        "stxb [%r5-64], %r4",
        "add %r4, 1",
        "jlt %r4, 64, fill",
        "ldxb %r7, [%r10-2]",
        "add %r6, %r7",
        handle,
        "mov %r3, 1",
        "call 12",
        "add %r0, %r6",
        "exit",
      ].join("\n"),
    );
  for (const [title, handle] of [
    ["a tail call after a versioned loop", "lddw %r2, 0x7e570000"],
    ["a bad map handle after a versioned loop faults", "mov %r2, 1"],
  ]) {
    it(title, () => {
      const code = lddwMap(loopThenCall(handle), 0x7e570000, 0);
      expect(armRaw(code, [1])).toBe(interpretRaw(code, [1]));
    });
  }

  it("refuses bpf_tail_call inside a bpf-to-bpf function, and map helpers on a program array fault", () => {
    const inFunction = lddwMap(
      assemble("call 1\nexit\nlddw %r2, 0x7e570000\nmov %r3, 0\ncall 12\nexit"),
      0x7e570000,
      0,
    );
    // call 1 as a local call: src = 1
    inFunction[1] = 0x10;
    const layout = layoutMaps(DEFS, 1, () => [0]);
    expect(() =>
      buildArm32Executable(linkForArm32("f", inFunction, layout, DEFS), {
        maps: layout.maps,
        programs: new Int32Array([0, 0, 0]),
      }),
    ).toThrow(Arm32Error);
    expect(() =>
      buildArm32Executable(linkForArm32("f", inFunction, layout, DEFS), {
        maps: layout.maps,
        programs: new Int32Array([0, 0, 0]),
      }),
    ).toThrow(/^bpf_tail_call inside a bpf-to-bpf function is not supported by the arm32 target \(instruction 5\)$/);
    const lookup = lddwMap(
      assemble("lddw %r1, 0x7e570000\nmov %r2, %r10\nadd %r2, -4\nstw [%r10-4], 0\ncall 1\nexit"),
      0x7e570000,
      0,
    );
    const r = runFile(buildArm32Executable(linkForArm32("l", lookup, layout, DEFS), { maps: layout.maps }), []);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("helper argument 0x4d41500000000000 is not a map of the right kind (instruction 5)\n");
    const rt = new Runtime();
    rt.createMaps(DEFS);
    const prog = rt.addProgram("l", lookup);
    new BpfMap(rt, 0, DEFS[0], plainCodec, plainCodec).update(0, new Uint8Array(4));
    expect(() => rt.run(prog, {})).toThrow(BpfFault);
    expect(() => rt.run(prog, {})).toThrow(`l: ${r.stderr.trim()}`);
  });
});
