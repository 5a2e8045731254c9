#!/usr/bin/env node
// How big tinybpf is, measured on the built files, and whether that fits the limits in size-budget.json.
//
//   npm run size          (node scripts/size.mjs [--json])
//
// Prints the core's .wasm files (raw and gzip each), the host JavaScript in dist/src (raw and gzip, totals), what
// goes on a device (the runtime files that src/bundle.ts copies: the CLI, the modules it and the API load, the
// core), the npm package (`npm pack --dry-run`: size, unpacked size, file count) and the runtime dependencies
// (there must be none).
// Exits with status 1 when something is over budget. test/size.test.ts runs the same measurements.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Raw and gzip (level 9) sizes of one file, in bytes. */
export function fileSize(root, rel) {
  const bytes = readFileSync(join(root, rel));
  return { file: rel, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

function total(sizes) {
  return {
    files: sizes.length,
    raw: sizes.reduce((n, s) => n + s.raw, 0),
    gzip: sizes.reduce((n, s) => n + s.gzip, 0),
  };
}

/** The runtime file list, from the built src/bundle.ts, so that the budget covers exactly what a bundle holds. */
async function runtimeFiles(root) {
  const built = join(root, "dist", "src", "bundle.js");
  if (!existsSync(built)) throw new Error(`${built} is missing: run 'npm run build' first`);
  const { runtimeFiles } = await import(pathToFileURL(built).href);
  return runtimeFiles(root);
}

/** Every .js file under `dir` (relative to root), sorted. */
function jsFiles(root, dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(root, `${dir}/${e.name}`) : e.name.endsWith(".js") ? [`${dir}/${e.name}`] : [],
  ).sort();
}

/** `npm pack --dry-run --json` without lifecycle scripts (they would rebuild). */
export function packSize(root) {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [info] = JSON.parse(out);
  return { size: info.size, unpackedSize: info.unpackedSize, files: info.entryCount, name: info.filename };
}

/** Every measurement; `pack: false` leaves out the npm package (it takes a second or two). */
export async function measure(root = ROOT, { pack = true } = {}) {
  const buildDir = join(root, "build");
  const wasm = existsSync(buildDir)
    ? readdirSync(buildDir).filter((f) => f.endsWith(".wasm")).sort().map((f) => fileSize(root, `build/${f}`))
    : [];
  const device = (await runtimeFiles(root)).map((f) => fileSize(root, f));
  const hostJs = jsFiles(root, "dist/src").map((f) => fileSize(root, f));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  return {
    wasm,
    hostJs: total(hostJs),
    device: { ...total(device), list: device },
    pack: pack ? packSize(root) : undefined,
    dependencies: Object.keys(pkg.dependencies ?? {}),
  };
}

export function readBudget(root = ROOT) {
  return JSON.parse(readFileSync(join(root, "size-budget.json"), "utf8"));
}

/** What is over budget, one line each (empty when everything fits). */
export function overBudget(m, budget) {
  const over = [];
  const device = budget.device;
  if (m.device.raw > device.maxRawBytes) {
    const biggest = [...m.device.list].sort((a, b) => b.raw - a.raw).slice(0, 3).map((s) => `${s.file} ${s.raw}`);
    over.push(`device files: ${m.device.raw} bytes raw > ${device.maxRawBytes} (largest: ${biggest.join(", ")})`);
  }
  for (const [file, limit] of Object.entries(budget.wasm ?? {})) {
    const s = m.wasm.find((w) => w.file === file);
    if (!s) over.push(`${file}: missing (run 'npm run build')`);
    else if (s.raw > limit.maxRawBytes) over.push(`${file}: ${s.raw} bytes raw > ${limit.maxRawBytes}`);
  }
  if (m.dependencies.length > budget.maxRuntimeDependencies) {
    over.push(`runtime dependencies in package.json: ${m.dependencies.join(", ")} (allowed: ${budget.maxRuntimeDependencies})`);
  }
  return over;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const row = (name, raw, gzip, extra = "") =>
  `  ${name.padEnd(34)} ${String(raw).padStart(8)} B ${kb(raw).padStart(10)}   gzip ${String(gzip).padStart(7)} B${extra}`;

export function report(m, budget) {
  const lines = ["core (build/*.wasm)"];
  for (const w of m.wasm) {
    const limit = budget.wasm?.[w.file];
    lines.push(row(w.file, w.raw, w.gzip, limit ? `   (budget ${limit.maxRawBytes} B)` : ""));
  }
  if (m.wasm.length === 0) lines.push("  (none: run 'npm run build:core')");
  lines.push("host JavaScript (dist/src/**/*.js, all of it)");
  lines.push(row(`${m.hostJs.files} files`, m.hostJs.raw, m.hostJs.gzip));
  lines.push("on a device (bin/tinybpf.js, the dist/ modules it and the API load, build/*.wasm: see src/bundle.ts)");
  lines.push(row(`${m.device.files} files`, m.device.raw, m.device.gzip, `   (budget ${budget.device.maxRawBytes} B)`));
  if (m.pack) {
    lines.push(`npm package (${m.pack.name})`);
    lines.push(`  ${m.pack.files} files, ${m.pack.size} B packed (${kb(m.pack.size)}), ${m.pack.unpackedSize} B unpacked (${kb(m.pack.unpackedSize)})`);
  }
  lines.push(`runtime dependencies: ${m.dependencies.length === 0 ? "none" : m.dependencies.join(", ")}`);
  return lines.join("\n");
}

async function main() {
  const m = await measure();
  const budget = readBudget();
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ ...m, device: { ...m.device, list: undefined } }, null, 2));
  } else {
    console.log(report(m, budget));
  }
  const over = overBudget(m, budget);
  if (over.length > 0) {
    console.error(`over budget (size-budget.json):\n  ${over.join("\n  ")}`);
    process.exitCode = 1;
  } else if (!process.argv.includes("--json")) {
    console.log("within size-budget.json");
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
