// Reads what an ARM32 executable prints for `tinybpf run --engine arm32` as it arrives: each run's r0 on a line
// (--each), then one JSON object {"r0","runs","maps":{NAME:[{"key","value"},...],...}}. It hands the run and each
// map entry to a ResultPrinter as soon as they are complete, so that a map of millions of entries never sits
// whole in memory, neither as text nor as parsed objects.
import type { BpfMap } from "../api/bpf-map.js";
import { type ResultPrinter, unhex } from "./map-output.js";

// sticky: each matches at `pos` only, so that the buffer is not copied once per token
const HEADER = /\{"r0":"(-?\d+)","runs":(\d+),"maps":\{/y;
const MAP_START = /,?"([^"\\]*)":\[/y;
const ENTRY = /,?\{"key":"([0-9a-f]*)","value":"([0-9a-f]*)"\}/y;
const MAP_END = /\]/y;
const END = /\}\}\n?$/y;

export class ExecutableOutputReader {
  private buf = "";
  private pos = 0;
  private state: "runs" | "header" | "maps" | "entries" | "done" = "runs";
  private counts = new Map<bigint, number>();
  private map: BpfMap | undefined;

  constructor(
    private readonly program: { name: string; type: string },
    private readonly maps: Map<string, BpfMap>,
    private readonly printer: ResultPrinter,
  ) {}

  /** Takes the next piece of standard output. */
  push(text: string): void {
    this.buf = this.buf.slice(this.pos) + text;
    this.pos = 0;
    this.scan(false);
  }

  /** The output has ended: anything left over is an error. */
  finish(): void {
    this.scan(true);
    if (this.state !== "done")
      throw new Error(`the ARM executable's output ended early ('${this.buf.slice(this.pos, this.pos + 40)}')`);
  }

  private scan(atEnd: boolean): void {
    for (;;) {
      if (this.state === "runs") {
        if (this.buf.startsWith("{", this.pos)) {
          this.state = "header";
          continue;
        }
        const nl = this.buf.indexOf("\n", this.pos);
        if (nl < 0) return;
        const line = this.buf.slice(this.pos, nl);
        this.pos = nl + 1;
        if (!/^-?\d+$/.test(line))
          throw new Error(`the ARM executable printed '${line.slice(0, 40)}' where a result was due`);
        const r0 = BigInt(line);
        this.counts.set(r0, (this.counts.get(r0) ?? 0) + 1);
        continue;
      }
      if (this.state === "header") {
        const m = this.match(HEADER);
        if (!m) return this.incomplete(atEnd);
        this.take(m[0]);
        this.printer.run(this.program.name, this.program.type, Number(m[2]), BigInt(m[1]), this.counts);
        this.state = "maps";
        continue;
      }
      if (this.state === "maps") {
        const end = this.match(END);
        if (end) {
          this.take(end[0]);
          this.printer.end();
          this.state = "done";
          return;
        }
        const m = this.match(MAP_START);
        if (!m) return this.incomplete(atEnd);
        this.take(m[0]);
        this.map = this.maps.get(m[1]);
        if (!this.map) throw new Error(`the ARM executable printed a map '${m[1]}' the object does not have`);
        this.printer.mapStart(this.map);
        this.state = "entries";
        continue;
      }
      if (this.state === "entries") {
        const e = this.match(ENTRY);
        if (e) {
          this.take(e[0]);
          this.printer.entry(this.map!, { key: unhex(e[1]), value: unhex(e[2]) });
          continue;
        }
        const end = this.match(MAP_END);
        if (!end) return this.incomplete(atEnd);
        this.take(end[0]);
        this.printer.mapEnd(this.map!);
        this.state = "maps";
        continue;
      }
      const rest = this.buf.slice(this.pos);
      if (rest.trim()) throw new Error(`the ARM executable printed more after its result: '${rest.slice(0, 40)}'`);
      return;
    }
  }

  private match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    return re.exec(this.buf);
  }

  private take(text: string): void {
    this.pos += text.length;
  }

  /** No token matched: more output may complete it, unless the output has ended or the text cannot be one. */
  private incomplete(atEnd: boolean): void {
    if (atEnd || this.buf.length - this.pos > 1 << 22) {
      throw new Error(
        `the ARM executable's output is not what tinybpf expects near '${this.buf.slice(this.pos, this.pos + 40)}'`,
      );
    }
  }
}
