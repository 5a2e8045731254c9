// The project's modules import each other without cycles (scripts/check-imports.mjs, also run by `npm run check`),
// and the check itself finds a cycle when there is one, across .js/.ts, extensionless and folder-index specifiers.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { relativeImports } from "../../scripts/check-imports.mjs";
import { ROOT } from "../support/paths.js";

const SCRIPT = join(ROOT, "scripts", "check-imports.mjs");

function check(root: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: "utf8" });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** A throw-away source tree: path -> contents. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "tinybpf-imports-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  trees.push(root);
  return root;
}
const trees: string[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) rmSync(t, { recursive: true, force: true });
});

describe("import graph", () => {
  it("has no cycle among src/, assembly/, targets/, test/, scripts/ and bench/", () => {
    const { status, output } = check(ROOT);
    expect(output).toMatch(/^import graph: \d+ files, no cycle$/m);
    expect(status).toBe(0);
  });

  it("reports a cycle through a .js specifier, an extensionless one and a folder's index.ts", () => {
    const root = tree({
      "src/a.ts": 'import { b } from "./b.js";\nexport const a = b + 1;\n',
      "src/b.ts": 'import { c } from "./lib";\nexport const b = c;\n',
      "src/lib/index.ts": 'export { c } from "./c";\n',
      "src/lib/c.ts": 'import { a } from "../a.js";\nexport const c = 2;\nexport const d = () => a;\n',
      "src/ok.ts": 'import { a } from "./a.js";\nexport const ok = a;\n',
    });
    const { status, output } = check(root);
    expect(status).toBe(1);
    expect(output).toContain("import cycle of 4 files: src/a.ts, src/b.ts, src/lib/c.ts, src/lib/index.ts");
    expect(output).toContain("src/a.ts -> src/b.ts -> src/lib/index.ts -> src/lib/c.ts -> src/a.ts");
    expect(output).not.toContain("src/ok.ts");
  });

  it("counts dynamic imports and .mjs files, each cycle apart", () => {
    const root = tree({
      "scripts/run.mjs": 'const { go } = await import("./go.mjs");\ngo();\n',
      "scripts/go.mjs": 'import "./run.mjs";\nexport function go() {}\n',
      "test/x.ts": 'import { y } from "./y.js";\nexport const x = 1;\n',
      "test/y.ts": 'export * from "./x";\nexport const y = 2;\n',
    });
    const { status, output } = check(root);
    expect(status).toBe(1);
    expect(output).toContain("import cycle of 2 files: scripts/go.mjs, scripts/run.mjs");
    expect(output).toContain("import cycle of 2 files: test/x.ts, test/y.ts");
    expect(output).toContain("2 import cycles among 4 files");
  });

  it("leaves out type-only imports and imports written in comments", () => {
    const root = tree({
      "src/a.ts": 'import type { B } from "./b.js";\nimport { type C } from "./c.js";\nexport const a = 1;\n',
      "src/b.ts": 'import { a } from "./a.js";\nexport type B = typeof import("./c.js");\nexport const b = a;\n',
      "src/c.ts": '// import { a } from "./a.js";\n/* export * from "./b.js"; */\nexport type C = number;\n',
    });
    const { status, output } = check(root);
    expect(output).toBe("import graph: 3 files, no cycle\n");
    expect(status).toBe(0);
  });

  it("reads multi-line clauses and ignores a string that only looks like a specifier", () => {
    const text = [
      "import {",
      "  one,",
      "  two,",
      '} from "./numbers.js";',
      'export const path = "./not-an-import.js";',
      'const note = `import x from "./in-a-template.js" ${one}`;',
      'export { three } from "../three";',
    ].join("\n");
    expect(relativeImports(text)).toEqual(["./numbers.js", "../three"]);
  });
});
