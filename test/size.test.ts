// The size budget (size-budget.json) against the real built files, measured by the code behind `npm run size`.
import { beforeAll, describe, expect, it } from "vitest";
import { measure, overBudget, readBudget } from "../scripts/size.mjs";

type Measured = Awaited<ReturnType<typeof measure>>;

describe("size budget", () => {
  let m: Measured;
  const budget = readBudget();

  beforeAll(async () => {
    m = await measure(undefined, { pack: true });
  }, 60_000);

  it("measures a complete build (the CLI, the host modules and the core)", () => {
    const files = m.device.list.map((s: { file: string }) => s.file);
    for (const needed of ["bin/tinybpf.js", "dist/src/index.js", "build/core.wasm"]) {
      expect(files, `${needed} is missing: run 'npm run build' first`).toContain(needed);
    }
  });

  it("has no runtime dependencies", () => {
    expect(m.dependencies, "package.json 'dependencies' must stay empty").toEqual([]);
  });

  it("keeps each core module within its budget", () => {
    for (const [file, limit] of Object.entries(budget.wasm as Record<string, { maxRawBytes: number }>)) {
      const s = m.wasm.find((w: { file: string }) => w.file === file);
      expect(s, `${file} is missing: run 'npm run build:core'`).toBeDefined();
      expect(s.raw, `${file} is ${s.raw} bytes, budget ${limit.maxRawBytes}`).toBeLessThanOrEqual(limit.maxRawBytes);
    }
  });

  it("keeps everything a device needs within budget", () => {
    const over = overBudget(m, budget).filter((line: string) => line.startsWith("device files"));
    expect(over, "the files a device needs are over budget").toEqual([]);
  });

  it("packs the runtime files into the npm package", () => {
    expect(m.pack.files).toBeGreaterThanOrEqual(m.device.files);
    expect(m.pack.unpackedSize).toBeGreaterThanOrEqual(m.device.raw);
    expect(m.pack.size).toBeLessThan(m.pack.unpackedSize);
  });
});

describe("budget check", () => {
  const budget = { device: { maxRawBytes: 100 }, wasm: { "build/core.wasm": { maxRawBytes: 40 } }, maxRuntimeDependencies: 0 };
  const within = {
    wasm: [{ file: "build/core.wasm", raw: 40, gzip: 30 }],
    device: { files: 2, raw: 100, gzip: 70, list: [{ file: "build/core.wasm", raw: 40, gzip: 30 }, { file: "dist/src/index.js", raw: 60, gzip: 40 }] },
    dependencies: [] as string[],
  };

  it("accepts sizes equal to the limits", () => {
    expect(overBudget(within, budget)).toEqual([]);
  });

  it("names what is over", () => {
    const over = overBudget(
      {
        wasm: [{ file: "build/core.wasm", raw: 41, gzip: 30 }],
        device: { ...within.device, raw: 101, list: [...within.device.list, { file: "bin/tinybpf.js", raw: 1, gzip: 1 }] },
        dependencies: ["left-pad"],
      },
      budget,
    );
    expect(over).toHaveLength(3);
    expect(over[0]).toMatch(/^device files: 101 bytes raw > 100 \(largest: dist\/src\/index\.js 60/);
    expect(over[1]).toBe("build/core.wasm: 41 bytes raw > 40");
    expect(over[2]).toMatch(/left-pad/);
  });

  it("reports a core module that was not built", () => {
    expect(overBudget({ ...within, wasm: [] }, budget)).toEqual(["build/core.wasm: missing (run 'npm run build')"]);
  });
});
