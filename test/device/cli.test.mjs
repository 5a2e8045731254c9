// The CLI on the device against the same commands on the host's reference node: identical output, and the whole
// conformance suite passing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLI,
  FIXTURES,
  ROOT,
  bundleOnHost,
  cliBoth,
  describeNode,
  needBuilt,
  referenceNode,
  runNode,
} from "./common.mjs";

const ENGINES = ["interp", "wasm"];

test("compares with a different node on the host", () => {
  const ref = describeNode(referenceNode());
  assert.notEqual(
    ref,
    `${process.arch} ${process.version}`,
    `the reference node (${referenceNode()}) is this node itself`,
  );
});

/** The suite's directory: $TINYBPF_CONFORMANCE_DIR, else the CLI's own default (../shared beside the repository). */
const conformanceDir = process.env.TINYBPF_CONFORMANCE_DIR ? [process.env.TINYBPF_CONFORMANCE_DIR] : [];
const suite = conformanceDir[0] ?? join(ROOT, "..", "shared", "conformance", "tests");
// As in the vitest suite (test/support/conformance.ts): without the suite these tests are skipped with one line,
// except in CI, where they run and fail on the CLI's own message.
const skipConformance =
  !existsSync(suite) && !process.env.CI
    ? `conformance suite not found at ${suite}: set TINYBPF_CONFORMANCE_DIR to the suite's tests/ directory`
    : false;
if (skipConformance) console.log(`${skipConformance}; the device's conformance runs are skipped`);

for (const engine of ENGINES) {
  test(`conformance --engine ${engine}: every test passes, as on the host`, { skip: skipConformance }, () => {
    const { device, host } = cliBoth(["conformance", ...conformanceDir, "--engine", engine]);
    assert.equal(host.status, 0, `the host run failed:\n${host.stderr}${host.stdout.slice(-2000)}`);
    const summary = /^(\d+) passed, (\d+) failed$/m;
    const hostCounts = host.stdout.match(summary);
    assert.ok(hostCounts, `no 'N passed, N failed' line from the host:\n${host.stdout.slice(-2000)}`);
    const deviceCounts = device.stdout.match(summary);
    assert.ok(
      deviceCounts,
      `no 'N passed, N failed' line from the device (status ${device.status}):\n${device.stderr}${device.stdout.slice(-2000)}`,
    );
    const failed = device.stdout.split("\n").filter((l) => /^FAIL\b/.test(l));
    assert.deepEqual(failed, [], "failed on the device");
    const passLines = device.stdout.split("\n").filter((l) => /^PASS\b/.test(l)).length;
    assert.equal(Number(deviceCounts[1]), passLines, "the summary does not match the PASS lines");
    assert.ok(passLines > 0, "no tests ran");
    assert.equal(deviceCounts[2], "0");
    assert.equal(deviceCounts[0], hostCounts[0], "device and host counts differ");
    assert.equal(device.stdout, host.stdout, "device and host print different results");
    assert.equal(device.status, 0, device.stderr);
  });
}

const captures = ["sockex1.pcap", "sockex1.pcapng", "sockex1-be-ns.pcap"];
for (const engine of ENGINES) {
  for (const capture of captures) {
    test(`run sockex1.o --pcap ${capture} --engine ${engine} --json: same result as on the host`, () => {
      const args = [
        "run",
        join(FIXTURES, "sockex1.o"),
        "--pcap",
        join(FIXTURES, "pcap", capture),
        "--engine",
        engine,
        "--json",
      ];
      const { device, host } = cliBoth(args);
      assert.equal(host.status, 0, `the host run failed:\n${host.stderr}`);
      const expected = JSON.parse(host.stdout);
      assert.ok(
        expected.runs > 0 && typeof expected.r0 === "string" && expected.maps,
        `unexpected host output: ${host.stdout}`,
      );
      assert.equal(device.status, 0, `the device run failed:\n${device.stderr}`);
      assert.deepEqual(JSON.parse(device.stdout), expected);
    });
  }
}

test("run with a missing object fails the same way", () => {
  const { device, host } = cliBoth(["run", join(FIXTURES, "no-such-object.o"), "--json"]);
  assert.notEqual(host.status, 0, "the host accepted a missing object");
  assert.equal(device.status, host.status);
  assert.equal(device.stderr, host.stderr);
});

test("a bundle made on the host (the Wasm engine by default) runs on the device, with the host's result", (t) => {
  needBuilt(CLI);
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-device-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "sockex1");
  const made = runNode(referenceNode(), [CLI, "bundle", join(FIXTURES, "sockex1.o"), "-o", out]);
  assert.equal(made.status, 0, `tinybpf bundle failed on the host:\n${made.stderr}`);
  const pcap = join(FIXTURES, "pcap", "sockex1.pcap");
  const host = runNode(referenceNode(), [CLI, "run", join(FIXTURES, "sockex1.o"), "--pcap", pcap, "--json"]);
  assert.equal(host.status, 0, host.stderr);
  const device = runNode("/bin/sh", [join(out, "run.sh"), "--pcap", pcap, "--json"], { NODE: process.execPath });
  assert.equal(device.status, 0, `run.sh failed on the device:\n${device.stderr}`);
  assert.deepEqual(JSON.parse(device.stdout), JSON.parse(host.stdout));
  const wasm = runNode("/bin/sh", [join(out, "run.sh"), "--pcap", pcap, "--json", "--engine", "wasm"], {
    NODE: process.execPath,
  });
  assert.equal(wasm.status, 0, `run.sh --engine wasm failed on the device:\n${wasm.stderr}`);
  assert.deepEqual(JSON.parse(wasm.stdout), JSON.parse(host.stdout));
});

for (const [name, options, engine] of [
  ["the tiny core", { core: "tiny", engines: ["interp"] }, "interp"],
  ["the interpreter alone", { engines: ["interp"] }, "interp"],
  ["its CLI stored uncompressed", { compress: false }, "wasm"],
]) {
  test(`a bundle with ${name} runs on the device, with the host's result`, (t) => {
    needBuilt(join(ROOT, options.core === "tiny" ? "build/core-tiny.wasm" : "build/core.wasm"));
    const dir = mkdtempSync(join(tmpdir(), "tinybpf-device-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, "sockex1");
    bundleOnHost(join(FIXTURES, "sockex1.o"), out, options);
    const pcap = join(FIXTURES, "pcap", "sockex1.pcap");
    const host = runNode(referenceNode(), [
      CLI,
      "run",
      join(FIXTURES, "sockex1.o"),
      "--pcap",
      pcap,
      "--json",
      "--engine",
      engine,
    ]);
    assert.equal(host.status, 0, host.stderr);
    const device = runNode("/bin/sh", [join(out, "run.sh"), "--pcap", pcap, "--json", "--engine", engine], {
      NODE: process.execPath,
    });
    assert.equal(device.status, 0, `run.sh failed on the device:\n${device.stderr}`);
    assert.deepEqual(JSON.parse(device.stdout), JSON.parse(host.stdout));
  });
}

test("a device bundle refuses the workstation commands in one line", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-device-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "sockex1");
  bundleOnHost(join(FIXTURES, "sockex1.o"), out, {});
  const r = runNode(process.execPath, [join(out, "bin", "tinybpf.js"), "conformance"]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr,
    "tinybpf conformance: not in this device bundle (it runs on a workstation with the tinybpf package)\n",
  );
});
