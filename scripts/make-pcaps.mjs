#!/usr/bin/env node
// Writes the sample captures in test/fixtures/pcap/ for the sockex1 demo (a socket filter that adds up packet
// bytes per IP protocol). Deterministic: a fixed-seed generator, fixed addresses and times, so running it again
// reproduces the committed files byte for byte. Plain JavaScript with its own small writers, so it runs without a
// build, and so the readers in src/tools/pcap.ts are checked against an independent writer.
//
//   node scripts/make-pcaps.mjs
//
// The same packets go into three files:
//   sockex1.pcap        classic pcap, little-endian, microsecond timestamps
//   sockex1-be-ns.pcap  classic pcap, big-endian, nanosecond timestamps
//   sockex1.pcapng      pcapng: section header, one Ethernet interface (if_tsresol = 6), enhanced packet
//                       blocks, and an interface statistics block at the end that readers skip
// Timestamps are whole microseconds, so all three hold exactly the same packets.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "pcap");

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const ETH_HLEN = 14;
const ETH_MIN_FRAME = 60; // shortest Ethernet frame without its FCS; shorter frames are padded
const ETH_MAX_FRAME = 1514;
const IP_PACKETS = 40;
const START_SEC = 1700000000;

// xorshift32: tiny, and the same sequence on every machine.
let seed = 0x5eed1234;
function random() {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed;
}
const randomBelow = (n) => random() % n;

const HOST_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const GATEWAY_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0xfe];
const HOST_IP = [192, 168, 7, 2];
const PEER_IPS = [
  [192, 168, 7, 1],
  [10, 1, 2, 3],
  [93, 184, 216, 34],
];

