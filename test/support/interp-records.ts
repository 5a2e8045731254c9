// The interpreter's pre-decoded records of a program (assembly/decode.ts), read from the core's memory, for the
// tests that check which instructions the decoder fused into one record.
import type { LinkedProgram, Runtime } from "../../src/runtime/runtime.js";
import { DECODED } from "../../assembly/layout.js";
import { RECORD_SIZE } from "../../assembly/records.js";

/** The handler index (records.ts: H_*) of each of the program's records, one per instruction slot. */
export function handlers(rt: Runtime, prog: LinkedProgram): number[] {
  const mem = rt.core.memory;
  const first = new DataView(mem.buffer, mem.byteOffset).getUint32(DECODED + prog.id * 4, true);
  return Array.from({ length: prog.insns.length / 8 }, (_, i) => mem[first + i * RECORD_SIZE]);
}
