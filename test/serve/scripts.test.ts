// Modules compiled from one-liners: POST /modules with {"name", "script"}; the module's packet probe runs through a
// capture link and its map holds what is computed here from the capture itself.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { api, inProcess, leHex, until } from "./daemon.js";
import { fixture } from "../support/paths.js";
import { readCapture } from "../../src/tools/pcap.js";
import type { RunningServer } from "../../src/serve/server.js";
import { registerScriptCompiler } from "../../src/serve/scripts.js";
import { compile } from "../../src/trace/compile.js";

let s: RunningServer;
let req: ReturnType<typeof api>;
beforeAll(async () => {
  registerScriptCompiler(async (script) => compile(script).object); // as the CLI does (src/cli/main.ts)
  s = await inProcess();
  req = api(s);
});
afterAll(() => s.close());

const PCAP = fixture("pcap/sockex1.pcap");

describe("script modules", () => {
  test("a one-liner becomes a module whose packet probe runs on a capture", async () => {
    const r = await req("POST", "/modules", { name: "bytes", script: "packet { @bytes[ip.proto] = sum(len); }" });
    expect(r.status).toBe(201);
    expect(r.json.programs.map((p: any) => [p.name, p.type])).toEqual([["packet_0", "socket_filter"]]);
    expect(r.json.maps).toContain("AT_bytes"); // and .bss, the clock the probes share
    const l = (await req("POST", "/links", { module: r.json.id, program: "packet_0", source: `pcap:${PCAP}` })).json;
    await until("the capture", async () =>
      (await req("GET", `/links/${l.id}`)).json.state === "done" ? true : undefined,
    );
    // ip.proto is the IPv4 header's protocol byte, 0 for frames that are not IPv4
    const want = new Map<bigint, bigint>();
    for (const p of readCapture(readFileSync(PCAP), "sockex1.pcap")) {
      const ipv4 = p.data.length >= 34 && p.data[12] === 0x08 && p.data[13] === 0x00;
      const proto = BigInt(ipv4 ? p.data[23] : 0);
      want.set(proto, (want.get(proto) ?? 0n) + BigInt(p.data.length));
    }
    const entries = (await req("GET", `/modules/${r.json.id}/tables/AT_bytes/entries`)).json;
    expect(new Map(entries.map((e: any) => [e.key, e.value]))).toEqual(
      new Map([...want].map(([k, v]) => [leHex(k, 8), leHex(v, 8)])),
    );
  });

  test("a bad script is a 400 with bpftrace's message; a script needs both fields", async () => {
    const bad = await req("POST", "/modules", { name: "bad", script: "BEGIN { @x = foo() }" });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe("stdin:1:14-19: ERROR: Unknown function: foo");
    const missing = await req("POST", "/modules", { name: "x" });
    expect(missing.json.error).toBe('a script module needs "name" and "script" strings');
    const badName = await req("POST", "/modules", { name: "a b", script: "packet { @n = count(); }" });
    expect(badName.json.error).toBe("module name must match [A-Za-z0-9._-]{1,64}, not 'a b'");
  });
});
