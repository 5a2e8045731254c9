// Fault lines name an address after the region it is nearest to and its offset from that region's start
// (src/runtime/fault-location.ts), so that the interpreter, the Wasm engine, the fuzzer's reference evaluator and
// ARM32 executables, which keep their memory at different addresses, print the same line for the same program.
// Expected lines are worked out from the regions: the input (context) of INPUT.length bytes, the stack frames in
// use (512 bytes each, r10 at the top of the current one), a map's arena.
import { beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { buildArm32Executable, runArm32 } from "../../../src/engines/arm32/build.js";
import { layoutMaps, linkForArm32 } from "../../../src/engines/arm32/engine.js";
import { evaluate } from "../../../src/fuzz/reference.js";
import { STACK_BASE } from "../../../assembly/layout.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const INPUT = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
let dir = "";

beforeAll(async () => {
  ensureArm32Translator();
  await loadEngines();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-where-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

/**
 * The fault line (or r0) of a program without maps on every engine and, unless `reference` is false (it has no
 * helpers), on the reference evaluator.
 */
function everywhere(lines: string[], reference = true, input = INPUT): Record<string, string> {
  const code = assemble(lines.join("\n"));
  const out: Record<string, string> = {};
  for (const engine of ["interp", "wasm"] as const) {
    const rt = new Runtime();
    const prog = rt.addProgram("p", code);
    try {
      out[engine] = String(rt.run(prog, { ctx: { bytes: input } }, engine).r0);
    } catch (e) {
      if (!(e instanceof BpfFault)) throw e;
      out[engine] = describeFault(e.info);
    }
  }
  const r = runArm32(code, input);
  out.arm32 = "r0" in r ? String(r.r0) : r.fault;
  if (!reference) return out;
  const ref = evaluate(code, input, { inputAddr: 0x30000, stackBase: STACK_BASE, budget: 0 });
  out.reference = ref.error ?? String(ref.r0);
  return out;
}

const all = (want: string) => ({ interp: want, wasm: want, arm32: want, reference: want });

describe("fault lines name the region and the offset, the same on every engine", () => {
  it("past the end of the input and before its start", () => {
    expect(everywhere(["ldxw %r0, [%r1+10]", "exit"])).toEqual(
      all("out-of-bounds read of 4 bytes at context+0xa (instruction 0)"),
    );
    expect(everywhere(["stb [%r1-3], 1", "exit"])).toEqual(
      all("out-of-bounds write of 1 bytes at context-0x3 (instruction 0)"),
    );
  });

  it("above the current frame, far below the stack, and in a callee's frame", () => {
    expect(everywhere(["stdw [%r10+0], 1", "exit"])).toEqual(
      all("out-of-bounds write of 8 bytes at stack+0x200 (instruction 0)"),
    );
    // r10 - 4000 in the entry frame: 4000 - 512 = 0xda0 bytes below the stack's start
    expect(everywhere(["ldxdw %r0, [%r10-4000]", "exit"])).toEqual(
      all("out-of-bounds read of 8 bytes at stack-0xda0 (instruction 0)"),
    );
    // the callee's r10 is the top of frame 1, 1024 bytes above the stack's start
    expect(everywhere(["call local f", "exit", "f:", "stw [%r10+8], 1", "exit"])).toEqual(
      all("out-of-bounds write of 4 bytes at stack+0x408 (instruction 2)"),
    );
  });

  it("a pointer with garbage in its high word: the low word decides, the offset is the whole difference", () => {
    expect(everywhere(["lddw %r2, 0xc00000000000", "add %r1, %r2", "ldxb %r0, [%r1+5]", "exit"])).toEqual(
      all("out-of-bounds read of 1 bytes at context+0xc00000000005 (instruction 3)"),
    );
    expect(everywhere(["lddw %r2, 0x700000000", "mov %r1, %r10", "add %r1, %r2", "stb [%r1-1], 1", "exit"])).toEqual(
      all("out-of-bounds write of 1 bytes at stack+0x7000001ff (instruction 4)"),
    );
  });

  it("an address far from every region is printed as it is", () => {
    expect(everywhere(["lddw %r1, 0x1234", "stb [%r1+0], 1", "exit"])).toEqual(
      all("out-of-bounds write of 1 bytes at 0x1234 (instruction 2)"),
    );
    expect(everywhere(["lddw %r1, 0x100000010", "ldxb %r0, [%r1+0]", "exit"])).toEqual(
      all("out-of-bounds read of 1 bytes at 0x100000010 (instruction 2)"),
    );
  });

  it("a helper's pointer argument: ringbuf_submit of a stack address", () => {
    const o = everywhere(["mov %r1, %r10", "add %r1, -8", "mov %r2, 0", "call 132", "exit"], false);
    const want = "helper argument stack+0x1f8 is not a reserved ring buffer sample (instruction 3)";
    expect(o).toEqual({ interp: want, wasm: want, arm32: want });
  });

  it("a socket filter's read-only context field", () => {
    // skb->mark (offset 8) is readable, not writable
    const code = assemble("stw [%r1+8], 1\nexit");
    const r = runArm32(code, new Uint8Array(60), { skb: true });
    expect("fault" in r ? r.fault : r.r0).toBe("write of 4 bytes to read-only memory at context+0x8 (instruction 0)");
  });
});

describe("a map's arena is named after the map", () => {
  const DEFS: MapDef[] = [
    { name: "arr", type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, section: ".maps" },
  ];
  // lookup of key 0 in arr (the only map: nothing readable follows its arena), then a read `past` bytes after the value
  const program = (past: number) => {
    const code = assemble(
      [
        "stw [%r10-4], 0",
        "lddw %r1, 0x7e570000",
        "mov %r2, %r10",
        "add %r2, -4",
        "call 1",
        "jeq %r0, 0, +1",
        `ldxdw %r0, [%r0+${past}]`,
        "exit",
      ].join("\n"),
    );
    code[9] |= 1 << 4; // PSEUDO_MAP_FD of map 0
    code[14] = 0; // map index 0 in imm
    code[15] = 0;
    return code;
  };

  function arm(code: Uint8Array): string {
    const layout = layoutMaps(DEFS);
    const exe = buildArm32Executable(linkForArm32("p", code, layout, DEFS), { maps: layout.maps });
    const path = join(dir, `p-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, exe);
    chmodSync(path, 0o755);
    const r = spawnSync("qemu-arm", [path], { encoding: "utf8", timeout: 60_000 });
    return r.status === 1 ? r.stderr.trim() : r.stdout.split("\n")[0];
  }

  function core(code: Uint8Array, engine: "interp" | "wasm"): string {
    const rt = new Runtime();
    rt.createMaps(DEFS);
    try {
      return String(rt.run(rt.addProgram("p", code), {}, engine).r0);
    } catch (e) {
      if (!(e instanceof BpfFault)) throw e;
      return describeFault(e.info);
    }
  }

  it("a read past the last value names the map and the same offset on every engine", () => {
    // 4 values of 8 bytes: 32 bytes past the first value's start is the arena's end
    const code = program(32);
    const want = core(code, "interp");
    expect(want).toMatch(/^out-of-bounds read of 8 bytes at map "arr"\+0x[0-9a-f]+ \(instruction 7\)$/);
    expect(core(code, "wasm")).toBe(want);
    expect(arm(code)).toBe(want);
    expect(core(program(24), "interp")).toBe("0"); // the last value: inside the arena
  });
});
