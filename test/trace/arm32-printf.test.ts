// printf and exit() in the packet probe of a trace executable (`tinybpf build --trace`) and on `tinybpf trace
// --engine arm32`: the lines must be what `tinybpf trace --pcap` prints on the interpreter, byte for byte, and,
// for the one-liners the model covers, what model.ts computes from the frames. exit() must stop the input, also a
// pipe that is never closed, and the formats the executable cannot print exactly are refused with the reason.
import { describe, expect, test, beforeAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSync } from "../../src/api/object.js";
import { qemu } from "../../src/engines/arm32/build.js";
import { buildExecutable } from "../../src/engines/arm32/engine.js";
import { arm32Obstacle } from "../../src/trace/arm32.js";
import { traceBuild } from "../../src/trace/build-object.js";
import { compile } from "../../src/trace/compile.js";
import { ensureArm32Translator, limited, root } from "../support/arm32.js";
import { EXIT, dotted, ipProto, ipSrc, loadFrames, scalar, tcpDport } from "./model.js";

const capture = join(root, "test", "fixtures", "pcap", "trace-mix.pcap");
const frames = loadFrames("trace-mix.pcap");
const tmp = mkdtempSync(join(tmpdir(), "tinybpf-trace-printf-"));

function executable(script: string, name: string): string {
  const b = traceBuild(script);
  const obj = loadSync(b.object, { engine: "interp", fileName: "trace.o" });
  b.seed(obj);
  const file = join(tmp, name);
  writeFileSync(file, buildExecutable(obj, [...obj.programs.values()][0], { bpftrace: b.describe(obj.object.maps) }));
  chmodSync(file, 0o755);
  return file;
}

function tinybpf(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, "bin", "tinybpf.js"), ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an executable; `stdin` is written and, unless `keepOpen`, ended. Killed after 20 s (status null). */
function run(file: string, args: string[], stdin?: Uint8Array, keepOpen = false) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(qemu(), [file, ...args]);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {}); // the child may close its end first
    if (stdin) child.stdin.write(stdin);
    if (!keepOpen) child.stdin.end();
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

beforeAll(() => ensureArm32Translator());

const SCRIPTS = [
  'packet /tcp.dport == 80/ { printf("%s -> %d len %d\\n", ntop(ip.src), tcp.dport, len) }',
  // every conversion, flags and widths, the 64-bit values bpftrace prints whatever the length modifier
  'packet /ip.proto == 17/ { printf("%-8d|%08x|%X|%5u|%c|%-3c|%03c|\\n", 0 - len, ip.ttl, ip.src, udp.dport, 65 + ip.ttl % 26, 66, 67) }',
  'packet /ip.proto == 6/ { $x = 0 - tcp.sport; printf("%llu|%hd|%ld|%i %s %-10s|%10s|\\n", ip.len * 1000000000000, $x, $x, len, "lit", "left", "right") }',
  'packet /ip.proto == 17/ { printf("%hhd|%hhu|%lld\\n", 0 - len, len, ip.ttl) }',
  // seven arguments and two addresses: several trace_printk calls for one line
  'packet /ip.proto == 6/ { printf("%s:%d > %s:%d ttl %3d flags %02x len %-5d|\\n", ntop(ip.src), tcp.sport, ntop(ip.dst), tcp.dport, ip.ttl, tcp.flags, len) }',
  // more text than one trace_printk call prints (511 characters)
  `packet /len > 1000/ { printf("${"abcdefghij".repeat(60)} %d 100%%\\n", len) }`,
  // printf lines come before END's text and the maps
  'BEGIN { printf("start\\n") } packet { @[ip.proto] = count(); if (len > 1000) { printf("big %d\\n", len) } } END { printf("end %d\\n", 7) }',
  // exit(): the rest of the capture is not read, END and the maps follow
  "packet { @n = count(); if (@n == 5) { exit() } }",
  'packet /ip.proto == 17/ { @u = count(); printf("udp %s\\n", ntop(ip.dst)); if (@u == 3) { exit() } } END { printf("end\\n") }',
];

