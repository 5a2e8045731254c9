// The daemon's state: the store on disk, the loaded modules, the running links, the event hub and the counters.
// Every change is written to the store before it is acknowledged, and restore() rebuilds the same state after a
// restart (modules reloaded from their blobs, links started again on fresh maps).
import type { ProgramInput } from "../api/object.js";
import { EventHub } from "./events.js";
import { parseExporterConfig, type ExporterConfig } from "./exporter.js";
import { HttpError, oneLine } from "./http.js";
import { Link, loadCapture, parseSource, MAX_REPEAT, type LiveWay, type Source } from "./links.js";
import { Module, MAX_OBJECT_BYTES } from "./modules.js";
import { applySnapshot, captureSnapshots, chooseVia, executableFor, type Runner } from "./native.js";
import { newId, validName, type LinkRecord, type ModuleRecord, type Store } from "./store.js";

/** How deep module:ID/PROG links may chain: a cycle stops here instead of recursing. */
const MAX_CHAIN = 8;

export interface ModuleOptions {
  budget: number;
  ncpus: number;
  hist: string[];
}

export class Daemon {
  readonly modules = new Map<string, Module>();
  readonly links = new Map<string, Link>();
  readonly events = new EventHub();
  readonly counters = { requests: 0, errors: 0, unauthorized: 0 };

