// bundle(): the directory that goes on a device holds exactly the runtime files, and works on its own.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, listBundle, runtimeFiles } from "../src/bundle.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OBJ = join(ROOT, "test", "fixtures", "sockex1.o");
const PCAP = join(ROOT, "test", "fixtures", "pcap", "sockex1.pcap");

/** The only shapes a bundle's files may have. */
const ALLOWED = [/^bin\/tinybpf\.js$/, /^dist\/(src|assembly)\/.+\.js$/, /^build\/[^/]+\.wasm$/, /^sockex1\.o$/, /^package\.json$/, /^run\.sh$/];

/** Relative module specifiers a JavaScript file imports (static imports, re-exports, literal dynamic imports). */
function importsOf(source: string): string[] {
  const specs = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]);
  return [...new Set(specs)];
}

describe("bundle", () => {
  let work: string;
  let out: string;
  let files: string[];

  beforeAll(() => {
    for (const needed of ["bin/tinybpf.js", "dist/src/index.js", "dist/src/bundle.js", "build/core.wasm"]) {
      if (!existsSync(join(ROOT, needed))) throw new Error(`${needed} is missing: run 'npm run build' first`);
    }
    work = mkdtempSync(join(tmpdir(), "tinybpf-bundle-"));
    out = join(work, "device");
    files = bundle(OBJ, out);
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("returns what it wrote", () => {
    expect(listBundle(out)).toEqual(files);
  });

  it("holds the runtime files, the object, package.json and run.sh", () => {
    expect(files).toEqual([...runtimeFiles(ROOT), "sockex1.o", "package.json", "run.sh"].sort());
    for (const f of ["bin/tinybpf.js", "dist/src/index.js", "build/core.wasm", "sockex1.o", "package.json", "run.sh"]) {
      expect(files).toContain(f);
    }
    for (const f of files.filter((f) => f !== "package.json" && f !== "run.sh")) {
      const original = f === "sockex1.o" ? OBJ : join(ROOT, f);
      expect(readFileSync(join(out, f)).equals(readFileSync(original)), `${f} differs from ${original}`).toBe(true);
    }
  });

  it("holds no dev-only files", () => {
    const unexpected = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
    expect(unexpected, "files that are not runtime files").toEqual([]);
    const devOnly = files.filter((f) => /\.(ts|map|wat)$/.test(f) || /^(src|assembly|test|scripts|bench|targets|docs|node_modules|dist\/src\/fuzz)\//.test(f));
    expect(devOnly, "dev-only files").toEqual([]);
  });

  it("holds every module the CLI imports", () => {
    const seen = new Set<string>();
    const missing: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      if (!files.includes(file)) return void missing.push(file);
      for (const spec of importsOf(readFileSync(join(out, file), "utf8"))) visit(posix.join(posix.dirname(file), spec));
    };
    visit("bin/tinybpf.js");
    expect(missing, "imported but not bundled").toEqual([]);
    expect(seen.size).toBeGreaterThan(2);
  });

  it("has a package.json for ES modules without dependencies or scripts", () => {
    const pkg = JSON.parse(readFileSync(join(out, "package.json"), "utf8"));
    expect(pkg.type).toBe("module");
    expect(pkg.bin).toEqual({ tinybpf: "bin/tinybpf.js" });
    for (const key of ["dependencies", "devDependencies", "scripts", "files"]) expect(pkg, key).not.toHaveProperty(key);
  });

  it("runs from the bundle alone, as the package does", () => {
    const other = join(work, "elsewhere");
    mkdirSync(other);
    const expected = execFileSync(process.execPath, [join(ROOT, "bin", "tinybpf.js"), "run", OBJ, "--pcap", PCAP, "--json"], { encoding: "utf8" });
    const viaRunSh = spawnSync(join(out, "run.sh"), ["--pcap", PCAP, "--json"], {
      cwd: other,
      encoding: "utf8",
      env: { ...process.env, NODE: process.execPath },
    });
    expect(viaRunSh.status, viaRunSh.stderr).toBe(0);
    expect(JSON.parse(viaRunSh.stdout)).toEqual(JSON.parse(expected));
    expect(statSync(join(out, "run.sh")).mode & 0o111).not.toBe(0);
  });

  it("replaces an earlier bundle", () => {
    const again = join(work, "again");
    bundle(OBJ, again);
    writeFileSync(join(again, "stale.txt"), "left from before");
    const second = bundle(OBJ, again);
    expect(listBundle(again)).toEqual(second);
  });

  it("refuses a directory that holds something else, and a missing object", () => {
    const busy = join(work, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "notes.txt"), "mine");
    expect(() => bundle(OBJ, busy)).toThrow(/not empty/);
    expect(readFileSync(join(busy, "notes.txt"), "utf8")).toBe("mine");
    expect(() => bundle(join(work, "missing.o"), join(work, "x"))).toThrow(/no such file/);
    expect(() => bundle(OBJ, ROOT)).toThrow(/overwrite the package/);
  });
});
