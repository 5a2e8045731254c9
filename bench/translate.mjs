// Translation and run times of the Wasm engine on generated programs of 1,000 and 10,000 instructions (and 100,000
// to show the trend). Prints figures only; nothing here is an assertion.
//
//   npm run build && node bench/translate.mjs [sizes...]        (default sizes: 1000 10000 100000)
//   node --no-liftoff bench/translate.mjs 1000 10000               TurboFan only: "first run" then includes the
//                                                                  optimising compiler's time (V8 still compiles lazily)
//
// For each size: eBPF -> Wasm translation (the AssemblyScript translator), V8's compilation of the module
// (lazy: functions are compiled by Liftoff on their first call, by TurboFan after they get hot), the first run,
// and later runs (TurboFan by then) next to the interpreter.
import { Runtime } from "../dist/src/runtime/runtime.js";
import { translateToWasm, wasmEngine, prepareWasm } from "../dist/src/engines/wasm.js";

/** Encodes one instruction. */
function insn(op, dst = 0, src = 0, off = 0, imm = 0) {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = op;
  b[1] = dst | (src << 4);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return b;
}

/**
 * A packet-parser-like program of about `n` instructions: a checksum loop, then blocks of context loads, arithmetic,
 * stack spills and if/else diamonds (11 instructions each), like clang output after inlining.
 */
export function generate(n) {
  const out = [];
  const push = (...a) => out.push(insn(...a));
  for (const r of [0, 3, 4, 5, 6]) push(0xb7, r, 0, 0, 0); // mov rN, 0
  // loop: r2 = 0; do { r3 = ctx[r2]; r0 += r3; r2++ } while (r2 < 32)
  push(0xb7, 2, 0, 0, 0);
  push(0xbf, 7, 1, 0, 0); // r7 = r1
  push(0x0f, 7, 2, 0, 0); // r7 += r2
  push(0x71, 3, 7, 0, 0); // ldxb r3, [r7]
  push(0x0f, 0, 3, 0, 0); // r0 += r3
  push(0x07, 2, 0, 0, 1); // r2 += 1
  push(0xa5, 2, 0, -6, 32); // jlt r2, 32, -6
  let i = 0;
  while (out.length < n - 2) {
    const slot = -8 * ((i % 8) + 1);
    push(0x71, 3, 1, 0, i % 60); // ldxb r3, [r1 + k]
    push(0x0f, 4, 3, 0, 0); // add r4, r3
    push(0x27, 4, 0, 0, 31); // mul r4, 31
    push(0x7b, 10, 4, slot, 0); // stxdw [r10 + slot], r4
    push(0x15, 3, 0, 3, i & 0xff); // jeq r3, k, +3
    push(0xaf, 5, 4, 0, 0); // xor r5, r4
    push(0x77, 5, 0, 0, 3); // rsh r5, 3
    push(0x05, 0, 0, 1, 0); // ja +1
    push(0x07, 5, 0, 0, 7); // add r5, 7
    push(0x79, 6, 10, -8 * (((i + 3) % 8) + 1), 0); // ldxdw r6, [r10 + slot']
    push(0x0f, 0, 6, 0, 0); // add r0, r6
    i++;
  }
  push(0x0f, 0, 5, 0, 0); // add r0, r5
  push(0x95); // exit
  const bytes = new Uint8Array(out.length * 8);
  out.forEach((b, k) => bytes.set(b, k * 8));
  return bytes;
}

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const ctx = { ctx: { bytes: Uint8Array.from({ length: 64 }, (_, k) => (k * 37) & 0xff) } };

const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [1000, 10000, 100000];
for (const n of sizes) {
  const code = generate(n);
  const count = code.length / 8;

  let t0 = process.hrtime.bigint();
  const bytes = translateToWasm(code);
  const firstTranslate = ms(t0);
  const translate = [];
  for (let k = 0; k < 7; k++) {
    t0 = process.hrtime.bigint();
    translateToWasm(code);
    translate.push(ms(t0));
  }
  t0 = process.hrtime.bigint();
  new WebAssembly.Module(bytes);
  const compile = ms(t0);

  const rt = new Runtime({ budget: 0 });
  const prog = rt.addProgram(`gen${n}`, code);
  t0 = process.hrtime.bigint();
  prepareWasm(rt, prog);
  const prepare = ms(t0);
  t0 = process.hrtime.bigint();
  const first = rt.run(prog, ctx, wasmEngine);
  const firstRun = ms(t0);
  const wasmRuns = [];
  for (let k = 0; k < 30; k++) {
    t0 = process.hrtime.bigint();
    rt.run(prog, ctx, wasmEngine);
    wasmRuns.push(ms(t0));
  }
  const interpRuns = [];
  let interpR0;
  for (let k = 0; k < 10; k++) {
    t0 = process.hrtime.bigint();
    interpR0 = rt.run(prog, ctx, "interp").r0;
    interpRuns.push(ms(t0));
  }
  console.log(
    `${count} insns (${first.executed} executed per run): module ${bytes.length} bytes; ` +
      `translate first ${firstTranslate.toFixed(2)} ms, median ${median(translate).toFixed(2)} ms; ` +
      `V8 compile ${compile.toFixed(2)} ms; translate+compile+instantiate (cached after) ${prepare.toFixed(2)} ms; ` +
      `first run ${firstRun.toFixed(3)} ms, later runs median ${median(wasmRuns).toFixed(3)} ms; ` +
      `interpreter median ${median(interpRuns).toFixed(3)} ms; same r0: ${first.r0 === interpR0}`,
  );
}

// A long-running loop: one call stays in Liftoff (V8 does not replace a running Wasm function), later calls run
// TurboFan code.
{
  const loop = [
    insn(0xb7, 0, 0, 0, 0), // mov r0, 0
    insn(0xb7, 2, 0, 0, 0), // mov r2, 0
    insn(0xbf, 3, 2, 0, 0), // loop: r3 = r2
    insn(0x27, 3, 0, 0, 2654435761 | 0), // r3 *= 0x9e3779b1
    insn(0xaf, 0, 3, 0, 0), // r0 ^= r3
    insn(0x07, 2, 0, 0, 1), // r2 += 1
    insn(0xa5, 2, 0, -5, 3000000), // jlt r2, 3000000, loop
    insn(0x95),
  ];
  const code = new Uint8Array(loop.length * 8);
  loop.forEach((b, k) => code.set(b, k * 8));
  const rt = new Runtime({ budget: 0 });
  const prog = rt.addProgram("loop", code);
  const times = [];
  for (let k = 0; k < 5; k++) {
    const t0 = process.hrtime.bigint();
    rt.run(prog, {}, wasmEngine);
    times.push(ms(t0));
  }
  const t0 = process.hrtime.bigint();
  const r = rt.run(prog, {}, "interp");
  const interp = ms(t0);
  console.log(
    `loop of ${r.executed} executed insns: Wasm runs ${times.map((t) => t.toFixed(1)).join(", ")} ms ` +
      `(first in Liftoff); interpreter ${interp.toFixed(1)} ms`,
  );
}
