// A reserved ring-buffer sample is the only part of the ring a program may touch, and only until it submits or
// discards it, in ARM32 executables as in the core: the table of test/support/ringbuf-programs.ts, which
// test/core/ringbuf-bounds.test.ts runs on the interpreter and the Wasm engine, run here as executables under
// qemu-arm; each must end as the table says, fault lines included.
import { beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildArm32Executable } from "../../../src/engines/arm32/build.js";
import { layoutMaps, linkForArm32 } from "../../../src/engines/arm32/engine.js";
import type { MapDef } from "../../../src/loader/loader.js";
import { RINGBUF_CASES, RINGBUF_MAPS, ringbufProgram } from "../../support/ringbuf-programs.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const DEFS: MapDef[] = RINGBUF_MAPS;
let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-ringbuf-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

/** r0 (decimal) of the last of `repeat` runs of the executable, or its fault line. */
function outcome(lines: string[], repeat = 1): string {
  const layout = layoutMaps(DEFS);
  const exe = buildArm32Executable(linkForArm32("prog", ringbufProgram(lines), layout, DEFS), { maps: layout.maps });
  const path = join(dir, `prog-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, exe);
  chmodSync(path, 0o755);
  const r = spawnSync("qemu-arm", [path, "--repeat", String(repeat)], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 1) return r.stderr.trim();
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n")[0];
}

describe("ARM32 executables confine a program to the sample it reserved, as the core does", () => {
  for (const c of RINGBUF_CASES) it(c.name, () => expect(outcome(c.lines, c.repeat)).toBe(c.want));
});
