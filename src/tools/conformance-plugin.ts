// The plugin the eBPF conformance suite's own runner drives (protocol: the program as hex bytes on stdin, the input
// memory as one hex argument, r0 printed in hex on stdout). In this mode only, helper 5 is the suite's unwind helper.
import { readFileSync } from "node:fs";
import { runConformanceProgram, conformanceRuntime } from "./conformance.js";
import { loadEngines } from "../runtime/engine-loader.js";
import { loadObject } from "../loader/loader.js";
import type { EngineName } from "../runtime/engines.js";

function parseHex(text: string, what: string): Uint8Array {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  const out = new Uint8Array(tokens.length);
  tokens.forEach((t, i) => {
    if (!/^(0x)?[0-9a-fA-F]{1,2}$/.test(t)) throw new Error(`${what}: '${t}' is not a hex byte`);
    out[i] = parseInt(t.replace(/^0x/, ""), 16);
  });
  return out;
}

export async function pluginMain(argv: string[]): Promise<number> {
  try {
    let engine: EngineName = "interp";
    let elf = false;
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === "--engine") engine = argv[++i] as EngineName;
      else if (a === "--elf") elf = true;
      else if (a === "--cpu_version" || a === "--program") i++; // every CPU version is supported
      else if (a.startsWith("--")) continue; // options of other runtimes
      else positional.push(a);
    }
    await loadEngines();
    const mem = positional.length ? parseHex(positional[0], "memory") : new Uint8Array(0);
    const input = parseHex(readFileSync(0, "utf8"), "program");
    if (elf) {
      const obj = loadObject(input, "stdin");
      if (!obj.programs.length) throw new Error("the ELF object holds no program");
      const rt = conformanceRuntime();
      obj.maps.forEach((m) => rt.createMap(m));
      const prog = rt.addProgram(obj.programs[0].name, obj.programs[0].insns);
      const r0 = rt.run(prog, mem.length ? { ctx: { bytes: mem } } : {}, engine).r0;
      process.stdout.write(r0.toString(16) + "\n");
      return 0;
    }
    const r0 = runConformanceProgram(input, mem, engine);
    process.stdout.write(r0.toString(16) + "\n");
    return 0;
  } catch (e) {
    process.stderr.write((e instanceof Error ? e.message : String(e)).split("\n")[0] + "\n");
    return 1;
  }
}