function checksum(bytes, start, end, initial = 0) {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += (bytes[i] << 8) | (i + 1 < end ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function put16(b, at, v) {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
}

function put32(b, at, v) {
  put16(b, at, v >>> 16);
  put16(b, at + 2, v & 0xffff);
}

function ethernet(frame, etherType) {
  frame.set(GATEWAY_MAC, 0);
  frame.set(HOST_MAC, 6);
  put16(frame, 12, etherType);
}

/** An outgoing Ethernet/IPv4 frame of frameLen bytes carrying a TCP, UDP or ICMP header and filler payload. */
function ipv4Frame(proto, frameLen, index) {
  const l4Header = proto === IPPROTO_TCP ? 20 : 8;
  const ipLen = Math.max(frameLen - ETH_HLEN, 20 + l4Header);
  const frame = new Uint8Array(Math.max(frameLen, ETH_MIN_FRAME));
  ethernet(frame, 0x0800);
  const ip = ETH_HLEN;
  frame[ip] = 0x45;
  put16(frame, ip + 2, ipLen);
  put16(frame, ip + 4, 0x1000 + index);
  put16(frame, ip + 6, 0x4000); // don't fragment
  frame[ip + 8] = 64;
  frame[ip + 9] = proto;
  frame.set(HOST_IP, ip + 12);
  frame.set(PEER_IPS[index % PEER_IPS.length], ip + 16);
  put16(frame, ip + 10, checksum(frame, ip, ip + 20));
  const l4 = ip + 20;
  const end = ip + ipLen;
  for (let i = l4 + l4Header; i < end; i++) frame[i] = (i * 7 + index) & 0xff;
  if (proto === IPPROTO_TCP) {
    put16(frame, l4, 40000 + index);
    put16(frame, l4 + 2, 443);
    put32(frame, l4 + 4, random());
    put32(frame, l4 + 8, random());
    frame[l4 + 12] = 5 << 4;
    frame[l4 + 13] = 0x18; // PSH, ACK
    put16(frame, l4 + 14, 64240);
  } else if (proto === IPPROTO_UDP) {
    put16(frame, l4, 50000 + index);
    put16(frame, l4 + 2, 9999);
    put16(frame, l4 + 4, ipLen - 20);
  } else {
    frame[l4] = 8; // echo request
    put16(frame, l4 + 4, 0x7462);
    put16(frame, l4 + 6, index);
  }
  if (proto === IPPROTO_ICMP) {
    put16(frame, l4 + 2, checksum(frame, l4, end));
  } else {
    // TCP and UDP checksums cover a pseudo header: addresses, protocol, segment length.
    let pseudo = proto + (ipLen - 20);
    for (let i = ip + 12; i < ip + 20; i += 2) pseudo += (frame[i] << 8) | frame[i + 1];
    const at = proto === IPPROTO_TCP ? l4 + 16 : l4 + 6;
    put16(frame, at, checksum(frame, l4, end, pseudo) || 0xffff);
  }
  return frame;
}

/** An ARP request from the host ("who has 192.168.7.1"), padded to the minimum frame. */
function arpFrame() {
  const frame = new Uint8Array(ETH_MIN_FRAME);
  ethernet(frame, 0x0806);
  frame.fill(0xff, 0, 6);
  put16(frame, 14, 1); // Ethernet
  put16(frame, 16, 0x0800);
  frame[18] = 6;
  frame[19] = 4;
  put16(frame, 20, 1); // request
  frame.set(HOST_MAC, 22);
  frame.set(HOST_IP, 28);
  frame.set(PEER_IPS[0], 38);
  return frame;
}

/** An IPv6 router solicitation from fe80::1 to ff02::2. */
function ipv6Frame() {
  const payload = 16;
  const frame = new Uint8Array(ETH_HLEN + 40 + payload);
  ethernet(frame, 0x86dd);
  frame.set([0x33, 0x33, 0, 0, 0, 2], 0);
  const ip = ETH_HLEN;
  frame[ip] = 0x60;
  put16(frame, ip + 4, payload);
  frame[ip + 6] = 58; // ICMPv6
  frame[ip + 7] = 255;
  frame.set([0xfe, 0x80], ip + 8);
  frame[ip + 23] = 1;
  frame.set([0xff, 0x02], ip + 24);
  frame[ip + 39] = 2;
  const icmp = ip + 40;
  frame[icmp] = 133; // router solicitation
  frame[icmp + 8] = 1; // option: source link-layer address, 8 bytes
  frame[icmp + 9] = 1;
  frame.set(HOST_MAC, icmp + 10);
  // The ICMPv6 checksum covers a pseudo header: both addresses, the payload length and the next header.
  let pseudo = payload + 58;
  for (let i = ip + 8; i < ip + 40; i += 2) pseudo += (frame[i] << 8) | frame[i + 1];
  put16(frame, icmp + 2, checksum(frame, icmp, icmp + payload, pseudo));
  return frame;
}

function makePackets() {
  const protos = [IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP];
  const frames = [];
  for (let i = 0; i < IP_PACKETS; i++) {
    const proto = protos[randomBelow(protos.length)];
    // Mostly small and full-size frames, as real traffic is, with the extremes included.
    const kind = i === 0 ? 0 : i === 1 ? 1 : randomBelow(4);
    const len =
      kind === 0
        ? ETH_MIN_FRAME
        : kind === 1
          ? ETH_MAX_FRAME
          : ETH_MIN_FRAME + randomBelow(ETH_MAX_FRAME - ETH_MIN_FRAME + 1);
    frames.push(ipv4Frame(proto, len, i));
  }
  frames.splice(7, 0, arpFrame());
  frames.splice(23, 0, ipv6Frame());
  let usec = 0;
  return frames.map((data) => {
    usec += 1 + randomBelow(250000);
    return { data, tsSec: START_SEC + Math.floor(usec / 1e6), tsUsec: usec % 1e6 };
  });
}

function writePcap(packets, { bigEndian, nanosecond }) {
  const le = !bigEndian;
  const out = new Uint8Array(24 + packets.reduce((n, p) => n + 16 + p.data.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, 65535, le);
  v.setUint32(20, 1, le); // LINKTYPE_ETHERNET
  let at = 24;
  for (const p of packets) {
    v.setUint32(at, p.tsSec, le);
    v.setUint32(at + 4, nanosecond ? p.tsUsec * 1000 : p.tsUsec, le);
    v.setUint32(at + 8, p.data.length, le);
    v.setUint32(at + 12, p.data.length, le);
    out.set(p.data, at + 16);
    at += 16 + p.data.length;
  }
  return out;
}

function pcapngBlock(type, body) {
  const padded = (body.length + 3) & ~3;
  const out = new Uint8Array(12 + padded);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, out.length, true);
  out.set(body, 8);
  v.setUint32(out.length - 4, out.length, true);
  return out;
}

function option(code, value) {
  const out = new Uint8Array(4 + ((value.length + 3) & ~3));
  const v = new DataView(out.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function writePcapng(packets) {
  const endOfOptions = new Uint8Array(4);
  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x1a2b3c4d, true);
  sv.setUint16(4, 1, true);
  sv.setBigInt64(8, -1n, true);
  const appl = option(4, new TextEncoder().encode("tinybpf make-pcaps")); // shb_userappl
  const idb = new Uint8Array(8);
  const iv = new DataView(idb.buffer);
  iv.setUint16(0, 1, true);
  iv.setUint32(4, 65535, true);
  const tsresol = option(9, Uint8Array.of(6)); // microseconds
  const blocks = [
    pcapngBlock(0x0a0d0d0a, concat([shb, appl, endOfOptions])),
    pcapngBlock(0x00000001, concat([idb, tsresol, endOfOptions])),
  ];
  for (const p of packets) {
    const head = new Uint8Array(20);
    const hv = new DataView(head.buffer);
    const ts = BigInt(p.tsSec) * 1000000n + BigInt(p.tsUsec);
    hv.setUint32(4, Number(ts >> 32n), true);
    hv.setUint32(8, Number(ts & 0xffffffffn), true);
    hv.setUint32(12, p.data.length, true);
    hv.setUint32(16, p.data.length, true);
    blocks.push(pcapngBlock(0x00000006, concat([head, p.data])));
  }
  // Interface statistics: interface 0, timestamp of the last packet, no options.
  const isb = new Uint8Array(12);
  const last = packets[packets.length - 1];
  const lastTs = BigInt(last.tsSec) * 1000000n + BigInt(last.tsUsec);
  new DataView(isb.buffer).setUint32(4, Number(lastTs >> 32n), true);
  new DataView(isb.buffer).setUint32(8, Number(lastTs & 0xffffffffn), true);
  blocks.push(pcapngBlock(0x00000005, isb));
  return concat(blocks);
}

const packets = makePackets();
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(join(OUT_DIR, "sockex1.pcap"), writePcap(packets, {}));
writeFileSync(join(OUT_DIR, "sockex1-be-ns.pcap"), writePcap(packets, { bigEndian: true, nanosecond: true }));
writeFileSync(join(OUT_DIR, "sockex1.pcapng"), writePcapng(packets));
console.log(`wrote ${packets.length} packets to sockex1.pcap, sockex1-be-ns.pcap and sockex1.pcapng in ${OUT_DIR}`);
