// The label allocator of the ARM32 translator (assembly/arm32/a32/labels.ts), compiled on its own with a small
// entry: a label bound twice in one pass, and more label ids than the table holds, are errors the translation
// reports (ERR_LABEL) instead of emitting branches to the wrong place.
import { describe, it, expect, beforeAll } from "vitest";
import asc from "assemblyscript/asc";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(fileURLToPath(new URL(".", import.meta.url)), "../../..");
const DIR = "assembly/arm32/a32";
const ENTRY = `${DIR}/labels-check.ts`; // not on disk: readFile below serves it

const SOURCE = `
import { Labels, block, one, blockName, blockOffset, LABEL_COUNT } from "./labels";
const A = block("check/a", 3);
const B = one("check/b");
function fresh(): Labels { const l = new Labels(); l.clearLabels(); l.startPass(0, true); return l; }
export function firstA(): i32 { return A; }
export function firstB(): i32 { return B; }
/** Binds every label once: no error (-1). */
export function bindOnce(): i32 { const l = fresh(); l.label(A); l.emit(0); l.label(A + 1); l.label(A + 2); l.label(B); return l.labelError; }
/** Binds A + 1 twice in one pass: the error names it. */
export function bindTwice(): i32 { const l = fresh(); l.label(A); l.label(A + 1); l.emit(0); l.label(A + 1); return l.labelError; }
/** Binds A once in each of two passes: no error. */
export function bindPerPass(): i32 { const l = fresh(); l.label(A); l.startPass(0, true); l.label(A); return l.labelError; }
/** A label's position survives into the next pass (forward references). */
export function positionKept(): i32 { const l = fresh(); l.emit(0); l.emit(0); l.label(B); l.startPass(0, true); return l.at(B); }
/** The name and offset of a label's block, for the error message. */
export function namesA(id: i32): bool { return blockName(id) == "check/a"; }
export function namesB(id: i32): bool { return blockName(id) == "check/b"; }
export function offsetIn(id: i32): i32 { return blockOffset(id); }
/** More ids than the table holds: every translation fails from then on. */
export function overflow(): i32 { block("check/too many", LABEL_COUNT); return fresh().labelError; }
`;

let x: any;

beforeAll(async () => {
  let binary: Uint8Array | undefined;
  const log: string[] = [];
  const sink = {
    write: (s: string | Uint8Array) => {
      log.push(String(s));
      return true;
    },
  };
  const { error } = await asc.main(
    [ENTRY, "--runtime", "stub", "--initialMemory", "1", "-O1", "--outFile", "labels.wasm"],
    {
      readFile: (name: string, baseDir: string) => {
        const path = relative(ROOT, join(baseDir, name));
        if (path === ENTRY) return SOURCE;
        try {
          return readFileSync(join(ROOT, path), "utf8");
        } catch {
          return null;
        }
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm")) binary = contents as Uint8Array;
      },
      stdout: sink,
      stderr: sink,
    },
  );
  if (error || !binary) throw new Error(`asc failed: ${error}\n${log.join("")}`);
  const module = new WebAssembly.Module(new Uint8Array(binary));
  x = new WebAssembly.Instance(module, {
    env: {
      abort() {
        throw new Error("abort");
      },
    },
  }).exports;
}, 120_000);

describe("arm32 label allocator", () => {
  it("hands out blocks one after the other, by name", () => {
    expect(x.firstB()).toBe(x.firstA() + 3);
  });
  it("accepts each label bound once per pass", () => {
    expect(x.bindOnce()).toBe(-1);
    expect(x.bindPerPass()).toBe(-1);
    expect(x.positionKept()).toBe(8);
  });
  it("reports a label bound twice in one pass, by its block's name", () => {
    const id = x.bindTwice();
    expect(id).toBe(x.firstA() + 1);
    expect(x.namesA(id)).toBe(1);
    expect(x.namesB(id)).toBe(0);
    expect(x.offsetIn(id)).toBe(1);
    expect(x.namesB(x.firstB())).toBe(1);
  });
  it("reports a table that overflows", () => {
    expect(x.overflow()).toBeGreaterThanOrEqual(0);
  });
});
