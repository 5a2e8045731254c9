#!/usr/bin/env node
// The bench kernels on a 32-bit ARM "device" (Debian's armhf Node 18 under qemu-arm, targets/armhf), side by side
// in one run with native ARM code:
//
//   npm run bench:device                (builds first, then: node bench/device.mjs [options])
//   node bench/device.mjs [--min-ms N] [--kernels prime,crc32]
//
// - interp, wasm, JS: bench/device-node.mjs under targets/armhf/node-arm (the engines and plain JavaScript, timed
//   inside the emulated node as bench/run.mjs times them);
// - gcc: bench/native.c built with arm-linux-gnueabihf-gcc -O2 -march=armv7-a+fp -static, run under qemu-arm (it
//   times its own loop);
// - arm32: the kernel translated by tinybpf's ARM32 engine (src/engines/arm32/build.ts buildArm32Executable) into a static ARM
//   executable, run under qemu-arm with --repeat 1 and --repeat N: the time per run is the difference of the two
//   wall times over N - 1 (start-up left out). Kernels that write their input are not timed this way (the repeats
//   would run on their own output); they are printed as "-" with a note.
//
// Everything runs on the same emulated CPU (QEMU_CPU, default cortex-a7), so the columns compare with each other;
// the absolute figures are an emulator's, not a board's. Every result must equal the JavaScript result.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseBenchArgs } from "./args.mjs";
import { KERNELS } from "./kernels.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const NODE_ARM = join(ROOT, "targets", "armhf", "node-arm");
const CPU = process.env.QEMU_CPU || "cortex-a7";
const ARM32_REPEAT = 20;

