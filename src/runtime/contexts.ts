// Program contexts: the bytes r1 points at when a program starts, laid out exactly as Linux's uapi/linux/bpf.h
// declares them, because clang compiled the program's field accesses against that header. This file is the one
// place that describes these layouts; the runtime writes them into linear memory (ContextLayout: in place, no
// bytes of their own, for every run over a capture) and marks the writable ranges.
//
// The kernel never lets a program see the real struct sk_buff: it rewrites loads from struct __sk_buff into
// loads from the sk_buff. tinybpf has no sk_buff, so it materialises struct __sk_buff itself, with the fields a
// packet capture can give and zero elsewhere. Multi-byte fields are little-endian (the byte order of the device
// and of clang's bpfel target).

/** struct __sk_buff field offsets (uapi/linux/bpf.h). All fields are __u32 unless noted. */
export const SKB = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  protocol: 16, // skb->protocol: the EtherType in network byte order, zero-extended
  vlan_present: 20,
  vlan_tci: 24,
  vlan_proto: 28,
  priority: 32,
  ingress_ifindex: 36,
  ifindex: 40,
  tc_index: 44,
  cb: 48, // __u32 cb[5]
  hash: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  napi_id: 84,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100, // __u32[4]
  local_ip6: 116, // __u32[4]
  remote_port: 132,
  local_port: 136,
  data_meta: 140,
  flow_keys: 144, // pointer, 8 bytes, 8-byte aligned
  tstamp: 152, // __u64
  wire_len: 160,
  gso_segs: 164,
  sk: 168, // pointer, 8 bytes
  gso_size: 176,
  tstamp_type: 180, // __u8, then 24 bits of padding
  hwtstamp: 184, // __u64
} as const;
export const SKB_SIZE = 192;
export const SKB_CB_SIZE = 20;

/** struct xdp_md field offsets (uapi/linux/bpf.h), all __u32. */
export const XDP_MD = {
  data: 0,
  data_end: 4,
  data_meta: 8,
  ingress_ifindex: 12,
  rx_queue_index: 16,
  egress_ifindex: 20,
} as const;
export const XDP_MD_SIZE = 24;

/** skb->pkt_type values (uapi/linux/if_packet.h). */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;

/** A context's bytes and the [start, end) byte ranges of it that the program may write. */
export interface Context {
  bytes: Uint8Array;
  writable: [number, number][];
}

/** What a caller may say about a packet besides its bytes (Program.run's `{ packet, pktType, ifindex }`). */
export interface PacketOptions {
  pktType?: number; // struct __sk_buff only; default PACKET_OUTGOING, see skBuffContext
  ifindex?: number; // default 1
}

/**
 * A packet program's context as the runtime lays it out in place, in zeroed core memory right before a run: no
 * bytes of its own, so that a run over a capture allocates no context per packet.
 */
export interface ContextLayout {
  readonly size: number;
  /** The [start, end) byte ranges a program may write. */
  readonly writable: [number, number][];
  /** Writes the context's non-zero fields at `at` for `packet`, which sits at address `dataAddr`. */
  write(view: DataView, at: number, packet: Uint8Array, dataAddr: number, opts: PacketOptions | undefined): void;
}

export interface SkBuffOptions extends PacketOptions {
  dataAddr: number; // 32-bit address where the runtime places the packet bytes
  protocol?: number; // EtherType as a number (0x0800 for IPv4); default: the packet's own EtherType
}

/**
 * struct __sk_buff for a socket filter (BPF_PROG_TYPE_SOCKET_FILTER) seeing `packet`, an Ethernet frame.
 *
 * pkt_type defaults to PACKET_OUTGOING: the classic sockex1 sample counts only outgoing packets, and a capture
 * replayed through tinybpf should be counted whole; pass PACKET_HOST to model received traffic instead.
 * For an outgoing packet ingress_ifindex is 0, as the kernel leaves it for locally sent packets.
 *
 * Only cb[] is writable: the kernel's sk_filter_is_valid_access refuses socket-filter stores anywhere else.
 */