describe("printf and exit() in the packet probe of trace executables", () => {
  test(`${SCRIPTS.length} one-liners: the executable prints what tinybpf trace prints on the interpreter`, async () => {
    const results = await limited(
      SCRIPTS.map((script, k) => async () => {
        const want = tinybpf(["trace", "-e", script, "--pcap", capture, "--engine", "interp"]);
        const got = await run(executable(script, `printf${k}`), ["--pcap", capture]);
        return { script, want, got };
      }),
    );
    for (const { script, want, got } of results) {
      expect(want.status, script).toBe(0);
      expect(want.stdout.length, script).toBeGreaterThan(EXIT.length);
      expect(got, script).toEqual({ status: 0, stdout: want.stdout, stderr: "" });
    }
  }, 120_000);

  test("tinybpf trace --engine arm32 prints the same", () => {
    for (const script of [SCRIPTS[0], SCRIPTS[3], SCRIPTS[5], SCRIPTS[7]]) {
      const want = tinybpf(["trace", "-e", script, "--pcap", capture, "--engine", "interp"]);
      const got = tinybpf(["trace", "-e", script, "--pcap", capture, "--engine", "arm32"]);
      expect(got, script).toEqual({ status: 0, stdout: want.stdout, stderr: "" });
    }
  }, 120_000);

  test("the model's lines: address, port and length of each frame to port 80", async () => {
    const want = frames
      .filter((f) => tcpDport(f.d) === 80)
      .map((f) => `${dotted(ipSrc(f.d))} -> 80 len ${f.d.length}\n`)
      .join("");
    expect(want.split("\n").length).toBeGreaterThan(5);
    const got = await run(executable(SCRIPTS[0], "model"), ["--pcap", capture]);
    expect(got).toEqual({ status: 0, stdout: want + EXIT, stderr: "" });
  }, 60_000);

  test("exit() ends a --pcap - pipe that stays open: END and the maps, exit 0", async () => {
    const script =
      'packet { @n = count(); printf("%d\\n", ip.proto); if (@n == 7) { exit() } } END { printf("end\\n") }';
    const lines = frames
      .slice(0, 7)
      .map((f) => `${ipProto(f.d)}\n`)
      .join("");
    const got = await run(executable(script, "exit-pipe"), ["--pcap", "-"], readFileSync(capture), true);
    expect(got).toEqual({ status: 0, stdout: lines + "end\n" + EXIT + scalar("n", 7), stderr: "" });
  }, 60_000);

  test("exit() ends a live capture (--iface lo) by itself: the lines as they come, END, the maps, exit 0", async () => {
    const port = 40000 + ((process.pid + 7) % 20000);
    const script = `packet /udp.dport == ${port}/ { @n = count(); printf("to %d\\n", udp.dport); if (@n == 3) { exit() } } END { printf("end\\n") }`;
    const exe = executable(script, "exit-live");
    const probe = spawnSync(qemu(), [exe, "--iface", "lo", "--seconds", "0"], { encoding: "utf8" });
    if (probe.status !== 0) {
      expect(probe.stderr).toBe("raw sockets are not permitted here\n");
      return console.log("raw sockets are not permitted here: checked the refusal only");
    }
    const child = spawn(qemu(), [exe, "--iface", "lo", "--seconds", "60"]);
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const closed = new Promise<number | null>((r) => child.on("close", (status) => r(status)));
    // datagrams until the executable has bound its socket and stopped (or 10 s)
    const sender = createSocket("udp4");
    let exited = false;
    void closed.then(() => (exited = true));
    for (const end = Date.now() + 10_000; !exited && Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
      sender.send(Buffer.alloc(32, 1), port, "127.0.0.1");
    sender.close();
    if (!exited) child.kill("SIGKILL");
    expect(await closed).toBe(0);
    expect(stdout).toBe(`to ${port}\n`.repeat(3) + "end\n" + EXIT + scalar("n", 3));
  }, 30_000);

  test("tinybpf trace --engine arm32 --iface prints the lines as they come; Ctrl-C: the maps, exit 0", async () => {
    const port = 40000 + ((process.pid + 11) % 20000);
    const script = `packet /udp.dport == ${port}/ { @n = count(); printf("to %d\\n", udp.dport) }`;
    const cli = [join(root, "bin", "tinybpf.js"), "trace", "-e", script, "--engine", "arm32", "--iface", "lo"];
    const child = spawn(process.execPath, [...cli, "--seconds", "60"], { detached: true });
    let stdout = "";
    let stderr = "";
    let running = true;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const closed = new Promise<number | null>((r) => child.on("close", (status) => r(status)));
    void closed.then(() => (running = false));
    // datagrams until the first line is out while the capture still runs (or 10 s)
    const sender = createSocket("udp4");
    for (
      const end = Date.now() + 10_000;
      running && !stdout && Date.now() < end;
      await new Promise((r) => setTimeout(r, 50))
    )
      sender.send(Buffer.alloc(32, 1), port, "127.0.0.1");
    sender.close();
    const live = running && stdout.startsWith(`to ${port}\n`);
    if (running) process.kill(-child.pid!, "SIGINT"); // what the terminal does at Ctrl-C
    const status = await closed;
    if (stderr === "raw sockets are not permitted here\n") return console.log("raw sockets are not permitted here");
    expect(live, stdout).toBe(true);
    expect(status).toBe(0);
    const lines = stdout.split("\n").filter((l) => l === `to ${port}`).length;
    expect(stdout).toBe(`to ${port}\n`.repeat(lines) + EXIT + scalar("n", lines));
  }, 30_000);

  test("what the executable cannot print exactly is refused, with the reason", () => {
    const why = (s: string) => arm32Obstacle(compile(s));
    expect(why('packet { printf("%16s\\n", ntop(ip.src)) }')).toBe(
      "the arm32 engine's printf prints ntop() without a width",
    );
    expect(why('packet { printf("%300d\\n", len) }')).toBe("the arm32 engine's printf takes widths up to 255");
    expect(why('packet { printf("%s\\n", "d\u00e9j\u00e0") }')).toBe(
      "the arm32 engine's printf prints strings of ASCII characters only",
    );
    expect(why('packet { printf("%d\\0\\n", len) }')).toBe(
      'the arm32 engine\'s printf cannot print the character "\\u0000"',
    );
    expect(why("packet { print(@n) } packet { @n = count() }")).toMatch(/^the arm32 engine runs one packet probe/);
    expect(why("packet { @n = count(); print(@n) }")).toBe(
      "the arm32 engine cannot run print(): it needs the host while the probe runs",
    );
    const r = tinybpf([
      "build",
      "--trace",
      'packet { printf("%300d\\n", len) }',
      "--target",
      "arm32",
      "-o",
      join(tmp, "x"),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("tinybpf build: the arm32 engine's printf takes widths up to 255\n");
  });
});
