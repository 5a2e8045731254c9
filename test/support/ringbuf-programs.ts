// Hostile ring-buffer programs, one table for every engine: a reserved sample is the only part of the ring a
// program may touch, and only until it submits or discards it. test/core/ringbuf-bounds.test.ts runs the table on
// the interpreter and the Wasm engine, test/engines/arm32/ringbuf-bounds.test.ts as ARM32 executables; each case
// says how the program must end, a fault line (without the program's name) or r0 in decimal, the same on every
// engine because fault lines name an address in the ring by its offset in the ring's data area.
import { assemble } from "../../src/tools/asm.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { RINGBUF_BUSY_BIT, RINGBUF_MAX_OPEN } from "../../assembly/maps/desc.js";

/** Map 0 is the ring, map 1 a perf event array (for the consumer's tests). */
export const RING = 0;
export const PERF = 1;
export const RINGBUF_MAPS = [
  { name: "ring", type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0, section: ".maps" },
  { name: "perf", type: 4, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, section: ".maps" },
];
const MAP_MARK = 0x7e570000;

/** Assembles `lines`; `lddw %rN, map(i)` (see `map`) becomes the PSEUDO_MAP_FD load of map i. */
export function ringbufProgram(lines: string[]): Uint8Array {
  const code = assemble(lines.join("\n"));
  const v = new DataView(code.buffer);
  for (let at = 0; at < code.length; at += 8) {
    const imm = v.getUint32(at + 4, true);
    if (code[at] === 0x18 && (imm & 0xffff0000) === MAP_MARK) {
      code[at + 1] |= 1 << 4;
      v.setUint32(at + 4, imm & 0xffff, true);
    }
  }
  return code;
}

/** How program "prog" of `lines` ends on a fresh runtime with RINGBUF_MAPS: its fault's message, or r0 in decimal. */
export function ringbufEnd(lines: string[]): string {
  const rt = new Runtime();
  rt.createMaps(RINGBUF_MAPS);
  try {
    return String(rt.run(rt.addProgram("prog", ringbufProgram(lines))).r0);
  } catch (e) {
    return (e as Error).message;
  }
}

/** The line loading map `index`'s handle into r`reg` (marked for ringbufProgram). */
export const map = (reg: number, index: number) => `lddw %r${reg}, ${MAP_MARK + index}`;

/** r6 = bpf_ringbuf_reserve(ring, size, 0), instructions 0-8 of a program; returns 99 when it fails. */
export const reserve = (size: number) => [
  map(1, RING),
  `mov %r2, ${size}`,
  "mov %r3, 0",
  "call 131",
  "mov %r6, %r0",
  "jne %r6, 0, +2",
  "mov %r0, 99",
  "exit",
];
export const submit = ["mov %r1, %r6", "mov %r2, 0", "call 132"];

/** An address in the ring as fault reports name it. */
export const ring = (offset: number) => `map "ring"+0x${offset.toString(16)}`;

export interface RingbufCase {
  name: string;
  lines: string[];
  /** The fault line without the program's name, or r0 in decimal. */
  want: string;
  /** Runs of the same loaded program (and maps); `want` is the last run's end. */
  repeat?: number;
}

/** 40 reservations of 8 bytes, each pointer kept on the stack, then every granted one submitted; r0 = granted. */
function fortyReservations(): string[] {
  const lines = ["mov %r7, 0"];
  for (let i = 0; i < 40; i++) {
    lines.push(
      map(1, RING),
      "mov %r2, 8",
      "mov %r3, 0",
      "call 131",
      `stxdw [%r10-${8 * (i + 1)}], %r0`,
      "jeq %r0, 0, +1",
      "add %r7, 1",
    );
  }
  for (let i = 0; i < 40; i++)
    lines.push(`ldxdw %r1, [%r10-${8 * (i + 1)}]`, "jeq %r1, 0, +2", "mov %r2, 0", "call 132");
  lines.push("mov %r0, %r7", "exit");
  return lines;
}

