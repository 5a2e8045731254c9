// GET /metrics (Prometheus text: one sample per map entry, per-CPU values summed, log2 histograms, the daemon's
// counters) and GET /events (server-sent ring-buffer records, printk lines and faults), each checked against
// values computed here from the captures themselves.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { api, bitehistSlots, inProcess, leHex, object, sockex1Totals, until } from "./daemon.js";
import { fixture } from "../support/paths.js";
import { readCapture } from "../../src/tools/pcap.js";
import type { RunningServer } from "../../src/serve/server.js";

let s: RunningServer;
let req: ReturnType<typeof api>;
beforeAll(async () => {
  s = await inProcess();
  req = api(s);
});
afterAll(() => s.close());

const PCAP = fixture("pcap/sockex1.pcap");
const packets = () => readCapture(readFileSync(PCAP), "sockex1.pcap").map((p) => p.data);
const metrics = async () => (await req("GET", "/metrics")).text;
async function runCapture(module: string, program: string) {
  const l = (await req("POST", "/links", { module, program, source: `pcap:${PCAP}` })).json;
  await until("the capture", async () =>
    (await req("GET", `/links/${l.id}`)).json.state === "done" ? true : undefined,
  );
}

/** Samples of one metric as label text -> value. */
function samples(text: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2], m[3]);
  }
  return out;
}

describe("metrics", () => {
  test("one sample per map entry, keys and values in decimal; the daemon's counters", async () => {
    const id = (await req("POST", "/modules?name=sock", object("sockex1.o"))).json.id;
    await runCapture(id, "bpf_prog1");
    const res = await req("GET", "/metrics");
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const values = samples(res.text, "tinybpf_map_value");
    const totals = sockex1Totals();
    expect(values.size).toBe(256);
    totals.forEach((t, i) => expect(values.get(`module="sock",map="my_map",key="${i}"`)).toBe(t.toString()));
    expect(samples(res.text, "tinybpf_runs_total").get('module="sock"')).toBe("42");
    expect(samples(res.text, "tinybpf_faults_total").get('module="sock"')).toBe("0");
    expect(Number(samples(res.text, "tinybpf_instructions_total").get('module="sock"'))).toBeGreaterThan(42);
    expect(res.text).toMatch(/^# TYPE tinybpf_map_value gauge$/m);
    expect(res.text).toMatch(/^tinybpf_modules 1$/m);
  });

  test("per-CPU values are summed over the CPUs", async () => {
    const id = (await req("POST", "/modules?name=pcpu&ncpus=3", object("maps_all.o"))).json.id;
    const put = await req("PUT", `/modules/${id}/tables/pcpu_hash/entries/05000000`, {
      value: leHex(10n, 8) + leHex(200n, 8) + leHex(3000n, 8),
    });
    expect(put.json.value).toBe(leHex(10n, 8) + leHex(200n, 8) + leHex(3000n, 8));
    expect(samples(await metrics(), "tinybpf_map_value").get('module="pcpu",map="pcpu_hash",key="5"')).toBe("3210");
  });

  test("a log2-histogram map as a Prometheus histogram when uploaded with hist=MAP", async () => {
    const id = (await req("POST", "/modules?name=bite&hist=dist", object("bitehist.o"))).json.id;
    await runCapture(id, "bitehist");
    const slots = bitehistSlots();
    const text = await metrics();
    expect(text).toMatch(/^# TYPE tinybpf_map_hist histogram$/m);
    const buckets = samples(text, "tinybpf_map_hist_bucket");
    let cumulative = 0;
    for (let k = 0; k < slots.length; k++) {
      cumulative += slots[k] ?? 0;
      expect(buckets.get(`module="bite",map="dist",le="${2 ** k - 1}"`)).toBe(String(cumulative));
    }
    expect(buckets.get('module="bite",map="dist",le="+Inf"')).toBe(String(cumulative));
    expect(samples(text, "tinybpf_map_hist_count").get('module="bite",map="dist"')).toBe(String(cumulative));
    // the histogram map is not listed again as plain samples
    expect([...samples(text, "tinybpf_map_value").keys()].some((k) => k.includes('map="dist"'))).toBe(false);
  });
});

/** Reads server-sent events until `done` says enough, or the time is up. */
async function collect(
  path: string,
  start: () => Promise<void>,
  done: (events: { type: string; data: any }[]) => boolean,
) {
  const ctrl = new AbortController();
  const res = await fetch(s.url + path, { headers: { Authorization: `Bearer ${s.token}` }, signal: ctrl.signal });
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = res.body!.getReader();
  const events: { type: string; data: any }[] = [];
  let buffer = "";
  const timer = setTimeout(() => ctrl.abort(), 10_000);
  await start();
  try {
    while (!done(events)) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buffer += new TextDecoder().decode(value);
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) events.push({ type, data: JSON.parse(data) });
      }
    }
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return events;
}

