// What bench/throughput.mjs and its node side under armhf Node (bench/throughput-node.mjs) share: the fixture
// programs they run over a capture, how each takes a packet, and how a map's contents become the C loop's
// "INDEX=COUNT ..." line (bench/throughput-native.c), so that every engine is checked against the same counts.

export const THROUGHPUT_PROGRAMS = [
  { kind: "sockex1", object: "sockex1.o", prog: "bpf_prog1", map: "my_map", input: (f) => ({ packet: f }) },
  { kind: "bitehist", object: "bitehist.o", prog: "bitehist", map: "dist", input: (f) => f },
];

/** Counters as "INDEX=COUNT ..." from map entries (u32 key, u64 value), non-zero ones in key order. */
export function countersOf(entries) {
  const out = [];
  for (const { key, value } of entries) {
    const k = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
    const v = new DataView(value.buffer, value.byteOffset).getBigUint64(0, true);
    if (v) out.push([k, v]);
  }
  return out
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/**
 * Runs `p` over every packet on `engine` once (the counts), then times `reps` more passes: { counters, ns } with
 * ns the fastest pass per packet.
 */
export function passOverCapture(api, objectBytes, p, packets, engine, reps) {
  const obj = api.loadSync(objectBytes, { engine, fileName: p.object });
  const prog = obj.program(p.prog);
  const inputs = packets.map(p.input);
  const pass = () => {
    for (const input of inputs) prog.run(input);
  };
  pass();
  const counters = countersOf(obj.get(p.map).dump());
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    pass();
    best = Math.min(best, Number(process.hrtime.bigint() - t));
  }
  return { counters, ns: best / packets.length };
}
