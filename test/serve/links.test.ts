// Links: a capture runs once through its program, a timer runs it repeatedly, a chained link runs after another
// module's program with the same input; faults (the instruction budget included) are counted per link and module
// and never stop the daemon.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { api, inProcess, leHex, object, sockex1Totals, until } from "./daemon.js";
import { fixture } from "../support/paths.js";
import type { RunningServer } from "../../src/serve/server.js";

let s: RunningServer;
let req: ReturnType<typeof api>;
beforeAll(async () => {
  s = await inProcess();
  req = api(s);
});
afterAll(() => s.close());

const PCAP = fixture("pcap/sockex1.pcap");
const upload = async (name: string, file: string, query = "") =>
  (await req("POST", `/modules?name=${name}${query}`, object(file))).json.id as string;
const linkState = (id: string, state: string) =>
  until(`link ${id} ${state}`, async () => {
    const l = (await req("GET", `/links/${id}`)).json;
    return l.state === state ? l : undefined;
  });

describe("links", () => {
  test("pcap:PATH runs the program once per packet; the link reports state, runs and last r0", async () => {
    const id = await upload("p1", "sockex1.o");
    const zero = leHex(0n, 8);
    expect((await req("GET", `/modules/${id}/tables/my_map/entries`)).json.every((e: any) => e.value === zero)).toBe(
      true,
    );
    const r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: `pcap:${PCAP}` });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ module: id, program: "bpf_prog1", source: `pcap:${PCAP}` });
    const l = await linkState(r.json.id, "done");
    expect(l).toMatchObject({ runs: 42, faults: 0, lastR0: "0", lastFault: null });
    expect((await req("GET", `/modules/${id}`)).json).toMatchObject({ runs: 42, faults: 0 });
    // the listing read before the runs is not served again
    expect((await req("GET", `/modules/${id}/tables/my_map/entries`)).json.map((e: any) => e.value)).toEqual(
      sockex1Totals().map((t) => leHex(t, 8)),
    );
    expect((await req("GET", "/links")).json.map((x: any) => x.id)).toContain(r.json.id);
  });

  test("repeat runs the capture N times", async () => {
    const id = await upload("p3", "sockex1.o");
    const r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: `pcap:${PCAP}`, repeat: 3 });
    expect((await linkState(r.json.id, "done")).runs).toBe(126);
    expect((await req("GET", `/modules/${id}/tables/my_map/entries/06000000`)).json.value).toBe(
      leHex(3n * sockex1Totals()[6], 8),
    );
  });

  test("interval:MS runs on a timer until the link is deleted", async () => {
    const id = await upload("tick", "ringbuf.o");
    const r = await req("POST", "/links", { module: id, program: "produce", source: "interval:10" });
    expect(r.json.state).toBe("running");
    await until("three runs", async () =>
      (await req("GET", `/links/${r.json.id}`)).json.runs >= 3 ? true : undefined,
    );
    expect((await req("DELETE", `/links/${r.json.id}`)).status).toBe(204);
    const runs = (await req("GET", `/modules/${id}`)).json.runs;
    await new Promise((res) => setTimeout(res, 60));
    expect((await req("GET", `/modules/${id}`)).json.runs).toBe(runs);
    expect((await req("GET", `/links/${r.json.id}`)).status).toBe(404);
  });

  test("module:ID/PROG runs after every run of the source program, with the same packet", async () => {
    const a = await upload("chain-a", "sockex1.o");
    const b = await upload("chain-b", "sockex1.o");
    const chained = await req("POST", "/links", { module: b, program: "bpf_prog1", source: `module:${a}/bpf_prog1` });
    expect(chained.json.state).toBe("attached");
    const feed = await req("POST", "/links", { module: a, program: "bpf_prog1", source: `pcap:${PCAP}` });
    await linkState(feed.json.id, "done");
    expect((await req("GET", `/links/${chained.json.id}`)).json.runs).toBe(42);
    const totals = sockex1Totals();
    const entries = (await req("GET", `/modules/${b}/tables/my_map/entries`)).json;
    expect(entries.map((e: any) => e.value)).toEqual(totals.map((t) => leHex(t, 8)));
    // deleting the source module stops and removes the chained link too
    expect((await req("DELETE", `/modules/${a}`)).status).toBe(204);
    expect((await req("GET", `/links/${chained.json.id}`)).status).toBe(404);
  });

  test("a chain that loops back ends at its depth limit", async () => {
    const a = await upload("loop", "sockex1.o");
    await req("POST", "/links", { module: a, program: "bpf_prog1", source: `module:${a}/bpf_prog1` });
    const feed = await req("POST", "/links", { module: a, program: "bpf_prog1", source: `pcap:${PCAP}` });
    await linkState(feed.json.id, "done");
    expect((await req("GET", `/modules/${a}`)).json.runs).toBe(42 * 9);
  });

  test("the instruction budget: every run faults, is counted and reported, the daemon carries on", async () => {
    const id = await upload("tight", "sockex1.o", "&budget=5");
    const r = await req("POST", "/links", { module: id, program: "bpf_prog1", source: `pcap:${PCAP}` });
    const l = await linkState(r.json.id, "done");
    expect(l).toMatchObject({ runs: 42, faults: 42, lastR0: null });
    expect(l.lastFault).toMatch(/^bpf_prog1: instruction budget of 5 exhausted \(instruction \d+\)$/);
    expect((await req("GET", `/modules/${id}`)).json).toMatchObject({ runs: 0, faults: 42, budget: 5 });
    // the same object under the default budget still runs in the same daemon
    const ok = await upload("roomy", "sockex1.o");
    const r2 = await req("POST", "/links", { module: ok, program: "bpf_prog1", source: `pcap:${PCAP}` });
    expect((await linkState(r2.json.id, "done")).faults).toBe(0);
  });

  test("a program reading outside its input faults with the instruction named; the daemon carries on", async () => {
    const id = (
      await req("POST", "/modules?name=oob", new Uint8Array(readFileSync(new URL("fixtures/fault.o", import.meta.url))))
    ).json.id;
    const r = await req("POST", "/links", { module: id, program: "oob", source: "interval:10" });
    const l = await until("two faults", async () => {
      const x = (await req("GET", `/links/${r.json.id}`)).json;
      return x.faults >= 2 ? x : undefined;
    });
    expect(l.lastFault).toMatch(/^oob: out-of-bounds read of 1 bytes at 0x[0-9a-f]+ \(instruction \d+\)$/);
    expect(l.state).toBe("running");
    expect((await req("GET", "/modules")).status).toBe(200);
    await req("DELETE", `/links/${r.json.id}`);
  });

  test("bad links: 400 with what was wrong", async () => {
    const id = await upload("bad-links", "sockex1.o");
    const bad = async (body: unknown, pattern: RegExp) => {
      const r = await req("POST", "/links", body);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(pattern);
    };
    await bad({ module: id, program: "bpf_prog1", source: "iface:no such" }, /'no such' is not an interface name/);
    await bad({ module: id, program: "bpf_prog1", source: "interval:1" }, /interval must be/);
    await bad({ module: id, program: "bpf_prog1", source: "interval:abc" }, /interval must be/);
    await bad({ module: id, program: "bpf_prog1", source: "pcap:/no/such.pcap" }, /no such file/);
    await bad({ module: id, program: "bpf_prog1", source: `pcap:${fixture("sockex1.o")}` }, /unknown capture magic/);
    await bad({ module: id, program: "bpf_prog1", source: "module:nothing" }, /module:ID\/PROG/);
    await bad({ module: id, program: "bpf_prog1", source: "tcp:1" }, /unknown link source/);
    await bad({ module: id, program: "nope", source: "interval:100" }, /no program 'nope'/);
    await bad({ module: id, program: "bpf_prog1" }, /"source"/);
    await bad({ module: id, program: "bpf_prog1", source: `pcap:${PCAP}`, repeat: 0 }, /repeat/);
    const missing = await req("POST", "/links", { module: "000000000000", program: "x", source: "interval:100" });
    expect(missing.status).toBe(404);
  });
});
