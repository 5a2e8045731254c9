// Tables in the program's own frame indexed by a value of known range, on the ARM32 engine
// (assembly/arm32/analysis/frame-ranges.ts): RC4's `u8 S[256]` reached as r10 - 256 + ((a + b) & 0xff), a 16-entry
// nibble table at r10 - 16 + (x & 15) and + (x >> 4), a u32 histogram at r10 - 256 + ((byte & 63) << 2), as clang -O2
// lays them out, and a table whose address is taken before a loop (known at the loop's head through the join). Such
// an access stays in [r10 - 512, r10) whatever the index holds: no check in the ordinary code (no region cache read,
// no call), and the frame address it goes through is 32 bits wide (no carry into a high word). Each must give the r0
// computed here, as the interpreter does, with and without a budget (one that runs out inside the tables' loops:
// the same message at the same instruction).
//
// Where the range is not proven the check stays, and faults as the interpreter's does: an index shifted but not
// masked, a pointer stepped through the frame by a count from the input (its range grows at the loop's join), a
// 32-bit decrement that wraps, a callee's table reached through a pointer its caller passed (a subprogram's entry
// knows nothing of its registers: each function has its own r10).
import { describe, it, expect, beforeAll } from "vitest";
import { assemble } from "../../../src/tools/asm.js";
import { arm32Listing } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";
import { type Case, type Shape, outcomes, rng } from "../../support/generated-runs.js";

beforeAll(ensureArm32Translator);

const M64 = (1n << 64n) - 1n;
const r0Is = (v: bigint) => `r0 = 0x${(v & M64).toString(16)}`;
const FAULT = "a fault"; // the model's word where an access leaves the frame: the engines must fault alike
const BY_INTERPRETER = "the interpreter's";

// RC4: the key schedule over min(len, 16) key bytes from the input, then a keystream byte per input byte,
// h = h * 31 + (data[k] ^ ks)
const RC4 = `
  mov %r3, %r2
  jlt %r2, 16, short
  mov %r3, 16
short:
  mov %r0, 0
  jeq %r2, 0, done
  mov %r4, 0
init:
  mov %r5, %r10
  add %r5, -256
  add %r5, %r4
  stxb [%r5+0], %r4
  add %r4, 1
  jne %r4, 256, init
  mov32 %r5, 0
  mov %r4, 0
ksa:
  mov %r0, %r4
  mod %r0, %r3
  mov %r6, %r1
  add %r6, %r0
  mov %r0, %r10
  add %r0, -256
  mov %r7, %r0
  add %r7, %r4
  ldxb %r8, [%r7+0]
  mov32 %r9, %r8
  add32 %r9, %r5
  ldxb %r5, [%r6+0]
  add32 %r9, %r5
  mov %r5, %r9
  and %r5, 255
  add %r0, %r5
  ldxb %r5, [%r0+0] # frame
  stxb [%r7+0], %r5
  stxb [%r0+0], %r8 # frame
  add %r4, 1
  mov32 %r5, %r9
  jne %r4, 256, ksa
  mov32 %r6, 0
  mov %r5, 0
  mov %r0, 0
  mov32 %r4, 0
  stxdw [%r10-264], %r1
prga:
  add32 %r4, 1
  and32 %r4, 255
  mov %r3, %r10
  add %r3, -256
  mov %r8, %r3
  add %r8, %r4
  ldxb %r9, [%r8+0] # frame
  mov %r1, %r2
  mov32 %r2, %r9
  add32 %r2, %r6
  mov %r6, %r2
  and %r6, 255
  mov %r7, %r3
  add %r7, %r6
  ldxb %r6, [%r7+0] # frame
  stxb [%r8+0], %r6 # frame
  stxb [%r7+0], %r9 # frame
  ldxb %r6, [%r8+0] # frame
  add32 %r6, %r9
  and %r6, 255
  add %r3, %r6 # sum
  ldxdw %r6, [%r10-264]
  add %r6, %r5
  ldxb %r3, [%r3+0] # frame
  ldxb %r6, [%r6+0] # checked
  xor32 %r6, %r3
  mul %r0, 31
  and %r6, 255
  add %r0, %r6
  add %r5, 1
  mov32 %r6, %r2
  mov %r2, %r1
  jlt %r5, %r2, prga
done:
  exit`;

