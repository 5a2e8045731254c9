// The command line of a device bundle (src/tools/bundle.ts): `run` and `info`, plus the commands the bundle was
// asked to carry (`trace`, `serve`), passed in by the bundle's entry module. It does without the workstation's
// commands and their help texts, which is what keeps the minified CLI small; a command it leaves out is answered
// with a one-line error that says where it runs.
import type { Command, Out } from "./args.js";
import { type CommandTable, runCli } from "./command-runner.js";
import { commands as objectCommands, OBJECT_USAGE } from "./object-commands.js";

/** What the bundle's entry adds to `run` and `info`: each command and its lines of `tinybpf --help`. */
export interface DeviceExtras {
  commands: Record<string, Command>;
  usage: string;
}

export function deviceMain(argv: string[], extras: DeviceExtras[] = [], out?: Out, err?: Out): Promise<number> {
  const table: CommandTable = {
    commands: { run: objectCommands.run, info: objectCommands.info },
    usage: `usage: tinybpf <command> [options]\n\ncommands (this device bundle's):\n${OBJECT_USAGE}`,
    missing: () => "not in this device bundle (it runs on a workstation with the tinybpf package)",
  };
  for (const extra of extras) {
    Object.assign(table.commands, extra.commands);
    table.usage += extra.usage;
  }
  table.usage += "'tinybpf COMMAND --help' describes a command; 'tinybpf --version' prints the version.\n";
  return runCli(table, argv, out, err);
}
