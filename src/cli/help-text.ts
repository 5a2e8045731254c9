// What `tinybpf CMD --help` prints for each command. A device bundle leaves this text out (it has to fit its size
// budget): there `CMD --help` prints the command's lines of `tinybpf --help`. The options each command accepts
// are declared in options.ts (OPTIONS); test/cli/options.test.ts checks that this text names no other.

import { SERVE_USAGE } from "./serve-commands.js";

const RUN_INPUTS = `inputs (one of them):
  --mem FILE      the bytes a program gets: r1 points at them, r2 holds their length (socket filters, tc and
                  XDP programs see them as one packet)
  --pcap FILE     one run per packet of a capture (pcap or pcapng; "-" reads standard input)
  --ctx FILE      the context's bytes, as they are (not a packet)
Socket filter, tc and XDP programs need --mem or --pcap (or --iface). Other programs (raw, tracing, ...) run
once on an empty context (r1 = 0, r2 = 0) when no input is given.`;

export const HELP_TEXT: Record<string, string> = {
  run: `usage: tinybpf run OBJ [--prog NAME] [--engine auto|interp|wasm|arm32] (--mem FILE | --pcap FILE | --ctx FILE)
          [--repeat N] [--budget N] [--tail-call MAP:INDEX=PROG]... [--json]
       tinybpf run OBJ --engine arm32 [--target arm32|armv6] --iface IFNAME [--seconds N] [--json]

Runs a program of a clang-built BPF object (or raw bytecode, as \`tinybpf asm\` writes it) and prints r0 and
the maps: keys and values decoded through BTF when the object carries it, arrays without their zero entries.
--json prints one object {"r0", "runs", "maps"} with every stored entry in hex.

${RUN_INPUTS}

options:
  --prog NAME     the program to run (needed when the object holds several)
  --engine NAME   auto (default: the fastest available), interp, wasm or arm32 (an ARM32 executable under
                  qemu-arm, or natively on ARM)
  --repeat N      run N times (over the whole capture each time)
  --budget N      instructions one run may execute (default 1000000; 0: unlimited)
  --tail-call MAP:INDEX=PROG
                  put program PROG in slot INDEX of program array MAP before running (repeatable)
  --iface IFNAME  live packets of an interface (AF_PACKET, socket filters, --engine arm32), for --seconds N
  --target NAME   with --engine arm32: arm32 (ARMv7-A, default) or armv6 (ARM1176: Raspberry Pi Zero and 1)
  --json          machine-readable output`,
  info: `usage: tinybpf info OBJ

Sections, programs, maps, global data and the named BTF types of a clang-built BPF object.`,
  asm: `usage: tinybpf asm FILE.s -o FILE.bin

Assembles the eBPF text dialect of the conformance suite into raw bytecode (8 bytes an instruction, RFC 9669
encoding), which \`tinybpf run\` and \`tinybpf disasm\` read. docs/asm.md describes the dialect in full.

  one instruction per line; '#' starts a comment; a label is 'name:', alone or before an instruction
  registers %r0..%r10; numbers decimal or 0x hex, with an optional sign
  add %r0, 1 / add %r0, %r1      ALU64: add sub mul div sdiv or and lsh rsh mod smod xor mov arsh
  add32 %r0, 1                   ALU (32-bit); neg %r0, neg32 %r0
  movsx864 %r0, %r1              sign-extending moves: movsx{8,16,32}64, movsx{8,16}32
  le16 %r0 / be32 %r0            byte order; bswap16/32/64 (also swap16/32/64)
  lddw %r0, 0x1122334455667788   64-bit immediate (two slots)
  ldxw %r0, [%r1+4]              loads ldx{b,h,w,dw}, sign-extending ldxs{b,h,w}
  stw [%r10-4], 1                stores of an immediate st{b,h,w,dw}
  stxdw [%r10-8], %r1            stores of a register stx{b,h,w,dw}
  ldabsw 12 / ldindh %r1, 12     legacy packet loads
  jeq %r1, 2, +3                 jumps ja jeq jne jgt jge jlt jle jset jsgt jsge jslt jsle (and ...32), to a label
                                 or +N/-N slots after the next instruction; ja32 (gotol) has a 32-bit offset
  call 5 / call local LABEL      a helper by id; a bpf-to-bpf call; call %r2 is callx
  lock add [%r10-8], %r1         atomics: lock [fetch] {add,or,and,xor}[32], lock {xchg,cmpxchg}[32]
  .insn 0x00000001000000b7       a raw 64-bit instruction word
  exit`,
  disasm: `usage: tinybpf disasm FILE

Disassembles raw bytecode, or every program of an ELF object (lddw of a map, a map value or a function names
its target).`,
  conformance: `usage: tinybpf conformance [DIR] [--engine auto|interp|wasm|arm32]

Runs the eBPF conformance suite's test files (*.data) of DIR (default: $TINYBPF_CONFORMANCE_DIR) and prints
PASS or FAIL for each, then the counts; the exit status is 1 when one failed.`,
  build: `usage: tinybpf build (OBJ [--prog NAME] | --trace 'SCRIPT') --target arm32|armv6 -o FILE [--budget N] [--tail-call MAP:INDEX=PROG]...
          [--snapshots] [--listing]

Writes a static ARM32 Linux executable (no libc, no Node) running the program with the object's maps. The
executable takes --mem FILE, --pcap FILE or --iface IFNAME, --repeat N and --json, as \`tinybpf run\` does;
built with --snapshots, a socket filter's executable also takes --snapshots MS with --iface: the --json report
every MS milliseconds, one line each, until SIGINT or SIGTERM.
--target arm32 makes ARMv7-A code (Cortex-A7/A8/A9 and later), armv6 ARMv6 code (ARM1176: Raspberry Pi Zero and 1).

options:
  --tail-call MAP:INDEX=PROG   put program PROG in slot INDEX of program array MAP (repeatable)
  --snapshots                  (socket filters) the live capture's periodic map snapshots (see above)
  --listing                    also print each eBPF instruction followed by the ARM code generated for it`,
  bundle: `usage: tinybpf bundle [OBJ...] -o DIR [--core full|tiny] [--engines interp|interp,wasm] [--trace] [--serve]
                      [--arm32] [--no-compress]

Gathers what a device needs to run the objects in DIR: bin/tinybpf.js (the device's CLI: run and info, minified
and stored brotli-compressed in bin/tinybpf.mjs.br), the core's .wasm file, the eBPF->Wasm translator, the
objects and run.sh (which runs \`tinybpf run OBJ\` with the arguments it is given; with several objects, the one
it is given first). See docs/device.md.

options:
  --core NAME      full (default: every map type) or tiny (the common map families, interpreter only)
  --engines LIST   interp,wasm (default) or interp (the smallest bundle, without the translator)
  --trace          also carry the script compiler, for tinybpf trace on the device
  --serve          also carry the daemon and its web UI, started by serve.sh (data in DIR/data); OBJ may be
                   left out
  --arm32          with --serve: also the ARM32 translator, so that the daemon's iface: links run the
                   module's ARM32 executable on the device instead of tcpdump (about 45 KB more)
  --no-compress    store the CLI as it is (about 3 times the bytes; no inflating at start)`,
  trace: `usage: tinybpf trace (-e 'SCRIPT' | FILE.bt) [--pcap FILE|- | --mem FILE | --iface IFNAME] [--seconds N]
                    [--engine auto|interp|wasm|arm32] [-o prog.o]

Compiles a bpftrace-style script to eBPF and runs it: BEGIN, packet probes once per frame of the capture (their
clock is the capture's time stamps), interval probes as capture time passes, END; then prints every map as
bpftrace does. -o writes the compiled ELF object (BTF-defined maps) for tinybpf run / info. See docs/trace.md.`,
  ...Object.fromEntries(
    ["serve", "modules", "links", "tables", "push", "pull"].map((name) => {
      const line = SERVE_USAGE.split("\n").find((l) => l.startsWith(`  ${name} `)) ?? `  ${name}`;
      const client = name === "serve" ? "" : "\n\noptions: [--server URL] [--token-file FILE] [--data DIR] [--json]";
      return [name, `usage: tinybpf ${line.trim().replace(/ {2,}.*$/, "")}${client}\n\nSee docs/serve.md.`];
    }),
  ),
};