function rc4(input: Uint8Array): string {
  const len = input.length;
  if (len === 0) return r0Is(0n);
  const klen = Math.min(len, 16);
  const s = Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + s[i] + input[i % klen]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
  }
  let a = 0;
  let b = 0;
  let h = 0n;
  for (let k = 0; k < len; k++) {
    a = (a + 1) & 255;
    b = (b + s[a]) & 255;
    [s[a], s[b]] = [s[b], s[a]];
    h = (h * 31n + BigInt(input[k] ^ s[(s[a] + s[b]) & 255])) & M64;
  }
  return r0Is(h);
}

// A nibble table t[i] = 7i + 3 at r10 - 16: h = h * 17 + t[x & 15] + t[x >> 4], then t[x & 15] += 1, per byte x
const NIBBLE = [
  ...Array.from({ length: 16 }, (_, k) => `  mov32 %r3, ${(7 * (15 - k) + 3) & 255}\n  stxb [%r10-${k + 1}], %r3`),
  `  mov %r0, 0
  jeq %r2, 0, done
  mov %r3, 0
loop:
  mov %r4, %r1
  add %r4, %r3
  ldxb %r4, [%r4+0] # checked
  mov32 %r5, %r4
  and32 %r5, 15
  mov %r6, %r10
  add %r6, -16
  mov %r7, %r6
  add %r7, %r5
  rsh32 %r4, 4
  add %r6, %r4
  ldxb %r4, [%r6+0] # frame
  ldxb %r5, [%r7+0] # frame
  mov32 %r6, %r5
  add32 %r6, 1
  stxb [%r7+0], %r6 # frame
  mul %r0, 17
  add %r0, %r5
  add %r0, %r4
  add %r3, 1
  jlt %r3, %r2, loop
done:
  exit`,
].join("\n");

function nibble(input: Uint8Array): string {
  const t = Array.from({ length: 16 }, (_, i) => (7 * i + 3) & 255);
  let h = 0n;
  for (const x of input) {
    h = (h * 17n + BigInt(t[x & 15]) + BigInt(t[x >> 4])) & M64;
    t[x & 15] = (t[x & 15] + 1) & 255;
  }
  return r0Is(h);
}

// A u32 histogram at r10 - 256: hist[b & 63] += b per byte b, then s = s * 3 + hist[i] over the 64 counts
const HIST = [
  "  mov %r3, 0",
  ...Array.from({ length: 32 }, (_, k) => `  stxdw [%r10-${8 * (k + 1)}], %r3`),
  `  jeq %r2, 0, sum
loop:
  mov %r4, %r1
  add %r4, %r3
  ldxb %r4, [%r4+0] # checked
  mov32 %r5, %r4
  and32 %r5, 63
  lsh %r5, 2
  mov %r0, %r10
  add %r0, -256
  add %r0, %r5
  ldxw %r5, [%r0+0] # frame
  add32 %r5, %r4
  stxw [%r0+0], %r5 # frame
  add %r3, 1
  jlt %r3, %r2, loop
sum:
  mov %r1, 0
  mov %r0, 0
next:
  mov %r2, %r10
  add %r2, -256
  add %r2, %r1
  ldxw %r2, [%r2+0]
  mul %r0, 3
  add %r0, %r2
  add %r1, 4
  jeq %r1, 256, done
  ja next
done:
  exit`,
].join("\n");

function hist(input: Uint8Array): string {
  const counts = new Array<number>(64).fill(0);
  for (const b of input) counts[b & 63] = (counts[b & 63] + b) >>> 0;
  let s = 0n;
  for (const n of counts) s = (s * 3n + BigInt(n)) & M64;
  return r0Is(s);
}

