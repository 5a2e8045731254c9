// The AssemblyScript core as the host sees it: one Wasm instance holding the interpreter, the maps, the
// programs and their memory. Host helpers are called from the core through the `env.host_helper` import.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  STATE,
  REGS,
  ST_FAULT,
  ST_FAULT_PC,
  ST_FAULT_ADDR,
  ST_FAULT_SIZE,
  ST_BUDGET,
  ST_EXECUTED,
  ST_STOPPED,
  FAULT_NONE,
  FAULT_HOST,
  FAULT_WRITE,
  SCRATCH,
  SCRATCH_SIZE,
} from "../../assembly/layout.js";
import type { FaultInfo } from "./faults.js";
import { readWasmFile } from "./build-files.js";

export interface CoreExports {
  memory: WebAssembly.Memory;
  init(): void;
  run(prog: number, r1: bigint, r2: bigint): bigint;
  programAdd(addr: number, count: number): number;
  helperSetHost(id: number): boolean;
  helperKind(id: number): number;
  allocBytes(size: number): number;
  heapTop(): number;
  regionSet(index: number, start: number, end: number, wstart: number, wend: number): void;
  regionAdd(start: number, end: number, wstart: number, wend: number): number;
  accessAllowed(addr: bigint, size: number, write: boolean | number): number;
  mapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number, inner: number): number;
  mapLookup(id: number, keyAddr: number): bigint;
  mapLookupCpu(id: number, keyAddr: number, cpu: number): number;
  mapUpdate(id: number, keyAddr: number, valueAddr: number, flags: bigint): bigint;
  mapDelete(id: number, keyAddr: number): bigint;
  mapGetNextKey(id: number, keyAddr: number, nextKeyAddr: number): bigint;
  mapPush(id: number, valueAddr: number, flags: bigint): bigint;
  mapPop(id: number, valueAddr: number): bigint;
  mapPeek(id: number, valueAddr: number): bigint;
  ringbufNext(id: number): number;
  ringbufNextLen(): number;
  perfNext(id: number): number;
  perfNextLen(): number;
}

/** A host helper: gets r1..r5, returns r0 (or nothing for 0). Throwing stops the program with a fault. */
export type HostHelper = (args: bigint[], core: Core) => bigint | number | void;

/** Thrown by a host helper that wants to end the program at once, r0 given (like the suite's unwind helper). */
export class StopProgram {
  constructor(readonly r0: bigint) {}
}

let cachedModule: WebAssembly.Module | undefined;

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the tinybpf package root (package.json) above " + fileURLToPath(import.meta.url));
}

function coreModule(): WebAssembly.Module {
  if (!cachedModule) {
    // TINYBPF_CORE=tiny picks the interpreter-only core built for the smallest devices (fewer map families).
    const name = process.env.TINYBPF_CORE === "tiny" ? "core-tiny.wasm" : "core.wasm";
    const path = join(packageRoot(), "build", name);
    cachedModule = new WebAssembly.Module(readWasmFile(path, "run 'npm run build' first"));
  }
  return cachedModule;
}

export class Core {
  readonly x: CoreExports;
  private helpers = new Map<number, HostHelper>();
  private helperError: string | undefined;
  /** What an engine that keeps its memory elsewhere (arm32) reported of its fault, over the core's fields. */
  faultOverride: Partial<FaultInfo> | undefined;
  /** Extra imports (the Wasm engine's callback bridge sets these). */
  callbackHook: ((handle: bigint, a: bigint, b: bigint, c: bigint, d: bigint) => bigint) | undefined;

  constructor() {
    const instance = new WebAssembly.Instance(coreModule(), {
      env: {
        abort: (_m: number, _f: number, line: number, col: number) => {
          throw new Error(`tinybpf core aborted at ${line}:${col}`);
        },
        host_helper: (id: number) => this.callHostHelper(id),
        host_time_ns: (which: number) => hostTime(which),
        host_callback: (h: bigint, a: bigint, b: bigint, c: bigint, d: bigint) => {
          if (!this.callbackHook) throw new Error("no engine is running a callback");
          return this.callbackHook(h, a, b, c, d);
        },
      },
    });
    this.x = instance.exports as unknown as CoreExports;
    this.x.init();
  }

