// The plugin in the runner's --elf mode: the program comes as an ELF object on stdin, hex-encoded, the memory as
// the first argument. Without --xdp_prolog the runner writes `main` in .text (raw memory: r1 = bytes, r2 = their
// length); with --xdp_prolog true in section "xdp" (the memory is the packet of an XDP context). The objects here
// are clang-built stand-ins (test/fixtures/src/text_only.c, xdp_len.c), their results computed from their sources.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, fixture } from "../support/paths.js";

const hexBytes = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
const mem = [0xaa, 0xbb, 0xcc];

function plugin(object: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/tinybpf-conformance-plugin.js"), ...args], {
    input: hexBytes(readFileSync(fixture(object))) + "\n",
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("conformance plugin --elf", () => {
  for (const engine of ["interp", "wasm", "arm32"]) {
    test(`${engine}: an object whose only code is .text runs its first global function`, () => {
      // text_first: in[1] + len with 2 bytes or more, else 1000 + len
      expect(plugin("text_only.o", hexBytes(new Uint8Array(mem)), "--engine", engine, "--elf")).toEqual({
        status: 0,
        stdout: (0xbb + mem.length).toString(16) + "\n",
        stderr: "",
      });
      expect(plugin("text_only.o", "--engine", engine, "--elf")).toEqual({
        status: 0,
        stdout: (1000).toString(16) + "\n",
        stderr: "",
      });
    }, 30_000);
    test(`${engine}: an XDP object gets the memory as its packet, through struct xdp_md`, () => {
      // xdp_len: frame[1] + the frame's length
      expect(plugin("xdp_len.o", hexBytes(new Uint8Array(mem)), "--engine", engine, "--elf")).toEqual({
        status: 0,
        stdout: (0xbb + mem.length).toString(16) + "\n",
        stderr: "",
      });
    }, 30_000);
  }
  test("the runner's argument order: memory, plugin options, then --elf", () => {
    // --plugin_options "--engine wasm" arrives split on spaces, between the memory and --elf
    expect(plugin("text_only.v4.o", "aa bb", "--engine", "wasm", "--elf").stdout).toBe((0xbb + 2).toString(16) + "\n");
  });
  test("an object with no code at all is still refused", () => {
    const r = plugin("pcap/sockex1.pcap", "--elf");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
