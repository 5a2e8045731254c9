// `tinybpf trace` on the device: a one-liner run by the CLI of a `bundle --trace` made on the host, with the
// device's node, prints what the host's own CLI prints for the same command (the capture's protocols counted and
// its frame sizes in a histogram, through both the interpreter and the Wasm engine).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, FIXTURES, bundleOnHost, needBuilt, referenceNode, runNode } from "./common.mjs";

const SCRIPT = "packet { @[ip.proto] = count(); @size = hist(len) }";
const PCAP = join(FIXTURES, "pcap", "trace-mix.pcap");

test("a trace one-liner from a --trace bundle prints on the device what the host prints", (t) => {
  needBuilt(CLI);
  const work = mkdtempSync(join(tmpdir(), "tinybpf-device-trace-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dir = join(work, "bundle");
  bundleOnHost([join(FIXTURES, "sockex1.o")], dir, { trace: true });
  for (const engine of ["interp", "wasm"]) {
    const args = ["trace", "-e", SCRIPT, "--pcap", PCAP, "--engine", engine];
    const host = runNode(referenceNode(), [CLI, ...args]);
    assert.equal(host.status, 0, `the host's trace failed:\n${host.stderr}`);
    assert.match(host.stdout, /^@size: *\n\[/m, "the host printed no histogram");
    const device = runNode(process.execPath, [join(dir, "bin", "tinybpf.js"), ...args]);
    assert.equal(device.stderr, "", `--engine ${engine}`);
    assert.equal(device.status, 0);
    assert.equal(device.stdout, host.stdout, `--engine ${engine}: the device printed something else`);
  }
});
