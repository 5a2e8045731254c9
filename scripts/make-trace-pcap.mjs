#!/usr/bin/env node
// Writes test/fixtures/pcap/trace-mix.pcap, the capture the trace tests run their one-liners over: 300 frames over
// about twelve seconds of IPv4 TCP (several ports, flag combinations, IP options on some), UDP, ICMP, ARP, IPv6,
// frames cut short inside their headers and runt frames, with varied TTLs and lengths. Deterministic (fixed-seed
// generator, fixed times), plain JavaScript with its own pcap writer, so it needs no build.
//
//   node scripts/make-trace-pcap.mjs

import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "pcap", "trace-mix.pcap");
const START_SEC = 1700000000;
const FRAMES = 300;

let seed = 0x2545f491;
function rand(n) {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}

const pick = (list) => list[rand(list.length)];
const ADDRS = [
  [10, 0, 0, 1],
  [10, 0, 0, 2],
  [192, 168, 1, 20],
  [172, 16, 5, 9],
  [8, 8, 8, 8],
];

function ether(type, payload) {
  const f = new Uint8Array(14 + payload.length);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  f[12] = type >> 8;
  f[13] = type & 255;
  f.set(payload, 14);
  return f;
}

function ipv4(proto, l4, ttl, options) {
  const ihl = 5 + options / 4;
  const total = ihl * 4 + l4.length;
  const p = new Uint8Array(total);
  p[0] = 0x40 | ihl;
  p[2] = total >> 8;
  p[3] = total & 255;
  p[8] = ttl;
  p[9] = proto;
  p.set(pick(ADDRS), 12);
  p.set(pick(ADDRS), 16);
  for (let i = 0; i < options; i++) p[20 + i] = 1; // NOP options
  p.set(l4, ihl * 4);
  return p;
}

function ports(n, sport, dport) {
  const p = new Uint8Array(n);
  p[0] = sport >> 8;
  p[1] = sport & 255;
  p[2] = dport >> 8;
  p[3] = dport & 255;
  return p;
}

function frame() {
  const kind = rand(20);
  const ttl = pick([1, 32, 63, 64, 128, 255]);
  const options = rand(6) === 0 ? 4 * (1 + rand(3)) : 0;
  if (kind < 9) {
    const tcp = ports(
      20 + rand(1200),
      pick([80, 443, 22, 40000 + rand(50)]),
      pick([80, 443, 22, 8080, 51000 + rand(20)]),
    );
    tcp[12] = 0x50;
    tcp[13] = pick([0x02, 0x12, 0x10, 0x18, 0x11, 0x04]);
    return ether(0x0800, ipv4(6, tcp, ttl, options));
  }
  if (kind < 14) {
    const n = 8 + rand(600);
    const udp = ports(n, pick([53, 123, 5353, 30000 + rand(100)]), pick([53, 123, 67, 4789]));
    udp[4] = n >> 8;
    udp[5] = n & 255;
    return ether(0x0800, ipv4(17, udp, ttl, options));
  }
  if (kind < 16) return ether(0x0800, ipv4(1, new Uint8Array(8 + rand(100)), ttl, options));
  if (kind === 16) return ether(0x0806, new Uint8Array(28));
  if (kind === 17) {
    const v6 = new Uint8Array(40 + rand(200));
    v6[0] = 0x60;
    v6[6] = 17;
    v6[7] = ttl;
    return ether(0x86dd, v6);
  }
  if (kind === 18) return ether(0x0800, ipv4(6, ports(20, 80, 80), ttl, 0)).subarray(0, 14 + rand(34)); // cut short
  return new Uint8Array(rand(14)).fill(0xee); // runt
}

const records = [];
let usec = 0;
for (let i = 0; i < FRAMES; i++) {
  usec += 1 + rand(80000);
  const data = frame();
  const rec = new Uint8Array(16 + data.length);
  const v = new DataView(rec.buffer);
  v.setUint32(0, START_SEC + Math.floor(usec / 1e6), true);
  v.setUint32(4, usec % 1e6, true);
  v.setUint32(8, data.length, true);
  v.setUint32(12, data.length, true);
  rec.set(data, 16);
  records.push(rec);
}
const header = new Uint8Array(24);
const hv = new DataView(header.buffer);
hv.setUint32(0, 0xa1b2c3d4, true);
hv.setUint16(4, 2, true);
hv.setUint16(6, 4, true);
hv.setUint32(16, 65535, true);
hv.setUint32(20, 1, true);
const total = records.reduce((n, r) => n + r.length, 24);
const out = new Uint8Array(total);
out.set(header);
let off = 24;
for (const r of records) {
  out.set(r, off);
  off += r.length;
}
writeFileSync(OUT, out);
console.log(`${OUT}: ${FRAMES} frames, ${total} bytes`);
