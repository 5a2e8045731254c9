// Packet captures: read classic pcap and pcapng files into a flat list of packets, and write them back (the
// writers exist for tests and fixtures). Only what a packet-filter demo needs: packet bytes, lengths, timestamps,
// link type. Everything malformed ends in a CaptureError that names the file and the byte offset, and every
// loop advances by at least one fixed-size header, so a hostile file cannot make the reader hang.

export interface Packet {
  data: Uint8Array; // the captured bytes (may be shorter than origLen when the capture had a snap length)
  origLen: number; // length of the packet on the wire
  tsSec: number; // timestamp, seconds since the epoch
  tsNsec: number; // nanoseconds within that second
  linkType: number; // LINKTYPE_* (1 = Ethernet)
  ifIndex?: number; // pcapng only: the interface (Interface Description Block number within its section)
}

/** What the writers need: the bytes, the rest defaults (origLen = data length, time 0, Ethernet). */
export interface PacketInput {
  data: Uint8Array;
  origLen?: number;
  tsSec?: number;
  tsNsec?: number;
  linkType?: number;
}

export class CaptureError extends Error {
  constructor(fileName: string, offset: number, what: string) {
    super(`${fileName}: ${what} at offset ${offset}`);
    this.name = "CaptureError";
  }
}

export const LINKTYPE_ETHERNET = 1;

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_HEADER_SIZE = 24;
export const PCAP_RECORD_SIZE = 16;

export const PCAPNG_SHB = 0x0a0d0d0a; // reads the same in both byte orders, which is why it can come first
const PCAPNG_IDB = 0x00000001;
const PCAPNG_SPB = 0x00000003;
const PCAPNG_EPB = 0x00000006;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAPNG_BLOCK_MIN = 12; // type, total length, trailing total length
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

const NSEC_PER_SEC = 1_000_000_000n;

export function readCapture(bytes: Uint8Array, fileName: string): Packet[] {
  const packets: Packet[] = [];
  eachPacket(
    bytes,
    fileName,
    (start, end) => bytes.slice(start, end),
    (p) => packets.push(p),
  );
  return packets;
}

/**
 * Where each packet's bytes lie in `bytes`: offset, length, offset, length, ..., the whole capture checked as
 * readCapture checks it. For a caller that makes each packet's view as it uses it: keeping an object or two per
 * packet of a large capture makes the garbage collector copy them all, which costs more than running a filter.
 */
export function packetSpans(bytes: Uint8Array, fileName: string): number[] {
  const spans: number[] = [];
  // The typed-array constructor, not subarray(): V8's subarray looks up the species constructor at each call.
  const view = (start: number, end: number) => new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
  eachPacket(bytes, fileName, view, (p) => spans.push(p.data.byteOffset - bytes.byteOffset, p.data.length));
  return spans;
}

