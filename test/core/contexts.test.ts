import { describe, expect, it } from "vitest";
import {
  PACKET_HOST,
  PACKET_OUTGOING,
  SKB,
  SKB_SIZE,
  XDP_MD,
  XDP_MD_SIZE,
  skBuffContext,
  xdpContext,
} from "../../src/runtime/contexts.js";

/** C struct layout: each field at the next multiple of its alignment, the size rounded to the largest one. */
function layout(fields: [name: string, size: number, align: number][]): {
  offsets: Record<string, number>;
  size: number;
} {
  const offsets: Record<string, number> = {};
  let at = 0;
  let maxAlign = 1;
  for (const [name, size, align] of fields) {
    at = Math.ceil(at / align) * align;
    offsets[name] = at;
    at += size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { offsets, size: Math.ceil(at / maxAlign) * maxAlign };
}

// The declarations of uapi/linux/bpf.h, in order: __u32 is 4/4, __u64 8/8, __bpf_md_ptr 8/8 (aligned(8)),
// __u32 x[n] is 4n/4, and "__u8 tstamp_type; __u32 :24;" puts 3 padding bytes after the __u8.
const U32: [number, number] = [4, 4];
const SK_BUFF_DECL: [string, number, number][] = [
  ...[
    "len",
    "pkt_type",
    "mark",
    "queue_mapping",
    "protocol",
    "vlan_present",
    "vlan_tci",
    "vlan_proto",
    "priority",
    "ingress_ifindex",
    "ifindex",
    "tc_index",
  ].map((n): [string, number, number] => [n, ...U32]),
  ["cb", 20, 4],
  ...["hash", "tc_classid", "data", "data_end", "napi_id", "family", "remote_ip4", "local_ip4"].map(
    (n): [string, number, number] => [n, ...U32],
  ),
  ["remote_ip6", 16, 4],
  ["local_ip6", 16, 4],
  ["remote_port", 4, 4],
  ["local_port", 4, 4],
  ["data_meta", 4, 4],
  ["flow_keys", 8, 8],
  ["tstamp", 8, 8],
  ["wire_len", 4, 4],
  ["gso_segs", 4, 4],
  ["sk", 8, 8],
  ["gso_size", 4, 4],
  ["tstamp_type", 1, 1],
  ["(padding :24)", 3, 1],
  ["hwtstamp", 8, 8],
];

const u32At = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

function ethernetFrame(etherType: number, length: number): Uint8Array {
  const f = new Uint8Array(length);
  f[12] = etherType >>> 8;
  f[13] = etherType & 0xff;
  return f;
}

describe("struct __sk_buff", () => {
  it("has the offsets and size that the C layout rules give for the uapi declaration", () => {
    const { offsets, size } = layout(SK_BUFF_DECL);
    delete offsets["(padding :24)"];
    expect(SKB).toEqual(offsets);
    expect(SKB_SIZE).toBe(size);
    expect(SKB_SIZE).toBe(192);
  });

  it("matches offsets that compiled programs hard-code", () => {
    // As they appear in the kernel's own test programs: skb->data is 0x4c, data_end 0x50, cb[0] 0x30.
    expect([SKB.data, SKB.data_end, SKB.cb, SKB.protocol, SKB.mark]).toEqual([0x4c, 0x50, 0x30, 0x10, 0x08]);
  });

  it("is filled from the packet for a socket filter", () => {
    const frame = ethernetFrame(0x0800, 98);
    const { bytes, writable } = skBuffContext(frame, { dataAddr: 0x30000, ifindex: 3 });
    expect(bytes.length).toBe(192);
    expect(u32At(bytes, 0)).toBe(98); // len
    expect(u32At(bytes, 4)).toBe(4); // pkt_type = PACKET_OUTGOING
    expect(Array.from(bytes.subarray(16, 20))).toEqual([0x08, 0x00, 0, 0]); // protocol, as in the frame
    expect(u32At(bytes, 16)).toBe(0x0008); // what a program reads: htons(ETH_P_IP) on a little-endian machine
    expect(u32At(bytes, 36)).toBe(0); // ingress_ifindex: none for an outgoing packet
    expect(u32At(bytes, 40)).toBe(3); // ifindex
    expect(u32At(bytes, 76)).toBe(0x30000); // data
    expect(u32At(bytes, 80)).toBe(0x30000 + 98); // data_end
    expect(u32At(bytes, 140)).toBe(0x30000); // data_meta
    expect(Array.from(bytes.subarray(48, 68))).toEqual(new Array(20).fill(0)); // cb[] starts zeroed
    expect(writable).toEqual([[48, 68]]); // cb[0..4] only
  });

  it("takes pkt_type and protocol from the options", () => {
    const frame = ethernetFrame(0x86dd, 60);
    const { bytes } = skBuffContext(frame, { dataAddr: 0x1000, pktType: PACKET_HOST, protocol: 0x0806 });
    expect(u32At(bytes, 4)).toBe(0);
    expect(Array.from(bytes.subarray(16, 20))).toEqual([0x08, 0x06, 0, 0]);
    expect(u32At(bytes, 36)).toBe(1); // received: ingress_ifindex is the device
    expect(PACKET_OUTGOING).toBe(4);
  });

  it("gives protocol 0 for a frame too short to hold an EtherType", () => {
    const { bytes } = skBuffContext(Uint8Array.of(1, 2, 3), { dataAddr: 16 });
    expect(u32At(bytes, 16)).toBe(0);
    expect(u32At(bytes, 80)).toBe(19);
  });

  it("refuses a packet that does not fit below 4 GiB", () => {
    expect(() => skBuffContext(new Uint8Array(16), { dataAddr: 0xfffffff8 })).toThrow(RangeError);
    expect(() => skBuffContext(new Uint8Array(16), { dataAddr: -1 })).toThrow(RangeError);
  });
});

describe("struct xdp_md", () => {
  it("has six __u32 fields in declaration order", () => {
    const { offsets, size } = layout(
      ["data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex"].map((n) => [n, 4, 4]),
    );
    expect(XDP_MD).toEqual(offsets);
    expect(XDP_MD_SIZE).toBe(size);
  });

  it("is filled from the packet and is read-only", () => {
    const { bytes, writable } = xdpContext(new Uint8Array(64), { dataAddr: 0x40000, ifindex: 2, rxQueue: 5 });
    expect(Array.from({ length: 6 }, (_, i) => u32At(bytes, i * 4))).toEqual([0x40000, 0x40040, 0x40000, 2, 5, 0]);
    expect(writable).toEqual([]);
  });

  it("defaults to interface 1, queue 0", () => {
    const { bytes } = xdpContext(new Uint8Array(1), { dataAddr: 8 });
    expect([u32At(bytes, 12), u32At(bytes, 16)]).toEqual([1, 0]);
  });
});
