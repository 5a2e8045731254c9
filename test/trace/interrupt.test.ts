// Ctrl-C ends a trace as bpftrace's does: `tinybpf trace --pcap -` reading a pipe that stays open (a live
// capture piped in) traces the frames as they arrive, and SIGINT stops the input, runs the END probes, prints
// the maps and exits 0. The expected text comes from the model (cases.ts / model.ts), not from tinybpf.
import { describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFrames, ipProto, tally, keyed, EXIT } from "./model.js";

const root = join(__dirname, "..", "..");
const capture = readFileSync(join(root, "test/fixtures/pcap/trace-mix.pcap"));
const frames = loadFrames("trace-mix.pcap");

/**
 * Runs `tinybpf ARGS` with the capture on a pipe left open; once `ready(stdout)` holds (or after 10 s), sends
 * SIGINT.
 */
function interrupted(args: string[], ready: (out: string) => boolean) {
  return new Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(root, "bin/tinybpf.js"), ...args]);
    let stdout = "";
    let stderr = "";
    let sent = false;
    const interrupt = () => {
      if (!sent) child.kill("SIGINT");
      sent = true;
    };
    const timer = setTimeout(interrupt, 10_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (ready(stdout)) interrupt();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {}); // the child may close its end first
    child.stdin.write(capture); // and never ended
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

describe("SIGINT", () => {
  test("--pcap - from an open pipe: the frames so far, then END and the maps, exit 0", async () => {
    const script = 'packet { @[ip.proto] = count(); printf(".\\n") } END { printf("end\\n") }';
    const dots = (out: string) => out.split("\n").filter((l) => l === ".").length;
    const r = await interrupted(["trace", "-e", script, "--pcap", "-"], (out) => dots(out) === frames.length);
    expect(r.stderr).toBe("");
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    const perProto = tally(frames, (d) => [ipProto(d)]);
    expect(r.stdout).toBe(".\n".repeat(frames.length) + "end\n" + EXIT + keyed("", perProto));
  }, 20_000);
});
