// The script compiler in device bundles: only with `bundle --trace` (the default bundle refuses `trace`, keeping
// its size budget), and a one-liner run by the bundle's own CLI, under this Node and, where the armhf sysroot exists
// (targets/armhf/setup-sysroot.sh), under Debian's armhf Node 18 in qemu-arm.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "../../src/tools/bundle.js";
import { loadFrames, tally, keyed, ipProto, EXIT } from "./model.js";

const root = join(__dirname, "..", "..");
const capture = join(root, "test/fixtures/pcap/trace-mix.pcap");
const tmp = mkdtempSync(join(tmpdir(), "tinybpf-trace-bundle-"));
const object = join(root, "test/fixtures/sockex1.o");
const script = "packet { @[ip.proto] = count() }";
const expected =
  EXIT +
  keyed(
    "",
    tally(loadFrames("trace-mix.pcap"), (d) => [ipProto(d)]),
  );
const sysroot = process.env.TINYBPF_ARMHF_SYSROOT ?? join(root, "targets/armhf/sysroot");
const armhf = existsSync(join(sysroot, "usr/bin/node"));

describe("trace in device bundles", () => {
  test("the default bundle refuses trace", () => {
    const dir = join(tmp, "plain");
    bundle(object, dir);
    const r = spawnSync(process.execPath, [join(dir, "bin/tinybpf.js"), "trace", "-e", script, "--pcap", capture], {
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "tinybpf trace: not in this device bundle (it runs on a workstation with the tinybpf package)\n",
    );
  });

  const dir = join(tmp, "with-trace");
  test("bundle --trace carries the compiler: a one-liner runs from the bundle", () => {
    const files = bundle(object, dir, { trace: true });
    expect(files).toContain("bin/tinybpf.js");
    const r = spawnSync(process.execPath, [join(dir, "bin/tinybpf.js"), "trace", "-e", script, "--pcap", capture], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(expected);
  });

  test.skipIf(!armhf)("the bundle's one-liner under Debian's armhf Node (qemu-arm)", () => {
    if (!existsSync(join(dir, "bin/tinybpf.js"))) bundle(object, dir, { trace: true });
    const r = spawnSync(
      join(root, "targets/armhf/node-arm"),
      [join(dir, "bin/tinybpf.js"), "trace", "-e", script, "--pcap", capture],
      { encoding: "utf8", env: { ...process.env, TINYBPF_ARMHF_SYSROOT: sysroot }, timeout: 300_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(expected);
  });
});
