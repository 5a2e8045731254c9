#!/usr/bin/env node
// How big tinybpf is, measured on the built files, and whether that fits the limits in size-budget.json.
//
//   npm run size          (node scripts/size.mjs [--json])
//   node scripts/size.mjs --modules    what the default device CLI is made of: each module's bytes, largest first
//
// Prints the core's .wasm files (raw and gzip each), the host JavaScript in dist/src (raw and gzip, totals), what
// goes on a device (real bundles made by src/tools/bundle.ts in a temporary directory, see VARIANTS; for a bundle
// whose CLI is stored compressed, also the size of the CLI once inflated), the npm package (`npm pack --dry-run`:
// size, unpacked size, file count) and the runtime dependencies (there must be none). A bundle's size is tinybpf's
// part of it: every file but the BPF object, which is listed on its own. Exits with status 1 when something is over
// budget. test/package/size.test.ts runs the same measurements.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { brotliDecompressSync, gzipSync } from "node:zlib";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURE = "test/fixtures/sockex1.o";

/**
 * The bundles measured: name -> bundle() options. `device` is the default bundle; `deviceServe` holds no object
 * (the daemon alone), the others test/fixtures/sockex1.o.
 */
export const VARIANTS = {
  device: {},
  deviceInterp: { engines: ["interp"] },
  deviceTiny: { engines: ["interp"], core: "tiny" },
  devicePlain: { compress: false },
  deviceServe: { serve: true },
  deviceServeArm32: { serve: true, arm32: true },
};
const VARIANT_TITLES = {
  device: "interpreter and Wasm engines, full core, CLI stored compressed (the default)",
  deviceInterp: "interpreter, full core (--engines interp)",
  deviceTiny: "interpreter, tiny core (--engines interp --core tiny)",
  devicePlain: "the default with the CLI stored as it is (--no-compress)",
  deviceServe: "the default with the daemon and its web UI, no object (bundle --serve)",
  deviceServeArm32: "the daemon that runs iface: links through ARM32 executables (bundle --serve --arm32)",
};

/** @typedef {{ file: string, raw: number, gzip: number }} FileSize one file's raw and gzip sizes, in bytes */
/** @typedef {{ files: number, raw: number, gzip: number }} Total a set of files, added up */
/**
 * @typedef {Total & { list: FileSize[], object?: FileSize, inflatedCli: number }} BundleSize tinybpf's files in a
 * bundle, the object apart (none in a daemon-only bundle); inflatedCli: the CLI's module once inflated, in bytes
 */
/** @typedef {{ size: number, unpackedSize: number, files: number, name: string }} PackSize */
/**
 * @typedef {object} Measurement what `measure` found; a bundle is missing when what it needs was not built
 * @property {FileSize[]} wasm
 * @property {Total} hostJs
 * @property {BundleSize} [device]
 * @property {BundleSize} [deviceInterp]
 * @property {BundleSize} [deviceTiny]
 * @property {BundleSize} [devicePlain]
 * @property {BundleSize} [deviceServe]
 * @property {BundleSize} [deviceServeArm32]
 * @property {PackSize} [pack]
 * @property {string[]} dependencies
 */

/**
 * Raw and gzip (level 9) sizes of one file, in bytes.
 * @param {string} root
 * @param {string} rel
 * @returns {FileSize}
 */
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

/** Every .js file under `dir` (relative to root), sorted. */
function jsFiles(root, dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? jsFiles(root, `${dir}/${e.name}`) : e.name.endsWith(".js") ? [`${dir}/${e.name}`] : [],
    )
    .sort();
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

/**
 * Makes a bundle of `obj` with `options` in a temporary directory and measures it: `list` holds tinybpf's files
 * (everything but the object), `object` the object.
 */
