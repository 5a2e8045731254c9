// What a one-liner's ARM32 executable weighs: "a one-liner becomes an 8 KB executable". A trace executable prints
// bpftrace's format only, so it carries neither the JSON nor the readable map printer (nor --json, --each and
// --repeat), no instruction budget (the compiler's programs have no loops) and no runtime routine its program
// cannot reach; it still reads --pcap FILE, --pcap - and --iface (interrupt.test.ts runs the live capture).
import { describe, expect, test, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { traceBuild } from "../../src/trace/build-object.js";
import { loadSync } from "../../src/api/object.js";
import { buildExecutable, executableSections } from "../../src/engines/arm32/engine.js";
import { qemu } from "../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../support/arm32.js";
import { CASES, output } from "./cases.js";

const capture = join(__dirname, "..", "fixtures", "pcap", "trace-mix.pcap");
const tmp = mkdtempSync(join(tmpdir(), "tinybpf-trace-size-"));

function built(script: string) {
  const b = traceBuild(script);
  const obj = loadSync(b.object, { engine: "interp", fileName: "trace.o" });
  const prog = [...obj.programs.values()][0];
  b.seed(obj);
  const opts = { bpftrace: b.describe(obj.object.maps) };
  return { exe: buildExecutable(obj, prog, opts), sections: executableSections(obj, prog, opts) };
}

beforeAll(() => ensureArm32Translator());

describe("a one-liner's executable", () => {
  test("packet { @[ip.proto] = count() } fits in 8 KB", () => {
    expect(built("packet { @[ip.proto] = count() }").exe.length).toBeLessThanOrEqual(8192);
  });

  test("its parts add up to the image, and the map printer of module executables is not one of them", () => {
    const { exe, sections } = built("packet { @size = hist(len) }");
    const bytes = new Map(sections.map((s) => [s.name, s.bytes]));
    expect(bytes.get("map printer (JSON, readable)")).toBe(0);
    expect(bytes.get("bpftrace printer")).toBeGreaterThan(0);
    const image = sections.reduce((n, s) => n + s.bytes, 0);
    expect(exe.length - image).toBeGreaterThan(0); // the ELF headers
    expect(exe.length - image).toBeLessThan(256);
  });

  test("refuses --json and --repeat with its usage line (exit status 2); reads --pcap - from a pipe", () => {
    const file = join(tmp, "count");
    writeFileSync(file, built("packet { @[ip.proto] = count() }").exe);
    chmodSync(file, 0o755);
    for (const option of ["--json", "--repeat"]) {
      const r = spawnSync(qemu(), [file, "--pcap", capture, option, "2"], { encoding: "utf8" });
      expect(r.status, option).toBe(2);
      expect(r.stderr).toBe("usage: PROGRAM [--mem FILE | --pcap FILE|- | --iface IFNAME [--seconds N]]\n");
    }
    const fromFile = spawnSync(qemu(), [file, "--pcap", capture], { encoding: "utf8" });
    const fromPipe = spawnSync(qemu(), [file, "--pcap", "-"], { input: readFileSync(capture), encoding: "utf8" });
    expect(fromFile.status).toBe(0);
    expect(fromPipe.stdout).toBe(fromFile.stdout);
    const model = CASES.find((c) => c.script === "packet { @[ip.proto] = count() }")!;
    expect(fromFile.stdout).toBe(output(model));
  });
});
