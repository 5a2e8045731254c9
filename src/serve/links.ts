// Links: what makes a module's program run. `pcap:PATH` runs it once per packet of a capture (in slices, so the
// daemon keeps answering meanwhile), `iface:NAME` once per live packet of an interface (through the module's ARM32
// executable, native.ts, which writes the maps back as snapshots; or through tcpdump, capture.ts),
// `interval:MS` runs it on a timer, `module:ID/PROG` runs it after every run of another module's program, with the
// same input.
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { readCapture } from "../tools/pcap.js";
import type { ProgramInput } from "../api/object.js";
import { captureLive, checkInterfaceName, type LiveCapture } from "./capture.js";
import { HttpError, oneLine } from "./http.js";
import type { RunOutcome } from "./modules.js";
import type { Via } from "./native.js";
import type { LinkRecord } from "./store.js";

export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 86_400_000;
export const MAX_REPEAT = 100_000;
const MAX_CAPTURE_BYTES = 64 << 20;
/** Packets run per turn of the event loop: small enough that requests are answered between turns. */
const SLICE = 256;

export type Source =
  | { kind: "pcap"; path: string }
  | { kind: "iface"; name: string }
  | { kind: "interval"; ms: number }
  | { kind: "module"; module: string; program: string };

/** Parses a link source; relative capture paths are resolved against the daemon's directory. */
export function parseSource(text: string): Source {
  const colon = text.indexOf(":");
  const kind = colon > 0 ? text.slice(0, colon) : text;
  const arg = colon > 0 ? text.slice(colon + 1) : "";
  switch (kind) {
    case "pcap":
      if (!arg) throw new HttpError(400, "pcap source needs a path (pcap:PATH)");
      return { kind, path: isAbsolute(arg) ? arg : resolve(arg) };
    case "interval": {
      const ms = Number(arg);
      if (!/^\d+$/.test(arg) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
        throw new HttpError(
          400,
          `interval must be whole milliseconds from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}, not '${arg}'`,
        );
      }
      return { kind, ms };
    }
    case "module": {
      const m = /^([0-9a-f]{12})\/([A-Za-z0-9_.]{1,128})$/.exec(arg);
      if (!m) throw new HttpError(400, `module source is module:ID/PROG, not '${text}'`);
      return { kind, module: m[1], program: m[2] };
    }
    case "iface":
      checkInterfaceName(arg);
      return { kind, name: arg };
    default:
      throw new HttpError(400, `unknown link source '${text}' (pcap:PATH, iface:NAME, interval:MS, module:ID/PROG)`);
  }
}

/** The packets of a capture file, read now so that a bad capture is the request's error. */
export function loadCapture(path: string): ProgramInput[] {
  let bytes: Uint8Array;
  try {
    if (statSync(path).size > MAX_CAPTURE_BYTES) throw new Error(`larger than ${MAX_CAPTURE_BYTES} bytes`);
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new HttpError(
      400,
      `${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : oneLine(e)}`,
    );
  }
  try {
    return readCapture(bytes, path).map((p) => ({ packet: p.data }));
  } catch (e) {
    throw new HttpError(400, oneLine(e));
  }
}

/**
 * How an iface: link reads packets: the way (native.ts chooseVia), what it is in words for GET /links, and for the
 * executable, what starts it (the daemon's: it owns the module and its maps).
 */
export interface LiveWay {
  via: Via;
  describe: string;
  start?: (link: Link, onEnd: (error?: string) => void) => LiveCapture;
}

/** running: packets or ticks are coming; done: the capture ended; failed: the live capture could not go on. */
export type LinkState = "running" | "done" | "failed" | "attached" | "stopped";

export class Link {
  state: LinkState = "running";
  runs = 0;
  faults = 0;
  lastR0: bigint | undefined;
  lastFault: string | undefined;
  error: string | undefined; // why a live capture failed
  private timer: NodeJS.Timeout | undefined;
  private capture: LiveCapture | undefined;

  constructor(
    readonly record: LinkRecord,
    readonly source: Source,
    private readonly runOnce: (input: ProgramInput | undefined, depth: number) => RunOutcome,
    private readonly packets: ProgramInput[] = [],
    readonly live?: LiveWay,
  ) {}

  get id(): string {
    return this.record.id;
  }

  start(): void {
    if (this.source.kind === "interval") {
      this.timer = setInterval(() => this.feed(undefined), this.source.ms);
    } else if (this.source.kind === "pcap") {
      this.runCapture(0, this.packets.length * this.record.repeat);
    } else if (this.source.kind === "iface") {
      const end = (error?: string) => {
        if (this.state !== "running") return;
        this.state = error === undefined ? "done" : "failed";
        this.error = error;
      };
      this.capture = this.live?.start
        ? this.live.start(this, end)
        : captureLive(
            this.source.name,
            (packets) => {
              for (const p of packets) this.feed({ packet: p.data });
            },
            end,
          );
    } else this.state = "attached";
  }

  /** Runs the capture `repeat` times, a slice per turn of the event loop. */
  private runCapture(from: number, total: number): void {
    const end = Math.min(total, from + SLICE);
    for (let i = from; i < end && this.state === "running"; i++) this.feed(this.packets[i % this.packets.length]);
    if (this.state !== "running") return;
    if (end >= total) {
      this.state = "done";
      return;
    }
    this.timer = setTimeout(() => this.runCapture(end, total), 0);
  }

  /** One run of the linked program; a chained link is fed by its source's runs. */
  feed(input: ProgramInput | undefined, depth = 0): void {
    if (this.state === "stopped") return;
    let outcome: RunOutcome;
    try {
      outcome = this.runOnce(input, depth);
    } catch (e) {
      // runs report their own faults; anything else is still this link's failure, never the daemon's
      outcome = { fault: oneLine(e) };
    }
    this.runs++;
    if (outcome.fault !== undefined) {
      this.faults++;
      this.lastFault = outcome.fault;
    } else this.lastR0 = outcome.r0;
  }

  stop(): void {
    this.state = "stopped";
    if (this.timer) clearTimeout(this.timer); // clears intervals too
    this.timer = undefined;
    this.capture?.stop();
    this.capture = undefined;
  }

  describe(): Record<string, unknown> {
    return {
      id: this.id,
      module: this.record.module,
      program: this.record.program,
      source: this.record.source,
      repeat: this.record.repeat,
      state: this.state,
      runs: this.runs,
      faults: this.faults,
      lastR0: this.lastR0?.toString() ?? null,
      lastFault: this.lastFault ?? null,
      error: this.error ?? null,
      via: this.live?.via ?? null,
      capture: this.live?.describe ?? null,
      created: this.record.created,
    };
  }
}
