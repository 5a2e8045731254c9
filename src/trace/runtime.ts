// Runs a compiled script: loads its object on an engine, runs BEGIN, the packet probes once per frame, probe:NAME
// when fired, interval probes as time passes, END at the finish; turns ring buffer records into printf lines and
// print()/clear()/zero()/exit() actions, and prints the maps left at the end as bpftrace does.
//
// Time is what the caller says it is: with a capture, each frame's time stamp (nsecs, elapsed and interval probes
// follow the capture, so a run is reproducible); the clock lives in the object's .bss, [now, start].
import { loadSync, type LoadedObject, type Program } from "../api/object.js";
import { loadEngines } from "../runtime/engine-loader.js";
import type { EngineName } from "../runtime/engines.js";
import { compile, type Compiled } from "./compile.js";
import { mapSymbol, RINGBUF_SYMBOL, EV_PRINTF, EV_EXIT, EV_PRINT, EV_CLEAR, EV_ZERO } from "./codegen.js";
import { formatMap, formatPrintf, ntop, EXIT_SEPARATOR } from "./output.js";
import { STR_SIZE, type MapInfo } from "./check.js";
import type { Probe } from "./ast.js";

export interface TraceOptions {
  engine?: EngineName | "auto";
  /** Where output goes (default: standard output). */
  out?: (text: string) => void;
  /** Instruction budget of one probe run. */
  budget?: number;
}

interface Interval {
  program: Program;
  period: bigint;
  next: bigint;
}

const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset + off, 4).getUint32(0, true);
const u64 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0, true);

export class Trace {
  readonly object: LoadedObject;
  /** Set once exit() ran, or after finish(). */
  exited = false;
  private finished = false;
  private started = false;
  private startNs = 0n;
  private readonly out: (text: string) => void;
  private readonly mapsByIndex: MapInfo[];
  private intervals: Interval[] = [];

  constructor(
    readonly compiled: Compiled,
    options: TraceOptions = {},
  ) {
    this.out = options.out ?? ((t) => process.stdout.write(t));
    this.object = loadSync(compiled.object, {
      engine: options.engine ?? "auto",
      fileName: "trace.o",
      budget: options.budget,
    });
    this.mapsByIndex = [...compiled.typed.maps.values()].sort((a, b) => a.index - b.index);
  }

  /** Compiles and loads a script (engines loaded first). */
  static async create(source: string, options: TraceOptions = {}): Promise<Trace> {
    await loadEngines();
    return new Trace(compile(source), options);
  }

  private programs(kind: Probe["kind"], event?: string): Program[] {
    return this.compiled.programs
      .filter((p) => p.probe.kind === kind && (event === undefined || p.probe.event === event))
      .map((p) => this.object.program(p.name));
  }

  private setClock(now: bigint): void {
    const v = new Uint8Array(16);
    const dv = new DataView(v.buffer);
    dv.setBigUint64(0, BigInt.asUintN(64, now), true);
    dv.setBigUint64(8, BigInt.asUintN(64, this.startNs), true);
    this.object.get(".bss").update(new Uint8Array(4), v);
  }

  /** Runs BEGIN at time `now` (ns); interval probes count from here. Called by the first event if not before. */
  begin(now = 0n): void {
    if (this.started) return;
    this.started = true;
    this.startNs = now;
    this.intervals = this.compiled.programs
      .filter((p) => p.probe.kind === "interval")
      .map((p) => ({
        program: this.object.program(p.name),
        period: p.probe.periodNs!,
        next: now + p.probe.periodNs!,
      }));
    this.setClock(now);
    for (const p of this.programs("BEGIN")) this.runProgram(p, new Uint8Array(48));
  }

  /** Runs every interval probe that is due by `now`, in time order. */
  advance(now: bigint): void {
    this.begin(now);
    for (;;) {
      if (this.exited) return;
      const due = this.intervals
        .filter((i) => i.next <= now)
        .sort((a, b) => (a.next < b.next ? -1 : a.next > b.next ? 1 : 0))[0];
      if (!due) return;
      this.setClock(due.next);
      due.next += due.period;
      this.runProgram(due.program, new Uint8Array(48));
    }
  }

  /** One frame through every packet probe; returns the last probe's return value (the filter's verdict). */
  packet(bytes: Uint8Array, now = 0n): bigint {
    this.advance(now);
    let verdict = 0n;
    if (this.exited) return verdict;
    this.setClock(now);
    for (const p of this.programs("packet")) {
      if (this.exited) break;
      verdict = this.runProgram(p, { packet: bytes });
    }
    return verdict;
  }

  /** Fires probe:NAME with up to six integer arguments (arg0..arg5). */
  fire(name: string, ...args: (number | bigint)[]): void {
    const ctx = new Uint8Array(48);
    const dv = new DataView(ctx.buffer);
    args.slice(0, 6).forEach((a, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(a)), true));
    this.begin(this.startNs);
    if (this.exited) return;
    for (const p of this.programs("probe", name)) {
      if (this.exited) break;
      this.runProgram(p, ctx);
    }
  }

  /** END probes, then every map left, in name order. Returns nothing; output goes to `out`. */
  finish(now?: bigint): void {
    if (this.finished) return;
    this.begin(now ?? this.startNs);
    this.finished = true;
    this.setClock(now ?? this.startNs);
    for (const p of this.programs("END")) this.runProgram(p, new Uint8Array(48), true);
    this.exited = true;
    this.out(EXIT_SEPARATOR);
    const names = this.mapsByIndex.map((m) => m.name).sort();
    for (const name of names) this.out(this.formatMap(this.compiled.typed.maps.get(name)!));
  }

  private runProgram(p: Program, input: Uint8Array | { packet: Uint8Array }, ending = false): bigint {
    const r0 = p.run(input);
    this.drain(ending);
    return r0;
  }

  private formatMap(info: MapInfo): string {
    return formatMap(info, this.object.get(mapSymbol(info.name)).dump());
  }

  private drain(ending: boolean): void {
    const rb = this.object.maps.get(RINGBUF_SYMBOL);
    if (!rb) return;
    for (const rec of rb.drain()) {
      const arg = u32(rec, 0);
      const kind = u32(rec, 4);
      if (kind === EV_PRINTF) this.printf(arg, rec);
      else if (kind === EV_EXIT) {
        if (!ending) this.exited = true;
      } else {
        const info = this.mapsByIndex[arg];
        const map = this.object.get(mapSymbol(info.name));
        if (kind === EV_PRINT) this.out(this.formatMap(info));
        else if (kind === EV_CLEAR) map.clear();
        else if (kind === EV_ZERO) {
          for (const e of map.dump()) map.update(e.key, new Uint8Array(e.value.length));
        }
      }
    }
  }

  private printf(id: number, rec: Uint8Array): void {
    const info = this.compiled.typed.printfs[id];
    let off = 8;
    const values = info.args.map((t) => {
      if (t.t === "str") {
        const b = rec.subarray(off, off + STR_SIZE);
        off += STR_SIZE;
        const end = b.indexOf(0);
        return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
      }
      const v = u64(rec, off);
      off += 8;
      if (t.t === "inet") return ntop(v);
      return v;
    });
    this.out(formatPrintf(info.format, values));
  }
}
