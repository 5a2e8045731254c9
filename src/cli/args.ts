// Command-line argument parsing and input reading shared by the CLI commands.
import { readFileSync, existsSync, statSync } from "node:fs";

export class UsageError extends Error {}

/** Parsed arguments: positionals and --options (flags without a value get "true"). */
export interface Args {
  positional: string[];
  options: Map<string, string>;
}

const FLAGS = new Set(["json", "help", "list", "listing", "trace"]);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-o") {
      if (i + 1 >= argv.length) throw new UsageError("-o needs a file name");
      options.set("o", argv[++i]);
    } else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) options.set(name, a.slice(eq + 1));
      else if (FLAGS.has(name)) options.set(name, "true");
      else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
        options.set(name, argv[++i]);
      }
    } else positional.push(a);
  }
  return { positional, options };
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

export type Out = (s: string) => void;
export type Command = (args: Args, out: Out) => Promise<number> | number;

