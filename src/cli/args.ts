// Command-line argument parsing and input reading shared by the CLI commands.
import { readFileSync, existsSync, statSync } from "node:fs";

export class UsageError extends Error {}

/** Parsed arguments: positionals and --options (flags without a value get "true"). */
export interface Args {
  positional: string[];
  /** Each option's last value. */
  options: Map<string, string>;
  /** Every value of an option given more than once (--tail-call), in order. */
  repeated?: Map<string, string[]>;
}

/** The options a command accepts: any other is refused, so that a misspelt one never runs with a default. */
export interface OptionSpec {
  /** Options without a value. */
  flags?: readonly string[];
  /** Options that take one value (`-o` is "o"). */
  values?: readonly string[];
}

/** A command's `--help` text and the options it accepts. */
export interface CommandHelp extends OptionSpec {
  usage: string;
}

/** When no spec is given (callers inside the package), every option is accepted; these few take no value. */
const DEFAULT_FLAGS = new Set(["json", "help", "list", "listing", "trace"]);

export function parseArgs(argv: string[], spec?: OptionSpec): Args {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  const flags = spec ? new Set(spec.flags ?? []) : DEFAULT_FLAGS;
  const known = (name: string) => !spec || flags.has(name) || (spec.values ?? []).includes(name);
  const unknown: string[] = [];
  const set = (name: string, value: string) => {
    options.set(name, value);
    repeated.set(name, [...(repeated.get(name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-o") {
      if (!known("o")) {
        unknown.push(a);
        continue;
      }
      if (i + 1 >= argv.length) throw new UsageError("-o needs a file name");
      set("o", argv[++i]);
    } else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (!known(name)) {
        unknown.push(`--${name}`);
        continue;
      }
      if (eq > 0) set(name, a.slice(eq + 1));
      else if (flags.has(name)) set(name, "true");
      else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
        set(name, argv[++i]);
      }
    } else positional.push(a);
  }
  if (unknown.length) throw new UsageError(`unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
  return { positional, options, repeated };
}

export function readInput(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw new Error(`${path}: is a directory`);
  return new Uint8Array(readFileSync(path));
}

export function intOption(args: Args, name: string, fallback: number): number {
  const v = args.options.get(name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number, not '${v}'`);
  return Number(v);
}

/** Prints a line. `part`, where the sink has it, prints text without ending the line (long JSON, as it is made). */
export type Out = ((line: string) => void) & { part?: (text: string) => void };
/** A command: prints its results with `out`; `err` (stderr where not given) carries warnings that are not errors. */
export type Command = (args: Args, out: Out, err?: Out) => Promise<number> | number;
