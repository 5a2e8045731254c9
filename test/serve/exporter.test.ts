// A module's metrics config (ebpf_exporter's shape): counters, gauges and histograms with labels decoded from the
// key, in place of the table's generic samples; values checked against what is computed here from the captures
// and from the entries the test writes itself.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api, bitehistSlots, inProcess, leHex, object, sockex1Totals, tempDir, until } from "./daemon.js";
import { fixture } from "../support/paths.js";
import type { RunningServer } from "../../src/serve/server.js";

const dir = tempDir();
let s: RunningServer;
let req: ReturnType<typeof api>;
beforeAll(async () => {
  s = await inProcess(dir);
  req = api(s);
});
afterAll(() => s.close());

const PCAP = fixture("pcap/sockex1.pcap");
async function runCapture(module: string, program: string) {
  const l = (await req("POST", "/links", { module, program, source: `pcap:${PCAP}` })).json;
  await until("the capture", async () =>
    (await req("GET", `/links/${l.id}`)).json.state === "done" ? true : undefined,
  );
}
const metricLines = async (prefix: string) =>
  (await req("GET", "/metrics")).text.split("\n").filter((l: string) => l.startsWith(prefix));

const PROTOCOLS = {
  name: "protocol",
  size: 4,
  decoders: [{ name: "uint" }, { name: "static_map", static_map: { "1": "icmp", "6": "tcp", "17": "udp" } }],
};

