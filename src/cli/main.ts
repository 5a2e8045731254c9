// The command line: `tinybpf <command> ...`. Every error is one line on stderr and exit status 1.
import { readFileSync, writeFileSync, existsSync } from "node:fs";

import { assemble } from "../tools/asm.js";
import { disassemble } from "../tools/disasm.js";
import { conformanceDir, listConformanceFiles } from "../tools/conformance-data.js";
import { runConformanceFile } from "../tools/conformance.js";
import { engineNames } from "../runtime/engines.js";
import { loadEngines } from "../runtime/engine-loader.js";
import { commands as objectCommands } from "./object-commands.js";
import { commands as serveCommands, SERVE_USAGE } from "./serve-commands.js";
import { type Command, type Out, UsageError, parseArgs, readInput } from "./args.js";

export const USAGE = `usage: tinybpf <command> [options]

commands:
  run OBJ [--prog NAME] [--engine auto|interp|wasm|arm32] (--mem FILE | --pcap FILE | --ctx FILE)
          [--repeat N] [--budget N] [--json]    run a program of a clang-built BPF object
  run OBJ --engine arm32 --iface IFNAME [--seconds N] [--json]
                                                a socket filter on live packets (AF_PACKET), natively
  info OBJ                                      sections, programs, maps, global data, BTF types
  asm FILE.s -o FILE.bin                        assemble (the conformance suite's dialect)
  disasm FILE                                   disassemble raw bytecode or an ELF object
  conformance [DIR] [--engine NAME]             run the eBPF conformance suite's test files
  build OBJ [--prog NAME] --target arm32 -o FILE [--listing]
                                                write a static ARM32 Linux executable (no libc, no Node)
  bundle OBJ -o DIR [--core full|tiny] [--engines interp,wasm]
                                                gather what a device needs to run OBJ
${SERVE_USAGE}`;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

const baseCommands: Record<string, Command> = {
  asm(args, out) {
    const [file] = args.positional;
    const dest = args.options.get("o");
    if (!file || !dest) throw new UsageError("asm needs FILE.s and -o FILE.bin");
    const code = assemble(readFileSync(file, "utf8"));
    writeFileSync(dest, code);
    out(`${dest}: ${code.length / 8} instructions`);
    return 0;
  },

  async disasm(args, out) {
    const [file] = args.positional;
    if (!file) throw new UsageError("disasm needs a file");
    const bytes = readInput(file);
    if (ELF_MAGIC.every((b, i) => bytes[i] === b)) {
      const { disasmObject } = await import("./object-commands.js");
      out(disasmObject(bytes, file));
    } else {
      if (bytes.length % 8 !== 0) throw new Error(`${file}: ${bytes.length} bytes is not a whole number of instructions`);
      out(disassemble(bytes).trimEnd());
    }
    return 0;
  },

  conformance(args, out) {
    const dir = args.positional[0] ?? conformanceDir();
    const engine = args.options.get("engine") ?? "interp";
    if (!existsSync(dir)) throw new Error(`${dir}: no such directory (pass DIR or set TINYBPF_CONFORMANCE_DIR)`);
    if (engine !== "auto" && !engineNames().includes(engine)) {
      throw new UsageError(`unknown engine '${engine}' (available: ${engineNames().join(", ")}, auto)`);
    }
    let passed = 0;
    let failed = 0;
    for (const file of listConformanceFiles(dir)) {
      const r = runConformanceFile(file, engine as never);
      if (r.pass) {
        passed++;
        out(`PASS ${r.name}`);
      } else {
        failed++;
        const why = r.error ?? `expected 0x${r.expected?.toString(16)}, got 0x${r.got?.toString(16)}`;
        out(`FAIL ${r.name}: ${why}`);
      }
    }
    out(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  },
};

export async function main(argv: string[], out: Out = (s) => process.stdout.write(s + "\n"),
  err: Out = (s) => process.stderr.write(s + "\n")): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    out(USAGE.trimEnd());
    return command ? 0 : 1;
  }
  const fn = baseCommands[command] ?? objectCommands[command] ?? serveCommands[command];
  if (!fn) {
    err(`tinybpf: unknown command '${command}' (try 'tinybpf --help')`);
    return 1;
  }
  try {
    await loadEngines();
    return await fn(parseArgs(rest), out);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    err(`tinybpf ${command}: ${msg.split("\n")[0]}`);
    if (process.env.TINYBPF_DEBUG && e instanceof Error) err(e.stack ?? "");
    return 1;
  }
}

