// ARMv6 executables (`build --target armv6`, ARM1176: Raspberry Pi Zero and 1) under qemu-arm -cpu arm1176, which
// refuses ARMv7-only instructions: the conformance suite, every program of every fixture object compared with the
// interpreter through the CLI, constants and divisions by constants against values computed here, and a
// disassembly of every fixture's executable that finds no ARMv7-only mnemonic. The rest of the ARM32 suite runs
// for ARMv6 with TINYBPF_ARM32_TARGET=armv6 (test/support/arm32-target.ts).
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { parseConformanceTest, conformanceProgram } from "../../../src/tools/conformance-data.js";
import { loadSync, takesPacket } from "../../../src/api/object.js";
import { commands } from "../../../src/cli/object-commands.js";
import { parseArgs } from "../../../src/cli/args.js";
import { buildArm32Executable, runArm32, runArm32Async, type Arm32Result } from "../../../src/engines/arm32/build.js";
import { buildExecutable } from "../../../src/engines/arm32/engine.js";
import { ensureArm32Translator, limited } from "../../support/arm32.js";
import { conformanceFiles, describeConformance } from "../../support/conformance.js";

const root = join(import.meta.dirname, "..", "..", "..");
const fixtures = join(root, "test", "fixtures");
const ARMV6 = { armv6: true, cpu: "arm1176" };
// TINYBPF_ARM32_TARGET=armv6 makes every build ARMv6 (test/support/arm32-target.ts): the tests that compare with
// an ARMv7 build, or ask for ARMv6 with idiv, are left out then
const allArmv6 = process.env.TINYBPF_ARM32_TARGET === "armv6";
let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-armv6-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const show = (r: Arm32Result) => ("r0" in r ? `r0 = 0x${r.r0.toString(16)}` : r.fault);

// ARMv6T2 / ARMv7 additions to the A32 instruction set (and v7 barriers, hints and the divide extension)
const V7_ONLY =
  /^(movw|movt|ubfx|sbfx|bfc|bfi|rbit|mls|udiv|sdiv|dmb|dsb|isb|pld[w]?|pli|ldrht|strht|ldrsbt|ldrsht|smc|dbg)\b/;

