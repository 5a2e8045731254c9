// The command line: `tinybpf <command> ...`. Every error is one line on stderr and exit status 1.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

import { assemble } from "../tools/asm.js";
import { disassemble } from "../tools/disasm.js";
import { conformanceDir, listConformanceFiles } from "../tools/conformance-data.js";
import { runConformanceFile } from "../tools/conformance.js";
import { engineNames } from "../runtime/engines.js";
import { loadEngines } from "../runtime/engine-loader.js";
import { commands as objectCommands } from "./object-commands.js";
import { type Command, type OptionSpec, type Out, UsageError, parseArgs, readInput } from "./args.js";
import { commands as traceCommands } from "./trace-command.js";
import { HELP_TEXT } from "./help-text.js";
import { packageRoot } from "../runtime/core.js";

/** The options each command accepts: any other is refused, so that a misspelt one never runs with a default. */
export const OPTIONS: Record<string, OptionSpec> = {
  run: {
    values: ["prog", "engine", "mem", "pcap", "ctx", "repeat", "budget", "tail-call", "iface", "seconds", "target"],
    flags: ["json"],
  },
  info: {},
  asm: { values: ["o"] },
  disasm: {},
  conformance: { values: ["engine"] },
  build: { values: ["prog", "target", "o", "budget", "tail-call"], flags: ["listing", "trace"] },
  bundle: { values: ["o", "core", "engines"], flags: ["trace"] },
  trace: { values: ["pcap", "mem", "engine", "o", "seconds", "iface"] },
  // the daemon and its client (src/cli/serve-client.ts)
  serve: { values: ["listen", "data"] },
  modules: { values: ["server", "token-file", "data", "name", "budget", "ncpus", "hist"], flags: ["json"] },
  links: { values: ["server", "token-file", "data", "repeat"], flags: ["json"] },
  tables: { values: ["server", "token-file", "data", "flags"], flags: ["json"] },
  push: { values: ["server", "token-file", "data"], flags: ["json"] },
  pull: { values: ["server", "token-file", "data", "o"], flags: ["json"] },
};
import { commands as serveCommands, SERVE_USAGE } from "./serve-commands.js";

export const USAGE = `usage: tinybpf <command> [options]

commands:
  run OBJ [--prog NAME] [--engine auto|interp|wasm|arm32] (--mem FILE | --pcap FILE | --ctx FILE)
          [--repeat N] [--budget N] [--tail-call MAP:INDEX=PROG]... [--json]
                                                run a program of a clang-built BPF object, or raw bytecode
  run OBJ --engine arm32 --iface IFNAME [--seconds N] [--json]
                                                a socket filter on live packets (AF_PACKET), natively
  info OBJ                                      sections, programs, maps, global data, BTF types
  asm FILE.s -o FILE.bin                        assemble (the conformance suite's dialect, docs/asm.md)
  disasm FILE                                   disassemble raw bytecode or an ELF object
  conformance [DIR] [--engine NAME]             run the eBPF conformance suite's test files
  build (OBJ [--prog NAME] | --trace 'SCRIPT') --target arm32|armv6 -o FILE [--tail-call MAP:INDEX=PROG]... [--listing]
                                                write a static ARM32 Linux executable (no libc, no Node)
  trace (-e 'SCRIPT' | FILE.bt) [--pcap FILE|- | --mem FILE] [--engine NAME] [-o prog.o]
                                                compile and run a bpftrace-style script (no LLVM)
  bundle OBJ -o DIR [--core full|tiny] [--engines interp,wasm] [--trace]
                                                gather what a device needs to run OBJ
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

/** A command's lines of USAGE: its help where the full text is left out (a device bundle). */
function synopsis(command: string): string {
  const lines: string[] = [];
  let inside = false;
  for (const line of USAGE.split("\n")) {
    if (/^ {2}\S/.test(line)) inside = line.startsWith(`  ${command} `);
    if (inside) lines.push(line.startsWith(`  ${command} `) ? `usage: tinybpf ${line.trim()}` : line);
  }
  return lines.join("\n");
}

/** The package's version, from its package.json (a device bundle's package.json carries the same). */
function version(): string {
  return (
    (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string }).version ?? "unknown"
  );
}

/** Standard output in blocks of 64 KiB: long output (a large map) costs few writes, and `part` ends no line. */
function bufferedStdout(): { out: Out; flush: () => void } {
  // a reader that stops early (`| head`) closes the pipe: the rest is dropped quietly, and the command still
  // finishes (removing its temporary files)
  let closed = false;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    closed = true;
  });
  let pending = "";
  let scheduled = false;
  const flush = () => {
    if (pending && !closed) process.stdout.write(pending);
    pending = "";
  };
  const part = (text: string) => {
    pending += text;
    if (pending.length >= 1 << 16) flush();
    // a command that keeps running (serve, a live capture) must not hold its lines back: what a burst of
    // synchronous output leaves is written as soon as the command next waits
    else if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    }
  };
  return { out: Object.assign((line: string) => part(line + "\n"), { part }), flush };
}

export async function main(
  argv: string[],
  out?: Out,
  err: Out = (s) => process.stderr.write(s + "\n"),
): Promise<number> {
  if (out) return runCommand(argv, out, err);
  const stdout = bufferedStdout();
  try {
    return await runCommand(argv, stdout.out, (s) => {
      stdout.flush(); // what was printed before an error comes before it
      err(s);
    });
  } finally {
    stdout.flush();
  }
}

async function runCommand(argv: string[], out: Out, err: Out): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    out(USAGE.trimEnd());
    return command ? 0 : 1;
  }
  if (command === "--version" || command === "-V") {
    out(`tinybpf ${version()}`);
    return 0;
  }
  const fn = baseCommands[command] ?? objectCommands[command] ?? traceCommands[command] ?? serveCommands[command];
  if (!fn || !OPTIONS[command]) {
    err(`tinybpf: unknown command '${command}' (try 'tinybpf --help')`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out(HELP_TEXT[command] ?? synopsis(command));
    return 0;
  }
  try {
    const args = parseArgs(rest, OPTIONS[command]);
    await loadEngines();
    return await fn(args, out);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    err(`tinybpf ${command}: ${msg.split("\n")[0]}`);
    if (process.env.TINYBPF_DEBUG && e instanceof Error) err(e.stack ?? "");
    return 1;
  }
}
