// The corpus of one-liners over test/fixtures/pcap/trace-mix.pcap, each with its output computed by plain
// JavaScript over the same frames (model.ts), independently of tinybpf: header fields by byte arithmetic,
// bpftrace's printing rewritten in model.ts. Used by corpus.test.ts (every engine) and kernel.test.ts.
import {
  loadFrames,
  tally,
  keyed,
  scalar,
  statsScalar,
  EXIT,
  log2Hist,
  linHist,
  dotted,
  u8,
  u16,
  u32,
  ethType,
  ipProto,
  ipSrc,
  ipDst,
  ipLen,
  ipTtl,
  tcpSport,
  tcpDport,
  tcpFlags,
  udpSport,
  udpDport,
} from "./model.js";

export const frames = loadFrames("trace-mix.pcap");
const all = (f: (d: Uint8Array) => number) => frames.map((x) => f(x.d));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const len = (d: Uint8Array) => d.length;
const where = (p: (d: Uint8Array) => boolean) => frames.filter((f) => p(f.d));
const one = (f: (d: Uint8Array) => number | string) => (d: Uint8Array) => [f(d)];

export interface Case {
  script: string;
  /** printf lines, before the exit */
  printed?: () => string;
  /** the maps printed at the exit */
  expect: () => string;
}

/** The whole output: printf lines, bpftrace's two line breaks at exit, the maps. */
export const output = (c: Case) => (c.printed?.() ?? "") + EXIT + c.expect();