// Counts of byte >> 2 in a u8 table at r10 - 64, its address taken once before the loop: known at the loop's
// head, where the way in and the back edge meet; then the table's eight words folded
const HOISTED = [
  "  mov %r3, 0",
  ...Array.from({ length: 8 }, (_, k) => `  stxdw [%r10-${8 * (k + 1)}], %r3`),
  `  mov %r6, %r10
  add %r6, -64
  jeq %r2, 0, fold
loop:
  mov %r4, %r1
  add %r4, %r3
  ldxb %r5, [%r4+0] # checked
  rsh32 %r5, 2
  mov %r7, %r6
  add %r7, %r5
  ldxb %r8, [%r7+0] # frame
  add %r8, 1
  stxb [%r7+0], %r8 # frame
  add %r3, 1
  jlt %r3, %r2, loop
fold:
  mov %r0, 0`,
  ...Array.from({ length: 8 }, (_, k) => `  ldxdw %r4, [%r10-${8 * (k + 1)}]\n  mul %r0, 1000003\n  xor %r0, %r4`),
  "  exit",
].join("\n");

function hoisted(input: Uint8Array): string {
  const t = new Uint8Array(64);
  for (const b of input) t[b >> 2] = (t[b >> 2] + 1) & 255;
  const words = new DataView(t.buffer);
  let h = 0n;
  // the word at r10 - 8(k + 1): bytes 64 - 8(k + 1) .. of the table, little-endian
  for (let k = 0; k < 8; k++) h = ((h * 1000003n) & M64) ^ words.getBigUint64(64 - 8 * (k + 1), true);
  return r0Is(h);
}

// r10 - 256 .. r10 zeroed (the frame's bytes are not known at the start)
const ZERO_TABLE = ["  mov %r3, 0", ...Array.from({ length: 32 }, (_, k) => `  stxdw [%r10-${8 * (k + 1)}], %r3`)].join(
  "\n",
);

// Not proven, each faulting on some inputs:
// an index shifted but not masked: byte << 2 reaches past r10 from r10 - 256 (bytes from 64 on)
const SHIFTED = `
${ZERO_TABLE}
  mov %r0, 0
  jeq %r2, 0, done
  mov %r3, 0
loop:
  mov %r4, %r1
  add %r4, %r3
  ldxb %r4, [%r4+0]
  mov32 %r5, %r4
  lsh %r5, 2
  mov %r6, %r10
  add %r6, -256
  add %r6, %r5
  ldxw %r5, [%r6+0] # checked
  add32 %r5, 1
  stxw [%r6+0], %r5 # checked
  add %r0, %r5
  add %r3, 1
  jlt %r3, %r2, loop
done:
  exit`;

function shifted(input: Uint8Array): string {
  const counts = new Map<number, number>();
  let r0 = 0n;
  for (const b of input) {
    if (b >= 64) return FAULT;
    const n = (counts.get(b) ?? 0) + 1;
    counts.set(b, n);
    r0 += BigInt(n);
  }
  return r0Is(r0);
}

// a pointer stepped up from r10 - 16 as many times as the first byte says: past r10 from 16 on
const STEPPED = `
  mov %r0, 0
  jeq %r2, 0, done
  ldxb %r3, [%r1+0] # checked
  jeq %r3, 0, done
  mov %r6, %r10
  add %r6, -16
loop:
  stxb [%r6+0], %r3 # checked
  add %r0, %r3
  add %r6, 1
  add %r3, -1
  jne %r3, 0, loop
done:
  exit`;

function stepped(input: Uint8Array): string {
  if (input.length === 0 || input[0] === 0) return r0Is(0n);
  const n = input[0];
  return n > 16 ? FAULT : r0Is(BigInt((n * (n + 1)) / 2));
}

