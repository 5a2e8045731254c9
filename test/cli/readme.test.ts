// The README says what the command line and the bundle really do: its command-line section names every command
// and option the CLI accepts, its run.sh line is one run.sh can run, and obj.get is described as it behaves.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";
import { OPTIONS } from "../../src/cli/main.js";
import { load } from "../../src/api/object.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const section = (title: string) => readme.split(`## ${title}\n`)[1].split("\n## ")[0];

describe("README", () => {
  test("the command-line section names every command and option", () => {
    const text = section("The command line");
    for (const [command, spec] of Object.entries(OPTIONS)) {
      expect(text, command).toContain(`tinybpf ${command} `);
      for (const name of [...(spec.flags ?? []), ...(spec.values ?? [])]) {
        expect(text, `${command} ${name}`).toContain(name === "o" ? "-o " : `--${name}`);
      }
    }
    expect(text).toContain("tinybpf --version");
    expect(text).toContain("--help");
    expect(text).toMatch(/raw bytecode/);
  });
  test("run.sh is given run's arguments, not 'run OBJ' again", () => {
    // the bundle's run.sh is `tinybpf run OBJ "$@"` (src/tools/bundle.ts)
    const bundle = readFileSync(join(ROOT, "src/tools/bundle.ts"), "utf8");
    expect(bundle).toMatch(/bin\/tinybpf\.js" run "\$here\/\$\{objName\}" "\$@"/);
    const calls = [...readme.matchAll(/run\.sh ([^`]*)`/g)].map((m) => m[1]);
    expect(calls.length).toBeGreaterThan(0);
    for (const args of calls) expect(args.split(/\s+/)[0], args).not.toBe("run");
  });
  test("obj.get is described as it behaves: maps.get, but throwing on an unknown name", async () => {
    const obj = await load(fixture("sockex1.o"), { engine: "interp" });
    expect(obj.get("my_map")).toBe(obj.maps.get("my_map"));
    expect(obj.maps.get("nope")).toBeUndefined();
    expect(() => obj.get("nope")).toThrow(/no map named 'nope'/);
    const line = readme.split("\n").find((l) => l.includes('obj.get("my_map")'))!;
    expect(line).toMatch(/throws on an unknown name/);
  });
});
