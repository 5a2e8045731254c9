// The eBPF -> WebAssembly translator as a module of its own (build/wasm-translator.wasm), separate from the core:
// only hosts that run Wasm need it. The host writes a linked program's instructions into `input(count)`, calls
// `translate(count)` and reads `outputLength()` bytes at `output()`: the bytes of a Wasm module (see translate.ts).
//
// Build: npx asc assembly/wasm/index.ts --outFile build/wasm-translator.wasm -O3 --shrinkLevel 2 --runtime stub --noAssert
// (shrinkLevel 2: 2.2 KB less than none, and no slower translation measured with bench/translate.mjs)
import { Translator, statFunctions, statDispatched } from "./translate";

let inputPtr: usize = 0;
let outputPtr: usize = 0;
let outputLen: u32 = 0;

/** Drops the previous translation and returns room for `count` instructions (8 bytes each). */
export function input(count: u32): usize {
  __reset();
  outputPtr = 0;
  outputLen = 0;
  inputPtr = heap.alloc(<usize>count << 3);
  return inputPtr;
}

/** Translates the `count` instructions at `input()`; returns the module's size in bytes, 0 when it failed. */
export function translate(count: i32): u32 {
  if (count <= 0) return 0;
  const t = new Translator(inputPtr, count);
  const m = t.module();
  if (t.failed) return 0;
  outputPtr = m.ptr;
  outputLen = m.len;
  return outputLen;
}

export function output(): usize { return outputPtr; }
export function outputLength(): u32 { return outputLen; }

/** Functions in the last translation. */
export function functions(): u32 { return statFunctions; }
/** Functions of the last translation whose control flow stayed irreducible (emitted as a br_table dispatcher). */
export function dispatched(): u32 { return statDispatched; }
