// One-liners over a synthetic capture (cases.ts), each checked against output computed by plain JavaScript over
// the same frames, on interp and wasm, and as ARM32 executables under qemu-arm where the script needs no host.
import { describe, expect, test, beforeAll } from "vitest";
import { compile } from "../../src/trace/compile.js";
import { Trace } from "../../src/trace/runtime.js";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { arm32Obstacle, runOnArm32 } from "../../src/trace/arm32.js";
import { ensureArm32Translator } from "../support/arm32.js";
import { join } from "node:path";
import type { Frame } from "./model.js";
import { CASES, frames, output } from "./cases.js";

export function runScript(script: string, engine: "interp" | "wasm", capture: Frame[] = frames): string {
  let out = "";
  const t = new Trace(compile(script), { engine, out: (s) => (out += s) });
  if (capture.length) t.begin(capture[0].ns);
  let last = capture.length ? capture[0].ns : 0n;
  for (const f of capture) {
    if (t.exited) break;
    t.packet(f.d, f.ns);
    last = f.ns;
  }
  t.finish(last);
  return out;
}

beforeAll(async () => {
  await loadEngines();
  ensureArm32Translator();
});

describe("trace one-liners against an independent reading of the capture", () => {
  test("the corpus has at least 40 one-liners", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });
  for (const engine of ["interp", "wasm"] as const) {
    describe(engine, () => {
      for (const c of CASES) {
        test(c.script, () => {
          expect(runScript(c.script, engine)).toBe(output(c));
        });
      }
    });
  }
});

// The packet probe as a standalone ARM32 executable under qemu-arm (natively on ARM), reading the capture itself:
// every one-liner that needs no host while it runs.
describe("arm32 executables", () => {
  const eligible = CASES.filter((c) => arm32Obstacle(compile(c.script)) === undefined);
  test("at least 10 one-liners run as ARM32 executables", () => {
    expect(eligible.length).toBeGreaterThanOrEqual(10);
  });
  const capture = join(__dirname, "..", "fixtures", "pcap", "trace-mix.pcap");
  for (const c of eligible) {
    test(c.script, async () => {
      expect(await runOnArm32(compile(c.script), { pcap: capture })).toBe(output(c));
    });
  }
});
