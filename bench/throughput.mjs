#!/usr/bin/env node
// Packets per second: two fixture programs over a 100,000-frame capture, on every engine, against a C loop doing
// the same count:
//
//   node bench/throughput.mjs [--frames N] [--reps N] [--cpu NAME] [--no-arm]      (after `npm run build`)
//
//   sockex1   test/fixtures/sockex1.o, the kernel sample's socket filter: bytes per IP protocol in an array map,
//             each frame seen through a struct __sk_buff (outgoing);
//   bitehist  test/fixtures/bitehist.o, a log2 histogram in a hash map: each frame's bytes are its input, read as
//             up to 16 u32 "sizes".
// The capture is generated here (bench/program-inputs.mjs frames(): fixed seed, Ethernet/IPv4 TCP, UDP, ICMP and a
// few others, 60 to 1514 bytes) into a temporary directory. x64, in this process: Program.run for every frame
// (the API a host program would use), on interp and wasm; the C loop (bench/throughput-native.c, gcc -O2) walks
// the same pcap in memory. ARM under qemu-arm: the ARM32 executable (`FILE --pcap CAPTURE`: its driver walks the
// capture and builds each context) and the C loop built with arm-linux-gnueabihf-gcc, by wall time (R passes in
// one process less one pass, over R - 1) and by guest instructions per packet (TCG plugin; one pass less a process
// that reads an empty capture, for C one that reads the capture and counts nothing). Every wall time is the fastest
// of --reps. Before timing, each engine's map must hold what the C loop counted.
// With Debian's armhf Node set up (targets/armhf/setup-sysroot.sh, docs/device.md), bench/throughput-node.mjs runs
// the in-process engines under it too, over the first --armhf-frames frames (default 10,000; emulated Node is
// slow); without it those rows are skipped with one line.
// Wall times depend on the machine's load (instruction counts do not); qemu's wall time is no ARM board's.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseBenchArgs } from "./args.mjs";
import { frames, pcapFile } from "./program-inputs.mjs";
import { BENCH_DIR, loadDist, probePlugin, qemuRunner, requireBuilt, table } from "./support.mjs";
import { THROUGHPUT_PROGRAMS as PROGRAMS, countersOf, passOverCapture } from "./throughput-programs.mjs";

const FIXTURES = join(BENCH_DIR, "..", "test", "fixtures");
const NODE_ARM = join(BENCH_DIR, "..", "targets", "armhf", "node-arm");
const USAGE = "usage: node bench/throughput.mjs [--frames N] [--reps N] [--cpu NAME] [--no-arm] [--armhf-frames N]";

function parseArgs(argv) {
  return parseBenchArgs("throughput", argv, {
    usage: USAGE,
    defaults: { frames: 100_000, reps: 3, cpu: "cortex-a8", arm: true, armhfFrames: 10_000 },
    flags: {
      "--frames": ["frames", "count"],
      "--reps": ["reps", "count"],
      "--cpu": ["cpu", "text"],
      "--no-arm": ["arm", false],
      "--armhf-frames": ["armhfFrames", "count"],
    },
  });
}

