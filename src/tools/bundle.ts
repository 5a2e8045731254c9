// What goes on a device, and a directory holding it. A device gets one minified file, `bin/tinybpf.js`: the
// device's command line (src/cli/device-main.ts) with everything `run` and `info` need (ELF and BTF loading,
// validation, the interpreter's host side, captures, contexts, printk) and by default the Wasm engine's host side,
// made with esbuild from the compiled modules in dist/. Next to it go the core's `.wasm` file, the eBPF->Wasm
// translator (unless `engines: ["interp"]`), the BPF objects, a package.json that makes Node treat the `.js` file
// as an ES module, and `run.sh`; with `serve`, the daemon's web UI and `serve.sh`. The development commands (asm,
// disasm, conformance, bundle, build, the daemon's client) stay on the workstation: the device's CLI answers them
// with a one-line error. esbuild is a development dependency; a device never runs it. scripts/size.mjs measures
// bundles made here.
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
import { brotliCompressSync, constants as zlib } from "node:zlib";
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
  "modules",
  "links",
  "tables",
  "push",
  "pull",
];

/**
 * Compiled modules that the device's CLI reaches only through a dynamic import of a command or engine it does
 * not carry: each is replaced by a module with the same export names whose functions throw, so that their code
 * (and everything only they import) is left out.
 */
const LEFT_OUT = [
  "cli/build-commands", // build, bundle
  "cli/run-native", // run --engine arm32
  "engines/arm32/engine",
  "cli/serve-client", // the daemon's client commands (modules, links, tables, push, pull)
];

/**
 * Compiled modules replaced by what a device needs of them. The engine loader imports the optional engines on
 * demand; in a bundle the entry imports the chosen engines itself, so there is nothing left to load.
 */
const REPLACED: Record<string, string> = {
  "runtime/engine-loader": "export async function loadEngines() {}\n",
};

/** The cores a bundle can carry, as `build/core.wasm` in the bundle. */
export const CORES = { full: "build/core.wasm", tiny: "build/core-tiny.wasm" } as const;
export type CoreChoice = keyof typeof CORES;
export type DeviceEngine = "interp" | "wasm";

/** The engines of a bundle made without `engines`: the Wasm engine runs programs several times faster. */
export const DEFAULT_ENGINES: DeviceEngine[] = ["interp", "wasm"];

export interface BundleOptions {
  /** "full" (build/core.wasm, every map type; the default) or "tiny" (build/core-tiny.wasm, `npm run build:tiny`). */
  core?: CoreChoice;
  /**
   * The engines the device can run: the interpreter always, "wasm" adds the eBPF-to-Wasm translator
   * (build/wasm-translator.wasm). Default: both (DEFAULT_ENGINES); ["interp"] makes the smallest bundle.
   */
  engines?: DeviceEngine[];
  /** Also carry the script compiler, for `tinybpf trace` on the device (about 46 KB more before compression). */
  trace?: boolean;
  /** Also carry the daemon (`tinybpf serve`, src/serve) and its web UI, started by the bundle's serve.sh. */
  serve?: boolean;
  /**
   * With `serve`: also the ARM32 translator (build/arm32.wasm, stored brotli-compressed) and the executables' host
   * side, so that the daemon's iface: links run the module's ARM32 executable on the device (src/serve/native.ts)
   * instead of needing tcpdump. Over 40 KB more: not in the default --serve bundle.
   */
  arm32?: boolean;
  /**
   * Store the CLI brotli-compressed (`bin/tinybpf.mjs.br`, inflated by the small `bin/tinybpf.js` at each start,
   * with Node's own zlib), and the core and the Wasm translator too (`build/NAME.wasm.br`): the default, a third
   * of the flash. `false` stores them as they are.
   */
  compress?: boolean;
}