export function skBuffContext(packet: Uint8Array, opts: SkBuffOptions): Context {
  const bytes = new Uint8Array(SKB_SIZE);
  writeSkBuff(new DataView(bytes.buffer), 0, packet, opts.dataAddr, opts, opts.protocol);
  return { bytes, writable: skBuffLayout.writable.map(([a, b]) => [a, b]) };
}

export const skBuffLayout: ContextLayout = {
  size: SKB_SIZE,
  writable: [[SKB.cb, SKB.cb + SKB_CB_SIZE]],
  write: (view, at, packet, dataAddr, opts) => writeSkBuff(view, at, packet, dataAddr, opts, undefined),
};

function writeSkBuff(
  v: DataView,
  at: number,
  packet: Uint8Array,
  dataAddr: number,
  opts: PacketOptions | undefined,
  protocol: number | undefined,
): void {
  const dataEnd = packetEnd(packet, dataAddr);
  const pktType = opts?.pktType ?? PACKET_OUTGOING;
  const ifindex = opts?.ifindex ?? 1;
  v.setUint32(at + SKB.len, packet.length, true);
  v.setUint32(at + SKB.pkt_type, pktType >>> 0, true);
  // skb->protocol is a __be16: the two EtherType bytes in wire order, so a little-endian read of the field
  // gives 0x0008 for IPv4. Programs compare it with htons(ETH_P_IP), which is the same value.
  const etherType = protocol ?? (packet.length >= 14 ? (packet[12] << 8) | packet[13] : 0);
  v.setUint8(at + SKB.protocol, (etherType >>> 8) & 0xff);
  v.setUint8(at + SKB.protocol + 1, etherType & 0xff);
  v.setUint32(at + SKB.ingress_ifindex, pktType === PACKET_OUTGOING ? 0 : ifindex >>> 0, true);
  v.setUint32(at + SKB.ifindex, ifindex >>> 0, true);
  v.setUint32(at + SKB.data, dataAddr, true);
  v.setUint32(at + SKB.data_end, dataEnd, true);
  v.setUint32(at + SKB.data_meta, dataAddr, true); // no metadata in front of the packet: data_meta == data
  v.setUint32(at + SKB.wire_len, packet.length, true);
}

export interface XdpOptions {
  dataAddr: number; // 32-bit address where the runtime places the packet bytes
  ifindex?: number; // default 1
  rxQueue?: number; // default 0
}

/** struct xdp_md for an XDP program seeing `packet`. XDP programs may not write their context. */
export function xdpContext(packet: Uint8Array, opts: XdpOptions): Context {
  const bytes = new Uint8Array(XDP_MD_SIZE);
  writeXdpMd(new DataView(bytes.buffer), 0, packet, opts.dataAddr, opts.ifindex, opts.rxQueue);
  return { bytes, writable: [] };
}

export const xdpLayout: ContextLayout = {
  size: XDP_MD_SIZE,
  writable: [],
  write: (view, at, packet, dataAddr, opts) => writeXdpMd(view, at, packet, dataAddr, opts?.ifindex, undefined),
};

function writeXdpMd(
  v: DataView,
  at: number,
  packet: Uint8Array,
  dataAddr: number,
  ifindex: number | undefined,
  rxQueue: number | undefined,
): void {
  const dataEnd = packetEnd(packet, dataAddr);
  v.setUint32(at + XDP_MD.data, dataAddr, true);
  v.setUint32(at + XDP_MD.data_end, dataEnd, true);
  v.setUint32(at + XDP_MD.data_meta, dataAddr, true);
  v.setUint32(at + XDP_MD.ingress_ifindex, (ifindex ?? 1) >>> 0, true);
  v.setUint32(at + XDP_MD.rx_queue_index, (rxQueue ?? 0) >>> 0, true);
}

function packetEnd(packet: Uint8Array, dataAddr: number): number {
  const dataEnd = dataAddr + packet.length;
  if (!Number.isInteger(dataAddr) || dataAddr < 0 || dataEnd > 0xffffffff) {
    throw new RangeError(`packet of ${packet.length} bytes at address ${dataAddr} does not fit a 32-bit address space`);
  }
  return dataEnd;
}
