// The fast path: eBPF translated to WebAssembly (engine "wasm"). The translator is AssemblyScript of its own
// (assembly/wasm/, built to build/wasm-translator.wasm); this file feeds it a linked program, compiles the module it
// returns, instantiates it against the core (its memory and its helper, tail-call and region-check exports) and runs
// it. Faults, the budget and the stack follow the interpreter exactly: they land in the core's state, where the
// runtime reads them whichever engine ran.
import { join } from "node:path";
import { STATE, ST_BUDGET, ST_EXECUTED, ST_FAULT, FAULT_BUDGET } from "../../assembly/layout.js";
import { INSN_SIZE } from "../../assembly/isa.js";
import { packageRoot } from "../runtime/core.js";
import { readWasmFile } from "../runtime/build-files.js";
import { registerEngine, type Engine } from "../runtime/engines.js";
import type { Runtime, LinkedProgram } from "../runtime/runtime.js";

interface TranslatorExports {
  memory: WebAssembly.Memory;
  input(count: number): number;
  translate(count: number): number;
  output(): number;
  outputLength(): number;
  functions(): number;
  dispatched(): number;
}

/** What a translated program's module exports (see assembly/wasm/translate.ts). */
interface ProgramExports {
  run(r1: bigint, r2: bigint, budget: bigint): bigint;
  callback(handle: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint): bigint;
  tail_entry(...regs: TailRegs): bigint;
  remaining(): bigint;
}

type CoreFn = (...args: never[]) => unknown;
/** What a tail call hands over: r1..r5, the frame pointer, r0, r6..r9 (the target starts with every register). */
type TailRegs = [bigint, bigint, bigint, bigint, bigint, number, bigint, bigint, bigint, bigint, bigint];

const UNLIMITED = (1n << 63n) - 1n;

/** One instance per translator build; TINYBPF_WASM_TRANSLATOR names another build's .wasm (bench/wasm-ab.mjs). */
const translators = new Map<string, TranslatorExports>();

function translatorInstance(): TranslatorExports {
  const path = process.env.TINYBPF_WASM_TRANSLATOR || join(packageRoot(), "build", "wasm-translator.wasm");
  let translator = translators.get(path);
  if (!translator) {
    const bytes = readWasmFile(path, "run 'npm run build' first");
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: {
        abort: (_m: number, _f: number, line: number, col: number) => {
          throw new Error(`tinybpf Wasm translator aborted at ${line}:${col}`);
        },
      },
    });
    translator = instance.exports as unknown as TranslatorExports;
    translators.set(path, translator);
  }
  return translator;
}

/** Translates linked instructions into the bytes of a Wasm module. */
export function translateToWasm(insns: Uint8Array): Uint8Array<ArrayBuffer> {
  const t = translatorInstance();
  const count = insns.length / INSN_SIZE;
  const at = t.input(count);
  new Uint8Array(t.memory.buffer, at, insns.length).set(insns);
  const len = t.translate(count);
  if (len === 0) throw new Error(`cannot translate a program of ${count} instructions to WebAssembly`);
  return new Uint8Array(t.memory.buffer, t.output(), len).slice();
}

/** Of the last translation: Wasm functions made (one per eBPF function) and how many needed the dispatcher. */
export function lastTranslationStats(): { functions: number; dispatched: number } {
  const t = translatorInstance();
  return { functions: t.functions(), dispatched: t.dispatched() };
}

const modules = new WeakMap<Uint8Array, WebAssembly.Module>();

/** The compiled module of a program's linked instructions (cached per program). */
export function compileProgram(prog: LinkedProgram): WebAssembly.Module {
  let m = modules.get(prog.insns);
  if (!m) {
    m = new WebAssembly.Module(translateToWasm(prog.insns));
    modules.set(prog.insns, m);
  }
  return m;
}

const fallbacks = new WeakMap<Uint8Array, string>();
let fallbackTotal = 0;

/**
 * Why a program runs on the interpreter instead (translation or V8's compilation failed, e.g. a function beyond
 * V8's size limit), or undefined when it runs translated.
 */
