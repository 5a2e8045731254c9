// The command-line client against a running daemon: modules, links and tables (server from --server or
// TINYBPF_SERVER, token from the data directory), and push/pull through the registry with the digest checked on
// both sides, including a server that hands back other bytes than the tag names.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kill9, leHex, object, sha256, sockex1Totals, spawnDaemon, tempDir, until, type Spawned } from "./daemon.js";
import { ROOT, fixture } from "../support/paths.js";

let d: Spawned;
let dir: string;
beforeAll(async () => {
  dir = tempDir();
  d = await spawnDaemon(dir);
});
afterAll(() => kill9(d.child));

/** Runs the CLI (asynchronously: the daemon under test may be in this process's event loop). */
function tinybpf(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/tinybpf.js"), ...args], {
      env: { ...process.env, TINYBPF_SERVER: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (x) => (stdout += x));
    child.stderr.on("data", (x) => (stderr += x));
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}
const cli = (...args: string[]) => tinybpf([...args, "--server", d.url, "--data", dir]);

describe("modules, links, tables", () => {
  test("add a module, run a capture through it, read its table", async () => {
    const add = await cli("modules", "add", fixture("sockex1.o"), "--name", "sock", "--json");
    expect(add.stderr).toBe("");
    const mod = JSON.parse(add.stdout);
    expect(mod).toMatchObject({ name: "sock", digest: sha256(object("sockex1.o")) });
    const ls = await tinybpf(["modules", "--data", dir], { TINYBPF_SERVER: d.url });
    expect(ls.stdout).toMatch(new RegExp(`^${mod.id}  sock  sha256:.*bpf_prog1 \\(socket_filter\\)`));
    const link = await cli("links", "add", "sock", "bpf_prog1", `pcap:${fixture("pcap/sockex1.pcap")}`, "--json");
    const id = JSON.parse(link.stdout).id;
    await until("the capture", async () =>
      (await cli("links", "show", id)).stdout.includes(" done ") ? true : undefined,
    );
    expect((await cli("links", "show", id)).stdout).toMatch(/ done {2}runs 42 {2}faults 0 {2}last r0 0$/m);
    const totals = sockex1Totals();
    expect((await cli("tables", "sock")).stdout.trim()).toBe("my_map (array, key 4, value 8, max_entries 256)");
    expect((await cli("tables", "sock", "my_map", "get", "11000000")).stdout.trim()).toBe(
      `11000000: ${leHex(totals[17], 8)}`,
    );
    const all = (await cli("tables", "sock", "my_map")).stdout.trim().split("\n");
    expect(all).toHaveLength(256);
    expect(all[6]).toBe(`06000000: ${leHex(totals[6], 8)}`);
  });

  test("set with flags and delete, with the kernel's errors as one line and exit status 1", async () => {
    await cli("modules", "add", fixture("maps_all.o"), "--name", "maps");
    expect(
      (await cli("tables", "maps", "hash", "set", "01000000", "0900000000000000", "--flags", "noexist")).stdout.trim(),
    ).toBe("01000000: 0900000000000000");
    const again = await cli("tables", "maps", "hash", "set", "01000000", "0900000000000000", "--flags", "noexist");
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(
      /^tinybpf tables: PUT \/modules\/[0-9a-f]{12}\/tables\/hash\/entries\/01000000: 409 map 'hash': update: EEXIST \(element exists\)\n$/,
    );
    expect((await cli("tables", "maps", "hash", "delete", "01000000")).status).toBe(0);
    expect((await cli("tables", "maps", "hash", "get", "01000000")).stderr).toMatch(
      /404 map 'hash': no entry for key 01000000/,
    );
  });

  test("a module from a one-liner, and its metrics config set, read and cleared", async () => {
    const add = await cli("modules", "add", "--script", "packet { @n[ip.proto] = count(); }", "--name", "oneliner");
    expect(add.stderr).toBe("");
    expect(add.stdout).toMatch(
      /^[0-9a-f]{12}  oneliner  sha256:\S+  programs packet_0 \(socket_filter\)  maps \.bss, AT_n  runs 0/,
    );
    const config = join(tempDir(), "metrics.json");
    writeFileSync(
      config,
      JSON.stringify({
        counters: [
          { name: "frames_total", table: "AT_n", labels: [{ name: "p", size: 8, decoders: [{ name: "uint" }] }] },
        ],
      }),
    );
    const set = await cli("modules", "metrics", "oneliner", config);
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout).counters[0]).toMatchObject({
      name: "frames_total",
      help: "frames_total",
      table: "AT_n",
    });
    expect(JSON.parse((await cli("modules", "metrics", "oneliner")).stdout)).toEqual(JSON.parse(set.stdout));
    expect((await cli("modules", "metrics", "oneliner", "--clear")).status).toBe(0);
    expect((await cli("modules", "metrics", "oneliner")).stderr).toMatch(/404 module oneliner has no metrics config/);
    writeFileSync(config, "{");
    expect((await cli("modules", "metrics", "oneliner", config)).stderr).toBe(
      `tinybpf modules: ${config}: not valid JSON\n`,
    );
    expect((await cli("modules", "add", "--script", "BEGIN { @x = foo() }", "--name", "bad")).stderr).toMatch(
      /400 stdin:1:14-19: ERROR: Unknown function: foo$/m,
    );
    expect((await cli("modules", "add", "--script", "BEGIN { }")).stderr).toMatch(/--script needs --name NAME/);
    expect((await cli("modules", "rm", "oneliner")).status).toBe(0);
  });

  test("rm a module; errors name what was wrong", async () => {
    expect((await cli("modules", "rm", "maps")).status).toBe(0);
    expect((await cli("modules", "show", "maps")).stderr).toBe("tinybpf modules: no module named 'maps'\n");
    expect((await cli("links", "add", "sock", "bpf_prog1", "iface:nosuchif9")).stderr).toMatch(
      /400 no such interface 'nosuchif9'/,
    );
    expect((await cli("links", "add", "sock", "bpf_prog1", "interval:100", "--via", "native")).stderr).toMatch(
      /400 via \("native" or "tcpdump"\) is for iface: links only/,
    );
    expect((await cli("modules", "frob")).stderr).toMatch(/unknown 'modules' subcommand 'frob'/);
    const refused = await tinybpf(["modules", "--server", "http://127.0.0.1:1", "--data", dir]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^tinybpf modules: GET http:\/\/127\.0\.0\.1:1\/modules: connect ECONNREFUSED/);
    const noToken = await tinybpf(["modules", "--server", d.url, "--data", tempDir()]);
    expect(noToken.stderr).toMatch(/401 missing or wrong bearer token/);
  });
});