/** What the device's CLI carries, besides `run` and `info`. */
export interface DeviceCliOptions {
  engines?: DeviceEngine[];
  trace?: boolean;
  serve?: boolean;
  /** With serve: the daemon builds ARM32 executables (BundleOptions.arm32). */
  arm32?: boolean;
  /** Made to be stored compressed and run by LOADER (the default), or to run as it is. */
  compress?: boolean;
}

/** The device's CLI and what went into it: each compiled module and its bytes in the minified output. */
export interface DeviceCli {
  code: string;
  modules: { path: string; bytes: number }[];
}

const TRANSLATOR = "build/wasm-translator.wasm";
const ARM32_TRANSLATOR = "build/arm32.wasm";
/** The daemon's web UI in the package (static files, served as they are). */
const UI_DIR = "src/serve/ui";

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

/** run.sh: runs the bundle's object with `tinybpf run`; when it holds several, the one its first argument names. */
function runScript(objNames: string[]): string {
  if (objNames.length === 1) {
    const objName = objNames[0];
    return `#!/bin/sh
# Runs ${objName} with tinybpf and this device's node (or $NODE). Extra arguments go to 'tinybpf run',
# for example: ./run.sh --pcap capture.pcap --json
here=$(cd "$(dirname "$0")" && pwd)
exec "\${NODE:-node}" "$here/bin/tinybpf.js" run "$here/${objName}" "$@"
`;
  }
  return `#!/bin/sh
# Runs one of this bundle's objects (${objNames.join(", ")}) with tinybpf and this device's node (or $NODE):
#   ./run.sh OBJ [arguments of 'tinybpf run'], for example: ./run.sh ${objNames[0]} --pcap capture.pcap --json
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: $0 OBJ [options of 'tinybpf run'] (OBJ: ${objNames.join(", ")})" >&2; exit 1; }
obj=$1
shift
exec "\${NODE:-node}" "$here/bin/tinybpf.js" run "$here/$obj" "$@"
`;
}

/** serve.sh: starts the daemon, its data in ./data unless --data says otherwise. */
function serveScript(): string {
  return `#!/bin/sh
# Starts the tinybpf daemon with this device's node (or $NODE); its modules, links and token are kept in
# ./data next to this script unless --data DIR is given. Extra arguments go to 'tinybpf serve', for example:
# ./serve.sh --listen 0.0.0.0:7878
here=$(cd "$(dirname "$0")" && pwd)
case " $* " in *" --data "*|*" --data="*) exec "\${NODE:-node}" "$here/bin/tinybpf.js" serve "$@" ;; esac
exec "\${NODE:-node}" "$here/bin/tinybpf.js" serve --data "$here/data" "$@"
`;
}

/** The name under which the loader gives a compressed CLI the address of bin/tinybpf.js. */
const LOADER_URL = "TINYBPF_CLI_URL";
const COMPRESSED_CLI = "tinybpf.mjs.br";

/**
 * bin/tinybpf.js of a compressed bundle: inflates bin/tinybpf.mjs.br and runs it as an ES module from a data: URL
 * (which may import Node's built-in modules, all the CLI imports). Inflating costs milliseconds; the module
 * itself is what an uncompressed bundle runs.
 */
const LOADER = `#!/usr/bin/env node
// tinybpf's device CLI, stored brotli-compressed in ${COMPRESSED_CLI} next to this file: inflated and run.
import { readFileSync } from "node:fs";
import { brotliDecompressSync } from "node:zlib";
const stored = new URL("${COMPRESSED_CLI}", import.meta.url);
let code;
try {
  code = brotliDecompressSync(readFileSync(stored)).toString();
} catch (e) {
  process.stderr.write(\`tinybpf: cannot read \${stored.pathname}: \${e.message.split("\\n")[0]}\\n\`);
  process.exit(1);
}
code = \`const ${LOADER_URL} = \${JSON.stringify(import.meta.url)};\` + code;
await import("data:text/javascript;base64," + Buffer.from(code).toString("base64"));
`;

/** The bundle's own entries: no object may take one of these names. */
const OWN_NAMES = new Set(["bin", "build", "data", "package.json", "run.sh", "serve.sh"]);

