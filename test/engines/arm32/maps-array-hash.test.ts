// Maps and helpers compiled into ARM32 executables: every result is compared with the interpreter's, byte for byte
// where the CLI prints JSON (`tinybpf run --json`), under qemu-arm.
import { describe, it, expect, beforeAll } from "vitest";
import { writeFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { loadSync } from "../../../src/api/object.js";
import { commands } from "../../../src/cli/object-commands.js";
import { parseArgs } from "../../../src/cli/args.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfMap, plainCodec } from "../../../src/api/bpf-map.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { buildArm32Executable, runArm32, Arm32Timeout } from "../../../src/engines/arm32/build.js";
import {
  buildExecutable,
  runExecutable,
  layoutMaps,
  linkForArm32,
  Arm32RunError,
  arm32Engine,
} from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const root = join(import.meta.dirname, "..", "..", "..");
const fixture = (name: string) => join(root, "test", "fixtures", name);
let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-maps-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

/** What `tinybpf run ARGS --json` prints, computed by the interpreter in this process. */
async function interpreterJson(argv: string[]): Promise<string> {
  let out = "";
  await commands.run(parseArgs([...argv.slice(1), "--json", "--engine", "interp"]), (s) => (out += s + "\n"));
  return out;
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const u32s = (xs: number[]) => new Uint8Array(new Uint32Array(xs).buffer);

describe("sockex1 over a capture", () => {
  it("prints byte for byte what `tinybpf run --json` prints, from an executable of at most 8 KB", async () => {
    const obj = loadSync(fixture("sockex1.o"));
    const prog = obj.program();
    const exe = buildExecutable(obj, prog);
    console.log(`sockex1 executable: ${exe.length} bytes`);
    expect(exe.length).toBeLessThanOrEqual(8192);
    const pcap = fixture("pcap/sockex1.pcap");
    const cli = spawnSync(
      process.execPath,
      [join(root, "bin", "tinybpf.js"), "run", fixture("sockex1.o"), "--pcap", pcap, "--json"],
      { encoding: "utf8" },
    );
    expect(cli.status).toBe(0);
    const path = file("sockex1", exe);
    chmodSync(path, 0o755);
    const arm = spawnSync("qemu-arm", ["-cpu", "cortex-a8", path, "--pcap", pcap, "--json"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(arm.status).toBe(0);
    expect(arm.stdout).toBe(cli.stdout);
    expect(JSON.parse(arm.stdout).runs).toBe(42);
  });

  it("reads big-endian nanosecond captures, pcapng (converted by the host), standard input and --repeat", async () => {
    const obj = loadSync(fixture("sockex1.o"));
    const prog = obj.program();
    for (const name of ["sockex1-be-ns.pcap", "sockex1.pcapng"]) {
      const pcap = fixture(`pcap/${name}`);
      expect(runExecutable(obj, prog, { pcap, json: true, repeat: 2 })).toBe(
        await interpreterJson(["run", fixture("sockex1.o"), "--pcap", pcap, "--repeat", "2"]),
      );
    }
    const path = file("sockex1-stdin", buildExecutable(obj, prog));
    chmodSync(path, 0o755);
    const pcap = fixture("pcap/sockex1.pcap");
    const piped = spawnSync("sh", ["-c", `qemu-arm ${path} --pcap - --json < ${pcap}`], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(piped.stdout).toBe(await interpreterJson(["run", fixture("sockex1.o"), "--pcap", pcap]));
  });

  it("sees --mem's bytes as one packet, and prints a readable form without --json", async () => {
    const obj = loadSync(fixture("sockex1.o"));
    const frame = new Uint8Array(60);
    frame[12] = 0x08;
    frame[23] = 17; // UDP
    const mem = file("frame", frame);
    expect(runExecutable(obj, obj.program(), { mem, json: true })).toBe(
      await interpreterJson(["run", fixture("sockex1.o"), "--mem", mem]),
    );
    expect(runExecutable(obj, obj.program(), { mem })).toBe("0\nmy_map[11000000] = 3c00000000000000\n");
  });

  it("refuses what is not a classic capture", () => {
    const path = file(
      "sockex1-bad",
      buildExecutable(loadSync(fixture("sockex1.o")), loadSync(fixture("sockex1.o")).program()),
    );
    chmodSync(path, 0o755);
    const r = spawnSync("qemu-arm", [path, "--pcap", fixture("sockex1.o")], { encoding: "utf8" });
    expect([r.status, r.stderr]).toEqual([2, "not a classic pcap capture\n"]);
  });
});

describe("fixtures with maps and global data agree with the interpreter", () => {
  const sizes = u32s([0, 1, 2, 3, 4, 5, 100, 1000, 4096, 70000, 0xffffffff, 7, 6, 1, 1, 9]);
  const cases: [string, string | undefined, Uint8Array, number][] = [
    ["globals.o", undefined, new TextEncoder().encode("hello arm world"), 3], // .data, .rodata, .rodata.str1.1, .bss
    ["globals.o", undefined, new Uint8Array(0), 1],
    ["bitehist.o", undefined, sizes, 2], // HASH: lookup, update with BPF_NOEXIST, get_next_key order
    ["bitehist.o", undefined, u32s([...Array(16).keys()].map((i) => i * 977)), 1],
    ["calls.o", "calls_main", sizes, 1],
    ["calls.o", "calls_local", sizes, 1],
    ["calls.o", "calls_deep", sizes, 1],
    ["v4ops.o", undefined, sizes, 1],
  ];
  for (const [name, progName, input, repeat] of cases) {
    it(`${name}${progName ? ` ${progName}` : ""} (${input.length} bytes, ${repeat} run${repeat > 1 ? "s" : ""})`, async () => {
      const obj = loadSync(fixture(name));
      const prog = obj.program(progName);
      const mem = file(`${name}-${progName}-${input.length}`, input);
      const argv = [
        "run",
        fixture(name),
        "--mem",
        mem,
        "--repeat",
        String(repeat),
        ...(progName ? ["--prog", progName] : []),
      ];
      console.log(`${name}${progName ? ` ${progName}` : ""}: ${buildExecutable(obj, prog).length} bytes`);
      expect(runExecutable(obj, prog, { mem, repeat, json: true })).toBe(await interpreterJson(argv));
    });
  }

  it("holds every map type of maps_all.o (compared run by run in arm32-maps-more.test.ts), refuses others", () => {
    const obj = loadSync(fixture("maps_all.o"));
    for (const name of obj.programs.keys()) expect(buildExecutable(obj, obj.program(name)).length).toBeGreaterThan(0);
    expect(() => layoutMaps([mapDef("sockets", 15, 4, 4, 4)])).toThrow(
      /^map 'sockets' is a type 15 map; the arm32 target does not support it$/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Helper semantics: flags, errnos, full maps, deletion and reuse, read-only maps, faults

const HASH = 1;
const ARRAY = 2;
const mapDef = (
  name: string,
  type: number,
  keySize: number,
  valueSize: number,
  maxEntries: number,
  extra: Partial<MapDef> = {},
): MapDef => ({ name, type, keySize, valueSize, maxEntries, flags: 0, section: ".maps", ...extra });

/** lddw rN, map:index (PSEUDO_MAP_FD) or map value (PSEUDO_MAP_VALUE) */
function lddwMap(code: Uint8Array, marker: number, map: number, pseudo = 1): void {
  const v = new DataView(code.buffer);
  for (let at = 0; at < code.length; at += 8) {
    if (code[at] === 0x18 && v.getUint32(at + 4, true) === marker) {
      code[at + 1] = (code[at + 1] & 0x0f) | (pseudo << 4);
      v.setUint32(at + 4, map, true);
      v.setUint32(at + 12, 0, true);
    }
  }
}

/** A program that performs `ops` and stores each result (r0) in the `results` array map, then returns their sum. */
function opsProgram(ops: string[]): Uint8Array {
  const lines: string[] = ["mov %r9, 0"];
  ops.forEach((op, i) => {
    const [kind, key, value, flags] = op.split(" ");
    const target = kind.endsWith("A") ? 0x7e57a000 : kind.endsWith("R") ? 0x7e57c000 : 0x7e57b000;
    lines.push(
      `stw [%r10-4], ${key}`,
      `stdw [%r10-16], ${value ?? 0}`,
      `lddw %r1, ${target}`,
      "mov %r2, %r10",
      "add %r2, -4",
    );
    if (kind.startsWith("update")) lines.push("mov %r3, %r10", "add %r3, -16", `mov %r4, ${flags ?? 0}`, "call 2");
    else if (kind.startsWith("delete")) lines.push("call 3");
    else lines.push("call 1", "jeq %r0, 0, +2", "ldxdw %r0, [%r0+0]", "ja +1", "mov %r0, -1");
    lines.push(
      "add %r9, %r0",
      "stxdw [%r10-24], %r0",
      `stw [%r10-28], ${i}`,
      "lddw %r1, 0x7e57f000",
      "mov %r2, %r10",
      "add %r2, -28",
      "mov %r3, %r10",
      "add %r3, -24",
      "mov %r4, 0",
      "call 2",
    );
  });
  lines.push("mov %r0, %r9", "exit");
  const code = assemble(lines.join("\n"));
  lddwMap(code, 0x7e57b000, 0);
  lddwMap(code, 0x7e57a000, 1);
  lddwMap(code, 0x7e57c000, 2);
  lddwMap(code, 0x7e57f000, 3);
  return code;
}

const DEFS = [
  mapDef("hash", HASH, 4, 8, 4),
  mapDef("array", ARRAY, 4, 8, 3),
  mapDef(".rodata", ARRAY, 4, 8, 1, { readonly: true, globalData: true, initialData: new Uint8Array(8).fill(7) }),
  mapDef("results", ARRAY, 4, 8, 64),
];

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The interpreter's r0 and map dump (as `run --json` prints it), or its fault line. */
function interpretOps(code: Uint8Array): string {
  const rt = new Runtime();
  rt.createMaps(DEFS);
  try {
    const prog = rt.addProgram("ops", code);
    const r0 = rt.run(prog, {}).r0;
    const maps: Record<string, { key: string; value: string }[]> = {};
    DEFS.forEach((d, i) => {
      maps[d.name] = new BpfMap(rt, i, d, plainCodec, plainCodec)
        .dump()
        .map((e) => ({ key: hexOf(e.key), value: hexOf(e.value) }));
    });
    return JSON.stringify({ r0: r0.toString(), runs: 1, maps }) + "\n";
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
}

function armOps(code: Uint8Array): string {
  const layout = layoutMaps(DEFS);
  const exe = buildArm32Executable(linkForArm32("ops", code, layout, DEFS), { maps: layout.maps });
  const path = file(`ops-${Math.random().toString(36).slice(2)}`, exe);
  chmodSync(path, 0o755);
  const r = spawnSync("qemu-arm", [path, "--json"], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 1) return r.stderr.trim();
  expect(r.status).toBe(0);
  return r.stdout;
}

describe("map helpers agree with the interpreter", () => {
  const programs: [string, string[]][] = [
    [
      "hash: BPF_ANY, BPF_NOEXIST, BPF_EXIST, bad flags",
      [
        "update 1 10 0",
        "update 1 11 1",
        "update 1 12 2",
        "update 2 20 2",
        "update 2 21 1",
        "update 3 30 3",
        "lookup 1",
        "lookup 2",
        "lookup 3",
      ],
    ],
    [
      "hash: full map (-E2BIG), delete (-ENOENT twice), reuse of freed elements, order",
      [
        "update 5 1",
        "update 6 2",
        "update 7 3",
        "update 8 4",
        "update 9 5",
        "delete 6",
        "delete 6",
        "delete 42",
        "update 9 6",
        "update 100 7",
        "lookup 9",
        "lookup 6",
        "delete 5",
        "update 1000 8",
        "update 65536 9",
        "lookup 65536",
      ],
    ],
    [
      "array: indexes, BPF_NOEXIST (-EEXIST), out of range (-E2BIG), delete (-EINVAL), bad flags",
      [
        "updateA 0 5 0",
        "updateA 2 6 2",
        "updateA 1 7 1",
        "updateA 3 8 0",
        "updateA 0 9 4",
        "deleteA 0",
        "lookupA 0",
        "lookupA 2",
        "lookupA 3",
        "lookupA 4294967295",
      ],
    ],
    ["read-only global data: lookups read it", ["lookupR 0", "lookupR 1"]],
    ["read-only global data: updates are refused like the kernel's verifier would (fault)", ["updateR 0 1 0"]],
    ["read-only global data: deletes too", ["deleteR 0"]],
  ];
  for (const [title, ops] of programs) {
    it(title, () => {
      const code = opsProgram(ops);
      expect(armOps(code)).toBe(interpretOps(code));
    });
  }

  it("faults on a key outside the program's memory, naming the helper call", () => {
    const code = assemble("lddw %r1, 0x7e57b000\nmov %r2, 0\ncall 1\nexit");
    lddwMap(code, 0x7e57b000, 0);
    expect(armOps(code)).toBe("out-of-bounds read of 4 bytes at 0x0 (instruction 3)");
    expect(interpretOps(code)).toBe("out-of-bounds read of 4 bytes at 0x0 (instruction 3)");
  });

  it("faults on something that is not a map", () => {
    const code = assemble("mov %r1, 5\nmov %r2, %r10\nadd %r2, -4\nstw [%r10-4], 0\ncall 1\nexit");
    expect(armOps(code)).toBe(interpretOps(code));
  });

  it("lets programs write map values in place and reach global data through lddw map_value", () => {
    const code = assemble("lddw %r1, 0x7e57c000\nldxdw %r0, [%r1+0]\nlddw %r1, 0x7e57a000\nstxdw [%r1+8], %r0\nexit");
    lddwMap(code, 0x7e57c000, 2, 2);
    lddwMap(code, 0x7e57a000, 1, 2);
    expect(armOps(code)).toBe(interpretOps(code));
  });
});

describe("the engine and time limits", () => {
  it("runs map-free programs through the API and refuses objects with maps", async () => {
    const obj = loadSync(fixture("calls.o"), { engine: "interp" });
    const input = u32s([3, 1, 4, 1, 5, 9, 2, 6]);
    for (const name of ["calls_main", "calls_local", "calls_deep"]) {
      const prog = obj.program(name);
      expect(prog.run(input, "arm32" as never)).toBe(prog.run(input, "interp"));
    }
    const withMaps = loadSync(fixture("bitehist.o"));
    expect(() => withMaps.program().run(input, "arm32" as never)).toThrow(/objects without maps/);
    expect(arm32Engine.name).toBe("arm32");
  });

  it("reports faults through the API like the interpreter", () => {
    const obj = loadSync(fixture("calls.o"), { engine: "interp", budget: 50 });
    const prog = obj.program("calls_main");
    const input = u32s([3, 1, 4, 1, 5, 9, 2, 6]);
    const message = (engine: string) => {
      try {
        prog.run(input, engine as never);
        return "no fault";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(message("arm32")).toBe(message("interp"));
  });

  it("kills a run that takes too long", () => {
    expect(() => runArm32(assemble("ja -1\nexit"), new Uint8Array(0), { budget: 0, timeout: 1500 })).toThrow(
      Arm32Timeout,
    );
  });

  it("names the program and the fault when an executable faults", () => {
    const obj = loadSync(fixture("bitehist.o"), { budget: 40 });
    expect(() => runExecutable(obj, obj.program(), { mem: file("sizes40", u32s([1, 2, 3, 4, 5, 6])) })).toThrow(
      Arm32RunError,
    );
    expect(() => runExecutable(obj, obj.program(), { mem: file("sizes40b", u32s([1, 2, 3, 4, 5, 6])) })).toThrow(
      /^bitehist: instruction budget of 40 exhausted \(instruction \d+\)$/,
    );
  });
});