function eachPacket(bytes: Uint8Array, fileName: string, data: PacketData, sink: (p: Packet) => void): void {
  if (bytes.length < 4)
    throw new CaptureError(fileName, 0, `file too short for a capture magic (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLE = view.getUint32(0, true);
  if (magicLE === PCAPNG_SHB) return readPcapng(bytes, view, fileName, data, sink);
  for (const littleEndian of [true, false]) {
    const magic = view.getUint32(0, littleEndian);
    if (magic === PCAP_MAGIC_USEC || magic === PCAP_MAGIC_NSEC) {
      return readPcap(bytes, view, fileName, littleEndian, magic === PCAP_MAGIC_NSEC, data, sink);
    }
  }
  throw new CaptureError(fileName, 0, `unknown capture magic 0x${magicLE.toString(16).padStart(8, "0")}`);
}

/** A packet's bytes, [start, end) of the file. */
type PacketData = (start: number, end: number) => Uint8Array;

function readPcap(
  bytes: Uint8Array,
  view: DataView,
  fileName: string,
  le: boolean,
  nanosecond: boolean,
  data: PacketData,
  sink: (p: Packet) => void,
): void {
  if (bytes.length < PCAP_HEADER_SIZE) {
    throw new CaptureError(fileName, 0, `pcap file header truncated (${bytes.length} of ${PCAP_HEADER_SIZE} bytes)`);
  }
  const major = view.getUint16(4, le);
  if (major !== 2) throw new CaptureError(fileName, 4, `unsupported pcap version ${major}.${view.getUint16(6, le)}`);
  // The upper bits of the link-type field carry FCS information, not the link type.
  const linkType = view.getUint32(20, le) & 0xffff;
  let offset = PCAP_HEADER_SIZE;
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (left < PCAP_RECORD_SIZE) {
      throw new CaptureError(fileName, offset, `packet record header truncated (${left} of ${PCAP_RECORD_SIZE} bytes)`);
    }
    const tsSec = view.getUint32(offset, le);
    const tsFrac = view.getUint32(offset + 4, le);
    const capLen = view.getUint32(offset + 8, le);
    const origLen = view.getUint32(offset + 12, le);
    const dataStart = offset + PCAP_RECORD_SIZE;
    if (capLen > bytes.length - dataStart) {
      throw new CaptureError(
        fileName,
        offset,
        `captured length ${capLen} runs past the end of the file (${bytes.length - dataStart} bytes left)`,
      );
    }
    sink({
      data: data(dataStart, dataStart + capLen),
      origLen,
      tsSec,
      tsNsec: nanosecond ? tsFrac : tsFrac * 1000,
      linkType,
    });
    offset = dataStart + capLen;
  }
}

interface Interface {
  linkType: number;
  snapLen: number;
  unitsPerSec: bigint; // timestamp resolution (if_tsresol): timestamps count units of 1/unitsPerSec seconds
  tsOffsetSec: bigint; // if_tsoffset, added to every timestamp
}

function readPcapng(
  bytes: Uint8Array,
  view: DataView,
  fileName: string,
  data: PacketData,
  sink: (p: Packet) => void,
): void {
  let le = true;
  let interfaces: Interface[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (left < PCAPNG_BLOCK_MIN) {
      throw new CaptureError(fileName, offset, `block header truncated (${left} of ${PCAPNG_BLOCK_MIN} bytes)`);
    }
    const type = view.getUint32(offset, le);
    if (type === PCAPNG_SHB) {
      // A new section: its byte order comes from the byte-order magic, and its interfaces start afresh.
      const bom = view.getUint32(offset + 8, true);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (view.getUint32(offset + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else throw new CaptureError(fileName, offset + 8, `bad section byte-order magic 0x${bom.toString(16)}`);
      interfaces = [];
    }
    const length = view.getUint32(offset + 4, le);
    if (length < PCAPNG_BLOCK_MIN || length % 4 !== 0) {
      throw new CaptureError(fileName, offset, `bad block length ${length} (type 0x${type.toString(16)})`);
    }
    if (length > left) {
      throw new CaptureError(
        fileName,
        offset,
        `block length ${length} runs past the end of the file (${left} bytes left)`,
      );
    }
    if (view.getUint32(offset + length - 4, le) !== length) {
      throw new CaptureError(fileName, offset, `block trailing length does not match its leading length ${length}`);
    }
    const block: Block = { fileName, view, le, start: offset, body: offset + 8, end: offset + length - 4 };
    if (type === PCAPNG_SHB) checkSectionHeader(block);
    else if (type === PCAPNG_IDB) interfaces.push(readInterface(block));
    else if (type === PCAPNG_EPB) sink(readEnhancedPacket(block, interfaces, data));
    else if (type === PCAPNG_SPB) sink(readSimplePacket(block, interfaces, data));
    // Any other block (name resolution, statistics, custom, ...) says nothing about packets: skip it.
    offset += length;
  }
}

/** One pcapng block: [body, end) is the body between the two length fields. */
interface Block {
  fileName: string;
  view: DataView;
  le: boolean;
  start: number;
  body: number;
  end: number;
}

function needBody(block: Block, size: number, what: string): void {
  if (block.end - block.body < size) {
    throw new CaptureError(
      block.fileName,
      block.start,
      `${what} body too short (${block.end - block.body} of ${size} bytes)`,
    );
  }
}

function checkSectionHeader(block: Block): void {
  needBody(block, 16, "section header block");
  const major = block.view.getUint16(block.body + 4, block.le);
  if (major !== 1) throw new CaptureError(block.fileName, block.body + 4, `unsupported pcapng version ${major}`);
}

function readInterface(block: Block): Interface {
  needBody(block, 8, "interface description block");
  const { view, le } = block;
  const iface: Interface = {
    linkType: view.getUint16(block.body, le),
    snapLen: view.getUint32(block.body + 4, le),
    unitsPerSec: 1_000_000n,
    tsOffsetSec: 0n,
  };
  forEachOption(block, block.body + 8, (code, at, len) => {
    if (code === OPT_IF_TSRESOL && len >= 1) {
      // High bit clear: units of 10^-v seconds; set: units of 2^-(v & 0x7f) seconds.
      const v = view.getUint8(at);
      const power = BigInt(v & 0x7f);
      iface.unitsPerSec = v & 0x80 ? 1n << power : 10n ** power;
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      iface.tsOffsetSec = view.getBigInt64(at, le);
    }
  });
  return iface;
}

/** Options are (code u16, length u16, value padded to 4 bytes) up to opt_endofopt or the end of the block. */
function forEachOption(block: Block, from: number, visit: (code: number, at: number, len: number) => void): void {
  let at = from;
  while (block.end - at >= 4) {
    const code = block.view.getUint16(at, block.le);
    const len = block.view.getUint16(at + 2, block.le);
    if (code === OPT_ENDOFOPT) return;
    if (len > block.end - at - 4) {
      throw new CaptureError(block.fileName, at, `option ${code} length ${len} runs past the end of its block`);
    }
    visit(code, at + 4, len);
    at += 4 + pad4(len);
  }
}

function readEnhancedPacket(block: Block, interfaces: Interface[], data: PacketData): Packet {
  needBody(block, 20, "enhanced packet block");
  const { view, le, body } = block;
  const ifIndex = view.getUint32(body, le);
  const iface = interfaces[ifIndex];
  if (iface === undefined) {
    throw new CaptureError(
      block.fileName,
      body,
      `packet refers to interface ${ifIndex}, but the section has ${interfaces.length}`,
    );
  }
  const ts = (BigInt(view.getUint32(body + 4, le)) << 32n) | BigInt(view.getUint32(body + 8, le));
  const capLen = view.getUint32(body + 12, le);
  const origLen = view.getUint32(body + 16, le);
  const dataStart = body + 20;
  if (capLen > block.end - dataStart) {
    throw new CaptureError(
      block.fileName,
      body + 12,
      `captured length ${capLen} runs past the end of its block (${block.end - dataStart} bytes left)`,
    );
  }
  return {
    data: data(dataStart, dataStart + capLen),
    origLen,
    ...timestamp(ts, iface),
    linkType: iface.linkType,
    ifIndex,
  };
}

function readSimplePacket(block: Block, interfaces: Interface[], data: PacketData): Packet {
  needBody(block, 4, "simple packet block");
  const iface = interfaces[0];
  if (iface === undefined) {
    throw new CaptureError(block.fileName, block.start, "simple packet block before any interface description block");
  }
  const origLen = block.view.getUint32(block.body, block.le);
  const dataStart = block.body + 4;
  // The block does not store the captured length: it is the packet length, cut by the snap length and the block.
  let capLen = Math.min(origLen, block.end - dataStart);
  if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
  return {
    data: data(dataStart, dataStart + capLen),
    origLen,
    tsSec: 0,
    tsNsec: 0,
    linkType: iface.linkType,
    ifIndex: 0,
  };
}

function timestamp(units: bigint, iface: Interface): { tsSec: number; tsNsec: number } {
  const sec = units / iface.unitsPerSec;
  const nsec = ((units % iface.unitsPerSec) * NSEC_PER_SEC) / iface.unitsPerSec;
  return { tsSec: Number(sec + iface.tsOffsetSec), tsNsec: Number(nsec) };
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

// ---- writers ----

/** A classic pcap file. Every packet must have the same link type (the format has one per file). */
export function writePcap(
  packets: PacketInput[],
  opts: { nanosecond?: boolean; bigEndian?: boolean } = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const linkType = packets[0]?.linkType ?? LINKTYPE_ETHERNET;
  let size = PCAP_HEADER_SIZE;
  for (const p of packets) {
    if ((p.linkType ?? LINKTYPE_ETHERNET) !== linkType) {
      throw new Error(`writePcap: a classic pcap file holds one link type, got ${linkType} and ${p.linkType}`);
    }
    size += PCAP_RECORD_SIZE + p.data.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, opts.nanosecond ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, 262144, le); // snap length: tcpdump's default
  view.setUint32(20, linkType, le);
  let offset = PCAP_HEADER_SIZE;
  for (const p of packets) {
    const nsec = p.tsNsec ?? 0;
    view.setUint32(offset, p.tsSec ?? 0, le);
    view.setUint32(offset + 4, opts.nanosecond ? nsec : Math.floor(nsec / 1000), le);
    view.setUint32(offset + 8, p.data.length, le);
    view.setUint32(offset + 12, p.origLen ?? p.data.length, le);
    out.set(p.data, offset + PCAP_RECORD_SIZE);
    offset += PCAP_RECORD_SIZE + p.data.length;
  }
  return out;
}

/**
 * A pcapng file with one section, one interface per distinct link type (in order of first use, so a packet's
 * ifIndex on reading is its link type's position), nanosecond timestamps and Enhanced Packet Blocks.
 */
export function writePcapng(packets: PacketInput[], opts: { bigEndian?: boolean } = {}): Uint8Array {
  const le = !opts.bigEndian;
  const linkTypes: number[] = [];
  for (const p of packets) {
    const lt = p.linkType ?? LINKTYPE_ETHERNET;
    if (!linkTypes.includes(lt)) linkTypes.push(lt);
  }
  const blocks: Uint8Array[] = [];
  blocks.push(
    block(PCAPNG_SHB, 16, le, (v) => {
      v.setUint32(0, PCAPNG_BYTE_ORDER_MAGIC, le);
      v.setUint16(4, 1, le);
      v.setUint16(6, 0, le);
      v.setBigInt64(8, -1n, le); // section length not given
    }),
  );
  for (const lt of linkTypes) {
    // link type, reserved, snap length, if_tsresol = 9 (nanoseconds), opt_endofopt
    blocks.push(
      block(PCAPNG_IDB, 8 + 8 + 4, le, (v) => {
        v.setUint16(0, lt, le);
        v.setUint32(4, 262144, le);
        v.setUint16(8, OPT_IF_TSRESOL, le);
        v.setUint16(10, 1, le);
        v.setUint8(12, 9);
      }),
    );
  }
  for (const p of packets) {
    const ts = BigInt(p.tsSec ?? 0) * NSEC_PER_SEC + BigInt(p.tsNsec ?? 0);
    blocks.push(
      block(PCAPNG_EPB, 20 + pad4(p.data.length), le, (v, body) => {
        v.setUint32(0, linkTypes.indexOf(p.linkType ?? LINKTYPE_ETHERNET), le);
        v.setUint32(4, Number(ts >> 32n), le);
        v.setUint32(8, Number(ts & 0xffffffffn), le);
        v.setUint32(12, p.data.length, le);
        v.setUint32(16, p.origLen ?? p.data.length, le);
        body.set(p.data, 20);
      }),
    );
  }
  return concat(blocks);
}

function block(
  type: number,
  bodySize: number,
  le: boolean,
  fill: (body: DataView, bytes: Uint8Array) => void,
): Uint8Array {
  const length = PCAPNG_BLOCK_MIN + bodySize;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, le);
  view.setUint32(4, length, le);
  view.setUint32(length - 4, length, le);
  fill(new DataView(out.buffer, 8, bodySize), out.subarray(8, 8 + bodySize));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
