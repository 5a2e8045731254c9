// The npm package holds everything the CLI and the API load: unpack the real tarball (no dependencies installed)
// and run from it.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";

describe("npm package", () => {
  test("the unpacked tarball runs sockex1 and the API with nothing else installed", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinybpf-pack-"));
    const pack = spawnSync("npm", ["pack", "--pack-destination", dir, "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
    expect(spawnSync("tar", ["xzf", tarball], { cwd: dir }).status).toBe(0);
    const pkg = join(dir, "package");
    const cli = spawnSync(
      process.execPath,
      [join(pkg, "bin/tinybpf.js"), "run", fixture("sockex1.o"), "--pcap", fixture("pcap/sockex1.pcap"), "--json"],
      { encoding: "utf8" },
    );
    const fromRepo = spawnSync(
      process.execPath,
      [join(ROOT, "bin/tinybpf.js"), "run", fixture("sockex1.o"), "--pcap", fixture("pcap/sockex1.pcap"), "--json"],
      { encoding: "utf8" },
    );
    expect(cli.stderr).toBe("");
    expect(cli.stdout).toBe(fromRepo.stdout);
    const api = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { load } from ${JSON.stringify(join(pkg, "dist/src/index.js"))};
       const obj = await load(${JSON.stringify(fixture("sockex1.o"))}, { engine: "wasm" });
       console.log(obj.engineName, obj.get("my_map").lookup(6));`,
      ],
      { encoding: "utf8" },
    );
    expect(api.stderr).toBe("");
    expect(api.stdout).toBe("wasm 0n\n");
  });
});