const { minMs, kernels: only } = parseBenchArgs("device", process.argv.slice(2), {
  usage: "usage: node bench/device.mjs [--min-ms N] [--kernels a,b]",
  defaults: { minMs: 300, kernels: undefined },
  flags: { "--min-ms": ["minMs", "positive"], "--kernels": ["kernels", "list"] },
  kernels: KERNELS.map((k) => k.name),
});
const kernels = KERNELS.filter((k) => !only || only.includes(k.name));
const notes = [];
const work = mkdtempSync(join(tmpdir(), "tinybpf-bench-device-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

function qemuArm() {
  for (const p of ["/usr/bin/qemu-arm", "/usr/local/bin/qemu-arm", "/usr/bin/qemu-arm-static"])
    if (existsSync(p)) return p;
  console.error("bench:device: qemu-arm not found (Debian package qemu-user)");
  process.exit(2);
}
const QEMU = qemuArm();

// 1. The emulated node: engines and JavaScript.
const sysroot = spawnSync(join(ROOT, "targets", "armhf", "setup-sysroot.sh"), {
  stdio: ["ignore", "ignore", "inherit"],
});
if (sysroot.status !== 0) {
  console.error("bench:device: targets/armhf/setup-sysroot.sh failed");
  process.exit(2);
}
const nodeArgs = [
  join(HERE, "device-node.mjs"),
  "--min-ms",
  String(minMs),
  ...(only ? ["--kernels", only.join(",")] : []),
];
const nodeRun = spawnSync(NODE_ARM, nodeArgs, {
  encoding: "utf8",
  env: { ...process.env, QEMU_CPU: CPU },
  maxBuffer: 1 << 24,
});
if (nodeRun.status !== 0) {
  console.error(`bench:device: the emulated node failed:\n${nodeRun.stderr}`);
  process.exit(2);
}
const device = JSON.parse(nodeRun.stdout);
const byName = new Map(device.kernels.map((k) => [k.name, k]));

// 2. gcc -O2 for ARMv7-A, under qemu-arm.
let nativeExe;
try {
  nativeExe = join(work, "native-arm");
  execFileSync(
    "arm-linux-gnueabihf-gcc",
    ["-O2", "-march=armv7-a+fp", "-static", "-o", nativeExe, join(HERE, "native.c")],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
} catch (e) {
  notes.push(
    `gcc: arm-linux-gnueabihf-gcc could not build bench/native.c (${e instanceof Error ? e.message.split("\n")[0] : e}): no native column`,
  );
  nativeExe = undefined;
}

function runNative(k, input) {
  const file = join(work, `${k.name}.bin`);
  writeFileSync(file, input);
  const out = execFileSync(QEMU, ["-cpu", CPU, nativeExe, k.name, file, String(minMs)], { encoding: "utf8" })
    .trim()
    .split(/\s+/);
  return { r0: BigInt(out[0]), ms: Number(out[1]) / 1e6 };
}

// 3. The ARM32 engine, when src/engines/arm32/build.ts is built and can translate the kernel.
let arm32;
let assemble;
try {
  arm32 = await import(pathToFileURL(join(ROOT, "dist", "src", "engines/arm32/build.js")).href);
  ({ assemble } = await import(pathToFileURL(join(ROOT, "dist", "src", "tools/asm.js")).href));
} catch (e) {
  notes.push(
    `arm32: the ARM32 engine is not built (${e instanceof Error ? e.message.split("\n")[0] : e}): no arm32 column`,
  );
  arm32 = undefined;
}

function wallMs(exe, memFile, repeat) {
  const start = process.hrtime.bigint();
  const r = spawnSync(QEMU, ["-cpu", CPU, exe, "--mem", memFile, "--repeat", String(repeat)], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`status ${r.status}: ${(r.stderr || r.stdout).trim().split("\n")[0]}`);
  return { ms, r0: BigInt(r.stdout.trim().split("\n")[0]) };
}

function runArm32(k, input, expected) {
  let exe;
  try {
    exe = join(work, `${k.name}.arm32`);
    writeFileSync(
      exe,
      arm32.buildArm32Executable(assemble(readFileSync(join(HERE, "kernels", `${k.name}.s`), "utf8")), { budget: 0 }),
    );
    chmodSync(exe, 0o755);
  } catch (e) {
    notes.push(`${k.name}: arm32 cannot build it (${e instanceof Error ? e.message.split("\n")[0] : e}): skipped`);
    return undefined;
  }
  const memFile = join(work, `${k.name}.mem`);
  writeFileSync(memFile, input);
  const once = wallMs(exe, memFile, 1);
  if (once.r0 !== expected) return { problem: `arm32 r0 = 0x${once.r0.toString(16)}` };
  // Best of three pairs, to keep the emulator's start-up noise out.
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const one = wallMs(exe, memFile, 1);
    const many = wallMs(exe, memFile, ARM32_REPEAT);
    if (many.r0 !== expected) return { problem: `arm32 r0 = 0x${many.r0.toString(16)} after ${ARM32_REPEAT} runs` };
    best = Math.min(best, (many.ms - one.ms) / (ARM32_REPEAT - 1));
  }
  return { ms: best };
}

const fmtMs = (ms) => (ms === undefined ? "-" : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtNs = (ns) => (ns === undefined ? "-" : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined ? "-" : (a / b).toFixed(1) + "x");

const columns = [...device.engines, "js", ...(arm32 ? ["arm32"] : []), ...(nativeExe ? ["gcc"] : [])];
const titles = { interp: "interp", wasm: "wasm", js: "JS", arm32: "arm32", gcc: "gcc -O2" };
const header = ["kernel", "eBPF insns", ...columns.flatMap((c) => [`${titles[c]} ms`, `${titles[c]} ns/insn`])];
if (nativeExe) header.push(...columns.filter((c) => c !== "gcc").map((c) => `${titles[c]}/gcc`));
const rows = [header];
let failed = false;

for (const k of kernels) {
  const d = byName.get(k.name);
  const input = k.input();
  const expected = k.js(input.slice());
  const problems = [...d.problems];
  if (d.r0 !== expected.toString(16)) problems.push(`device JavaScript = 0x${d.r0}`);
  const ms = { ...d.ms };
  if (nativeExe) {
    const n = runNative(k, input);
    if (n.r0 !== expected) problems.push(`gcc = 0x${n.r0.toString(16)}`);
    else ms.gcc = n.ms;
  }
  if (arm32) {
    const a = runArm32(k, input, expected);
    if (a?.problem) problems.push(a.problem);
    else if (a) ms.arm32 = a.ms;
  }
  if (problems.length) {
    failed = true;
    notes.push(`${k.name}: MISMATCH, JavaScript = 0x${expected.toString(16)}, ${problems.join(", ")}`);
  }
  const ns = (t) => (t === undefined ? undefined : (t * 1e6) / d.insns);
  const row = [k.name, d.insns.toLocaleString("en")];
  for (const c of columns) row.push(fmtMs(ms[c]), fmtNs(ns(ms[c])));
  if (nativeExe) for (const c of columns.filter((c) => c !== "gcc")) row.push(ratio(ms[c], ms.gcc));
  rows.push(row);
  if (!problems.length) notes.push(`${k.name}: ${k.what}; r0 = 0x${expected.toString(16)} everywhere`);
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
console.log(
  `tinybpf device bench: node ${device.node} (${device.arch}) and native ARM code under ${QEMU} -cpu ${CPU}, ` +
    `on ${cpus()[0]?.model ?? "an unknown CPU"}`,
);
console.log(
  `interp, wasm, JS: timed in the emulated node (warm-up runs, then the mean of at least ${minMs} ms); ` +
    `gcc: arm-linux-gnueabihf-gcc -O2 -march=armv7-a+fp -static, timing its own loop; ` +
    `arm32: (wall time of --repeat ${ARM32_REPEAT} - wall time of --repeat 1) / ${ARM32_REPEAT - 1}, best of 3\n`,
);
console.log(
  rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  "),
    )
    .join("\n"),
);
console.log("\n" + notes.join("\n"));
process.exit(failed ? 1 : 0);
