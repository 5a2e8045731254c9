// The child processes iface links read from (tcpdump, or the ARM32 executable): found on the daemon's PATH,
// their end reported once, whether they failed, were stopped by the daemon or ended on their own, with the tail of
// their standard error kept for the line that says why they failed.
import type { ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { oneLine } from "./http.js";

/** The executable `name` in the first directory of `path` that has one, or undefined. */
export function onPath(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** What a link holds of its running capture. */
export interface LiveCapture {
  stop(): void;
}

/** A capture's child as the link sees it. */
export class WatchedChild implements LiveCapture {
  ended = false;
  /** The daemon stopped it: its exit status is not a fault. */
  stopped = false;
  /** The last 4 KiB of its standard error. */
  stderr = "";

  /** `name` says what failed in the message of a spawn error. */
  constructor(
    readonly child: ChildProcess,
    name: string,
    private readonly onEnd: (error?: string) => void,
  ) {
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      this.stderr = (this.stderr + text).slice(-4096);
    });
    child.on("error", (e) => this.finish(`${name}: ${oneLine(e)}`));
  }

  /** Reports the end, once: with the error message when it failed. */
  finish(error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(error);
  }

  stop(): void {
    this.stopped = true;
    this.child.kill("SIGTERM");
  }
}