  constructor(
    readonly store: Store,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Loads every stored module and starts every stored link; what no longer loads is logged and left out. */
  restore(): void {
    for (const r of this.store.modules()) {
      try {
        this.modules.set(r.id, new Module(r, this.store.getBlob(r.digest), this.events));
      } catch (e) {
        this.log(`module ${r.name} (${r.id}) not loaded: ${oneLine(e)}`);
      }
    }
    const stored = new Set(this.store.modules().map((r) => r.id));
    for (const r of this.store.links()) {
      // a link whose module was deleted (the daemon stopped between the two removals) goes too
      const source = /^module:([0-9a-f]{12})\//.exec(r.source)?.[1];
      if (!stored.has(r.module) || (source !== undefined && !stored.has(source))) {
        this.store.removeLink(r.id);
        continue;
      }
      try {
        this.startLink(r);
      } catch (e) {
        this.log(`link ${r.id} not started: ${oneLine(e)}`);
      }
    }
  }

  module(id: string): Module {
    const m = this.modules.get(id);
    if (!m) throw new HttpError(404, `no module '${id}'`);
    return m;
  }

  link(id: string): Link {
    const l = this.links.get(id);
    if (!l) throw new HttpError(404, `no link '${id}'`);
    return l;
  }

  /** Validates (ELF, links, verifier) and keeps an object: blob first, then the record that names it. */
  addModule(name: string, bytes: Uint8Array, opts: ModuleOptions): Module {
    if (!validName(name)) throw new HttpError(400, `module name must match [A-Za-z0-9._-]{1,64}, not '${name}'`);
    if ([...this.modules.values()].some((m) => m.name === name))
      throw new HttpError(409, `a module named '${name}' exists`);
    if (bytes.length > MAX_OBJECT_BYTES) throw new HttpError(413, `object over ${MAX_OBJECT_BYTES} bytes`);
    if (bytes.length === 0) throw new HttpError(400, "empty body: send the ELF object");
    const record: ModuleRecord = {
      id: newId(),
      name,
      digest: "",
      budget: opts.budget,
      ncpus: opts.ncpus,
      hist: opts.hist,
      created: new Date().toISOString(),
    };
    let mod: Module;
    try {
      mod = new Module(record, bytes, this.events);
    } catch (e) {
      throw new HttpError(400, oneLine(e));
    }
    record.digest = this.store.putBlob(bytes);
    this.store.saveModule(record);
    this.modules.set(record.id, mod);
    return mod;
  }

  /**
   * Sets (or, with undefined, removes) a module's metrics config: checked against its tables, and against the
   * other modules' metrics of the same name, which must be of the same type to share a family.
   */
  setMetrics(id: string, body: unknown): ExporterConfig | undefined {
    const mod = this.module(id);
    const config = body === undefined ? undefined : parseExporterConfig(body, mod.obj.maps);
    if (config) {
      const types = new Map<string, string>();
      for (const m of this.modules.values()) if (m !== mod && m.record.metrics) addTypes(m.record.metrics, types);
      const mine = addTypes(config, new Map());
      for (const [name, type] of mine) {
        const other = types.get(name);
        if (other && other !== type) throw new HttpError(409, `metric '${name}' is a ${other} in another module`);
      }
    }
    const record = { ...mod.record, metrics: config };
    if (!config) delete record.metrics;
    this.store.saveModule(record);
    Object.assign(mod.record, record);
    if (!config) delete mod.record.metrics;
    return config;
  }

  /** Stops the module's links (and the links chained to its programs), then forgets it. */
  removeModule(id: string): void {
    const mod = this.module(id);
    for (const l of [...this.links.values()]) {
      const src = l.source;
      if (l.record.module === id || (src.kind === "module" && src.module === id)) this.removeLink(l.id);
    }
    this.store.removeModule(id);
    this.modules.delete(mod.id);
  }

  addLink(body: Record<string, unknown>): Link {
    const { module, program, source } = body;
    if (typeof module !== "string" || typeof program !== "string" || typeof source !== "string") {
      throw new HttpError(400, 'a link needs "module", "program" and "source" strings');
    }
    const via = body.via;
    if (via !== undefined && via !== "native" && via !== "tcpdump")
      throw new HttpError(400, `via must be "native" or "tcpdump", not ${JSON.stringify(via)}`);
    const repeat = body.repeat ?? 1;
    if (typeof repeat !== "number" || !Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) {
      throw new HttpError(400, `repeat must be a whole number from 1 to ${MAX_REPEAT}`);
    }
    const mod = this.module(module);
    if (!mod.obj.programs.has(program)) {
      throw new HttpError(
        400,
        `module ${mod.name} has no program '${program}' (programs: ${[...mod.obj.programs.keys()].join(", ")})`,
      );
    }
    const parsed = parseSource(source);
    if (parsed.kind === "module") {
      const from = this.module(parsed.module);
      if (!from.obj.programs.has(parsed.program))
        throw new HttpError(400, `module ${from.name} has no program '${parsed.program}'`);
    }
    if (via !== undefined && parsed.kind !== "iface")
      throw new HttpError(400, 'via ("native" or "tcpdump") is for iface: links only');
    const canonical = parsed.kind === "pcap" ? `pcap:${parsed.path}` : source;
    const record: LinkRecord = {
      id: newId(),
      module,
      program,
      source: canonical,
      repeat,
      ...(via === undefined ? {} : { via }),
      created: new Date().toISOString(),
    };
    const link = this.startLink(record);
    this.store.saveLink(record);
    return link;
  }

  private startLink(record: LinkRecord): Link {
    const mod = this.module(record.module);
    const source = parseSource(record.source);
    if (source.kind === "module") this.module(source.module);
    const packets = source.kind === "pcap" ? loadCapture(source.path) : [];
    const live = source.kind === "iface" ? this.liveWay(mod, record, source.name) : undefined;
    this.checkOwnership(mod, source, live?.via === "native");
    const link = new Link(
      record,
      source,
      (input, depth) => this.run(mod.id, record.program, input, depth),
      packets,
      live,
    );
    link.start(); // first: a source that cannot start (iface: without tcpdump) leaves no link behind
    this.links.set(record.id, link);
    return link;
  }

  /** The running iface link whose executable owns the module's maps (native.ts), if there is one. */
  owner(moduleId: string): Link | undefined {
    for (const l of this.links.values())
      if (l.record.module === moduleId && l.live?.via === "native" && l.state === "running") return l;
    return undefined;
  }

  /** 409 while an executable owns the module's maps: its next snapshot would undo any write. */
  checkWritable(mod: Module): void {
    const o = this.owner(mod.id);
    if (o) throw ownedBy(mod, o);
  }

  /**
   * A link may not run a module (or follow one's runs) whose maps an executable owns; an executable's link needs
   * a module no other link runs or follows.
   */
  private checkOwnership(mod: Module, source: Source, native: boolean): void {
    for (const id of source.kind === "module" ? [mod.id, source.module] : [mod.id]) {
      const o = this.owner(id);
      if (o) throw ownedBy(this.module(id), o);
    }
    if (!native) return;
    for (const l of this.links.values()) {
      const s = l.source;
      const uses = l.record.module === mod.id || (s.kind === "module" && s.module === mod.id);
      if (uses && (l.state === "running" || l.state === "attached"))
        throw new HttpError(
          409,
          `module ${mod.name} has link ${l.id} (${l.record.source}): an iface link through the ARM32 executable needs its maps to itself`,
        );
    }
  }

  /** How an iface: link reads packets; through the executable, the snapshots it writes become the module's maps. */
  private liveWay(mod: Module, record: LinkRecord, iface: string): LiveWay {
    const { via, runner } = chooseVia(record.via, mod, record.program);
    if (via === "tcpdump") return { via, describe: "tcpdump -w -" };
    return {
      via,
      describe: runner!.describe,
      start: (link, onEnd) => this.startExecutable(mod, link, runner!, iface, onEnd),
    };
  }

  private startExecutable(mod: Module, link: Link, runner: Runner, iface: string, onEnd: (error?: string) => void) {
    const program = link.record.program;
    const exe = executableFor(this.store.dir, mod, this.store.getBlob(mod.record.digest), program);
    return captureSnapshots(
      exe,
      runner,
      iface,
      program,
      (s) => {
        if (link.state !== "running") return;
        applySnapshot(mod, s);
        mod.snapshots++;
        mod.runs += Math.max(0, s.runs - link.runs);
        link.runs = s.runs;
        link.lastR0 = s.r0;
        this.events.publish({ type: "snapshot", module: mod.id, name: mod.name, link: link.id, runs: s.runs });
      },
      (error) => {
        if (error !== undefined && /\(instruction \d+\)$/.test(error) && link.state === "running") {
          // the program faulted in the executable: the module's fault as well as the link's end
          mod.faults++;
          mod.lastFault = error;
          link.faults++;
          link.lastFault = error;
          this.events.publish({ type: "fault", module: mod.id, name: mod.name, program, fault: error });
        }
        onEnd(error);
      },
    );
  }

  removeLink(id: string): void {
    const link = this.link(id);
    link.stop();
    this.store.removeLink(id);
    this.links.delete(id);
  }

  /** One run of a module's program, then of every program chained to it (depth-limited, so cycles end). */
  run(moduleId: string, program: string, input: ProgramInput | undefined, depth: number): ReturnType<Module["run"]> {
    const outcome = this.module(moduleId).run(program, input);
    if (depth < MAX_CHAIN) {
      for (const l of this.links.values()) {
        const s = l.source;
        if (s.kind === "module" && s.module === moduleId && s.program === program && l.state === "attached") {
          l.feed(input, depth + 1);
        }
      }
    }
    return outcome;
  }

  close(): void {
    for (const l of this.links.values()) l.stop();
    this.events.close();
  }
}

function ownedBy(mod: Module, link: Link): HttpError {
  return new HttpError(
    409,
    `module ${mod.name}'s maps belong to link ${link.id} (${link.record.source} through the ARM32 executable) while it runs`,
  );
}

/** Metric name -> type of a config's metrics, added to `into`. */
function addTypes(c: ExporterConfig, into: Map<string, string>): Map<string, string> {
  for (const m of c.counters) into.set(m.name, "counter");
  for (const m of c.gauges) into.set(m.name, "gauge");
  for (const m of c.histograms) into.set(m.name, "histogram");
  return into;
}
