// The options each command accepts, in one table for the workstation's CLI (main.ts) and the device's
// (device-main.ts): any other option is refused, so that a misspelt one never runs with a default. Its keys are
// every command tinybpf has, which lets the device's CLI tell a command it left out from one that does not exist.
import type { OptionSpec } from "./args.js";

export const OPTIONS: Record<string, OptionSpec> = {
  run: {
    values: ["prog", "engine", "mem", "pcap", "ctx", "repeat", "budget", "tail-call", "iface", "seconds", "target"],
    flags: ["json"],
  },
  info: {},
  asm: { values: ["o"] },
  disasm: {},
  conformance: { values: ["engine"] },
  build: { values: ["prog", "target", "o", "budget", "tail-call"], flags: ["listing", "trace", "snapshots"] },
  bundle: { values: ["o", "core", "engines"], flags: ["trace", "serve", "arm32", "no-compress"] },
  trace: { values: ["pcap", "mem", "engine", "o", "seconds", "iface"] },
  // the daemon and its client (src/cli/serve-client.ts)
  serve: { values: ["listen", "data"] },
  modules: {
    values: ["server", "token-file", "data", "name", "budget", "ncpus", "hist", "script"],
    flags: ["json", "clear"],
  },
  links: { values: ["server", "token-file", "data", "repeat", "via"], flags: ["json"] },
  tables: { values: ["server", "token-file", "data", "flags"], flags: ["json"] },
  push: { values: ["server", "token-file", "data"], flags: ["json"] },
  pull: { values: ["server", "token-file", "data", "o"], flags: ["json"] },
};
