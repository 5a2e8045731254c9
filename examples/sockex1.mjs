#!/usr/bin/env node
// The classic sockex1 example (Linux samples/bpf): a socket filter counts bytes per IP protocol in an array map,
// and the user side prints the TCP, UDP and ICMP totals. Here the packets come from a capture file instead of a
// live socket, and the filter runs in tinybpf instead of the kernel.
//
//   node examples/sockex1.mjs [OBJ] [CAPTURE]
import { readFileSync } from "node:fs";
import { load, readCapture } from "../dist/src/index.js";

const objPath = process.argv[2] ?? new URL("../test/fixtures/sockex1.o", import.meta.url).pathname;
const capPath = process.argv[3] ?? new URL("../test/fixtures/pcap/sockex1.pcap", import.meta.url).pathname;

const obj = await load(objPath);
const prog = obj.program("bpf_prog1");
const packets = readCapture(readFileSync(capPath), capPath);
for (const p of packets) prog.run({ packet: p.data });

const table = obj.get("my_map");
const IPPROTO_TCP = 6,
  IPPROTO_UDP = 17,
  IPPROTO_ICMP = 1;
const tcp = table.lookup(IPPROTO_TCP),
  udp = table.lookup(IPPROTO_UDP),
  icmp = table.lookup(IPPROTO_ICMP);
console.log(`${packets.length} packets through ${prog.name} (${prog.type}) on the ${obj.engineName} engine`);
console.log(`TCP ${tcp} UDP ${udp} ICMP ${icmp} bytes`);