export const CASES: Case[] = [
  { script: "packet { @ = count() }", expect: () => `@: ${frames.length}\n` },
  { script: "packet { @[eth.type] = count() }", expect: () => keyed("", tally(frames, one(ethType))) },
  { script: "packet { @[ip.proto] = count() }", expect: () => keyed("", tally(frames, one(ipProto))) },
  {
    script: "packet /ip.proto == 6/ { @dport[tcp.dport] = count() }",
    expect: () =>
      keyed(
        "dport",
        tally(frames, (d) => (ipProto(d) === 6 ? [tcpDport(d)] : undefined)),
      ),
  },
  {
    script: "packet /ip.proto == 17/ { @[udp.sport] = count() }",
    expect: () =>
      keyed(
        "",
        tally(frames, (d) => (ipProto(d) === 17 ? [udpSport(d)] : undefined)),
      ),
  },
  { script: "packet { @bytes = sum(len) }", expect: () => scalar("bytes", sum(all(len))) },
  { script: "packet { @avg = avg(len) }", expect: () => statsScalar("avg", Math.floor(sum(all(len)) / frames.length)) },
  {
    script: "packet { @min = min(len); @max = max(len) }",
    expect: () => scalar("max", Math.max(...all(len))) + scalar("min", Math.min(...all(len))),
  },
  {
    script: "packet { @s = stats(len) }",
    expect: () =>
      statsScalar(
        "s",
        `count ${frames.length}, average ${Math.floor(sum(all(len)) / frames.length)}, total ${sum(all(len))}`,
      ),
  },
  { script: "packet { @h = hist(len) }", expect: () => `@h: \n${log2Hist(all(len))}\n` },
  { script: "packet { @l = lhist(len, 0, 1500, 100) }", expect: () => `@l: \n${linHist(all(len), 0, 1500, 100)}\n` },
  { script: "packet { @k = lhist(len, 0, 2048, 512) }", expect: () => `@k: \n${linHist(all(len), 0, 2048, 512)}\n` },
  {
    script: "packet { @n = lhist(ip.ttl - 100, -50, 100, 25) }",
    expect: () =>
      `@n: \n${linHist(
        all((d) => ipTtl(d) - 100),
        -50,
        100,
        25,
      )}\n`,
  },
  { script: "packet { @ttl[ip.ttl] = count() }", expect: () => keyed("ttl", tally(frames, one(ipTtl))) },
  {
    script: "packet /eth.type == 0x0800/ { @[ntop(ip.src)] = sum(ip.len) }",
    expect: () =>
      keyed(
        "",
        tally(frames, (d) => (ethType(d) === 0x800 ? [ipSrc(d)] : undefined), ipLen),
        (k) => dotted(k[0] as number),
      ),
  },
  {
    script: "packet { @[ntop(ip.dst), ip.proto] = count() }",
    expect: () =>
      keyed(
        "",
        tally(frames, (d) => [ipDst(d), ipProto(d)]),
        (k) => `${dotted(k[0] as number)}, ${k[1]}`,
      ),
  },
  {
    script: "packet /tcp.flags & 2/ { @syn = count() }",
    expect: () => scalar("syn", where((d) => (tcpFlags(d) & 2) !== 0).length),
  },
  {
    script: "packet /(tcp.flags & 0x12) == 0x12/ { @synack[tcp.sport] = count() }",
    expect: () =>
      keyed(
        "synack",
        tally(frames, (d) => ((tcpFlags(d) & 0x12) === 0x12 ? [tcpSport(d)] : undefined)),
      ),
  },
  {
    script: "packet { @b[len / 100] = count() }",
    expect: () =>
      keyed(
        "b",
        tally(frames, (d) => [Math.floor(d.length / 100)]),
      ),
  },
  {
    script: "packet { @m[len % 7] = count() }",
    expect: () =>
      keyed(
        "m",
        tally(frames, (d) => [d.length % 7]),
      ),
  },
  {
    script: "packet /len > 1000/ { @big = count() } packet /len <= 1000/ { @small = count() }",
    expect: () =>
      scalar("big", where((d) => d.length > 1000).length) + scalar("small", where((d) => d.length <= 1000).length),
  },
  {
    script: "packet { @x = max(pkt.u8[14] & 0xf) }",
    expect: () => scalar("x", Math.max(...all((d) => u8(d, 14) & 15))),
  },
  {
    script: "packet { @w[pkt.u16[12]] = count() }",
    expect: () =>
      keyed(
        "w",
        tally(frames, (d) => [u16(d, 12)]),
      ),
  },
  { script: "packet { @o = sum(pkt.u32[1000]) }", expect: () => scalar("o", sum(all((d) => u32(d, 1000)))) },
  {
    script: "packet { $l = len; $l = $l * 2 + 1; @t = sum($l) }",
    expect: () => scalar("t", sum(all((d) => d.length * 2 + 1))),
  },
  {
    script:
      'packet { if (ip.proto == 6) { @k["tcp"] = count() } else if (ip.proto == 17) { @k["udp"] = count() } else { @k["other"] = count() } }',
    expect: () =>
      keyed(
        "k",
        tally(frames, (d) => [ipProto(d) === 6 ? "tcp" : ipProto(d) === 17 ? "udp" : "other"]),
      ),
  },
  {
    script: "packet { @a[tcp.dport > 1024 ? 1 : 0] = count() }",
    expect: () =>
      keyed(
        "a",
        tally(frames, (d) => [tcpDport(d) > 1024 ? 1 : 0]),
      ),
  },
  {
    script: "packet { @c = count(); @c2 += 2 }",
    expect: () => scalar("c", frames.length) + scalar("c2", 2 * frames.length),
  },
  {
    script: 'packet { @n++ } END { printf("frames %d\\n", @n) }',
    printed: () => `frames ${frames.length}\n`,
    expect: () => scalar("n", frames.length),
  },
  {
    script: 'BEGIN { printf("hello %s %5d|%-4x|\\n", "world", 42, 255); exit() } packet { @never = count() }',
    printed: () => "hello world    42|ff  |\n",
    expect: () => "\n",
  },
  {
    // BEGIN's map updates: the packet probe starts from them
    script: "BEGIN { @start = 5 } packet { @start += 1 }",
    expect: () => scalar("start", 5 + frames.length),
  },
  {
    script:
      'BEGIN { @seen[6] = 100; @seen[17] = @seen[6] * 2; printf("%d %d\\n", @seen[6], @seen[17]) } packet /ip.proto == 6/ { @seen[6]++ }',
    printed: () => "100 200\n",
    expect: () =>
      keyed(
        "seen",
        new Map([
          ["17", { key: [17], value: 200 }],
          ["6", { key: [6], value: 100 + where((d) => ipProto(d) === 6).length }],
        ]),
      ),
  },
  {
    script: "packet /ip.ttl < 64 && ip.proto != 0/ { @low[ip.ttl] = count() }",
    expect: () =>
      keyed(
        "low",
        tally(frames, (d) => (ipTtl(d) < 64 && ipProto(d) !== 0 ? [ipTtl(d)] : undefined)),
      ),
  },
  { script: "packet { @h = hist(udp.dport) }", expect: () => `@h: \n${log2Hist(all(udpDport))}\n` },
  {
    script: "packet { @lh[ip.proto] = lhist(ip.ttl, 0, 256, 64) }",
    expect: () => {
      const protos = [...new Set(all(ipProto))];
      const groups = protos.map((p) => ({ p, vals: frames.filter((f) => ipProto(f.d) === p).map((f) => ipTtl(f.d)) }));
      groups.sort((a, b) => a.vals.length - b.vals.length || a.p - b.p);
      return groups.map((g) => `@lh[${g.p}]: \n${linHist(g.vals, 0, 256, 64)}`).join("\n") + "\n";
    },
  },
  {
    script: "packet { @hk[eth.type] = hist(len) }",
    expect: () => {
      const types = [...new Set(all(ethType))];
      const groups = types.map((t) => ({ t, vals: frames.filter((f) => ethType(f.d) === t).map((f) => f.d.length) }));
      groups.sort((a, b) => a.vals.length - b.vals.length || a.t - b.t);
      return groups.map((g) => `@hk[${g.t}]: \n${log2Hist(g.vals)}`).join("\n") + "\n";
    },
  },
  {
    script: "packet /ip.proto != 0/ { @first = min(ip.ttl) }",
    expect: () => scalar("first", Math.min(...where((d) => ipProto(d) !== 0).map((f) => ipTtl(f.d)))),
  },
  {
    script: "packet /ip.proto == 6/ { @bytes[tcp.sport, tcp.dport] = sum(len) }",
    expect: () =>
      keyed(
        "bytes",
        tally(frames, (d) => (ipProto(d) === 6 ? [tcpSport(d), tcpDport(d)] : undefined), len),
      ),
  },
  { script: "packet { $t = 64; @d = sum($t - 65) }", expect: () => scalar("d", -frames.length) },
  {
    // signed keys: both arms of ?: are signed literals
    script: "packet { @side[ip.ttl > 100 ? 1 : -1] = count() }",
    expect: () =>
      keyed(
        "side",
        tally(frames, (d) => [ipTtl(d) > 100 ? 1 : -1]),
      ),
  },
  {
    // a signed average, truncated toward zero
    script: "packet { @mean = avg(ip.ttl > 100 ? 5 : -30) }",
    expect: () => statsScalar("mean", Math.trunc(sum(all((d) => (ipTtl(d) > 100 ? 5 : -30))) / frames.length)),
  },
  { script: "packet { @x = count(); if (@x == 10) { exit() } }", expect: () => scalar("x", 10) },
  {
    script: "packet { @parity[len & 1] = count() }",
    expect: () =>
      keyed(
        "parity",
        tally(frames, (d) => [d.length & 1]),
      ),
  },
  {
    script: "packet { @sh[len >> 8] = count() }",
    expect: () =>
      keyed(
        "sh",
        tally(frames, (d) => [d.length >> 8]),
      ),
  },
  { script: "packet { @xor = sum(len ^ 0xff) }", expect: () => scalar("xor", sum(all((d) => d.length ^ 0xff))) },
  {
    script: "packet { @or[ip.ttl | 1] = count() }",
    expect: () =>
      keyed(
        "or",
        tally(frames, (d) => [ipTtl(d) | 1]),
      ),
  },
  {
    script: "packet { @not[!(ip.proto == 6)] = count() }",
    expect: () =>
      keyed(
        "not",
        tally(frames, (d) => [ipProto(d) === 6 ? 0 : 1]),
      ),
  },
  { script: "packet { @bits = sum(~len & 0xff) }", expect: () => scalar("bits", sum(all((d) => ~d.length & 0xff))) },
  {
    script: "interval:s:1 { @ticks = count() } packet { @n = count() }",
    expect: () =>
      scalar("n", frames.length) +
      scalar("ticks", Number((frames[frames.length - 1].ns - frames[0].ns) / 1_000_000_000n)),
  },
  {
    script: "packet { @u[pkt.u8[0] % 4] = count() }",
    expect: () =>
      keyed(
        "u",
        tally(frames, (d) => [u8(d, 0) % 4]),
      ),
  },
  { script: "packet { unroll(3) { @r = sum(1) } }", expect: () => scalar("r", 3 * frames.length) },
  { script: "packet { @e = max(elapsed) }", expect: () => scalar("e", frames[frames.length - 1].ns - frames[0].ns) },
  {
    script: "packet { @ip[ntop(ip.src)] = max(ip.ttl) }",
    expect: () => {
      const m = new Map<string, { key: number[]; value: number }>();
      for (const f of frames) {
        const k = JSON.stringify([ipSrc(f.d)]);
        const e = m.get(k);
        if (!e || e.value < ipTtl(f.d)) m.set(k, { key: [ipSrc(f.d)], value: ipTtl(f.d) });
      }
      return keyed("ip", m, (k) => dotted(k[0] as number));
    },
  },
  {
    script: "packet /len > 100/ { @c = count() } END { print(@c); clear(@c) }",
    printed: () => scalar("c", where((d) => d.length > 100).length),
    expect: () => "\n",
  },
  { script: "BEGIN { @z = 5 } END { zero(@z) }", expect: () => scalar("z", 0) },
  {
    script:
      'packet /ip.proto == 17/ { printf("%s:%d -> %s:%d\\n", ntop(ip.src), udp.sport, ntop(ip.dst), udp.dport); @n++; if (@n == 5) { exit() } }',
    printed: () =>
      where((d) => ipProto(d) === 17)
        .slice(0, 5)
        .map((f) => `${dotted(ipSrc(f.d))}:${udpSport(f.d)} -> ${dotted(ipDst(f.d))}:${udpDport(f.d)}\n`)
        .join(""),
    expect: () => scalar("n", 5),
  },
  {
    script: "packet { @t[tcp.dport == 80 || tcp.sport == 80] = count() }",
    expect: () =>
      keyed(
        "t",
        tally(frames, (d) => [tcpDport(d) === 80 || tcpSport(d) === 80 ? 1 : 0]),
      ),
  },
  {
    script: "packet { @v[ip.len - len + 14] = count() }",
    expect: () =>
      keyed(
        "v",
        tally(frames, (d) => [BigInt.asUintN(64, BigInt(ipLen(d) - d.length + 14))]),
      ),
  },
  // strings as keys and values
  {
    script:
      'packet { if (ip.proto == 6) { @p["tcp"] = count() } else { @p["other"] = count() } @s = "seen"; @k[ip.proto, "x"] = sum(1) }',
    expect: () =>
      keyed(
        "k",
        tally(frames, (d) => [ipProto(d), "x"]),
      ) +
      keyed(
        "p",
        tally(frames, (d) => [ipProto(d) === 6 ? "tcp" : "other"]),
      ) +
      scalar("s", "seen"),
  },
  // BEGIN and END probes that print constants: an ARM32 executable prints them itself
  {
    script:
      'BEGIN { printf("Tracing... Hit Ctrl-C to end.\\n") } packet { @[ip.proto] = count() } END { printf("%s %d|%-4x|%c|%05d|%u\\n", "done", 42, 255, 65, 7, 3) }',
    printed: () => "Tracing... Hit Ctrl-C to end.\ndone 42|ff  |A|00007|3\n",
    expect: () => keyed("", tally(frames, one(ipProto))),
  },
  {
    script:
      'packet { @n = count(); if (len > 100000) { @big = count() } } END { printf("%u big, %x frames, %d|\\n", @big, @n, @n) }',
    printed: () => `0 big, ${frames.length.toString(16)} frames, ${frames.length}|\n`,
    expect: () => "\n" + scalar("n", frames.length),
  },
  {
    script: 'BEGIN { printf("a\\n") } BEGIN { printf("b %x\\n", 3054) } packet /ip.proto == 17/ { @u = count() }',
    printed: () => "a\nb bee\n",
    expect: () => scalar("u", where((d) => ipProto(d) === 17).length),
  },
];
