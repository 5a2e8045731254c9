// The size budget (size-budget.json) against the real built files and real bundles, measured by the code
// behind `npm run size`.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, deviceModules, measure, overBudget, readBudget, type Measurement } from "../../scripts/size.mjs";

type Sizes = { file: string; raw: number; gzip: number };
type BundleName = "device" | "deviceInterp" | "deviceTiny" | "devicePlain" | "deviceServe";

describe("size budget", () => {
  let m: Measurement;
  const budget = readBudget();
  /** A measured bundle; every one is, once the full and the tiny core are built (beforeAll sees to that). */
  const bundleOf = (name: BundleName) => {
    const b = m[name];
    if (!b) throw new Error(`the ${name} bundle was not measured`);
    return b;
  };
  const wasmSize = (file: string) => {
    const s = m.wasm.find((w: Sizes) => w.file === file);
    if (!s) throw new Error(`${file} is missing: run 'npm run build' and 'npm run build:tiny'`);
    return s.raw;
  };

  beforeAll(async () => {
    if (!existsSync(join(ROOT, "build", "core-tiny.wasm"))) {
      execFileSync(process.execPath, [join(ROOT, "scripts", "build-tiny.mjs")], { cwd: ROOT });
    }
    m = await measure(undefined, { pack: true });
  }, 120_000);

  it("measures real bundles: the CLI, the core and the translator, the object apart", () => {
    const device = bundleOf("device");
    const files = (b: { list: Sizes[] }) => b.list.map((s: Sizes) => s.file);
    expect(files(device)).toEqual([
      "bin/tinybpf.js",
      "bin/tinybpf.mjs.br",
      "build/core.wasm.br",
      "build/wasm-translator.wasm.br",
      "package.json",
      "run.sh",
    ]);
    expect(device.object?.file).toBe("sockex1.o");
    expect(files(bundleOf("deviceInterp")).filter((f) => f.includes("wasm-translator"))).toEqual([]);
    expect(files(bundleOf("devicePlain"))).not.toContain("bin/tinybpf.mjs.br");
    expect(files(bundleOf("deviceServe"))).toEqual(expect.arrayContaining(["bin/ui/index.html.br", "serve.sh"]));
    expect(bundleOf("deviceServe").object).toBeUndefined();
    const size = (b: { list: Sizes[] }, file: string) => b.list.find((s) => s.file === file)?.raw;
    // stored as they are without compression, and at under half that with it
    const plain = bundleOf("devicePlain");
    expect(size(plain, "build/core.wasm")).toBe(wasmSize("build/core.wasm"));
    expect(size(plain, "build/wasm-translator.wasm")).toBe(wasmSize("build/wasm-translator.wasm"));
    expect(size(device, "build/core.wasm.br")).toBeLessThan(wasmSize("build/core.wasm") / 2);
    expect(size(device, "build/wasm-translator.wasm.br")).toBeLessThan(wasmSize("build/wasm-translator.wasm") / 2);
    expect(size(bundleOf("deviceTiny"), "build/core.wasm.br")).toBeLessThan(wasmSize("build/core-tiny.wasm") / 2);
    expect(device.raw).toBe(device.list.reduce((n: number, s: Sizes) => n + s.raw, 0));
    // the compressed CLI inflates to what the uncompressed bundle stores (that one has a #! line more)
    expect(plain.inflatedCli).toBe(size(plain, "bin/tinybpf.js"));
    expect(device.inflatedCli).toBe(plain.inflatedCli - "#!/usr/bin/env node\n".length);
    expect(size(device, "bin/tinybpf.mjs.br")).toBeLessThan(device.inflatedCli / 2);
  });

  it("lists what the default device CLI is made of, adding up to (almost) all of it", async () => {
    const modules: { path: string; bytes: number }[] = await deviceModules();
    const sum = modules.reduce((n, m) => n + m.bytes, 0);
    const cli = bundleOf("device").inflatedCli;
    // the rest is esbuild's own glue between the modules
    expect(sum).toBeLessThanOrEqual(cli);
    expect(sum).toBeGreaterThan(cli * 0.95);
    expect(modules[0].bytes).toBeGreaterThanOrEqual(modules.at(-1)!.bytes);
    expect(modules.map((m) => m.path)).toContain("dist/src/cli/device-main.js");
  });

  it("has no runtime dependencies", () => {
    expect(m.dependencies, "package.json 'dependencies' must stay empty").toEqual([]);
  });

  it("keeps each core module within its budget (the tiny core within 16 KiB)", () => {
    expect(budget.wasm["build/core-tiny.wasm"].maxRawBytes).toBe(16384);
    for (const [file, limit] of Object.entries(budget.wasm as Record<string, { maxRawBytes: number }>)) {
      const raw = wasmSize(file);
      expect(raw, `${file} is ${raw} bytes, budget ${limit.maxRawBytes}`).toBeLessThanOrEqual(limit.maxRawBytes);
    }
  });

  it("keeps what goes on a device within 100 KiB (the default bundle with the Wasm engine, the smaller ones, the daemon's)", () => {
    for (const name of ["device", "deviceInterp", "deviceTiny", "deviceServe"]) {
      expect(budget[name].maxRawBytes, name).toBe(102400);
    }
    expect(budget.devicePlain.maxRawBytes).toBeLessThanOrEqual(151405); // 147.9 KiB
    const over = overBudget(m, budget).filter((line: string) => /^device/.test(line));
    expect(over, "the files a device needs are over budget").toEqual([]);
  });

  it("packs the runtime files into the npm package", () => {
    const pack = m.pack;
    if (!pack) throw new Error("measure({ pack: true }) left out the package");
    expect(pack.files).toBeGreaterThan(10);
    expect(pack.size).toBeLessThan(pack.unpackedSize);
  });
});

