// An object whose only code is .text (no SEC(), as the conformance suite's runner writes them with `main` in
// .text): its global functions are its programs, in address order, as bpftool and libbpf take them; static
// functions stay subprograms. Objects with program sections keep .text for subprograms only.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/loader/loader.js";
import { fixture } from "../support/paths.js";

const load = (name: string) => loadObject(new Uint8Array(readFileSync(fixture(name))), name);

describe("objects with code in .text only", () => {
  for (const v of ["", ".v4"]) {
    it(`text_only${v}.o: the global functions are programs, the static one a subprogram`, () => {
      const o = load(`text_only${v}.o`);
      expect(o.programs.map((p) => [p.name, p.section, p.type])).toEqual([
        ["text_first", ".text", "unspec"],
        ["text_second", ".text", "unspec"],
      ]);
      // text_first calls plus_len (static): linked after it
      expect(o.programs[0].functions.map((f) => f.name)).toEqual(["text_first", "plus_len"]);
      expect(o.programs[1].functions.map((f) => f.name)).toEqual(["text_second"]);
    });
  }
  it("an object with program sections keeps its .text functions as subprograms", () => {
    // calls.c: programs in sections, helpers in .text
    const o = load("calls.o");
    expect(o.programs.every((p) => p.section !== ".text")).toBe(true);
    expect(o.programs.length).toBeGreaterThan(0);
  });
});