type Esbuild = typeof import("esbuild");

function loadEsbuild(root: string): Esbuild {
  try {
    return createRequire(join(root, "package.json"))("esbuild") as Esbuild;
  } catch {
    throw new Error("esbuild is needed to make a device bundle: run 'npm install' in the tinybpf checkout");
  }
}

/** The device's entry module: registers the chosen engines, runs the device's CLI with the chosen commands. */
function entrySource(engines: DeviceEngine[], trace: boolean, serve: boolean, arm32: boolean): string {
  const extras: string[] = [];
  const lines = engines.includes("wasm") ? [`import "./dist/src/engines/wasm.js";`] : [];
  lines.push(`import { deviceMain } from "./dist/src/cli/device-main.js";`);
  if (trace) {
    lines.push(`import { commands as trace } from "./dist/src/cli/trace-command.js";`);
    lines.push(`import { TRACE_USAGE_LINES } from "./dist/src/cli/trace-usage.js";`);
    extras.push(`{ commands: { trace: trace.trace }, usage: TRACE_USAGE_LINES }`);
  }
  if (serve) {
    lines.push(`import { commands as serve, SERVE_USAGE } from "./dist/src/cli/serve-commands.js";`);
    extras.push(`{ commands: { serve: serve.serve }, usage: SERVE_USAGE.split("\\n")[0] + "\\n" }`);
  }
  if (trace && serve) {
    // the daemon compiles one-liners only where the compiler is carried anyway (src/serve/scripts.ts)
    lines.push(`import { registerScriptCompiler } from "./dist/src/serve/scripts.js";`);
    lines.push(`import { compile } from "./dist/src/trace/compile.js";`);
    lines.push(`registerScriptCompiler(async (script) => compile(script).object);`);
  }
  if (serve && arm32) {
    // the daemon's iface: links through the module's ARM32 executable (src/serve/native.ts)
    lines.push(`import { registerExecutableBuilder } from "./dist/src/serve/native.js";`);
    lines.push(`import { executableBuilder } from "./dist/src/cli/serve-executables.js";`);
    lines.push(`registerExecutableBuilder(async () => executableBuilder());`);
  }
  lines.push(`process.exitCode = await deviceMain(process.argv.slice(2), [${extras.join(", ")}]);`);
  return lines.join("\n") + "\n";
}

/**
 * The device's `bin/tinybpf.js`, minified (esbuild --bundle --minify --platform=node --format=esm
 * --target=node18): `run` and `info` (src/cli/device-main.ts), the chosen engines, `trace` and `serve` when asked.
 */
