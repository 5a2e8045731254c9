// The workstation's command line: `tinybpf <command> ...`, every command (a device bundle carries device-main.ts
// instead). Every error is one line on stderr and exit status 1.
import { readFileSync, writeFileSync, existsSync } from "node:fs";

import { assemble } from "../tools/asm.js";
import { disassemble } from "../tools/disasm.js";
import { conformanceDir, listConformanceFiles } from "../tools/conformance-data.js";
import { runConformanceFile } from "../tools/conformance.js";
import { engineNames } from "../runtime/engines.js";
import { loadEngines } from "../runtime/engine-loader.js";
import { commands as objectCommands, OBJECT_USAGE } from "./object-commands.js";
import { type Command, type Out, UsageError, readInput } from "./args.js";
import { commands as traceCommands } from "./trace-command.js";
import { TRACE_USAGE_LINES } from "./trace-usage.js";
import { HELP_TEXT } from "./help-text.js";
import { type CommandTable, runCli } from "./command-runner.js";
import { commands as serveCommands, SERVE_USAGE } from "./serve-commands.js";
import { registerScriptCompiler } from "../serve/scripts.js";
import { registerExecutableBuilder } from "../serve/native.js";

export { OPTIONS } from "./options.js";

export const USAGE = `usage: tinybpf <command> [options]

commands:
${OBJECT_USAGE}  asm FILE.s -o FILE.bin                        assemble (the conformance suite's dialect, docs/asm.md)
  disasm FILE                                   disassemble raw bytecode or an ELF object
  conformance [DIR] [--engine NAME]             run the eBPF conformance suite's test files
  build (OBJ [--prog NAME] | --trace 'SCRIPT') --target arm32|armv6 -o FILE [--tail-call MAP:INDEX=PROG]... [--listing]
                                                write a static ARM32 Linux executable (no libc, no Node)
${TRACE_USAGE_LINES}  bundle [OBJ...] -o DIR [--core full|tiny] [--engines interp|interp,wasm] [--trace] [--serve]
                                                gather what a device needs to run OBJ (and the daemon)
${SERVE_USAGE}
'tinybpf COMMAND --help' describes a command; 'tinybpf --version' prints the version.
`;

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
      const { disasmObject } = await import("./disasm-object.js");
      out(disasmObject(bytes, file));
    } else {
      if (bytes.length % 8 !== 0)
        throw new Error(`${file}: ${bytes.length} bytes is not a whole number of instructions`);
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

const table: CommandTable = {
  commands: { ...baseCommands, ...objectCommands, ...traceCommands, ...serveCommands },
  usage: USAGE,
  help: HELP_TEXT,
  prepare: loadEngines,
};

// the workstation's daemon compiles one-liners (POST /modules with a script); the compiler loads when one comes
registerScriptCompiler(async (script) => (await import("../trace/compile.js")).compile(script).object);
// and its iface: links run the module's ARM32 executable where it can (src/serve/native.ts)
registerExecutableBuilder(async () => (await import("./serve-executables.js")).executableBuilder());

/** `tinybpf ARGS...`: runs the command, returns the exit status. `out` and `err` default to stdout and stderr. */
export function main(argv: string[], out?: Out, err?: Out): Promise<number> {
  return runCli(table, argv, out, err);
}
