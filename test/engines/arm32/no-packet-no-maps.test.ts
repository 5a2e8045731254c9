// Programs that reach for what their object or input does not have, on the interpreter, the Wasm engine and ARM32
// code (under qemu-arm): a raw program (no __sk_buff, no xdp_md) has no packet, so skb_load_bytes fails with -EFAULT
// and zeroes its buffer and LD_ABS ends the program with r0 = 0; a map helper called when the object holds no map
// it could serve faults naming the argument that is no map; ringbuf_submit / ringbuf_discard of a pointer that is
// not a reserved sample fault naming that pointer. Expected values are worked out from those rules.
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { loadEngines } from "../../../src/runtime/engine-loader.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { runArm32 } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";

beforeAll(async () => {
  ensureArm32Translator();
  await loadEngines();
});

const INPUT = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

/** r0 in hex, or the fault line, on each engine. */
function outcomes(lines: string[]): Record<string, string> {
  const code = assemble(lines.map((l) => l.replace(/^callx %r\d$/, "call 0x7fffffff")).join("\n"));
  // callx (0x8d, the helper id in dst): the assembler has no mnemonic for it
  lines.forEach((l, i) => {
    const m = /^callx %r(\d)$/.exec(l);
    if (m) code.set([0x8d, Number(m[1]), 0, 0, 0, 0, 0, 0], i * 8);
  });
  const out: Record<string, string> = {};
  for (const engine of ["interp", "wasm"] as const) {
    const rt = new Runtime();
    const prog = rt.addProgram("p", code);
    try {
      out[engine] = rt.run(prog, { ctx: { bytes: INPUT } }, engine).r0.toString(16);
    } catch (e) {
      if (!(e instanceof BpfFault)) throw e;
      out[engine] = describeFault(e.info);
    }
  }
  const r = runArm32(code, INPUT);
  out.arm32 = "r0" in r ? r.r0.toString(16) : r.fault;
  return out;
}

const everywhere = (want: string) => ({ interp: want, wasm: want, arm32: want });
const EFAULT = 14n;

describe("a raw program has no packet", () => {
  it("skb_load_bytes returns -EFAULT and zeroes the buffer", () => {
    // 4 bytes from offset 0 into [r10-8], which holds all ones first; r0 = result << 32 | the word read back.
    const lines = [
      "stdw [%r10-8], -1",
      "mov %r2, 0",
      "mov %r3, %r10",
      "add %r3, -8",
      "mov %r4, 4",
      "call 26",
      "lsh %r0, 32",
      "ldxw %r1, [%r10-8]",
      "or %r0, %r1",
      "exit",
    ];
    const want = (BigInt.asUintN(64, -EFAULT) << 32n) & 0xffffffffffffffffn;
    expect(outcomes(lines)).toEqual(everywhere(want.toString(16)));
  });

  it("LD_ABS and LD_IND end the program with r0 = 0", () => {
    expect(outcomes(["mov %r6, %r1", "mov %r0, 7", "ldabsb 1", "exit"])).toEqual(everywhere("0"));
    expect(outcomes(["mov %r6, %r1", "mov %r7, 1", "ldindh %r7, 2", "exit"])).toEqual(everywhere("0"));
  });
});

describe("map helpers in an object without maps fault as in the interpreter", () => {
  const notAMap = (arg: string, insn: number) =>
    everywhere(`helper argument ${arg} is not a map of the right kind (instruction ${insn})`);
  it("map_lookup_elem, map_update_elem, map_delete_elem: r1 is no map", () => {
    for (const id of [1, 2, 3]) {
      expect(outcomes(["mov %r1, 0", "mov %r2, %r10", "mov %r3, %r10", "mov %r4, 0", `call ${id}`, "exit"])).toEqual(
        notAMap("0x0", 4),
      );
    }
  });
  it("queue, ring buffer and perf helpers: the map argument is no map", () => {
    for (const id of [87, 88, 89, 130, 131, 134]) {
      expect(outcomes(["mov %r1, 5", "mov %r2, 8", "mov %r3, 0", `call ${id}`, "exit"]), `helper ${id}`).toEqual(
        notAMap("0x5", 3),
      );
    }
    expect(outcomes(["mov %r2, 7", "call 25", "exit"])).toEqual(notAMap("0x7", 1)); // perf_event_output's r2
  });
  it("through a register (callx) too", () => {
    expect(outcomes(["mov %r1, 9", "mov %r6, 1", "callx %r6", "exit"])).toEqual(notAMap("0x9", 2));
  });
  it("ringbuf_submit / ringbuf_discard of a pointer that is not a sample name the pointer", () => {
    for (const id of [132, 133]) {
      const o = outcomes(["lddw %r1, 0x1234", "mov %r2, 0", `call ${id}`, "exit"]);
      expect(o).toEqual(everywhere("helper argument 0x1234 is not a reserved ring buffer sample (instruction 3)"));
    }
  });
});