// a byte less 1 in 32 bits: 0 wraps to 2^32 - 1, far past r10; masked to 8 bits it stays in the table (proven)
const WRAPPED = `
${ZERO_TABLE}
  mov %r0, 0
  jeq %r2, 0, done
  ldxb %r3, [%r1+0] # checked
  mov %r4, %r3
  and %r4, 255
  mov %r5, %r10
  add %r5, -256
  add %r5, %r4
  stxb [%r5+0], %r3 # frame
  add32 %r3, -1
  mov %r5, %r10
  add %r5, -256
  add %r5, %r3
  ldxb %r0, [%r5+0] # checked
done:
  exit`;

function wrapped(input: Uint8Array): string {
  if (input.length === 0) return r0Is(0n);
  const b = input[0];
  // the load reads the (zeroed) byte below the one just stored
  return b === 0 ? FAULT : r0Is(0n);
}

// a callee's table: its own at its r10 - 32 (proven), and one at its caller's r10 + callerOffset through r1, of
// which the callee knows nothing (checked); both indexed by the first byte & 31; the second partly below the
// stack's bottom when the caller passes r10 - 540 (a fault there)
function callee(callerOffset: number): string {
  return `
  mov %r6, %r1
  mov %r0, 0
  jeq %r2, 0, empty
  ldxb %r2, [%r6+0] # checked
  mov %r1, %r10
  add %r1, ${callerOffset}
  call local sub
empty:
  exit
sub:
  and %r2, 31
  mov %r4, %r10
  add %r4, -32
  add %r4, %r2
  stxb [%r4+0], %r2 # frame
  add %r1, %r2
  stxb [%r1+0], %r2 # checked
  ldxb %r0, [%r4+0] # frame
  ldxb %r3, [%r1+0] # checked
  lsh %r0, 8
  or %r0, %r3
  exit`;
}

function called(callerOffset: number, input: Uint8Array): string {
  if (input.length === 0) return r0Is(0n);
  const x = input[0] & 31;
  // the caller's table at its r10 + callerOffset: inside the frames in use ([stack bottom, callee's r10)) or a fault
  const at = callerOffset + x;
  if (at < -512 || at >= 512) return FAULT;
  return r0Is(BigInt((x << 8) | x));
}

interface Program {
  name: string;
  source: string;
  model: (input: Uint8Array) => string;
}

const PROVEN: Program[] = [
  { name: "rc4", source: RC4, model: rc4 },
  { name: "nibble", source: NIBBLE, model: nibble },
  { name: "hist", source: HIST, model: hist },
  { name: "hoisted", source: HOISTED, model: hoisted },
];

const UNPROVEN: Program[] = [
  { name: "shifted", source: SHIFTED, model: shifted },
  { name: "stepped", source: STEPPED, model: stepped },
  { name: "wrapped", source: WRAPPED, model: wrapped },
  { name: "callee", source: callee(-64), model: (input) => called(-64, input) },
  { name: "callee below", source: callee(-540), model: (input) => called(-540, input) },
];

/** The instruction indices of the lines marked `# tag` (no lddw in these programs). */
function marked(source: string, tag: string): number[] {
  const lines = source
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.endsWith(":"));
  return lines.flatMap((l, k) => (l.endsWith(`# ${tag}`) ? [k] : []));
}