describe("budget check", () => {
  const budget = {
    device: { maxRawBytes: 100 },
    wasm: { "build/core.wasm": { maxRawBytes: 40 }, "build/core-tiny.wasm": { maxRawBytes: 30 } },
    maxRuntimeDependencies: 0,
  };
  const object = { file: "x.o", raw: 5, gzip: 5 };
  const within = {
    wasm: [
      { file: "build/core.wasm", raw: 40, gzip: 30 },
      { file: "build/core-tiny.wasm", raw: 30, gzip: 20 },
    ],
    device: {
      files: 2,
      raw: 100,
      gzip: 70,
      object,
      list: [
        { file: "build/core.wasm", raw: 40, gzip: 30 },
        { file: "bin/tinybpf.js", raw: 60, gzip: 40 },
      ],
    },
    dependencies: [] as string[],
  };

  it("accepts sizes equal to the limits", () => {
    expect(overBudget(within, budget)).toEqual([]);
  });

  it("names what is over", () => {
    const over = overBudget(
      {
        wasm: [
          { file: "build/core.wasm", raw: 41, gzip: 30 },
          { file: "build/core-tiny.wasm", raw: 30, gzip: 20 },
        ],
        device: { ...within.device, raw: 101, list: [...within.device.list, { file: "run.sh", raw: 1, gzip: 1 }] },
        dependencies: ["left-pad"],
      },
      budget,
    );
    expect(over).toHaveLength(3);
    expect(over[0]).toMatch(/^device: 101 bytes raw > 100 \(largest: bin\/tinybpf\.js 60/);
    expect(over[1]).toBe("build/core.wasm: 41 bytes raw > 40");
    expect(over[2]).toMatch(/left-pad/);
  });

  it("reports a core module that was not built, and a bundle that was not measured", () => {
    expect(overBudget({ ...within, wasm: [within.wasm[0]] }, budget)).toEqual([
      "build/core-tiny.wasm: missing (run 'npm run build:tiny')",
    ]);
    expect(overBudget({ ...within, device: undefined }, budget)).toEqual([
      "device: not measured (run 'npm run build')",
    ]);
  });
});
