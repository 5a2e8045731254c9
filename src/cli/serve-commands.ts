// CLI commands for the daemon (serve, modules, links, tables, push, pull): their usage, and a dispatcher that loads
// their code (serve-daemon.ts, serve-client.ts) only when one of them runs, so the other commands and the device
// bundle do without it.
import type { Command } from "./args.js";

const NAMES = ["serve", "modules", "links", "tables", "push", "pull"];

export const commands: Record<string, Command> = Object.fromEntries(
  NAMES.map((name) => [
    name,
    async (args, out) => {
      if (args.options.has("help")) {
        const line = SERVE_USAGE.split("\n").find((l) => l.startsWith(`  ${name} `)) ?? "";
        out(`usage: tinybpf ${line.trim().replace(/ {2,}.*$/, "")}`);
        if (name !== "serve")
          out("  [--server URL (or TINYBPF_SERVER)] [--token-file FILE | --data DIR] [--json]; see docs/serve.md");
        return 0;
      }
      if (name === "serve") return (await import("./serve-daemon.js")).serve(args, out);
      const { commands: impl } = await import("./serve-client.js");
      return impl[name](args, out);
    },
  ]),
);

/** Usage lines for the daemon's commands, for the CLI's help. */
export const SERVE_USAGE = `  serve [--listen HOST:PORT] [--data DIR]       the daemon: modules, links, tables over HTTP (docs/serve.md)
  modules [ls | add OBJ|--script S [--name N] [--budget N] [--ncpus N] [--hist MAP] | show M | rm M | metrics M [FILE|--clear]]
                                                the daemon's modules (by id or name); S: a one-liner; FILE: a metrics config
  links [ls | add MODULE PROG SOURCE [--repeat N] [--via native|tcpdump] | show ID | rm ID]
                                                what runs them: pcap:PATH, iface:NAME, interval:MS, module:ID/PROG
  tables MODULE [MAP [get KEY | set KEY VALUE [--flags any|noexist|exist] | delete KEY]]
                                                a module's maps, keys and values in hex
  push OBJ http://HOST:PORT/NAME:TAG            store an object in a daemon's registry (by its sha256)
  pull http://HOST:PORT/NAME:TAG -o FILE        fetch it back, checked against its digest
`;
