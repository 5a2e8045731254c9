// Executable sizes of the ARM32 target (bench/arm32-sizes.mjs prints them all) and `tinybpf build --listing`.
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, mkdtempSync, rmSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSync } from "../../../src/api/object.js";
import { buildExecutable } from "../../../src/engines/arm32/engine.js";
import { commands } from "../../../src/cli/object-commands.js";
import type { Args } from "../../../src/cli/args.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const root = join(import.meta.dirname, "..", "..", "..");
const fixture = (name: string) => join(root, "test", "fixtures", name);
let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-size-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const hasObjdump = ["/usr/bin/llvm-objdump-19", "/usr/bin/llvm-objdump"].some(existsSync) || !!process.env.LLVM_OBJDUMP;

describe("ARM32 executable sizes", () => {
  it("builds sockex1 (live capture included) into at most 8 KB", () => {
    const obj = loadSync(fixture("sockex1.o"));
    const exe = buildExecutable(obj, obj.program());
    console.log(`sockex1: ${exe.length} bytes`);
    expect(exe.length).toBeLessThanOrEqual(8192);
  });

  it("leaves the live capture out of programs that are not socket filters", () => {
    const obj = loadSync(fixture("sections.o"));
    const socket = buildExecutable(obj, obj.program("p_socket"));
    const kprobe = buildExecutable(obj, obj.program("p_kprobe"));
    const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");
    expect(text(socket)).toContain("raw sockets are not permitted here");
    expect(text(kprobe)).not.toContain("--iface");
    expect(kprobe.length).toBeLessThan(socket.length);
  });
});

describe("tinybpf build --listing", () => {
  it.skipIf(!hasObjdump)("writes the executable and prints each eBPF instruction with its ARM code", async () => {
    const dest = join(dir, "sockex1");
    // what parseArgs makes of `build sockex1.o --target arm32 -o DEST --listing`
    const args: Args = {
      positional: [fixture("sockex1.o")],
      options: new Map([
        ["target", "arm32"],
        ["o", dest],
        ["listing", "true"],
      ]),
    };
    let out = "";
    expect(await commands.build(args, (s) => (out += s + "\n"))).toBe(0);
    const size = statSync(dest).size;
    const lines = out.split("\n");
    expect(lines[0]).toBe(`${dest}: ${size} bytes, static ARM32 Linux executable running bpf_prog1`);
    expect(lines[1]).toBe("; prologue (entry, register file, regions, budget)");
    // every eBPF instruction of sockex1 appears once, in order, each followed by its ARM instructions
    const index = lines.filter((l) => /^; +\d+: /.test(l)).map((l) => Number(/^; +(\d+):/.exec(l)![1]));
    expect(index[0]).toBe(0);
    expect(index[index.length - 1]).toBe(14); // 15 slots, the last one `exit`
    for (let k = 1; k < index.length; k++) expect(index[k] - index[k - 1]).toBeGreaterThanOrEqual(1);
    expect(index.length).toBe(15 - 1); // one lddw takes two slots
    expect(out).toMatch(/; +\d+: call 1\n( {4}[0-9a-f]{8}: [0-9a-f]{8} {2}.+\n)+/);
    expect(out).not.toContain(": ?");
    // the listing's code is the file's code: every word listed is in the executable
    const exe = readFileSync(dest);
    const words = new Set<number>();
    for (let o = 0; o + 4 <= exe.length; o += 4) words.add(exe.readUInt32LE(o));
    for (const m of out.matchAll(/^ {4}[0-9a-f]{8}: ([0-9a-f]{8}) /gm))
      expect(words.has(parseInt(m[1], 16))).toBe(true);
  });
});