export async function measureBundle(root, options, obj = options.serve ? undefined : FIXTURE) {
  const built = join(root, "dist", "src", "tools/bundle.js");
  if (!existsSync(built)) throw new Error(`${built} is missing: run 'npm run build' first`);
  const { bundle } = await import(pathToFileURL(built).href);
  const work = mkdtempSync(join(tmpdir(), "tinybpf-size-"));
  try {
    const dir = join(work, "bundle");
    const files = bundle(obj ? [join(root, obj)] : [], dir, options);
    const objName = obj?.split("/").pop();
    const list = files.filter((f) => f !== objName).map((f) => fileSize(dir, f));
    const compressed = join(dir, "bin", "tinybpf.mjs.br");
    const inflatedCli = existsSync(compressed)
      ? brotliDecompressSync(readFileSync(compressed)).length
      : readFileSync(join(dir, "bin", "tinybpf.js")).length;
    return { ...total(list), list, ...(objName ? { object: fileSize(dir, objName) } : {}), inflatedCli };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Every measurement; `pack: false` leaves out the npm package (it takes a second or two).
 * @returns {Promise<Measurement>}
 */
export async function measure(root = ROOT, { pack = true } = {}) {
  const buildDir = join(root, "build");
  const wasm = existsSync(buildDir)
    ? readdirSync(buildDir)
        .filter((f) => f.endsWith(".wasm"))
        .sort()
        .map((f) => fileSize(root, `build/${f}`))
    : [];
  const bundles = {};
  for (const [name, options] of Object.entries(VARIANTS)) {
    if (options.core === "tiny" && !existsSync(join(root, "build", "core-tiny.wasm"))) continue;
    bundles[name] = await measureBundle(root, options);
  }
  const hostJs = jsFiles(root, "dist/src").map((f) => fileSize(root, f));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  return {
    wasm,
    hostJs: total(hostJs),
    ...bundles,
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
  for (const name of Object.keys(VARIANTS)) {
    const limit = budget[name];
    if (!limit) continue;
    const b = m[name];
    if (!b) {
      over.push(
        `${name}: not measured (${name === "deviceTiny" ? "run 'npm run build:tiny'" : "run 'npm run build'"})`,
      );
      continue;
    }
    if (b.raw > limit.maxRawBytes) {
      const biggest = [...b.list]
        .sort((x, y) => y.raw - x.raw)
        .slice(0, 3)
        .map((s) => `${s.file} ${s.raw}`);
      over.push(`${name}: ${b.raw} bytes raw > ${limit.maxRawBytes} (largest: ${biggest.join(", ")})`);
    }
  }
  for (const [file, limit] of Object.entries(budget.wasm ?? {})) {
    const s = m.wasm.find((w) => w.file === file);
    if (!s) over.push(`${file}: missing (run ${file.includes("tiny") ? "'npm run build:tiny'" : "'npm run build'"})`);
    else if (s.raw > limit.maxRawBytes) over.push(`${file}: ${s.raw} bytes raw > ${limit.maxRawBytes}`);
  }
  if (m.dependencies.length > budget.maxRuntimeDependencies) {
    over.push(
      `runtime dependencies in package.json: ${m.dependencies.join(", ")} (allowed: ${budget.maxRuntimeDependencies})`,
    );
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
  if (m.wasm.length === 0) lines.push("  (none: run 'npm run build')");
  lines.push("host JavaScript (dist/src/**/*.js, all of it)");
  lines.push(row(`${m.hostJs.files} files`, m.hostJs.raw, m.hostJs.gzip));
  for (const name of Object.keys(VARIANTS)) {
    const b = m[name];
    if (!b) {
      lines.push(`on a device, ${VARIANT_TITLES[name]}: not measured (run 'npm run build:tiny')`);
      continue;
    }
    lines.push(`on a device, ${VARIANT_TITLES[name]}${b.object ? `: a bundle of ${FIXTURE}` : ""}`);
    for (const s of b.list) lines.push(row(s.file, s.raw, s.gzip));
    const limit = budget[name];
    lines.push(row(`total (${b.files} files)`, b.raw, b.gzip, limit ? `   (budget ${limit.maxRawBytes} B)` : ""));
    if (b.object) lines.push(row(`+ the object (${b.object.file})`, b.object.raw, b.object.gzip));
    lines.push(`  the CLI's module, inflated: ${b.inflatedCli} B (${kb(b.inflatedCli)})`);
  }
  if (m.pack) {
    lines.push(`npm package (${m.pack.name})`);
    lines.push(
      `  ${m.pack.files} files, ${m.pack.size} B packed (${kb(m.pack.size)}), ${m.pack.unpackedSize} B unpacked (${kb(m.pack.unpackedSize)})`,
    );
  }
  lines.push(`runtime dependencies: ${m.dependencies.length === 0 ? "none" : m.dependencies.join(", ")}`);
  return lines.join("\n");
}

/** The default device CLI's compiled modules, largest first, with their bytes in the minified output. */
export async function deviceModules(root = ROOT) {
  const built = join(root, "dist", "src", "tools/bundle.js");
  if (!existsSync(built)) throw new Error(`${built} is missing: run 'npm run build' first`);
  const { buildDeviceCli } = await import(pathToFileURL(built).href);
  return buildDeviceCli({}, root).modules;
}

async function main() {
  if (process.argv.includes("--modules")) {
    const modules = await deviceModules();
    for (const m of modules) console.log(`${String(m.bytes).padStart(8)} B  ${m.path}`);
    console.log(`${String(modules.reduce((n, m) => n + m.bytes, 0)).padStart(8)} B  in ${modules.length} modules`);
    return;
  }
  const m = await measure();
  const budget = readBudget();
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(m, null, 2));
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
