// What goes on a device, and a directory holding it. A device needs the CLI (`bin/tinybpf.js`), the compiled host
// modules it and the API (`dist/src/index.js`) load, among them `dist/assembly`'s ISA and memory-layout constants
// shared with the core, the core's `.wasm` files and a package.json that makes Node treat the `.js` files as ES
// modules. Nothing else: no TypeScript, type declarations, tests, fuzzers or npm dependencies. scripts/size.mjs
// measures the same list.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, posix, resolve, sep } from "node:path";
import { packageRoot } from "./core.js";

/** The bundle's package.json carries this field, so that a later bundle() may replace the directory. */
const BUNDLE_MARK = "tinybpfBundle";

/** Where the runtime's modules start: the CLI and the library API. */
const ENTRY_POINTS = ["bin/tinybpf.js", "dist/src/index.js"];

/**
 * Relative `.js` specifiers in a module's text: static and dynamic imports, and also plain string literals, so
 * that modules imported on demand from a list (the optional engines) are found too.
 */
const SPECIFIER = /["'`](\.{1,2}\/[^"'`\s]+\.js)["'`]/g;

function walk(root: string, dir: string, keep: (name: string) => boolean): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(root, rel, keep));
    else if (entry.isFile() && keep(entry.name)) out.push(rel);
  }
  return out;
}

/**
 * The files under `root` that tinybpf needs at run time, as paths relative to `root` with `/` separators, sorted:
 * the entry points, every module under `dist/` they reach, and each `build/*.wasm` whose name those modules
 * mention. Files that do not exist are left out; `bundle()` checks that the essential ones are there.
 */
export function runtimeFiles(root: string = packageRoot()): string[] {
  const modules = new Set<string>();
  const queue = ENTRY_POINTS.filter((f) => existsSync(join(root, f)));
  let text = "";
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (modules.has(file)) continue;
    modules.add(file);
    const source = readFileSync(join(root, file), "utf8");
    text += source;
    for (const [, spec] of source.matchAll(SPECIFIER)) {
      const target = posix.normalize(posix.join(posix.dirname(file), spec));
      if (target.startsWith("dist/") && existsSync(join(root, target))) queue.push(target);
    }
  }
  const wasm = walk(root, "build", (name) => name.endsWith(".wasm"))
    .filter((f) => dirname(f) === "build" && text.includes(basename(f)));
  return [...modules, ...wasm].map((f) => f.split(sep).join("/")).sort();
}

function runScript(objName: string): string {
  return `#!/bin/sh
# Runs ${objName} with tinybpf and this device's node (or $NODE). Extra arguments go to 'tinybpf run',
# for example: ./run.sh --pcap capture.pcap --json
here=$(cd "$(dirname "$0")" && pwd)
exec "\${NODE:-node}" "$here/bin/tinybpf.js" run "$here/${objName}" "$@"
`;
}

/**
 * Copies what a device needs to run the BPF object `objPath` into `outDir`: the object itself, the runtime files
 * (see `runtimeFiles`), a minimal package.json (`"type": "module"`, no dependencies) and `run.sh`. `outDir` must
 * be missing, empty or an earlier bundle (which is replaced). Returns the bundle's files relative to `outDir`,
 * sorted, with `/` separators.
 */
export function bundle(objPath: string, outDir: string): string[] {
  const root = packageRoot();
  const obj = resolve(objPath);
  if (!existsSync(obj) || !statSync(obj).isFile()) throw new Error(`bundle: ${objPath}: no such file`);
  const files = runtimeFiles(root);
  for (const needed of ["bin/tinybpf.js", "dist/src/index.js", "build/core.wasm"]) {
    if (!files.includes(needed)) throw new Error(`bundle: ${join(root, needed)} is missing: run 'npm run build' first`);
  }

  const objName = basename(obj);
  if (objName === "package.json" || objName === "run.sh") throw new Error(`bundle: the object may not be called ${objName}`);

  const out = resolve(outDir);
  if (out === root || root.startsWith(out + sep)) throw new Error(`bundle: ${outDir} would overwrite the package itself`);
  if (existsSync(out) && readdirSync(out).length > 0) {
    if (!isBundle(out)) throw new Error(`bundle: ${outDir} is not empty and does not hold an earlier bundle`);
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });

  for (const rel of files) {
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    copyFileSync(join(root, rel), join(out, rel));
  }
  chmodSync(join(out, "bin", "tinybpf.js"), 0o755);

  copyFileSync(obj, join(out, objName));

  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string; engines?: object };
  const pkg = {
    name: "tinybpf-bundle",
    version: own.version ?? "0.0.0",
    private: true,
    type: "module",
    bin: { tinybpf: "bin/tinybpf.js" },
    ...(own.engines ? { engines: own.engines } : {}),
    [BUNDLE_MARK]: objName,
  };
  writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  writeFileSync(join(out, "run.sh"), runScript(objName), { mode: 0o755 });

  return [...files, objName, "package.json", "run.sh"].sort();
}

function isBundle(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    return typeof pkg[BUNDLE_MARK] === "string";
  } catch {
    return false;
  }
}

/** The bundle's files as found on disk (for checks): paths relative to `dir`, sorted, with `/` separators. */
export function listBundle(dir: string): string[] {
  return walk(dir, "", () => true).map((f) => f.split(sep).join("/")).sort();
}
