// A loop of one path whose trips its exit test counts, with no access to hoist (a bit loop over a register), is
// versioned for its budget alone (assembly/wasm/counted.ts: single; translate.ts: versioned): the test on entry
// counts its trips and, when the budget lasts them, takes a copy with no checkpoint and no count, the whole loop's
// instructions counted before it. clang ends such a loop with `if (done) goto +1; goto head`: the test is not the
// trip's last instruction, and the last trip does not run the jump back (LoopPlan.lenTail). The module's text shows
// the second copy; the counts must stay exact: every outcome (r0, instructions executed, fault) is the
// interpreter's, r0 the one computed here, and budgets that run out at every instruction fault where the
// interpreter does.
import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { assemble } from "../../../src/tools/asm.js";
import type { RunInput } from "../../../src/runtime/runtime.js";
import { translateToWasm } from "../../../src/engines/wasm.js";
import { rng } from "../../support/generated-runs.js";
import { runAtBudgets } from "../../support/wasm-runs.js";

/**
 * Each u32 of ctx (n = its length / 4) bit-reversed by a loop of `bits` trips counting down, the results folded by
 * a rotate and xor, as clang lays out `for (b = 0; b < 32; b++) { r = r << 1 | (v & 1); v >>= 1; }`.
 */
const bitrev = (bits: number) => `
    mov %r0, 0
    jlt %r2, 4, done
    rsh %r2, 2
    mov32 %r4, 0
    mov %r3, 0
  outer:
    mov %r5, %r3
    lsh %r5, 2
    mov %r0, %r1
    add %r0, %r5
    mov32 %r5, ${bits}
    ldxw %r6, [%r0+0]
    mov32 %r0, 0
  inner:
    lsh32 %r0, 1
    mov32 %r7, %r6
    and32 %r7, 1
    or32 %r0, %r7
    rsh32 %r6, 1
    add32 %r5, -1
    jeq32 %r5, 0, +1
    ja inner
    mov32 %r5, %r4
    rsh32 %r5, 27
    lsh32 %r4, 5
    or32 %r4, %r5
    xor32 %r0, %r4
    add %r3, 1
    mov32 %r4, %r0
    jlt %r3, %r2, outer
  done:
    exit`;

/** A loop of one block counting up to a constant with `jne`, no access: r0 = the sum of i * i for i < n. */
const squares = (n: number) => `
    mov %r0, 0
    mov %r1, 0
  loop:
    mov %r2, %r1
    mul %r2, %r1
    add %r0, %r2
    add %r1, 1
    jne %r1, ${n}, loop
    exit`;

/** What bitrev(bits) returns over `words`. */
function bitrevModel(bits: number, words: number[]): bigint {
  const M = 0xffffffffn;
  let h = 0n;
  for (const w of words) {
    let v = BigInt(w),
      r = 0n;
    for (let b = 0; b < bits; b++) {
      r = ((r << 1n) | (v & 1n)) & M;
      v >>= 1n;
    }
    h = (((h << 5n) | (h >> 27n)) & M) ^ r;
  }
  return h;
}

/** The Wasm loops of the program's function (its fast version, the module's next to last function). */
function fastLoops(source: string): number {
  const m = binaryen.readBinary(translateToWasm(assemble(source)));
  const text = m.emitText();
  m.dispose();
  const funcs = text.split(/\n \(func /);
  return (funcs[funcs.length - 2].match(/\(loop /g) ?? []).length;
}

function wordBytes(words: number[]): Uint8Array {
  const b = new Uint8Array(4 * words.length);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setUint32(4 * i, w, true));
  return b;
}

describe("a counted loop without accesses, versioned for its budget", () => {
  it("is emitted twice: the copy whose trips were counted on entry, and the checked one", () => {
    // the outer loop twice (versioned for its read, which its own compare bounds: the test's region search), each
    // copy with the inner loop twice, and the checked copy's region search of that read (before: the outer loop
    // once, the region search of its read, the inner loop twice)
    expect(fastLoops(bitrev(32))).toBe(8);
    expect(fastLoops(squares(10))).toBe(2);
  });

  it("bit-reversed words: r0 is the model's, the count the interpreter's at every budget", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const next = rng(seed * 7919);
      const words = Array.from({ length: 1 + Math.floor(next() * 5) }, () => Math.floor(next() * 2 ** 32));
      const bits = [32, 1, 7, 32, 2, 16][seed - 1];
      const bytes = wordBytes(words);
      const input = (): RunInput => ({ ctx: { bytes: bytes.slice() } });
      const full = runAtBudgets(bitrev(bits), input, [0]);
      expect(full.wasm, `seed ${seed}`).toEqual(full.interp);
      expect(full.interp[0].r0, `seed ${seed}`).toBe(bitrevModel(bits, words));
      const executed = full.interp[0].executed!;
      const budgets = Array.from({ length: executed + 1 }, (_, i) => i + 1);
      const r = runAtBudgets(bitrev(bits), input, budgets);
      expect(r.wasm, `seed ${seed}`).toEqual(r.interp);
      budgets.forEach((budget, i) => {
        if (budget < executed) expect(r.interp[i].error, `seed ${seed}, budget ${budget}`).toMatch(/budget/);
        else expect(r.interp[i].executed).toBe(executed);
      });
    }
  });

  it("a jne loop counting up: r0 and counts exact, also when its bound is passed on entry (no plan then)", () => {
    for (const n of [1, 2, 9, 100]) {
      let want = 0n;
      for (let i = 0n; i < BigInt(n); i++) want += i * i;
      const full = runAtBudgets(squares(n), () => ({}), [0]);
      expect(full.wasm).toEqual(full.interp);
      expect(full.interp[0].r0).toBe(want);
      const executed = full.interp[0].executed!;
      expect(executed).toBe(2 + 5 * n + 1);
      const budgets = [1, 2, 3, executed - 2, executed - 1, executed, executed + 1];
      const r = runAtBudgets(squares(n), () => ({}), budgets);
      expect(r.wasm, `n ${n}`).toEqual(r.interp);
    }
  });
});
