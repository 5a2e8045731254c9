// The ARM32 translator allocates nothing while it emits code. Its runtime never frees, and every instruction and
// runtime routine is emitted several times (the rounds of its analyses, the measuring pass, the writing pass, a
// second measure for ARMv6's near addresses), so an object made while emitting would grow the heap at each pass
// towards the label table after it (assembly/arm32/index.ts heapBelowLabels reports ERR_MEMORY before it gets there).
// Every fixture program, for ARMv7 and ARMv6, trace executables with printf, and programs calling every format
// helper with every flag must leave the heap where the first pass found it.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSync } from "../../../src/api/object.js";
import { lastTranslationHeapGrowth, translateArm32 } from "../../../src/engines/arm32/build.js";
import { buildExecutable } from "../../../src/engines/arm32/engine.js";
import { assemble } from "../../../src/tools/asm.js";
import { traceBuild } from "../../../src/trace/build-object.js";
import { ensureArm32Translator, root } from "../../support/arm32.js";

beforeAll(ensureArm32Translator);

const FIXTURES = join(root, "test", "fixtures");

/** The heap's growth over the passes of each translation `build` makes, by name (the translations that failed left out). */
function growths(named: [string, () => unknown][]): { name: string; growth: number }[] {
  const out: { name: string; growth: number }[] = [];
  for (const [name, build] of named) {
    try {
      build();
    } catch {
      continue; // programs the target refuses (map types it does not hold): nothing translated
    }
    out.push({ name, growth: lastTranslationHeapGrowth() });
  }
  return out;
}

describe("the ARM32 translator's heap during its passes", () => {
  it("every fixture program, ARMv7 and ARMv6: no growth", () => {
    const builds: [string, () => unknown][] = [];
    for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith(".o"))) {
      let obj;
      try {
        obj = loadSync(join(FIXTURES, f), { engine: "interp" });
      } catch {
        continue; // fixtures that are bad input on purpose
      }
      for (const prog of obj.programs.values()) {
        builds.push([`${f} ${prog.name}`, () => buildExecutable(obj, prog)]);
        builds.push([`${f} ${prog.name} armv6`, () => buildExecutable(obj, prog, { armv6: true })]);
      }
    }
    const results = growths(builds);
    expect(results.length).toBeGreaterThan(50);
    expect(results.filter((r) => r.growth !== 0)).toEqual([]);
  }, 120_000);

  it("bpf_trace_printk and bpf_snprintf with every flag, and trace executables with printf: no growth", () => {
    const formats = ["%d", "%-5d", "%05u", "%x", "%s"];
    const builds: [string, () => unknown][] = [];
    for (const [id, name] of [
      [6, "trace_printk"],
      [165, "snprintf"],
    ] as const) {
      for (const armv6 of [false, true]) {
        const code = assemble(`mov %r6, %r1\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r6\ncall ${id}\nexit`);
        builds.push([`${name}${armv6 ? " armv6" : ""}`, () => translateArm32(code, { armv6 })]);
      }
    }
    for (const f of formats) {
      const script = `packet /ip.proto == 6/ { printf("${f}\\n", ${f === "%s" ? "ntop(ip.src)" : "tcp.dport"}) }`;
      builds.push([`trace printf ${f}`, () => traceExecutable(script)]);
    }
    const results = growths(builds);
    expect(results.map((r) => r.name)).toEqual(builds.map(([name]) => name));
    expect(results.filter((r) => r.growth !== 0)).toEqual([]);
  });
});

/** The executable `tinybpf build --trace` makes of a one-liner. */
function traceExecutable(script: string): Uint8Array {
  const b = traceBuild(script);
  const obj = loadSync(b.object, { engine: "interp", fileName: "trace.o" });
  b.seed(obj);
  return buildExecutable(obj, [...obj.programs.values()][0], { bpftrace: b.describe(obj.object.maps) });
}