export function wasmFallbackReason(prog: LinkedProgram): string | undefined {
  return fallbacks.get(prog.insns);
}

/** Programs that fell back to the interpreter since start-up. */
export function wasmFallbackCount(): number {
  return fallbackTotal;
}

/** Per runtime: one instance per program (null: runs on the interpreter), and the instance running now. */
class Instances {
  private byId = new Map<number, ProgramExports | null>();
  active: ProgramExports | undefined;
  /** The core's way back into the running program (bpf_loop and friends). */
  readonly callback = (h: bigint, a: bigint, b: bigint, c: bigint, d: bigint): bigint => {
    if (!this.active) throw new Error("no translated program is running");
    return this.active.callback(h, a, b, c, d);
  };

  constructor(private rt: Runtime) {}

  get(prog: LinkedProgram): ProgramExports | null {
    let inst = this.byId.get(prog.id);
    if (inst === undefined) {
      let module: WebAssembly.Module;
      try {
        module = compileProgram(prog);
      } catch (e) {
        if (!fallbacks.has(prog.insns)) fallbackTotal++;
        fallbacks.set(prog.insns, e instanceof Error ? e.message : String(e));
        this.byId.set(prog.id, null);
        return null;
      }
      const x = this.rt.core.x as unknown as Record<string, CoreFn | WebAssembly.Memory>;
      const instance = new WebAssembly.Instance(module, {
        env: {
          memory: x.memory,
          helper: x.helperCall,
          tail: x.tailCallTarget,
          access: x.accessAllowed,
          tail_run: (target: number, ...regs: TailRegs) => this.tailRun(target, regs),
          map_lookup: x.mapLookup,
        },
      });
      inst = instance.exports as unknown as ProgramExports;
      this.byId.set(prog.id, inst);
    }
    return inst;
  }

  private tailRun(target: number, regs: TailRegs): bigint {
    const prog = this.rt.programs.find((p) => p.id === target);
    if (!prog) throw new Error(`tail call to program ${target}, which this runtime did not load`);
    const inst = this.get(prog);
    if (!inst) throw new Error(`${prog.name}: tail call target is not translated (${wasmFallbackReason(prog)})`);
    const prev = this.active;
    this.active = inst;
    try {
      return inst.tail_entry(...regs);
    } finally {
      this.active = prev;
    }
  }
}

const perRuntime = new WeakMap<Runtime, Instances>();

function instances(rt: Runtime): Instances {
  let s = perRuntime.get(rt);
  if (!s) {
    s = new Instances(rt);
    perRuntime.set(rt, s);
  }
  return s;
}

/** Translates and instantiates a program ahead of its first run (the run would do it otherwise). */
export function prepareWasm(rt: Runtime, prog: LinkedProgram): void {
  instances(rt).get(prog);
}

export const wasmEngine: Engine = {
  name: "wasm",
  fallbackReason: wasmFallbackReason,
  run(rt: Runtime, prog: LinkedProgram, r1: bigint, r2: bigint): bigint {
    const s = instances(rt);
    const inst = s.get(prog);
    const core = rt.core;
    if (!inst) return BigInt.asUintN(64, core.x.run(prog.id, r1, r2));
    const x = core.x as unknown as { runBegin(p: number, r1: bigint, r2: bigint, engine: number): number };
    if (!x.runBegin(prog.id, r1, r2, 1)) return 0n;
    const v = core.view;
    const budget = v.getBigUint64(STATE + ST_BUDGET, true);
    const limit = budget === 0n || budget > UNLIMITED ? UNLIMITED : budget;
    const prevHook = core.callbackHook;
    core.callbackHook = s.callback;
    s.active = inst;
    let r0: bigint;
    try {
      r0 = inst.run(r1, r2, limit);
    } finally {
      core.callbackHook = prevHook;
      s.active = undefined;
    }
    const view = core.view; // the memory may have grown
    const executed = view.getUint32(STATE + ST_FAULT, true) === FAULT_BUDGET ? budget + 1n : limit - inst.remaining();
    view.setBigUint64(STATE + ST_EXECUTED, executed, true);
    return BigInt.asUintN(64, r0);
  },
};

registerEngine(wasmEngine);