  // One Uint8Array and one DataView over linear memory, made again only when the memory grew: a run reads and
  // writes the core's state a dozen times, and a view made at each access was a third of a small program's run.
  // Growing (from the host or from Wasm code) detaches the old buffer, and a Uint8Array over a detached buffer has
  // length 0: that is the test, cheaper than asking the Memory for its buffer at each access.
  private bytes = new Uint8Array(0);
  private data = new DataView(this.bytes.buffer);

  get memory(): Uint8Array {
    if (!this.bytes.length) this.viewMemory();
    return this.bytes;
  }
  get view(): DataView {
    if (!this.bytes.length) this.viewMemory();
    return this.data;
  }
  private viewMemory(): void {
    const buffer = this.x.memory.buffer;
    this.bytes = new Uint8Array(buffer);
    this.data = new DataView(buffer);
  }

  registerHelper(id: number, fn: HostHelper): void {
    if (!this.x.helperSetHost(id)) throw new Error(`helper id ${id} is out of range`);
    this.helpers.set(id, fn);
  }

  hasHelper(id: number): boolean {
    return this.x.helperKind(id) !== 0;
  }

  /** Copies bytes into freshly allocated core memory; returns their address. */
  place(bytes: Uint8Array, align = 8): number {
    const addr = this.x.allocBytes(Math.max(bytes.length, 1) + (align > 8 ? align : 0));
    if (addr === 0) throw new Error(`out of memory allocating ${bytes.length} bytes`);
    this.memory.set(bytes, addr);
    return addr;
  }

  /** Copies bytes into the scratch buffer (not a region: programs cannot see it); returns its address. */
  scratch(bytes: Uint8Array, offset = 0): number {
    if (offset + bytes.length > SCRATCH_SIZE) throw new Error(`${bytes.length} bytes do not fit the scratch buffer`);
    this.memory.set(bytes, SCRATCH + offset);
    return SCRATCH + offset;
  }

  setBudget(budget: number | bigint): void {
    this.view.setBigUint64(STATE + ST_BUDGET, BigInt(budget), true);
  }

  budget(): number {
    return Number(this.view.getBigUint64(STATE + ST_BUDGET, true));
  }

  executed(): number {
    return Number(this.view.getBigUint64(STATE + ST_EXECUTED, true));
  }

  reg(n: number): bigint {
    return this.view.getBigUint64(REGS + n * 8, true);
  }

  /** The fault of the last run, if any. */
  fault(): FaultInfo | undefined {
    const v = this.view;
    const kind = v.getUint32(STATE + ST_FAULT, true);
    if (kind === FAULT_NONE) return undefined;
    const info: FaultInfo = {
      kind,
      pc: v.getUint32(STATE + ST_FAULT_PC, true),
      addr: v.getBigUint64(STATE + ST_FAULT_ADDR, true),
      size: v.getUint32(STATE + ST_FAULT_SIZE, true),
    };
    if (kind === FAULT_WRITE) info.readOnly = this.x.accessAllowed(info.addr, info.size, false) !== 0;
    if (kind === FAULT_HOST) info.detail = this.helperError;
    return this.faultOverride ? { ...info, ...this.faultOverride } : info;
  }

  /** Reads a NUL-terminated string that the program may read (at most `max` bytes). */
  readString(addr: bigint, max = 4096): string {
    const mem = this.memory;
    let s = "";
    for (let i = 0; i < max; i++) {
      if (!this.x.accessAllowed(addr + BigInt(i), 1, false)) break;
      const c = mem[Number(addr) + i];
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }

  private callHostHelper(id: number): number {
    const fn = this.helpers.get(id);
    const v = this.view;
    const args = [1, 2, 3, 4, 5].map((n) => v.getBigUint64(REGS + n * 8, true));
    try {
      const r = fn ? fn(args, this) : 0n;
      v.setBigUint64(REGS, BigInt.asUintN(64, BigInt(r ?? 0n)), true);
      return FAULT_NONE;
    } catch (e) {
      if (e instanceof StopProgram) {
        v.setBigUint64(REGS, e.r0, true);
        v.setUint32(STATE + ST_STOPPED, 1, true);
        return FAULT_NONE;
      }
      this.helperError = e instanceof Error ? e.message : String(e);
      v.setBigUint64(STATE + ST_FAULT_ADDR, BigInt(id), true);
      v.setUint32(STATE + ST_FAULT_SIZE, 0, true);
      return FAULT_HOST;
    }
  }
}

/** The host clock for ktime_get_ns and friends (the core derives jiffies from it). */
function hostTime(_which: number): bigint {
  return process.hrtime.bigint();
}