describe("events", () => {
  test("ring-buffer records, in order, as the program wrote them", async () => {
    const id = (await req("POST", "/modules?name=ring", object("ringbuf.o"))).json.id;
    // produce: one 16-byte record {seq, value, square} per even byte of the first 8, then {count, odd}
    const want: string[] = [];
    for (const p of packets()) {
      const bytes = p.subarray(0, 8);
      let odd = 0;
      bytes.forEach((b, i) => {
        if (b & 1) odd++;
        else want.push(leHex(BigInt(i), 4) + leHex(BigInt(b), 4) + leHex(BigInt(b * b), 8));
      });
      want.push(leHex(BigInt(bytes.length), 4) + leHex(BigInt(odd), 4));
    }
    const events = await collect(
      `/events?module=${id}`,
      () => runCapture(id, "produce"),
      (e) => e.length >= want.length,
    );
    expect(events.map((e) => e.type)).toEqual(want.map(() => "ringbuf"));
    expect(events.map((e) => e.data.data)).toEqual(want);
    expect(events[0].data).toMatchObject({ module: id, name: "ring", map: "events" });
  });

  test("printk lines and faults", async () => {
    const helpers = (await req("POST", "/modules?name=hp", object("helpers.o"))).json.id;
    const lens = packets().map((p) => p.length);
    const printk = await collect(
      "/events",
      () => runCapture(helpers, "printk"),
      (e) => e.filter((x) => x.type === "printk").length >= lens.length,
    );
    expect(printk.filter((e) => e.type === "printk").map((e) => e.data.line.replace(/^.*: /, ""))).toEqual(
      lens.map((n) => `len ${n}`),
    );

    const bad = (
      await req("POST", "/modules?name=oob", new Uint8Array(readFileSync(new URL("fixtures/fault.o", import.meta.url))))
    ).json.id;
    const faults = await collect(
      `/events?module=${bad}`,
      () => runCapture(bad, "oob"),
      (e) => e.length >= 1,
    );
    expect(faults[0]).toMatchObject({ type: "fault", data: { module: bad, name: "oob", program: "oob" } });
    expect(faults[0].data.fault).toMatch(/^oob: out-of-bounds read of 1 bytes/);
  });

  test("perf event records", async () => {
    const id = (await req("POST", "/modules?name=perf", object("helpers.o"))).json.id;
    // perf_out outputs the input's length as a u64; a raw program's input is the packet
    const want = packets().map((p) => leHex(BigInt(p.length), 8));
    const events = await collect(
      `/events?module=${id}`,
      () => runCapture(id, "perf_out"),
      (e) => e.length >= want.length,
    );
    expect(events.map((e) => [e.type, e.data.map, e.data.data])).toEqual(want.map((w) => ["perf", "perf", w]));
  });

  test("an unknown module's stream: 404", async () => {
    expect((await req("GET", "/events?module=000000000000")).status).toBe(404);
  });
});