describe("metrics configs", () => {
  let sock: string;
  test("a counter with decoded labels replaces the table's generic samples", async () => {
    sock = (await req("POST", "/modules?name=sock", object("sockex1.o"))).json.id;
    await runCapture(sock, "bpf_prog1");
    expect((await metricLines('tinybpf_map_value{module="sock"')).length).toBe(256);
    const config = {
      counters: [
        { name: "ip_protocol_bytes_total", help: "Bytes per IP protocol", table: "my_map", labels: [PROTOCOLS] },
      ],
    };
    const put = await req("PUT", `/modules/${sock}/metrics`, config);
    expect(put.status).toBe(200);
    expect((await req("GET", `/modules/${sock}/metrics`)).json).toEqual(put.json);
    const totals = sockex1Totals();
    const text = (await req("GET", "/metrics")).text;
    expect(text).toContain(
      "# HELP ip_protocol_bytes_total Bytes per IP protocol\n# TYPE ip_protocol_bytes_total counter\n",
    );
    // static_map without allow_unknown keeps only the protocols it names
    expect((await metricLines("ip_protocol_bytes_total{")).sort()).toEqual(
      [
        `ip_protocol_bytes_total{module="sock",protocol="icmp"} ${totals[1]}`,
        `ip_protocol_bytes_total{module="sock",protocol="tcp"} ${totals[6]}`,
        `ip_protocol_bytes_total{module="sock",protocol="udp"} ${totals[17]}`,
      ].sort(),
    );
    expect(await metricLines('tinybpf_map_value{module="sock"')).toEqual([]);
    expect((await req("GET", `/modules/${sock}`)).json.metrics).toBe(true);
  });

  test("a histogram from a table of bucket counts (exp2, a range and a multiplier)", async () => {
    const bite = (await req("POST", "/modules?name=bite", object("bitehist.o"))).json.id;
    await runCapture(bite, "bitehist");
    const slots = bitehistSlots();
    const put = await req("PUT", `/modules/${bite}/metrics`, {
      histograms: [
        {
          name: "word_size",
          table: "dist",
          bucket_type: "exp2",
          bucket_min: 2,
          bucket_max: 6,
          bucket_multiplier: 0.5,
          labels: [{ name: "bucket", size: 4, decoders: [] }],
        },
      ],
    });
    expect(put.status).toBe(200);
    const total = slots.reduce((a, b) => a + b, 0);
    const want: string[] = [];
    let cumulative = slots[0] ?? 0;
    for (let k = 2; k <= 6; k++) {
      if (k === 2) cumulative += slots[1] ?? 0; // buckets below the range count in the first
      cumulative += slots[k] ?? 0;
      want.push(`word_size_bucket{module="bite",le="${2 ** k * 0.5}"} ${cumulative}`);
    }
    want.push(`word_size_bucket{module="bite",le="+Inf"} ${total}`, `word_size_count{module="bite"} ${total}`);
    expect(await metricLines("word_size_")).toEqual(want);
    expect((await req("GET", "/metrics")).text).toContain("# TYPE word_size histogram\n");
  });

  test("inet_ip, string, hex and regexp labels; equal labels are summed", async () => {
    const maps = (await req("POST", "/modules?name=maps", object("maps_all.o"))).json.id;
    const put = (map: string, key: string, value: string) =>
      req("PUT", `/modules/${maps}/tables/${map}/entries/${key}`, { value });
    await put("routes", "18000000" + "c0a80100", leHex(5n, 4)); // 192.168.1.0/24
    await put("routes", "20000000" + "0a000001", leHex(7n, 4)); // 10.0.0.1/32
    await put("hash", "68690000", leHex(3n, 8)); // "hi"
    await put("hash", "68690001", leHex(4n, 8)); // "hi" too: the string ends at the first NUL
    await put("hash", "07000000", leHex(11n, 8));
    await put("hash", "0c000000", leHex(13n, 8));
    const r = await req("PUT", `/modules/${maps}/metrics`, {
      gauges: [
        {
          name: "route_value",
          table: "routes",
          labels: [
            { name: "prefixlen", size: 4, decoders: [{ name: "uint" }] },
            { name: "net", size: 4, decoders: [{ name: "inet_ip" }] },
          ],
        },
        { name: "by_string", table: "hash", labels: [{ name: "s", size: 4, decoders: [{ name: "string" }] }] },
        // a counter's or gauge's label may be called bucket: only a histogram's last label is the bucket index
        { name: "by_bucket", table: "hash", labels: [{ name: "bucket", size: 4, decoders: [{ name: "hex" }] }] },
      ],
      counters: [
        {
          name: "single_digit_total",
          table: "array",
          labels: [{ name: "i", size: 4, decoders: [{ name: "uint" }, { name: "regexp", regexps: ["^[02]$"] }] }],
        },
      ],
    });
    expect(r.status).toBe(200);
    expect((await metricLines("route_value{")).sort()).toEqual([
      'route_value{module="maps",prefixlen="24",net="192.168.1.0"} 5',
      'route_value{module="maps",prefixlen="32",net="10.0.0.1"} 7',
    ]);
    const strings = new Map((await metricLines("by_string{")).map((l: string) => [l.split(" ")[0], l.split(" ")[1]]));
    expect(strings.get('by_string{module="maps",s="hi"}')).toBe("7");
    expect(strings.get('by_string{module="maps",s="\x07"}')).toBe("11");
    expect(await metricLines('by_bucket{module="maps",bucket="07000000"}')).toEqual([
      'by_bucket{module="maps",bucket="07000000"} 11',
    ]);
    await put("array", "02000000", leHex(9n, 8));
    expect((await metricLines("single_digit_total{")).sort()).toEqual([
      'single_digit_total{module="maps",i="0"} 0',
      'single_digit_total{module="maps",i="2"} 9',
    ]);
  });

  test("bad configs: 400 naming the field; a name of another type elsewhere: 409; DELETE restores the samples", async () => {
    const bad = async (body: unknown, message: string) => {
      const r = await req("PUT", `/modules/${sock}/metrics`, body);
      expect(r.status).toBe(400);
      expect(r.json.error).toBe(message);
    };
    const counter = (extra: object) => ({ counters: [{ name: "c", table: "my_map", labels: [PROTOCOLS], ...extra }] });
    await bad({ counter: [] }, "counter: unknown field (counters, gauges, histograms)");
    await bad(counter({ table: "nope" }), "counters[0].table: no table 'nope'");
    await bad(counter({ name: "9x" }), "counters[0].name: '9x' is not a Prometheus metric name");
    await bad(counter({ name: "tinybpf_x" }), "counters[0].name: names starting with tinybpf_ are the daemon's own");
    await bad(
      counter({ labels: [{ name: "p", size: 2, decoders: [] }] }),
      "counters[0].labels: label sizes add up to 2 bytes, the key of 'my_map' has 4",
    );
    await bad(
      counter({ labels: [{ name: "p", size: 4, decoders: [{ name: "ksym" }] }] }),
      "counters[0].labels[0].decoders[0].name: unknown decoder 'ksym' (uint, hex, string, inet_ip, static_map, regexp)",
    );
    await bad(
      counter({ labels: [{ name: "p", size: 4, decoders: [{ name: "regexp", regexps: ["("] }] }] }),
      "counters[0].labels[0].decoders[0].regexps[0]: Invalid regular expression: /(/: Unterminated group",
    );
    await bad(
      counter({ labels: [{ name: "module", size: 4, decoders: [] }] }),
      "counters[0].labels[0].name: 'module' cannot be a label name",
    );
    await bad(
      { histograms: [{ name: "h", table: "my_map", labels: [PROTOCOLS] }] },
      "histograms[0].labels: a histogram's last label is 'bucket', the bucket index",
    );
    // the first module's counter name, as a gauge of another module
    const other = (await req("POST", "/modules?name=sock2", object("sockex1.o"))).json.id;
    const clash = await req("PUT", `/modules/${other}/metrics`, {
      gauges: [{ name: "ip_protocol_bytes_total", table: "my_map", labels: [PROTOCOLS] }],
    });
    expect(clash.status).toBe(409);
    expect(clash.json.error).toBe("metric 'ip_protocol_bytes_total' is a counter in another module");
    expect((await req("GET", `/modules/${other}/metrics`)).status).toBe(404);
    // the config survives a restart, and DELETE brings the generic samples back
    await s.close();
    s = await inProcess(dir);
    req = api(s);
    expect((await req("GET", `/modules/${sock}/metrics`)).json.counters[0].name).toBe("ip_protocol_bytes_total");
    expect((await req("DELETE", `/modules/${sock}/metrics`)).status).toBe(204);
    expect((await metricLines('tinybpf_map_value{module="sock"')).length).toBe(256);
    expect(await metricLines("ip_protocol_bytes_total{")).toEqual([]);
  });
});
