// `tinybpf trace` as a user runs it: the capture from a file or standard input, the compiled object written with
// -o and run by `tinybpf run` (its maps checked against counts computed here), `tinybpf info` and llvm-objdump on
// that object, and `tinybpf build --trace` making an ARM32 executable that runs under qemu-arm.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFrames, ipProto, tally, keyed, EXIT } from "./model.js";
import { qemu } from "../../src/engines/arm32/build.js";

const root = join(__dirname, "..", "..");
const capture = join(root, "test/fixtures/pcap/trace-mix.pcap");
const tmp = mkdtempSync(join(tmpdir(), "tinybpf-trace-"));
const tinybpf = (args: string[], input?: Uint8Array) =>
  spawnSync(process.execPath, [join(root, "bin/tinybpf.js"), ...args], { encoding: "utf8", input });
const frames = loadFrames("trace-mix.pcap");
const perProto = tally(frames, (d) => [ipProto(d)]);

describe("tinybpf trace", () => {
  test("--pcap - reads the capture from standard input", () => {
    const script = "packet { @[ip.proto] = count() }";
    const fromFile = tinybpf(["trace", "-e", script, "--pcap", capture]);
    const fromStdin = tinybpf(["trace", "-e", script, "--pcap", "-"], readFileSync(capture));
    expect(fromFile.status).toBe(0);
    expect(fromStdin.status).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect(fromFile.stdout.split("\n").filter((l) => l.startsWith("@[")).length).toBe(perProto.size);
  });

  test("a script file", () => {
    const r = tinybpf(["trace", join(root, "test/fixtures/trace/count.bt"), "--pcap", capture]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`\n\n@frames: ${frames.length}\n`);
  });

  test("--mem runs the packet probes once over the file's bytes", () => {
    const r = tinybpf(["trace", "-e", "packet { @len = len; @b = pkt.u8[0] }", "--mem", capture]);
    expect(r.status).toBe(0);
    const bytes = readFileSync(capture);
    expect(r.stdout).toBe(`\n\n@b: ${bytes[0]}\n@len: ${bytes.length}\n`);
  });

  test("-o writes an object that tinybpf run, info and llvm-objdump read", () => {
    const obj = join(tmp, "proto.o");
    const w = tinybpf(["trace", "-e", "packet { @[ip.proto] = count() }", "-o", obj]);
    expect(w.status).toBe(0);
    const run = tinybpf(["run", obj, "--pcap", capture, "--json"]);
    expect(run.status).toBe(0);
    const maps = JSON.parse(run.stdout).maps as Record<string, { key: string; value: string }[]>;
    const got = new Map(
      maps.AT_.map((e) => [
        Buffer.from(e.key, "hex").readBigUInt64LE(),
        Number(Buffer.from(e.value, "hex").readBigUInt64LE()),
      ]),
    );
    expect(got).toEqual(new Map([...perProto.values()].map((e) => [BigInt(e.key[0]), e.value])));
    const info = tinybpf(["info", obj]);
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/packet_0\s+socket_filter \(section socket\)/);
    expect(info.stdout).toMatch(/AT_\s+hash, key 8, value 8, max_entries 4096/);
    const objdump = spawnSync("llvm-objdump-19", ["-d", "-r", obj], { encoding: "utf8" });
    if (objdump.error) return; // llvm-objdump is optional
    expect(objdump.status).toBe(0);
    expect(objdump.stdout).toContain("<packet_0>:");
    expect(objdump.stdout).toContain("R_BPF_64_64\tAT_");
  });

  test("build --trace writes an ARM32 executable that prints the counts as bpftrace does", () => {
    const exe = join(tmp, "proto.arm");
    const b = tinybpf(["build", "--trace", "packet { @[ip.proto] = count() }", "--target", "arm32", "-o", exe]);
    expect(b.status).toBe(0);
    expect(existsSync(exe)).toBe(true);
    const r = spawnSync(qemu(), [exe, "--pcap", capture], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(EXIT + keyed("", perProto));
  });

  test("--engine arm32 refuses what needs the host, in one line", () => {
    const r = tinybpf(["trace", "-e", "packet { @n = count(); print(@n) }", "--pcap", capture, "--engine", "arm32"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "tinybpf trace: the arm32 engine cannot run print(): it needs the host while the probe runs (use --engine interp or wasm)\n",
    );
  });
});
