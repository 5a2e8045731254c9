// A module: one uploaded object, loaded into its own runtime (its own maps and memory) with its own instruction
// budget, and the counters the API and the metrics report. A run that faults is counted and reported as an event;
// it never reaches the daemon as an exception.
import { loadSync, type LoadedObject, type ProgramInput } from "../api/object.js";
import { BpfFault } from "../runtime/faults.js";
import { MAP_TYPE_RINGBUF, MAP_TYPE_PERF_EVENT_ARRAY } from "../../assembly/maps/desc.js";
import { hex } from "../cli/map-output.js";
import type { EventHub } from "./events.js";
import { parseExporterConfig } from "./exporter.js";
import { HttpError, oneLine } from "./http.js";
import type { ModuleRecord } from "./store.js";

export const MAX_OBJECT_BYTES = 1 << 20;
export const DEFAULT_BUDGET = 1_000_000;
export const MAX_BUDGET = 100_000_000;

export interface RunOutcome {
  r0?: bigint;
  fault?: string;
}

export class Module {
  runs = 0;
  faults = 0;
  instructions = 0;
  lastFault: string | undefined;
  /** Map writes through the API; with the run counts, it tells whether the maps may have changed. */
  writes = 0;
  /** Snapshots an iface link's executable wrote over the maps (native.ts). */
  snapshots = 0;
  readonly obj: LoadedObject;
  private readonly streams: { name: string; type: "ringbuf" | "perf" }[] = [];

  /** Loads (links, validates) the object; throws the loader's own message when it does not load. */
  constructor(
    readonly record: ModuleRecord,
    bytes: Uint8Array,
    private readonly events: EventHub,
  ) {
    this.obj = loadSync(bytes, {
      fileName: record.name,
      budget: record.budget,
      ncpus: record.ncpus ?? 1,
      printk: (line) =>
        events.publish({ type: "printk", module: record.id, name: record.name, line: line.replace(/\n$/, "") }),
    });
    for (const [name, map] of this.obj.maps) {
      if (map.type === MAP_TYPE_RINGBUF) this.streams.push({ name, type: "ringbuf" });
      if (map.type === MAP_TYPE_PERF_EVENT_ARRAY) this.streams.push({ name, type: "perf" });
    }
    for (const h of record.hist) {
      if (!this.obj.maps.has(h)) throw new Error(`${record.name}: no map named '${h}' to export as a histogram`);
    }
    if (record.metrics) parseExporterConfig(record.metrics, this.obj.maps);
  }

  get id(): string {
    return this.record.id;
  }
  /** Changes whenever a run or an API write may have changed a map. */
  get version(): number {
    return this.runs + this.faults + this.writes + this.snapshots;
  }
  get name(): string {
    return this.record.name;
  }

  /** Runs one program once; a fault is counted, published and returned, never thrown. */
  run(program: string, input: ProgramInput | undefined): RunOutcome {
    const prog = this.obj.program(program);
    let outcome: RunOutcome;
    try {
      const r0 = prog.run(input);
      this.runs++;
      this.instructions += prog.lastRun?.executed ?? 0;
      outcome = { r0 };
    } catch (e) {
      // Anything a run throws is the program's failure, not the daemon's: a fault names the instruction, other
      // errors (a helper's input, say) keep their own message.
      const fault = e instanceof BpfFault ? e.message : `${program}: ${oneLine(e)}`;
      this.faults++;
      this.lastFault = fault;
      this.events.publish({ type: "fault", module: this.id, name: this.name, program, fault });
      outcome = { fault };
    }
    this.drainStreams();
    return outcome;
  }

  /** Publishes what the run left in ring buffers and perf event arrays. */
  private drainStreams(): void {
    for (const s of this.streams) {
      for (const data of this.obj.get(s.name).drain()) {
        this.events.publish({ type: s.type, module: this.id, name: this.name, map: s.name, data: hex(data) });
      }
    }
  }

  describe(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      digest: this.record.digest,
      budget: this.record.budget,
      ncpus: this.record.ncpus ?? 1,
      hist: this.record.hist,
      metrics: this.record.metrics !== undefined,
      created: this.record.created,
      engine: this.obj.engineName,
      programs: [...this.obj.programs.values()].map((p) => ({
        name: p.name,
        type: p.type,
        section: p.section,
        insns: p.insnCount,
        // a program the engine could not take runs on the interpreter (same results, slower): say why
        ...(p.fallbackReason ? { fallback: p.fallbackReason } : {}),
      })),
      maps: [...this.obj.maps.values()].map((m) => m.name),
      runs: this.runs,
      faults: this.faults,
      instructions: this.instructions,
      lastFault: this.lastFault ?? null,
    };
  }
}

/** CPUs for per-CPU maps, given on upload: 1 to 64. */
export function parseNcpus(text: string | null): number {
  if (text === null) return 1;
  if (!/^\d{1,2}$/.test(text) || Number(text) < 1 || Number(text) > 64)
    throw new HttpError(400, `ncpus must be from 1 to 64, not '${text}'`);
  return Number(text);
}

/** A budget given on upload: a whole number of instructions, never unlimited. */
export function parseBudget(text: string | null): number {
  if (text === null) return DEFAULT_BUDGET;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1 || Number(text) > MAX_BUDGET) {
    throw new HttpError(400, `budget must be a whole number from 1 to ${MAX_BUDGET}, not '${text}'`);
  }
  return Number(text);
}
