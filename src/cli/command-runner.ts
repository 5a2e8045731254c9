// Runs one command of a command table: `--help` and `--version`, options checked against OPTIONS, output
// buffered, every error one line on stderr and exit status 1. Shared by the workstation's CLI (main.ts) and the
// device's (device-main.ts), which differ only in the commands they carry.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../runtime/core.js";
import { type Command, type Out, parseArgs } from "./args.js";
import { OPTIONS } from "./options.js";

export interface CommandTable {
  commands: Record<string, Command>;
  /** What `tinybpf --help` prints; each command's lines start with two spaces and its name. */
  usage: string;
  /** A command's full `--help` text, where there is one; else its lines of `usage`. */
  help?: Record<string, string>;
  /** Known to tinybpf but left out of this table: answered with this one-line reason instead of "unknown". */
  missing?: (command: string) => string | undefined;
  /** Called once before a command runs (the workstation's CLI loads the optional engines there). */
  prepare?: () => Promise<void>;
}

/** A command's lines of `usage`, each synopsis as `usage: tinybpf ...` and its description on the next line. */
function synopsis(usage: string, command: string): string {
  const lines: string[] = [];
  let inside = false;
  for (const line of usage.split("\n")) {
    // a command's lines run from its own to the next command's, or to the end of the list (an unindented line)
    if (/^ {2}\S/.test(line) || !line.startsWith(" ")) inside = line.startsWith(`  ${command} `);
    if (!inside) continue;
    if (!line.startsWith(`  ${command} `)) lines.push(line);
    else {
      const [text, description] = line.trim().split(/ {2,}/, 2);
      lines.push(`usage: tinybpf ${text}`, ...(description ? [`${" ".repeat(48)}${description}`] : []));
    }
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

/** Runs `argv` (the arguments after `tinybpf`) against `table`; returns the exit status. */
export async function runCli(
  table: CommandTable,
  argv: string[],
  out?: Out,
  err: Out = (s) => process.stderr.write(s + "\n"),
): Promise<number> {
  if (out) return runCommand(table, argv, out, err);
  const stdout = bufferedStdout();
  try {
    return await runCommand(table, argv, stdout.out, (s) => {
      stdout.flush(); // what was printed before an error comes before it
      err(s);
    });
  } finally {
    stdout.flush();
  }
}

async function runCommand(table: CommandTable, argv: string[], out: Out, err: Out): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    out(table.usage.trimEnd());
    return command ? 0 : 1;
  }
  if (command === "--version" || command === "-V") {
    out(`tinybpf ${version()}`);
    return 0;
  }
  const known = Object.hasOwn(OPTIONS, command);
  const fn = known && Object.hasOwn(table.commands, command) ? table.commands[command] : undefined;
  if (!fn) {
    const why = known ? table.missing?.(command) : undefined;
    err(why ? `tinybpf ${command}: ${why}` : `tinybpf: unknown command '${command}' (try 'tinybpf --help')`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out(table.help?.[command] ?? synopsis(table.usage, command));
    return 0;
  }
  try {
    const args = parseArgs(rest, OPTIONS[command]);
    await table.prepare?.();
    return await fn(args, out, err);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    err(`tinybpf ${command}: ${msg.split("\n")[0]}`);
    if (process.env.TINYBPF_DEBUG && e instanceof Error) err(e.stack ?? "");
    return 1;
  }
}
