// What goes on a device, and a directory holding it. A device gets one minified file, `bin/tinybpf.js`: the
// command line with everything `run` and `info` need (ELF and BTF loading, validation, the interpreter's host
// side, captures, contexts, printk), made with esbuild from the compiled modules in dist/. Next to it go the
// core's `.wasm` file, the BPF object, a package.json that makes Node treat the `.js` file as an ES module, and
// `run.sh`. The development commands (asm, disasm, conformance, bundle, build) stay on the workstation: the
// device's CLI answers them with a one-line error. esbuild is a development dependency; a device never runs it.
// scripts/size.mjs measures a bundle made here.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join, resolve, sep } from "node:path";
import { packageRoot } from "../runtime/core.js";

/** The bundle's package.json carries this field, so that a later bundle() may replace the directory. */
const BUNDLE_MARK = "tinybpfBundle";

/** Commands that only make sense on a workstation; the device's CLI refuses them. */
export const WORKSTATION_COMMANDS = [
  "asm",
  "disasm",
  "conformance",
  "bundle",
  "build",
  "serve",
  "modules",
  "links",
  "tables",
  "push",
  "pull",
];

/**
 * Compiled modules that only those commands use. In the device build each is replaced by a module with the same
 * export names whose functions throw, so that nothing that imports them statically breaks and their code is
 * left out.
 */
const WORKSTATION_MODULES = [
  "tools/asm",
  "tools/disasm",
  "tools/conformance",
  "tools/conformance-data",
  "tools/conformance-plugin",
  "tools/bundle",
  "engines/arm32/build",
  "engines/arm32/engine",
  "cli/help-text",
  "cli/executable-output",
  "cli/disasm-object",
  "trace/build-object",
  // the daemon and its client run from the package (the daemon serves its UI's files from it)
  "cli/serve-client",
  "serve/server",
  "serve/client",
  "serve/registry",
  "serve/store",
];

/** The script compiler (`tinybpf trace`, src/trace): in a device bundle only when asked for (`bundle --trace`). */
const TRACE_MODULES = ["cli/trace-command"];

/** The cores a bundle can carry, as `build/core.wasm` in the bundle. */
export const CORES = { full: "build/core.wasm", tiny: "build/core-tiny.wasm" } as const;
export type CoreChoice = keyof typeof CORES;
export type DeviceEngine = "interp" | "wasm";

export interface BundleOptions {
  /** "full" (build/core.wasm, every map type; the default) or "tiny" (build/core-tiny.wasm, `npm run build:tiny`). */
  core?: CoreChoice;
  /**
   * The engines the device can run: the interpreter always, "wasm" adds the eBPF-to-Wasm translator
   * (build/wasm-translator.wasm). Default: the interpreter only, which keeps a bundle within the 100 KiB of
   * size-budget.json.
   */
  engines?: DeviceEngine[];
  /** Also carry the script compiler, for `tinybpf trace` on the device (about 35 KB more). */
  trace?: boolean;
}

const TRANSLATOR = "build/wasm-translator.wasm";

