// A program may write only the context fields its type allows: cb[] for socket filters, nothing for XDP.
// Writing anything else is a fault naming the address and the instruction, on every engine.
import { describe, expect, test } from "vitest";
import { load } from "../../src/api/object.js";
import { loadEngines } from "../../src/runtime/engine-loader.js";
import { engineNames } from "../../src/runtime/engines.js";
import { SKB } from "../../src/runtime/contexts.js";
import { fixture } from "../support/paths.js";

await loadEngines();
const engines = engineNames().filter((e) => e !== "arm32");
const packet = new Uint8Array(64).map((_, i) => i);

describe.each(["ctx_write.o", "ctx_write.v4.o"])("%s", (file) => {
  test.each(engines)("cb[] is writable for socket filters (%s)", async (engine) => {
    const obj = await load(fixture(file), { engine: engine as never });
    expect(obj.program("keep_cb").run({ packet })).toBe(BigInt(packet.length + 1));
  });
  test.each(engines)("skb->mark is not (%s)", async (engine) => {
    const obj = await load(fixture(file), { engine: engine as never });
    const store = firstStore(obj.program("set_mark").def.insns);
    expect(() => obj.program("set_mark").run({ packet })).toThrow(
      `set_mark: write of 4 bytes to read-only memory at context+0x${SKB.mark.toString(16)} (instruction ${store})`,
    );
  });
  test.each(engines)("XDP contexts are read-only (%s)", async (engine) => {
    const obj = await load(fixture(file), { engine: engine as never });
    const store = firstStore(obj.program("xdp_set_queue").def.insns);
    expect(() => obj.program("xdp_set_queue").run({ packet })).toThrow(
      new RegExp(
        `^xdp_set_queue: write of 4 bytes to read-only memory at context\\+0x[0-9a-f]+ \\(instruction ${store}\\)$`,
      ),
    );
  });
});

/** Index of the first ST/STX instruction: the compiler decides whether it is `st` (v4) or `mov` + `stx` (v3). */
function firstStore(insns: Uint8Array): number {
  for (let pc = 0; pc < insns.length / 8; pc++) if ((insns[pc * 8] & 7) === 2 || (insns[pc * 8] & 7) === 3) return pc;
  throw new Error("no store instruction");
}
