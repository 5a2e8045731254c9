// The plugin the eBPF conformance suite's own runner drives (protocol: the program as hex bytes on stdin, the input
// memory as one hex argument, r0 printed in hex on stdout; with --elf the program comes as an ELF object). In this
// mode only, helper 5 is the suite's unwind helper.
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runConformanceProgram } from "./conformance.js";
import { loadEngines } from "../runtime/engine-loader.js";
import { loadSync, takesPacket } from "../api/object.js";
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

/**
 * --elf: the runner writes the program as an object: `main` in .text (raw memory: r1 = the bytes, r2 = their
 * length, as without --elf), or in section "xdp" with --xdp_prolog true (the memory is the packet of an XDP
 * context: the prolog reads data and data_end from it). The object's first program runs.
 */
async function runElf(bytes: Uint8Array, mem: Uint8Array, engine: EngineName): Promise<bigint> {
  const obj = loadSync(bytes, { fileName: "stdin", engine: engine === "arm32" ? "interp" : engine, conformance: true });
  const prog = obj.programs.values().next().value;
  if (!prog) throw new Error("the ELF object holds no program");
  if (engine === "arm32" && (takesPacket(prog.type) || obj.maps.size > 0)) {
    // packets and maps are the executable's own: run it as `tinybpf run --engine arm32` does
    const { runExecutable } = await import("../engines/arm32/engine.js");
    const dir = mkdtempSync(join(tmpdir(), "tinybpf-plugin-"));
    try {
      writeFileSync(join(dir, "mem"), mem);
      const out = runExecutable(obj, prog, { mem: join(dir, "mem"), json: true });
      return BigInt.asUintN(64, BigInt((JSON.parse(out) as { r0: string }).r0));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return prog.run(mem.length ? mem : undefined, engine);
}

export async function pluginMain(argv: string[]): Promise<number> {
  try {
    let engine: EngineName = "interp";
    let elf = false;
    let program: string | undefined;
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === "--engine") engine = argv[++i] as EngineName;
      else if (a === "--elf") elf = true;
      else if (a === "--program")
        program = argv[++i]; // the program as an argument instead of on stdin
      else if (a === "--cpu_version")
        i++; // every CPU version is supported
      else if (a.startsWith("--"))
        continue; // options of other runtimes
      else positional.push(a);
    }
    await loadEngines();
    const mem = positional.length ? parseHex(positional[0], "memory") : new Uint8Array(0);
    const input = parseHex(program ?? readFileSync(0, "utf8"), "program");
    if (elf) {
      process.stdout.write((await runElf(input, mem, engine)).toString(16) + "\n");
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