function walk(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

function runScript(objName: string): string {
  return `#!/bin/sh
# Runs ${objName} with tinybpf and this device's node (or $NODE). Extra arguments go to 'tinybpf run',
# for example: ./run.sh --pcap capture.pcap --json
here=$(cd "$(dirname "$0")" && pwd)
exec "\${NODE:-node}" "$here/bin/tinybpf.js" run "$here/${objName}" "$@"
`;
}

type Esbuild = typeof import("esbuild");

function loadEsbuild(root: string): Esbuild {
  try {
    return createRequire(join(root, "package.json"))("esbuild") as Esbuild;
  } catch {
    throw new Error("esbuild is needed to make a device bundle: run 'npm install' in the tinybpf checkout");
  }
}

/** The device's entry module: refuses the workstation commands, registers the chosen engines, runs the CLI. */
function entrySource(engines: DeviceEngine[], trace: boolean): string {
  const refused = trace ? WORKSTATION_COMMANDS : [...WORKSTATION_COMMANDS, "trace"];
  return [
    ...(engines.includes("wasm") ? [`import "./dist/src/engines/wasm.js";`] : []),
    `import { main } from "./dist/src/cli/main.js";`,
    `const argv = process.argv.slice(2);`,
    `if (${JSON.stringify(refused)}.includes(argv[0])) {`,
    `  process.stderr.write("tinybpf " + argv[0] + ": not in this device bundle (it runs on a workstation with the tinybpf package)\\n");`,
    `  process.exitCode = 1;`,
    `} else {`,
    `  process.exitCode = await main(argv);`,
    `}`,
    ``,
  ].join("\n");
}

/**
 * The device's `bin/tinybpf.js`, minified (esbuild --bundle --minify --platform=node --format=esm
 * --target=node18), for the given engines.
 */
export function buildDeviceCli(
  engines: DeviceEngine[] = ["interp"],
  root: string = packageRoot(),
  trace = false,
): string {
  for (const needed of ["dist/src/cli/main.js", ...(engines.includes("wasm") ? ["dist/src/engines/wasm.js"] : [])]) {
    if (!existsSync(join(root, needed))) throw new Error(`${join(root, needed)} is missing: run 'npm run build' first`);
  }
  const esbuild = loadEsbuild(root);
  const work = mkdtempSync(join(tmpdir(), "tinybpf-device-"));
  try {
    // A copy of the compiled modules with the workstation-only ones replaced by throwing stand-ins.
    for (const rel of walk(root, "dist").filter((f) => f.endsWith(".js"))) {
      mkdirSync(join(work, rel, ".."), { recursive: true });
      copyFileSync(join(root, rel), join(work, rel));
    }
    for (const name of trace ? WORKSTATION_MODULES : [...WORKSTATION_MODULES, ...TRACE_MODULES]) {
      const rel = join("dist", "src", `${name}.js`);
      if (!existsSync(join(root, rel))) continue;
      const meta = esbuild.buildSync({
        entryPoints: [join(root, rel)],
        bundle: false,
        write: false,
        metafile: true,
        format: "esm",
        logLevel: "silent",
      });
      const exports = Object.values(meta.metafile!.outputs).flatMap((o) => o.exports);
      const fail = `() => { throw new Error("not in this device bundle (it runs on a workstation with the tinybpf package)"); }`;
      writeFileSync(
        join(work, rel),
        [
          `const unavailable = ${fail};`,
          ...exports.map((e) => (e === "default" ? "export default unavailable;" : `export { unavailable as ${e} };`)),
        ].join("\n") + "\n",
      );
    }
    writeFileSync(join(work, "device-cli.js"), entrySource(engines, trace));
    const result = esbuild.buildSync({
      entryPoints: [join(work, "device-cli.js")],
      bundle: true,
      minify: true,
      platform: "node",
      format: "esm",
      target: "node18",
      write: false,
      logLevel: "silent",
      banner: { js: "#!/usr/bin/env node" },
    });
    return result.outputFiles[0].text;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Writes into `outDir` what a device needs to run the BPF object `objPath`: `bin/tinybpf.js` (see
 * buildDeviceCli), `build/core.wasm` (the full or the tiny core), `build/wasm-translator.wasm` when the Wasm
 * engine is asked for, the object itself, a minimal package.json (`"type": "module"`, no dependencies) and
 * `run.sh`. `outDir` must be missing, empty or an earlier bundle (which is replaced). Returns the bundle's files
 * relative to `outDir`, sorted, with `/` separators.
 */
export function bundle(objPath: string, outDir: string, options: BundleOptions = {}): string[] {
  const root = packageRoot();
  const obj = resolve(objPath);
  if (!existsSync(obj) || !statSync(obj).isFile()) throw new Error(`bundle: ${objPath}: no such file`);
  const core = options.core ?? "full";
  if (!(core in CORES)) throw new Error(`bundle: unknown core '${core}' (full or tiny)`);
  const engines = options.engines ?? ["interp"];
  for (const e of engines)
    if (e !== "interp" && e !== "wasm") throw new Error(`bundle: unknown engine '${e}' (interp or wasm)`);
  const wasmFiles: [string, string][] = [[CORES[core], "build/core.wasm"]];
  if (engines.includes("wasm")) wasmFiles.push([TRANSLATOR, TRANSLATOR]);
  for (const [from] of wasmFiles) {
    const hint = from === CORES.tiny ? "npm run build:tiny" : "npm run build";
    if (!existsSync(join(root, from))) throw new Error(`bundle: ${join(root, from)} is missing: run '${hint}' first`);
  }

  const objName = basename(obj);
  if (objName === "package.json" || objName === "run.sh")
    throw new Error(`bundle: the object may not be called ${objName}`);

  const out = resolve(outDir);
  if (out === root || root.startsWith(out + sep))
    throw new Error(`bundle: ${outDir} would overwrite the package itself`);
  if (existsSync(out) && readdirSync(out).length > 0 && !isBundle(out)) {
    throw new Error(`bundle: ${outDir} is not empty and does not hold an earlier bundle`);
  }
  const cli = buildDeviceCli(engines, root, options.trace === true);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "bin"), { recursive: true });
  mkdirSync(join(out, "build"), { recursive: true });

  writeFileSync(join(out, "bin", "tinybpf.js"), cli, { mode: 0o755 });
  for (const [from, to] of wasmFiles) copyFileSync(join(root, from), join(out, to));
  copyFileSync(obj, join(out, objName));

  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string; engines?: object };
  const pkg = {
    name: "tinybpf-bundle",
    version: own.version ?? "0.0.0",
    private: true,
    type: "module",
    bin: { tinybpf: "bin/tinybpf.js" },
    ...(own.engines ? { engines: own.engines } : {}),
    [BUNDLE_MARK]: {
      object: objName,
      core,
      engines: ["interp", ...engines.filter((e) => e !== "interp")],
      trace: options.trace === true,
    },
  };
  writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  writeFileSync(join(out, "run.sh"), runScript(objName), { mode: 0o755 });
  chmodSync(join(out, "run.sh"), 0o755);

  return listBundle(out);
}

function isBundle(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    return pkg[BUNDLE_MARK] !== undefined;
  } catch {
    return false;
  }
}

/** The bundle's files as found on disk (for checks): paths relative to `dir`, sorted, with `/` separators. */
export function listBundle(dir: string): string[] {
  return walk(dir, "")
    .map((f) => f.split(sep).join("/"))
    .sort();
}