/** The mnemonics of an executable's code section, as llvm-objdump reads them with every ARMv7 extension on. */
function mnemonics(exe: Uint8Array, name: string): string[] {
  const path = join(dir, name);
  writeFileSync(path, exe);
  const r = spawnSync("llvm-objdump-19", ["-d", "--triple=armv7a", "--mattr=+hwdiv-arm", path], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  const out: string[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*[0-9a-f]+:\s+[0-9a-f]{8}\s+(\S+)/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

const v7Only = (names: string[]) => [...new Set(names.filter((n) => V7_ONLY.test(n)))].sort();

/** Every program of every fixture object: [object, program name, takes a packet]. */
function fixturePrograms(): [string, string, boolean][] {
  const out: [string, string, boolean][] = [];
  for (const f of readdirSync(fixtures)
    .filter((f) => f.endsWith(".o"))
    .sort()) {
    const obj = loadSync(join(fixtures, f), { engine: "interp" });
    for (const p of obj.programs.values()) out.push([f, p.name, takesPacket(p.type)]);
  }
  return out;
}
const programs = fixturePrograms();

describeConformance("conformance suite, ARMv6 executables under qemu-arm -cpu arm1176", () => {
  const tests = conformanceFiles().map((f) => parseConformanceTest(readFileSync(f, "utf8"), basename(f, ".data")));
  it("passes every test", async () => {
    expect(tests.length).toBeGreaterThanOrEqual(250);
    const results = await limited(
      tests.map((t) => async () => {
        const r = await runArm32Async(conformanceProgram(t), t.mem, { ...ARMV6, conformance: true });
        return { name: t.name, got: show(r), want: `r0 = 0x${t.result!.toString(16)}` };
      }),
    );
    expect(results.filter((r) => r.got !== r.want)).toEqual([]);
  }, 180_000);
});

describe("the ARMv6 code", () => {
  it.skipIf(allArmv6)(
    "has no ARMv7-only instruction in any fixture's executable, where the ARMv7 ones have MOVW/MOVT",
    () => {
      const found = new Map<string, string[]>();
      let v7Movw = 0;
      for (const [f, name] of programs) {
        const obj = loadSync(join(fixtures, f), { engine: "interp" });
        const prog = obj.program(name);
        const bad = v7Only(mnemonics(buildExecutable(obj, prog, { armv6: true, sections: true }), "v6"));
        if (bad.length) found.set(`${f}:${name}`, bad);
        if (f.startsWith("sockex1") && mnemonics(buildExecutable(obj, prog, { sections: true }), "v7").includes("movw"))
          v7Movw++;
      }
      expect(Object.fromEntries(found)).toEqual({});
      // the scan sees what it looks for: the ARMv7 executables of the same programs carry MOVW
      expect(v7Movw).toBe(2);
    },
    300_000,
  );

  it.skipIf(allArmv6)("is refused by qemu-arm -cpu arm1176 when built for ARMv7, and runs when built for ARMv6", () => {
    const code = assemble("mov %r0, 0x12345678\nmod %r0, 1000\nexit");
    expect(() => runArm32(code, new Uint8Array(0), { cpu: "arm1176" })).toThrow(/Illegal instruction/);
    expect(runArm32(code, new Uint8Array(0), ARMV6)).toEqual({ r0: BigInt(0x12345678 % 1000) });
  });

  it("is what `build --target armv6` writes; `run --target` needs --engine arm32", async () => {
    const exe = join(dir, "sockex1-v6");
    const sockex1 = join(fixtures, "sockex1.o");
    await commands.build(parseArgs([sockex1, "--target", "armv6", "-o", exe]), () => {});
    const bad = v7Only(mnemonics(readFileSync(exe), "sockex1-cli"));
    expect(bad).toEqual([]);
    const r = spawnSync("qemu-arm", ["-cpu", "arm1176", exe, "--pcap", join(fixtures, "pcap", "sockex1.pcap")], {
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    await expect(commands.run(parseArgs([sockex1, "--target", "armv6", "--mem", exe]), () => {})).rejects.toThrow(
      /^--target armv6: --engine arm32 takes --target arm32 or armv6$/,
    );
    await expect(commands.build(parseArgs([sockex1, "--target", "armv5", "-o", exe]), () => {})).rejects.toThrow(
      /^unknown target 'armv5' \(available: arm32, armv6\)$/,
    );
  });

  it.skipIf(allArmv6)("refuses ARMv6 with hardware divide", () => {
    expect(() => buildArm32Executable(assemble("exit"), { armv6: true, idiv: true })).toThrow(
      /^ARMv6 has no UDIV\/SDIV: armv6 cannot be combined with idiv$/,
    );
  });
});

describe("constants and divisions by constants on ARMv6", () => {
  // values whose ARM immediates wrap around bit 31, need four of them, or are cheaper inverted
  const values = [
    0x12345678, 0xf000000f, 0xff0000ff, 0x80000001, 0xfffffffe, 0xfffe0001, 0x00ffff00, 0xdeadbeef, 0x02000004,
    0x55555555, 0xaaaaaaaa, 0x0001fffe, 0xc000003f, 0x7fffffff, 0x00010001, 0xffff, 0x10000, 0x3fc0003,
  ];
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let k = 0; k < 40; k++) values.push(random() ^ (random() << 7));

  it("loads each 32-bit constant and operates with it as the interpreter's rules say", () => {
    // r0 = r0 * 31 + mov32(v); r0 ^= v (sign-extended 64-bit immediate); r0 &= v | 1 (32-bit): each step a constant
    let src = "mov %r0, 1\n";
    let want = 1n;
    const u64 = (x: bigint) => BigInt.asUintN(64, x);
    for (const v of values) {
      const s = v | 0; // the immediate as the instruction holds it
      src += `mul %r0, 31\nmov32 %r1, ${s}\nadd %r0, %r1\nxor %r0, ${s}\nand32 %r0, ${v | 1 | 0}\n`;
      want = u64(want * 31n + BigInt(v >>> 0));
      want = u64(want ^ BigInt.asUintN(64, BigInt(s)));
      want = want & BigInt((v | 1) >>> 0);
    }
    src += "exit";
    expect(show(runArm32(assemble(src), new Uint8Array(0), ARMV6))).toBe(`r0 = 0x${want.toString(16)}`);
  });

  it("divides and takes remainders by constants (MUL and SUB where ARMv7 has MLS)", () => {
    const cases = values.slice(0, 24).map((v, k) => [v >>> 0, [3, 7, 10, 1000, 65537, 0x7ffffff1][k % 6]]);
    for (const [v, d] of cases) {
      const src = [
        `mov32 %r6, ${v | 0}`,
        "mov %r0, %r6",
        `mod32 %r0, ${d}`,
        "mov %r7, %r6",
        `div32 %r7, ${d}`,
        "lsh %r7, 32",
        "or %r0, %r7",
        "lddw %r8, 0x00000000ffffffff",
        "and %r6, %r8",
        `mod %r6, ${d}`,
        "lsh %r6, 48",
        "xor %r0, %r6",
        "exit",
      ].join("\n");
      const q = BigInt(Math.floor(v / d));
      const m = BigInt(v % d);
      const want = BigInt.asUintN(64, (q << 32n) | m) ^ BigInt.asUintN(64, m << 48n);
      expect(show(runArm32(assemble(src), new Uint8Array(0), ARMV6)), `${v} % ${d}`).toBe(
        `r0 = 0x${want.toString(16)}`,
      );
    }
  });
});

describe("addresses in an ARMv6 image larger than 64 KB (three bytes instead of pc-relative)", () => {
  it("runs a long program and prints its result through the driver", () => {
    const n = 9000;
    let src = "mov %r0, 0\n";
    let want = 0n;
    for (let k = 0; k < n; k++) {
      const c = (k * 2654435761) | 0;
      src += `add %r0, ${k}\nxor %r0, ${c}\n`;
      want = BigInt.asUintN(64, want + BigInt(k)) ^ BigInt.asUintN(64, BigInt(c));
    }
    const code = assemble(src + "exit");
    expect(buildArm32Executable(code, { armv6: true }).length).toBeGreaterThan(0x10000);
    expect(show(runArm32(code, new Uint8Array(0), ARMV6))).toBe(`r0 = 0x${want.toString(16)}`);
  });
});

describe("every fixture program, ARMv6 executable against the interpreter (`tinybpf run --json`)", () => {
  const mem = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  for (const [f, name, packet] of programs) {
    // ids reads this process's ids and the clocks (test/engines/arm32/helpers-fixture.test.ts checks it)
    if (name === "ids") continue;
    it(`${f} ${name}`, async () => {
      const input = packet ? ["--pcap", join(fixtures, "pcap", "sockex1.pcap")] : ["--mem", join(dir, "mem")];
      writeFileSync(join(dir, "mem"), mem);
      const argv = [join(fixtures, f), "--prog", name, ...input, "--repeat", "2", "--json"];
      const run = async (extra: string[]) => {
        let out = "";
        try {
          await commands.run(parseArgs([...argv, ...extra]), (s) => (out += s + "\n"));
        } catch (e) {
          // a fault, which both engines report alike but for the address (each engine's own memory)
          out += `error: ${(e instanceof Error ? e.message : String(e)).replace(/ at 0x[0-9a-f]+/, " at ADDRESS")}`;
        }
        return out;
      };
      expect(await run(["--engine", "arm32", "--target", "armv6"])).toBe(await run(["--engine", "interp"]));
    });
  }
});
