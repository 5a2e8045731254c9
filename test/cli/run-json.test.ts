// `tinybpf run --json`: exactly one JSON object, {"r0", "runs", "maps"}, with the maps' stored bytes in hex.
// The expected byte counts are computed here from the capture itself, as sockex1 defines them.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { readCapture } from "../../src/tools/pcap.js";

const root = join(__dirname, "..", "..");
const fixture = (p: string) => join(root, "test/fixtures", p);
function tinybpf(...args: string[]) {
  return spawnSync(process.execPath, [join(root, "bin/tinybpf.js"), ...args], { encoding: "utf8", cwd: root });
}
const leHex = (v: bigint, bytes: number) => {
  let s = "";
  for (let i = 0; i < bytes; i++, v >>= 8n)
    s += Number(v & 0xffn)
      .toString(16)
      .padStart(2, "0");
  return s;
};

/** sockex1: my_map[frame[23]] += len for every (outgoing) frame. */
function expectedTotals(capture: string): bigint[] {
  const totals = new Array<bigint>(256).fill(0n);
  for (const p of readCapture(readFileSync(fixture(capture)), capture)) totals[p.data[23]] += BigInt(p.data.length);
  return totals;
}

describe("tinybpf run --json on sockex1", () => {
  for (const capture of ["pcap/sockex1.pcap", "pcap/sockex1.pcapng", "pcap/sockex1-be-ns.pcap"]) {
    test(`${capture}: exactly the specified object`, () => {
      const r = tinybpf("run", fixture("sockex1.o"), "--pcap", fixture(capture), "--json");
      expect(r.status).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout.endsWith("\n")).toBe(true);
      expect(r.stdout.trim().split("\n")).toHaveLength(1);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out)).toEqual(["r0", "runs", "maps"]);
      expect(out.r0).toBe("0");
      const totals = expectedTotals(capture);
      expect(out.runs).toBe(readCapture(readFileSync(fixture(capture)), capture).length);
      expect(Object.keys(out.maps)).toEqual(["my_map"]);
      // An array map lists every index: key = the u32 index, value = the stored long, both little-endian hex.
      expect(out.maps.my_map).toEqual(totals.map((t, i) => ({ key: leHex(BigInt(i), 4), value: leHex(t, 8) })));
    });
  }
  test("--repeat runs the capture N times; per-packet counts add up", () => {
    const once = expectedTotals("pcap/sockex1.pcap");
    const out = JSON.parse(
      tinybpf("run", fixture("sockex1.o"), "--pcap", fixture("pcap/sockex1.pcap"), "--repeat", "3", "--json").stdout,
    );
    expect(out.runs).toBe(3 * 42);
    expect(out.maps.my_map[6].value).toBe(leHex(3n * once[6], 8));
  });
  test("the v4 build of the same source gives the same result", () => {
    const a = tinybpf("run", fixture("sockex1.o"), "--pcap", fixture("pcap/sockex1.pcap"), "--json").stdout;
    const b = tinybpf("run", fixture("sockex1.v4.o"), "--pcap", fixture("pcap/sockex1.pcap"), "--json").stdout;
    expect(b).toBe(a);
  });
  test("human output: r0, the count per distinct r0, and the map", () => {
    const r = tinybpf("run", fixture("sockex1.o"), "--pcap", fixture("pcap/sockex1.pcap"));
    const totals = expectedTotals("pcap/sockex1.pcap");
    expect(r.stdout).toContain("bpf_prog1 (socket_filter): 42 runs\nr0: 0 (last run)\nr0 counts: 0 x42\n");
    expect(r.stdout).toContain(`  6: ${totals[6]}\n  17: ${totals[17]}\n`);
  });
});

describe("tinybpf run: errors are one line and exit status 1", () => {
  const cases: [string, string[], RegExp][] = [
    [
      "not an ELF file",
      ["run", fixture("pcap/sockex1.pcap"), "--mem", fixture("pcap/sockex1.pcap")],
      /^tinybpf run: sockex1\.pcap: /,
    ],
    ["missing object", ["run", fixture("nope.o")], /^tinybpf run: .*nope\.o: no such file$/],
    ["bad capture", ["run", fixture("sockex1.o"), "--pcap", fixture("sockex1.o")], /^tinybpf run: sockex1\.o: /],
    [
      "unknown program",
      ["run", fixture("sockex1.o"), "--prog", "nope", "--mem", fixture("sockex1.o")],
      /^tinybpf run: sockex1\.o: no program named 'nope' \(programs: bpf_prog1\)$/,
    ],
    [
      "two inputs",
      ["run", fixture("sockex1.o"), "--mem", "a", "--pcap", "b"],
      /^tinybpf run: --mem and --pcap cannot be combined$/,
    ],
    [
      "bad number",
      ["run", fixture("sockex1.o"), "--repeat", "x"],
      /^tinybpf run: --repeat takes a whole number, not 'x'$/,
    ],
  ];
  test.each(cases)("%s", (_what, args, pattern) => {
    const r = tinybpf(...args);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  });
});

describe("every engine prints the same --json", () => {
  const engines = ["interp", "wasm", "arm32"];
  for (const capture of ["pcap/sockex1.pcap", "pcap/sockex1-be-ns.pcap"]) {
    test(`sockex1 over ${capture}`, () => {
      const outputs = engines.map((e) => {
        const r = tinybpf("run", fixture("sockex1.o"), "--engine", e, "--pcap", fixture(capture), "--json");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        return r.stdout;
      });
      for (const o of outputs.slice(1)) expect(o).toBe(outputs[0]);
    });
  }
  test("tinybpf build writes a static ARM32 executable", () => {
    const out = join(tmpdir(), `sockex1-${process.pid}`);
    const r = tinybpf("build", fixture("sockex1.o"), "--target", "arm32", "-o", out);
    expect(r.status).toBe(0);
    const exe = readFileSync(out);
    // ELF32 (class 1), little-endian (1), ARM (e_machine 40), executable (e_type 2)
    expect([...exe.subarray(0, 6)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
    expect(exe.readUInt16LE(16)).toBe(2);
    expect(exe.readUInt16LE(18)).toBe(40);
    expect(r.stdout).toBe(`${out}: ${exe.length} bytes, static ARM32 Linux executable running bpf_prog1\n`);
    expect(tinybpf("build", fixture("sockex1.o"), "--target", "mips", "-o", out).stderr).toBe(
      "tinybpf build: unknown target 'mips' (available: arm32, armv6)\n",
    );
  });
});