/** Each run keeps one sample open (never submitted), then tries one more, discarded at once: r0 = 1 if granted. */
const leaveOneOpen = [
  ...reserve(8),
  "stdw [%r6+0], 1",
  map(1, RING),
  "mov %r2, 8",
  "mov %r3, 0",
  "call 131",
  "jeq %r0, 0, +4",
  "mov %r1, %r0",
  "mov %r2, 0",
  "call 133",
  "mov %r0, 1",
  "exit",
];

const afterRelease = (helper: number) => [
  ...reserve(16),
  "stdw [%r6+0], 1",
  "mov %r1, %r6",
  "mov %r2, 0",
  `call ${helper}`,
  "stdw [%r6+8], 2",
  "mov %r0, 0",
  "exit",
];

export const RINGBUF_CASES: RingbufCase[] = [
  {
    name: "writing its own record header faults",
    lines: [
      ...reserve(8), // instructions 0-8
      "stdw [%r6+0], 7", // 9: inside the sample
      `lddw %r1, ${(0x3fffffff | RINGBUF_BUSY_BIT) >>> 0}`, // 10-11
      "stxw [%r6-8], %r1", // 12: the header's length word
      ...submit,
      "mov %r0, 0",
      "exit",
    ],
    want: `out-of-bounds write of 4 bytes at ${ring(0)} (instruction 12)`,
  },
  {
    name: "writes and reads within the sample work",
    lines: [
      ...reserve(12),
      "stw [%r6+8], 0x44332211",
      "stb [%r6+0], 5",
      "ldxw %r7, [%r6+8]",
      ...submit,
      "mov %r0, %r7",
      "exit",
    ],
    want: String(0x44332211),
  },
  {
    name: "a write one byte past the sample faults",
    lines: [...reserve(12), "stw [%r6+8], 1", "stb [%r6+12], 1", ...submit, "mov %r0, 0", "exit"],
    want: `out-of-bounds write of 1 bytes at ${ring(8 + 12)} (instruction 10)`,
  },
  {
    name: "a read of the sample's header faults",
    lines: [...reserve(12), "ldxw %r0, [%r6-8]", "exit"],
    want: `out-of-bounds read of 4 bytes at ${ring(0)} (instruction 9)`,
  },
  {
    name: "after submit the sample is gone: a write faults",
    lines: afterRelease(132),
    want: `out-of-bounds write of 8 bytes at ${ring(8 + 8)} (instruction 13)`,
  },
  {
    name: "after discard the sample is gone: a write faults",
    lines: afterRelease(133),
    want: `out-of-bounds write of 8 bytes at ${ring(8 + 8)} (instruction 13)`,
  },
  {
    // 64-byte sample; at offset 16 a BUSY header for 8 bytes of map 0, then submit of what would be its data.
    name: "submit of a header forged inside a sample is refused, naming the pointer",
    lines: [
      ...reserve(64),
      `lddw %r1, ${(8 | RINGBUF_BUSY_BIT) >>> 0}`,
      "stxw [%r6+16], %r1",
      "stw [%r6+20], 0",
      "mov %r1, %r6",
      "add %r1, 24",
      "mov %r2, 0",
      "call 132",
      "mov %r0, 0",
      "exit",
    ],
    want: `helper argument ${ring(8 + 24)} is not a reserved ring buffer sample (instruction 16)`,
  },
  {
    // Every sample is submitted, so the second run is granted as many again.
    name: `at most ${RINGBUF_MAX_OPEN} samples are open at once: 40 reservations give ${RINGBUF_MAX_OPEN}, run after run`,
    lines: fortyReservations(),
    want: String(RINGBUF_MAX_OPEN),
    repeat: 2,
  },
  {
    // Before run k, k - 1 samples are open: run 31 ends with 31 + 1 granted, run 32 keeps the 32nd and is refused
    // the extra one.
    name: `a sample left open counts against the bound in later runs (run ${RINGBUF_MAX_OPEN - 1} is granted)`,
    lines: leaveOneOpen,
    want: "1",
    repeat: RINGBUF_MAX_OPEN - 1,
  },
  {
    name: `a sample left open counts against the bound in later runs (run ${RINGBUF_MAX_OPEN} is refused)`,
    lines: leaveOneOpen,
    want: "0",
    repeat: RINGBUF_MAX_OPEN,
  },
];
