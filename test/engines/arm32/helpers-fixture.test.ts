// Every program of test/fixtures/helpers.o (and .v4.o) as an ARM32 executable under qemu-arm, compared with
// `tinybpf run --json` on the interpreter: r0 and every map, faults included. trace_printk's text goes to standard
// error in both. `ids` reads clocks and the process id, which differ between two runs: its slots are compared as
// far as they can be (the random number, the CPU, uid/gid exactly; times and ids for what they must be).
// for_each_map_elem over maps with contents, and the helpers' faults, are in test/engines/arm32/helpers-memory-format.test.ts.
import { describe, it, expect, beforeAll, vi } from "vitest";
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSync } from "../../../src/api/object.js";
import { commands } from "../../../src/cli/object-commands.js";
import { parseArgs } from "../../../src/cli/args.js";
import { runExecutable, Arm32RunError } from "../../../src/engines/arm32/engine.js";
import { ensureArm32Translator } from "../../support/arm32.js";

const root = join(import.meta.dirname, "..", "..", "..");
const fixture = (name: string) => join(root, "test", "fixtures", name);
let dir = "";

beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-helpers-o-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

/** What a run prints: standard output, and what went to standard error meanwhile (trace_printk). */
async function captured(run: () => Promise<string> | string): Promise<{ out: string; err: string }> {
  let err = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    err += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    return true;
  });
  try {
    let out: string;
    try {
      out = await run();
    } catch (e) {
      // the two engines place the input and the stack at different addresses
      out = `fault: ${(e as Error).message.replace(/at 0x[0-9a-f]+/, "at ADDR")}`;
    }
    return { out: out.replace(/\n$/, ""), err };
  } finally {
    spy.mockRestore();
  }
}

async function interpreter(o: string, prog: string, mem: string, repeat: number) {
  return captured(async () => {
    let out = "";
    await commands.run(
      parseArgs([fixture(o), "--prog", prog, "--mem", mem, "--repeat", String(repeat), "--json", "--engine", "interp"]),
      (s) => (out += s + "\n"),
    );
    return out;
  });
}

async function executable(o: string, prog: string, mem: string, repeat: number) {
  return captured(() => {
    const obj = loadSync(fixture(o), { engine: "interp" });
    try {
      return runExecutable(obj, obj.program(prog), { mem, repeat, json: true });
    } catch (e) {
      // the CLI's words: tinybpf run prints "PROGRAM: FAULT LINE"
      if (e instanceof Arm32RunError) throw new Error(e.message);
      throw e;
    }
  });
}

const PROGRAMS = [
  "tail_target",
  "comm",
  "printk",
  "probes",
  "parse_numbers",
  "format",
  "sum_loop",
  "sum_map",
  "queue_ops",
  "ring_ops",
  "perf_out",
  "tail",
  "skb_bytes",
];

// programs whose state carries over from run to run (maps, the ring buffer): also run twice
const REPEATED = new Set(["printk", "queue_ops", "ring_ops", "perf_out", "format"]);

const INPUTS: [string, Uint8Array][] = [
  ["text", new TextEncoder().encode("  -1234abc\0xyz and more bytes here")],
  ["number", new TextEncoder().encode("0x1F\0")],
  ["binary", new Uint8Array([0xff, 0x80, 0x7f, 0x01, 0x00, 0xe9, 0x41, 0x42, 0x43])],
  ["short", new Uint8Array([0x35])],
];

describe("helpers.o on the arm32 target: what `tinybpf run --json` prints", () => {
  for (const o of ["helpers.o", "helpers.v4.o"]) {
    it(`${o}: every program but ids, over several inputs`, async () => {
      const files = INPUTS.map(([name, bytes]) => {
        const p = join(dir, `${o}-${name}`);
        writeFileSync(p, bytes);
        return p;
      });
      let compared = 0;
      for (const prog of PROGRAMS) {
        for (const mem of files) {
          for (const repeat of REPEATED.has(prog) ? [1, 2] : [1]) {
            const want = await interpreter(o, prog, mem, repeat);
            const got = await executable(o, prog, mem, repeat);
            expect(got, `${prog} ${mem} --repeat ${repeat}`).toEqual(want);
            compared++;
          }
        }
      }
      expect(compared).toBe((PROGRAMS.length + REPEATED.size) * INPUTS.length);
    });
  }

  it("trace_printk's text reaches standard error, once per run", async () => {
    const mem = join(dir, "printk-in");
    writeFileSync(mem, new Uint8Array(5));
    const got = await executable("helpers.o", "printk", mem, 3);
    expect(got.err).toBe("len 5\n".repeat(3));
    expect(JSON.parse(got.out).r0).toBe("6");
  });

  it("ids: the random number, CPU and uid/gid as the interpreter; clocks, pid and jiffies from the device", async () => {
    const mem = join(dir, "ids-in");
    writeFileSync(mem, new Uint8Array(8));
    const uptime = () => Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const slots = (json: string) =>
      (JSON.parse(json).maps.out as { value: string }[]).map((e) =>
        new DataView(Uint8Array.from(Buffer.from(e.value, "hex")).buffer).getBigUint64(0, true),
      );
    for (const o of ["helpers.o", "helpers.v4.o"]) {
      const want = slots((await interpreter(o, "ids", mem, 2)).out);
      const before = process.hrtime.bigint();
      const up = uptime();
      const got = slots((await executable(o, "ids", mem, 2)).out);
      const after = process.hrtime.bigint();
      expect(got[1]).toBe(want[1]); // get_prandom_u32: the same sequence (second run's number)
      expect(got[2]).toBe(want[2]);
      expect(got[4]).toBe(want[4]); // gid << 32 | uid
      expect(got[0] >= before && got[0] <= after).toBe(true); // CLOCK_MONOTONIC
      expect(got[5] >= got[0]).toBe(true); // CLOCK_BOOTTIME counts suspend too
      expect(got[3] >> 32n).toBe(got[3] & 0xffffffffn); // tgid = pid: one thread
      expect(got[3]).not.toBe(0n);
      expect(Number(got[6])).toBeGreaterThanOrEqual(Math.floor(up * 100) - 1); // jiffies at 100 Hz
      expect(Number(got[6])).toBeLessThanOrEqual(Math.ceil(uptime() * 100) + 1);
    }
  });
});