test("the built daemon serves the UI, whose files are in the npm package", async () => {
  const page = await fetch(d.url + "/");
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<title>tinybpf serve<\/title>/);
  const { execFileSync } = await import("node:child_process");
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" }),
  );
  const files = packed[0].files.map((f: { path: string }) => f.path);
  for (const f of ["index.html", "app.js", "app.css"]) expect(files).toContain(`src/serve/ui/${f}`);
  expect(files).toContain("dist/src/serve/server.js");
});

test("--help prints the command's usage and starts nothing", async () => {
  const r = await tinybpf(["serve", "--help"]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^usage: tinybpf serve \[--listen HOST:PORT\] \[--data DIR\]/);
  expect((await tinybpf(["tables", "--help"])).stdout).toMatch(/^usage: tinybpf tables MODULE \[MAP/);
});

describe("registry", () => {
  test("push then pull gives the same bytes; the digest is the object's SHA-256", async () => {
    const want = sha256(object("bitehist.o"));
    const push = await tinybpf(["push", fixture("bitehist.o"), `${d.url}/bitehist:v1`, "--data", dir]);
    expect(push.stdout.trim()).toBe(`bitehist:v1 ${want}`);
    const out = join(tempDir(), "pulled.o");
    const pull = await tinybpf(["pull", `${d.url}/bitehist:v1`, "-o", out, "--data", dir]);
    expect(pull.stderr).toBe("");
    expect(sha256(new Uint8Array(readFileSync(out)))).toBe(want);
    expect((await tinybpf(["pull", `${d.url}/bitehist:v2`, "-o", out, "--data", dir])).stderr).toMatch(
      /404 no tag bitehist:v2/,
    );
    expect((await tinybpf(["push", join(ROOT, "README.md"), `${d.url}/readme`, "--data", dir])).stderr).toMatch(
      /400 readme: not an ELF file/,
    );
    expect((await tinybpf(["push", fixture("bitehist.o"), `${d.url}/bad name`, "--data", dir])).stderr).toMatch(
      /not a reference|NAME and TAG/,
    );
  });

  test("a registry that serves other bytes than its tag names: pull refuses and writes nothing", async () => {
    const real = object("sockex1.o");
    const claimed = sha256(object("bitehist.o"));
    const fake = createServer((req, res) => {
      if (req.url === "/registry/x/latest") res.end(JSON.stringify({ name: "x", tag: "latest", digest: claimed }));
      else res.end(real);
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    try {
      const port = (fake.address() as { port: number }).port;
      const out = join(tempDir(), "x.o");
      const pull = await tinybpf(["pull", `http://127.0.0.1:${port}/x`, "-o", out, "--data", dir]);
      expect(pull.status).toBe(1);
      expect(pull.stderr).toBe(
        `tinybpf pull: x:latest: content is ${sha256(real)}, the tag says ${claimed}; not written\n`,
      );
      expect(existsSync(out)).toBe(false);
    } finally {
      fake.close();
    }
  });

  test("a push whose body does not match its digest header is refused", async () => {
    const res = await fetch(`${d.url}/registry/x/y`, {
      method: "PUT",
      body: new Uint8Array(object("sockex1.o")),
      headers: { Authorization: `Bearer ${d.token}`, "X-Digest": sha256(object("bitehist.o")) },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/^digest mismatch/);
  });
});
