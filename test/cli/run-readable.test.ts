// The readable output of `tinybpf run` decodes keys and values through BTF, as the API's map.get does, and names a
// SEC("raw") program's type `raw`. btf_values.o (test/fixtures/src/btf_values.c) stores
// greetings[{ id: 1, lang: 2 }] = { w: "world", len: 5 } and returns 5.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";
import { load } from "../../src/api/object.js";

function tinybpf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/tinybpf.js"), ...args], { encoding: "utf8", cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tinybpf run: BTF-decoded maps", () => {
  for (const engine of ["interp", "arm32"]) {
    test(`${engine}: struct keys and values, the program's type`, () => {
      const r = tinybpf("run", fixture("btf_values.o"), "--engine", engine);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("greet (raw): 1 run\nr0: 5\n");
      expect(r.stdout).toContain(
        'map greetings (hash, key 8, value 12, max_entries 4):\n  { id: 1, lang: 2 }: { w: "world", len: 5 }\n',
      );
    }, 30_000);
  }
  test("the same values the API decodes", async () => {
    const obj = await load(fixture("btf_values.o"), { engine: "interp" });
    obj.program("greet").run();
    expect([...obj.get("greetings").entries()]).toEqual([
      [
        { id: 1, lang: 2 },
        { w: "world", len: 5 },
      ],
    ]);
  });
});