export function buildDeviceCli(options: DeviceCliOptions = {}, root: string = packageRoot()): DeviceCli {
  const engines = options.engines ?? DEFAULT_ENGINES;
  const trace = options.trace === true;
  const serve = options.serve === true;
  const arm32 = serve && options.arm32 === true;
  const compressed = options.compress !== false;
  for (const needed of [
    "dist/src/cli/device-main.js",
    ...(engines.includes("wasm") ? ["dist/src/engines/wasm.js"] : []),
  ]) {
    if (!existsSync(join(root, needed))) throw new Error(`${join(root, needed)} is missing: run 'npm run build' first`);
  }
  const esbuild = loadEsbuild(root);
  const work = mkdtempSync(join(tmpdir(), "tinybpf-device-"));
  try {
    // A copy of the compiled modules with the left-out ones replaced (esbuild's plugins, which could do this in
    // place, need its asynchronous API).
    for (const rel of walk(root, "dist").filter((f) => f.endsWith(".js"))) {
      mkdirSync(join(work, rel, ".."), { recursive: true });
      copyFileSync(join(root, rel), join(work, rel));
    }
    for (const name of LEFT_OUT.filter((n) => !(arm32 && n === "engines/arm32/engine"))) {
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
    for (const [name, source] of Object.entries(REPLACED))
      writeFileSync(join(work, "dist", "src", `${name}.js`), source);
    writeFileSync(join(work, "device-cli.js"), entrySource(engines, trace, serve, arm32));
    const result = esbuild.buildSync({
      entryPoints: [join(work, "device-cli.js")],
      bundle: true,
      minify: true,
      platform: "node",
      format: "esm",
      target: "node18",
      absWorkingDir: work, // the metafile names modules relative to it: dist/src/...
      write: false,
      metafile: true,
      logLevel: "silent",
      // a compressed CLI runs from a data: URL; the loader hands it the address of bin/tinybpf.js, where the
      // modules that find the package through import.meta.url expect to be
      ...(compressed ? { define: { "import.meta.url": LOADER_URL } } : { banner: { js: "#!/usr/bin/env node" } }),
    });
    const output = Object.values(result.metafile!.outputs)[0];
    const modules = Object.entries(output.inputs)
      .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
      .sort((a, b) => b.bytes - a.bytes);
    return { code: result.outputFiles[0].text, modules };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Brotli at its best: the bundle stores once what the device reads many times. */
function brotli(data: string | Uint8Array): Buffer {
  const params = { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length };
  return brotliCompressSync(data, { params });
}

/**
 * Writes into `outDir` what a device needs to run the BPF objects `objPaths` (none, when only the daemon is
 * asked for): `bin/tinybpf.js` (see buildDeviceCli), `build/core.wasm` (the full or the tiny core),
 * `build/wasm-translator.wasm` for the Wasm engine (a default; both `.wasm.br` when compressed), the objects themselves, a minimal package.json
 * (`"type": "module"`, no dependencies), `run.sh` when there is an object, and with `serve` the daemon's web UI
 * (`bin/ui/`, where the daemon looks for it next to its code; NAME.br when the CLI is compressed) and `serve.sh`. `outDir` must be missing, empty or
 * an earlier bundle (which is replaced). Returns the bundle's files relative to `outDir`, sorted, with `/`
 * separators.
 */
export function bundle(objPaths: string | string[], outDir: string, options: BundleOptions = {}): string[] {
  const root = packageRoot();
  const objs = (typeof objPaths === "string" ? [objPaths] : objPaths).map((path) => {
    const abs = resolve(path);
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new Error(`bundle: ${path}: no such file`);
    if (OWN_NAMES.has(basename(abs))) throw new Error(`bundle: the object may not be called ${basename(abs)}`);
    // run.sh names it between double quotes: nothing there may be taken by the shell
    if (!/^[A-Za-z0-9._+-]+$/.test(basename(abs)))
      throw new Error(
        `bundle: ${basename(abs)}: an object's name may hold letters, digits, '.', '_', '+' and '-' only`,
      );
    return abs;
  });
  if (objs.length === 0 && options.serve !== true)
    throw new Error("bundle: no object given (or --serve for the daemon alone)");
  const objNames = objs.map((o) => basename(o));
  const twice = objNames.find((name, i) => objNames.indexOf(name) !== i);
  if (twice) throw new Error(`bundle: two objects are called ${twice}`);
  const core = options.core ?? "full";
  if (!Object.hasOwn(CORES, core)) throw new Error(`bundle: unknown core '${core}' (full or tiny)`);
  const engines = options.engines ?? DEFAULT_ENGINES;
  for (const e of engines)
    if (e !== "interp" && e !== "wasm") throw new Error(`bundle: unknown engine '${e}' (interp or wasm)`);
  if (!engines.includes("interp")) throw new Error("bundle: the engines must include interp (every bundle has it)");
  const wasmFiles: [string, string][] = [[CORES[core], "build/core.wasm"]];
  if (engines.includes("wasm")) wasmFiles.push([TRANSLATOR, TRANSLATOR]);
  for (const [from] of wasmFiles) {
    const hint = from === CORES.tiny ? "npm run build:tiny" : "npm run build";
    if (!existsSync(join(root, from))) throw new Error(`bundle: ${join(root, from)} is missing: run '${hint}' first`);
  }
  if (options.arm32 === true && options.serve !== true) throw new Error("bundle: --arm32 goes with --serve");
  const arm32 = options.arm32 === true;
  if (arm32 && !existsSync(join(root, ARM32_TRANSLATOR)))
    throw new Error(`bundle: ${join(root, ARM32_TRANSLATOR)} is missing: run 'npm run build' first`);
  const uiFiles = options.serve === true ? walk(root, UI_DIR).filter((f) => !f.endsWith(".ts")) : [];
  if (options.serve === true && !uiFiles.some((f) => basename(f) === "index.html"))
    throw new Error(`bundle: ${join(root, UI_DIR)} has no index.html (the daemon's web UI)`);

  const out = resolve(outDir);
  if (out === root || root.startsWith(out + sep))
    throw new Error(`bundle: ${outDir} would overwrite the package itself`);
  if (existsSync(out) && readdirSync(out).length > 0 && !isBundle(out)) {
    throw new Error(`bundle: ${outDir} is not empty and does not hold an earlier bundle`);
  }
  const compress = options.compress !== false;
  const cli = buildDeviceCli(
    { engines, trace: options.trace === true, serve: options.serve === true, arm32, compress },
    root,
  );
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "bin"), { recursive: true });
  mkdirSync(join(out, "build"), { recursive: true });

  if (compress) {
    writeFileSync(join(out, "bin", "tinybpf.js"), LOADER, { mode: 0o755 });
    writeFileSync(join(out, "bin", COMPRESSED_CLI), brotli(cli.code));
  } else writeFileSync(join(out, "bin", "tinybpf.js"), cli.code, { mode: 0o755 });
  // with the CLI compressed, the modules are too (NAME.br: src/runtime/build-files.ts inflates them at each start,
  // about a millisecond on x64, for a third of their size on the device's flash)
  for (const [from, to] of wasmFiles) {
    if (compress) writeFileSync(join(out, to + ".br"), brotli(readFileSync(join(root, from))));
    else copyFileSync(join(root, from), join(out, to));
  }
  if (arm32) writeFileSync(join(out, ARM32_TRANSLATOR + ".br"), brotli(readFileSync(join(root, ARM32_TRANSLATOR))));
  for (const obj of objs) copyFileSync(obj, join(out, basename(obj)));
  for (const file of uiFiles) {
    const to = join(out, "bin", "ui", file.slice(UI_DIR.length + 1));
    mkdirSync(join(to, ".."), { recursive: true });
    const loader = file.endsWith(".js") ? "js" : file.endsWith(".css") ? "css" : undefined;
    // the web UI's script and style go minified (a third smaller); the page itself as it is; with the CLI stored
    // compressed, all three are too (NAME.br, inflated by the daemon as it serves them: a third again)
    const text = readFileSync(join(root, file), "utf8");
    const body = loader ? loadEsbuild(root).transformSync(text, { loader, minify: true }).code : text;
    if (compress) writeFileSync(to + ".br", brotli(body));
    else writeFileSync(to, body);
  }

  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string; engines?: object };
  const pkg = {
    name: "tinybpf-bundle",
    version: own.version ?? "0.0.0",
    private: true,
    type: "module",
    bin: { tinybpf: "bin/tinybpf.js" },
    ...(own.engines ? { engines: own.engines } : {}),
    [BUNDLE_MARK]: {
      objects: objNames,
      core,
      engines: ["interp", ...engines.filter((e) => e !== "interp")],
      trace: options.trace === true,
      serve: options.serve === true,
      arm32,
      compressed: compress,
    },
  };
  writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  if (objNames.length > 0) writeFileSync(join(out, "run.sh"), runScript(objNames), { mode: 0o755 });
  if (options.serve === true) writeFileSync(join(out, "serve.sh"), serveScript(), { mode: 0o755 });
  for (const script of ["run.sh", "serve.sh"]) if (existsSync(join(out, script))) chmodSync(join(out, script), 0o755);

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