const fromHex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
const fmtRate = (pps) => (pps === undefined ? "-" : Math.round(pps).toLocaleString("en"));
const fmtNs = (ns) => (ns === undefined ? "-" : ns >= 100 ? Math.round(ns).toLocaleString("en") : ns.toFixed(1));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const api = await loadDist("api/object.js");
  const engineLoader = await loadDist("runtime/engine-loader.js");
  const enginesMod = await loadDist("runtime/engines.js");
  const arm32Build = await loadDist("engines/arm32/build.js");
  const arm32Engine = await loadDist("engines/arm32/engine.js");
  requireBuilt(api, engineLoader, enginesMod, arm32Build, arm32Engine);
  await engineLoader.loadEngines();
  const engines = ["interp", "wasm"].filter((e) => enginesMod.engineNames().includes(e));

  const dir = mkdtempSync(join(tmpdir(), "tinybpf-throughput-"));
  try {
    const list = frames(opts.frames, 0x7e57);
    const packets = list.map((f) => f.bytes);
    const capture = join(dir, "capture.pcap");
    const empty = join(dir, "empty.pcap");
    writeFileSync(capture, pcapFile(list));
    writeFileSync(empty, pcapFile([]));
    const bytes = packets.reduce((s, p) => s + p.length, 0);

    const notes = [];
    const native = join(dir, "throughput-native");
    execFileSync("gcc", ["-O2", "-o", native, join(BENCH_DIR, "throughput-native.c")], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    let arm = opts.arm,
      qemu,
      runner,
      plugin,
      nativeArm;
    if (arm) {
      try {
        qemu = arm32Build.qemu();
        nativeArm = join(dir, "throughput-native.arm");
        execFileSync(
          "arm-linux-gnueabihf-gcc",
          ["-O2", "-march=armv7-a+fp", "-static", "-o", nativeArm, join(BENCH_DIR, "throughput-native.c")],
          { stdio: ["ignore", "ignore", "pipe"] },
        );
        const probed = probePlugin(dir, qemu, arm32Build);
        plugin = probed.plugin;
        if (!plugin) notes.push(`${probed.note}: no instruction counts`);
        runner = qemuRunner({ qemu, cpu: opts.cpu, plugin, dir, reps: opts.reps });
      } catch (e) {
        notes.push(`ARM rows skipped: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
        arm = false;
      }
    }

    console.log(
      `tinybpf throughput bench: node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}, ` +
        `${cpus().length} CPUs`,
    );
    console.log(
      `capture: ${opts.frames.toLocaleString("en")} frames, ${(bytes / 1e6).toFixed(1)} MB; each figure the ` +
        `fastest of ${opts.reps} passes; wall times depend on the machine's load, instruction counts do not`,
    );
    if (arm)
      console.log(`ARM: ${execFileSync(qemu, ["--version"], { encoding: "utf8" }).split("\n")[0]} -cpu ${opts.cpu}`);

    // Debian's armhf Node under qemu-arm (targets/armhf/node-arm): the in-process engines as on a board, over the
    // first --armhf-frames frames (emulated Node is slow), compared with the C loop under qemu-arm.
    let armhf, armhfCapture;
    if (arm) {
      const probe = spawnSync(NODE_ARM, ["--version"], {
        encoding: "utf8",
        env: { ...process.env, QEMU_CPU: opts.cpu },
      });
      if (probe.status !== 0) {
        notes.push(
          `armhf Node rows skipped: ${(probe.stderr || probe.error?.message || "node-arm failed").trim().split("\n")[0]}`,
        );
      } else {
        armhfCapture = join(dir, "armhf.pcap");
        writeFileSync(armhfCapture, pcapFile(list.slice(0, opts.armhfFrames)));
        const out = execFileSync(
          NODE_ARM,
          [join(BENCH_DIR, "throughput-node.mjs"), armhfCapture, "--reps", String(opts.reps)],
          { encoding: "utf8", env: { ...process.env, QEMU_CPU: opts.cpu }, maxBuffer: 1 << 24 },
        );
        armhf = JSON.parse(out.trim().split("\n").pop());
        console.log(
          `armhf Node ${armhf.node} (${armhf.arch}) under qemu-arm: the first ` +
            `${Math.min(opts.armhfFrames, opts.frames).toLocaleString("en")} frames`,
        );
      }
    }

    let failed = false;
    for (const p of PROGRAMS) {
      const objectBytes = new Uint8Array(readFileSync(join(FIXTURES, p.object)));
      const expectedLine = execFileSync(native, [p.kind, capture, "1"], { encoding: "utf8" }).trim();
      const rows = [["where", "runs as", "ns/packet", "packets/s", "vs C", ...(plugin ? ["ARM insns/packet"] : [])]];
      const problems = [];

      const timed = execFileSync(native, [p.kind, capture, "time", String(opts.reps)], { encoding: "utf8" }).trim();
      const cNs = Number(timed.match(/ns=(\d+)/)[1]) / opts.frames;
      const x64 = [];
      for (const e of engines) {
        const r = passOverCapture(api, objectBytes, p, packets, e, opts.reps);
        if (r.counters !== expectedLine) problems.push(`${e}'s map holds ${r.counters}`);
        x64.push([e, r.ns]);
      }
      for (const [e, ns] of x64) rows.push(["x64", e, fmtNs(ns), fmtRate(1e9 / ns), (ns / cNs).toFixed(1) + "x"]);
      rows.push(["x64", "C loop, gcc -O2", fmtNs(cNs), fmtRate(1e9 / cNs), "1.0x"]);

      if (arm) {
        const obj = api.loadSync(objectBytes, { fileName: p.object });
        const exe = join(dir, `${p.kind}.arm32`);
        writeFileSync(exe, arm32Engine.buildExecutable(obj, obj.program(p.prog), { budget: 0 }));
        chmodSync(exe, 0o755);
        const json = JSON.parse(runner.run([exe, "--pcap", capture, "--json"], false).stdout);
        const got = countersOf((json.maps[p.map] ?? []).map((m) => ({ key: fromHex(m.key), value: fromHex(m.value) })));
        if (got !== expectedLine) problems.push(`the ARM32 executable's map holds ${got}`);
        const cArm = runner.run([nativeArm, p.kind, capture, "1"], false).stdout;
        if (cArm !== expectedLine) problems.push(`the C loop under qemu-arm counted ${cArm}`);
        // Instructions: one pass less a process reading an empty capture (or, for C, counting nothing). Wall time:
        // (R passes - 1 pass) / (R - 1) in one process, R for about 3*10^8 instructions, so that start-up and
        // reading the capture cancel out.
        const perPacket = (argvFor, base) => {
          const insns = plugin ? Number(runner.run(argvFor(1), true).insns - runner.run(base, true).insns) : undefined;
          const r = insns ? Math.min(1000, Math.max(2, Math.ceil(3e8 / insns))) : 10;
          const ms = Math.max(0, (runner.wall(argvFor(r)) - runner.wall(argvFor(1))) / (r - 1));
          return { ns: (ms * 1e6) / opts.frames, insns: insns === undefined ? undefined : insns / opts.frames };
        };
        const a = perPacket((r) => [exe, "--pcap", capture, "--repeat", String(r)], [exe, "--pcap", empty]);
        const c = perPacket((r) => [nativeArm, p.kind, capture, String(r)], [nativeArm, p.kind, capture, "0"]);
        const insnCell = (x) => (x === undefined ? [] : [x.toFixed(1)]);
        rows.push([
          `qemu-arm ${opts.cpu}`,
          "arm32 executable",
          fmtNs(a.ns),
          fmtRate(1e9 / a.ns),
          (a.ns / c.ns).toFixed(1) + "x",
          ...insnCell(a.insns),
        ]);
        rows.push([
          `qemu-arm ${opts.cpu}`,
          "C loop, gcc -O2",
          fmtNs(c.ns),
          fmtRate(1e9 / c.ns),
          "1.0x",
          ...insnCell(c.insns),
        ]);
        if (plugin)
          notes.push(`${p.kind}: ARM instructions per packet ${(a.insns / c.insns).toFixed(1)}x the C loop's`);
        for (const r of armhf?.results.filter((x) => x.kind === p.kind) ?? []) {
          const want = execFileSync(native, [p.kind, armhfCapture, "1"], { encoding: "utf8" }).trim();
          if (r.counters !== want)
            problems.push(`${r.engine} under armhf Node holds ${r.counters}, the C loop ${want}`);
          rows.push([
            `qemu-arm ${opts.cpu}`,
            `armhf Node ${armhf.node}, ${r.engine}`,
            fmtNs(r.ns),
            fmtRate(1e9 / r.ns),
            (r.ns / c.ns).toFixed(1) + "x",
            ...(plugin ? [""] : []),
          ]);
        }
      }
      if (problems.length) {
        console.error(`bench: ${p.kind}: counts differ: the C loop counted ${expectedLine}; ${problems.join("; ")}`);
        failed = true;
        continue;
      }
      console.log(
        `\n${p.kind} (${p.object}, program ${p.prog}): counts checked equal to the C loop's (${expectedLine})`,
      );
      console.log(table(rows));
    }
    if (notes.length) console.log("\n" + notes.join("\n"));
    console.log(
      "vs C: time per packet over the C loop's on the same machine (x64 rows: native; ARM rows: under qemu-arm)",
    );
    process.exitCode = failed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