/** A memory check's code: the region cache's window read (LDRD), a call, or a branch to a check stub. */
const CHECK = /^(ldrd r2, r3, \[r11|bl|bhs)/;

/** The ARM code of instruction i in the ordinary code (not a loop's copy), each line without address and encoding. */
function ordinaryCode(listing: string, i: number): string[] {
  const lines = listing.split("\n");
  const at = lines.findIndex((l) => new RegExp(`^;\\s+${i}: `).test(l) && !l.includes("(copy of loop"));
  expect(at).toBeGreaterThanOrEqual(0);
  const code: string[] = [];
  for (let k = at + 1; k < lines.length && !lines[k].startsWith(";"); k++) {
    if (/^\s+[0-9a-f]+:\s/.test(lines[k])) code.push(lines[k].replace(/^\s+[0-9a-f]+:\s+[0-9a-f]+\s+/, ""));
  }
  return code;
}

function checksOf(source: string, i: number): string[] {
  return ordinaryCode(arm32Listing(assemble(source), { budget: 0 }), i).filter((l) => CHECK.test(l));
}

function input(length: number, seed: number): Uint8Array {
  const rand = rng(seed);
  return Uint8Array.from({ length }, () => Math.floor(rand() * 256));
}

describe("tables in the frame indexed by a value of known range", () => {
  it("are reached without a check, through 32-bit frame addresses", () => {
    for (const p of PROVEN) {
      const frame = marked(p.source, "frame");
      expect(frame.length, p.name).toBeGreaterThan(0);
      for (const i of frame) expect(checksOf(p.source, i), `${p.name}: instruction ${i}`).toEqual([]);
      // the accesses through the input keep theirs (in the ordinary code)
      for (const i of marked(p.source, "checked"))
        expect(checksOf(p.source, i).length, `${p.name}: ${i}`).toBeGreaterThan(0);
    }
    // r10 - 256 + ((S[a] + S[b]) & 0xff): one ADD, no carry into a high word
    const listing = arm32Listing(assemble(RC4), { budget: 0 });
    for (const i of marked(RC4, "sum")) expect(ordinaryCode(listing, i).filter((l) => /^adc/.test(l))).toEqual([]);
  });

  it("keep the check where the range is not proven", () => {
    for (const p of UNPROVEN) {
      for (const i of marked(p.source, "checked"))
        expect(checksOf(p.source, i).length, `${p.name}: ${i}`).toBeGreaterThan(0);
      for (const i of marked(p.source, "frame")) expect(checksOf(p.source, i), `${p.name}: ${i}`).toEqual([]);
    }
  });

  it("give the r0 computed here, or the interpreter's fault, with and without a budget", async () => {
    const shapes: { p: Program; s: Shape }[] = [];
    let seed = 1;
    for (const p of PROVEN) {
      for (const length of [0, 1, 5, 16, 17, 200, 700])
        shapes.push({ p, s: { source: p.source, input: input(length, seed++) } });
    }
    for (const p of UNPROVEN) {
      for (const length of [0, 1, 3, 20, 100])
        shapes.push({ p, s: { source: p.source, input: input(length, seed++) } });
      // first bytes at the edges: 0, 15, 16, 63, 64, 255
      for (const first of [0, 15, 16, 63, 64, 255]) {
        const bytes = input(8, seed++);
        bytes[0] = first;
        shapes.push({ p, s: { source: p.source, input: bytes } });
      }
    }
    const cases: Case[] = shapes.map(({ s }, k) => ({ name: `${k}`, shape: s, budget: 0 }));
    // budgets that run out inside the tables' loops: the interpreter's message, at its instruction
    for (const { p, s } of shapes.filter(({ p, s }) => PROVEN.includes(p) && s.input.length >= 16)) {
      for (const budget of [700, 2_345, 9_999]) cases.push({ name: `${p.name} budget ${budget}`, shape: s, budget });
    }
    const modelOf = new Map(shapes.map(({ p, s }) => [s.input, p.model(s.input)]));
    // (with a budget: the interpreter's outcome is the reference)
    const results = await outcomes(cases, (_source, bytes, budget) =>
      budget > 0 ? BY_INTERPRETER : modelOf.get(bytes)!,
    );
    const wrong = results.filter((r) => {
      if (r.model === BY_INTERPRETER) return r.arm32 !== r.interp;
      if (r.model === FAULT) return r.interp.startsWith("r0 =") || r.arm32 !== r.interp;
      return r.interp !== r.model || r.arm32 !== r.model;
    });
    expect(wrong).toEqual([]);
    // the cases fault as modelled, and some budgets run out
    expect(results.filter((r) => r.model === FAULT).length).toBeGreaterThan(10);
    expect(results.filter((r) => /budget/.test(r.interp)).length).toBeGreaterThan(3);
  }, 300_000);
});
