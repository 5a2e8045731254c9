// Loops whose own accesses their compares bound, around an inner loop (assembly/wasm/facts.ts: INNER), with the
// compared index copied before its compare (COPIES): a UTF-8 decoder reads data[i] once per character and scans
// the continuation bytes in an inner loop, i moving by what that loop found, each way back tested `i < n` (clang
// writes `r4 = r6; if r6 < r2 goto`). The test before the outer loop allows data[0..n), the inner loop keeps its
// own plan; the outer loop then runs its copy without checks (runOn: the caches still hold the stack), faults where
// the interpreter does when the region ends short, and runs out of budget where the interpreter does.
import { describe, expect, it } from "vitest";
import { type Outcome, runBoth } from "../../support/wasm-runs.js";
import { rng } from "../../support/generated-runs.js";

function same(asm: string, bytes: number[], n: number, budget = 0): { out: Outcome; unchecked: boolean } {
  const w = runBoth(asm, bytes.length, (i) => bytes[i], budget);
  return { out: w.out, unchecked: w.unchecked };
}

/** Code points << 32 | malformed sequences in the first n bytes (clang's code for utf8_count, n a constant). */
function decoder(n: number): string {
  return `
        mov %r0, 0
        mov %r2, ${n}
        jeq %r2, 0, done
        mov %r3, 0
        mov %r4, 0
        ja head
      ascii:
        add %r6, %r4
        add %r0, 1
        mov %r4, %r6
        jlt %r6, %r2, head
        ja done
      head:
        mov %r5, %r1
        add %r5, %r4
        mov %r6, 1
        ldxb %r7, [%r5+0]
        mov32 %r5, %r7
        lsh32 %r5, 24
        arsh32 %r5, 24
        jsgt32 %r5, -1, ascii
        mov %r5, 3
        jgt32 %r7, 0xef, lead
        mov %r5, 2
        jgt32 %r7, 0xdf, lead
        mov %r5, 1
        jlt32 %r7, 0xc0, bad
      lead:
        mov %r7, %r1
        add %r7, %r4
        mov %r8, %r6
      scan:
        mov %r6, %r4
        add %r6, %r8
        jge %r6, %r2, short
        mov %r9, %r7
        add %r9, %r8
        ldxb %r9, [%r9+0]
        and32 %r9, 0xc0
        jne32 %r9, 0x80, short
        mov %r6, %r8
        add %r6, 1
        jlt %r8, %r5, more
        ja ascii
      more:
        mov %r8, %r6
        ja scan
      short:
        add %r3, 1
        mov %r4, %r6
        jlt %r6, %r2, head
        ja done
      bad:
        add %r4, 1
        add %r3, 1
        jlt %r4, %r2, head
      done:
        lsh %r0, 32
        or %r0, %r3
        exit`;
}

/** The decoder's result as the C source states it (see bench/kernels/c/utf8_count.c). */
function decoded(bytes: number[], n: number): bigint {
  let points = 0n,
    bad = 0n;
  for (let i = 0; i < n; ) {
    const c = bytes[i];
    const need = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 4;
    if (need === 4) {
      bad++;
      i++;
      continue;
    }
    let j = 1;
    while (j <= need && i + j < n && (bytes[i + j] & 0xc0) === 0x80) j++;
    if (j <= need) bad++;
    else points++;
    i += j;
  }
  return (points << 32n) | bad;
}

/** Text of `length` bytes from `seed`: ASCII, two-, three- and four-byte characters, now and then a broken one. */
function text(length: number, seed: number): number[] {
  const rand = rng(seed);
  const out: number[] = [];
  while (out.length < length) {
    const k = Math.floor(rand() * 8);
    if (k < 4) out.push(32 + Math.floor(rand() * 90));
    else if (k === 4) out.push(0xc3, 0x80 | Math.floor(rand() * 64));
    else if (k === 5) out.push(0xe2, 0x82, 0xac);
    else if (k === 6) out.push(0xf0, 0x9f, 0x98, 0x80);
    else out.push(Math.floor(rand() * 256));
  }
  return out.slice(0, length);
}

/**
 * ASCII and stray continuation bytes (malformed: no inner loop) around two three-byte characters: the inner loop's
 * own test runs on its first entries and then is skipped as short searches (translate.ts: TOLL), so whether any
 * read went through the checked path tells the outer loop's copies apart here.
 */
function fewScans(length: number, seed: number): number[] {
  const rand = rng(seed);
  const out = Array.from({ length }, () =>
    rand() < 0.8 ? 32 + Math.floor(rand() * 90) : 0x80 + Math.floor(rand() * 64),
  );
  out.splice(0, 3, 0xe2, 0x82, 0xac);
  if (length >= 8) out.splice(length - 4, 3, 0xe2, 0x82, 0xac);
  return out.slice(0, length);
}

describe("loops around an inner loop whose own accesses their compares bound", () => {
  it("a UTF-8 decoder reads each character's first byte unchecked, and faults at that read past a short region", () => {
    for (const [length, seed] of [
      [3, 1],
      [7, 2],
      [64, 3],
      [300, 4],
    ]) {
      const bytes = fewScans(length, seed);
      const fits = same(decoder(length), bytes, length);
      expect(fits.out.r0).toBe(decoded(bytes, length));
      expect(fits.unchecked).toBe(true);
      // n past the region: a read faults where the interpreter's does
      const short = same(decoder(length + 1), bytes, length + 1);
      expect(short.out.error).toMatch(/out-of-bounds read .*\(instruction \d+\)/);
    }
  });

  it("a copy changed after it, or whose source changes, before the compare takes no bound: reads past n fault", () => {
    // the index steps by a byte's low bits; its copy for the next trip is made before the compare, then moved
    const stepped = (n: number, between: string) => `
        mov %r0, 0
        mov %r4, 0
      loop:
        mov %r5, %r1
        add %r5, %r4
        ldxb %r7, [%r5+0]
        add %r0, %r7
        and %r7, 3
        mov %r6, %r4
        add %r6, 1
        add %r6, %r7
        mov %r4, %r6
        ${between}
        jlt %r6, ${n}, loop
        exit`;
    const bytes = text(80, 6);
    for (const between of ["add %r4, 2", "add %r6, -2", ""])
      for (const n of [10, 40, 78]) {
        const out = same(stepped(n, between), bytes.slice(0, n), n).out;
        if (between === "") expect(out.error).toBeUndefined();
      }
  });

  it("under every budget, the decoder runs out where the interpreter does", () => {
    const bytes = text(24, 5);
    const executed = same(decoder(24), bytes, 24).out.executed ?? 0;
    for (let budget = 1; budget <= executed + 1; budget++) same(decoder(24), bytes, 24, budget);
  });

  it("generated texts and bounds agree with the interpreter and the model, with and without budgets", () => {
    const rand = rng(808);
    for (let k = 0; k < 120; k++) {
      const length = 1 + Math.floor(rand() * 90);
      const n = Math.max(1, length + Math.floor(rand() * 5) - 3); // at, below or past the region's end
      const bytes = text(length, 1000 + k);
      const out = same(decoder(n), bytes, n).out;
      if (n <= length) expect(out.r0).toBe(decoded(bytes, n));
      if (k % 8 === 0) for (const budget of [1, 9, 33, 120, 400]) same(decoder(n), bytes, n, budget);
    }
  });
});
