// A classic pcap stream read as it arrives (what `tcpdump -w -` writes to a pipe): bytes are pushed in chunks of
// any size, whole packets come out. Memory stays bounded by one record: a record longer than the largest snap
// length any capture tool uses is an error, not a reason to buffer without end.
import {
  CaptureError,
  PCAP_HEADER_SIZE,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
  PCAP_RECORD_SIZE,
  PCAPNG_SHB,
  type Packet,
} from "./pcap.js";

/** libpcap's largest snap length (MAXIMUM_SNAPLEN): no capture tool writes a longer record. */
export const MAX_RECORD_BYTES = 262_144;

export class PcapStream {
  private pending: Uint8Array = new Uint8Array(0);
  private offset = 0; // bytes of the stream consumed so far, for error messages
  private le = true;
  private nanosecond = false;
  private linkType = -1; // -1 until the file header has been read

  constructor(private readonly name: string) {}

  /** Adds `chunk` to the stream and returns the packets it completes. */
  push(chunk: Uint8Array): Packet[] {
    this.pending = this.pending.length ? concat(this.pending, chunk) : chunk;
    const packets: Packet[] = [];
    let at = 0;
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, this.pending.byteLength);
    if (this.linkType < 0) {
      if (this.pending.length < PCAP_HEADER_SIZE) return packets;
      this.readHeader(view);
      at = PCAP_HEADER_SIZE;
    }
    while (this.pending.length - at >= PCAP_RECORD_SIZE) {
      const capLen = view.getUint32(at + 8, this.le);
      if (capLen > MAX_RECORD_BYTES) {
        throw new CaptureError(this.name, this.offset + at, `captured length ${capLen} exceeds ${MAX_RECORD_BYTES}`);
      }
      const start = at + PCAP_RECORD_SIZE;
      if (this.pending.length - start < capLen) break;
      const frac = view.getUint32(at + 4, this.le);
      packets.push({
        data: this.pending.slice(start, start + capLen),
        origLen: view.getUint32(at + 12, this.le),
        tsSec: view.getUint32(at, this.le),
        tsNsec: this.nanosecond ? frac : frac * 1000,
        linkType: this.linkType,
      });
      at = start + capLen;
    }
    this.offset += at;
    this.pending = this.pending.slice(at);
    return packets;
  }

  /** Called when the stream ends: a record cut short is an error, as it is in a file. */
  end(): void {
    if (this.linkType < 0) {
      throw new CaptureError(this.name, 0, "the stream ended before the pcap file header");
    }
    if (this.pending.length) {
      throw new CaptureError(this.name, this.offset, `the stream ended inside a record (${this.pending.length} bytes)`);
    }
  }

  private readHeader(view: DataView): void {
    if (view.getUint32(0, true) === PCAPNG_SHB) {
      throw new CaptureError(this.name, 0, "pcapng streams are not read live (tcpdump -w - writes classic pcap)");
    }
    for (const le of [true, false]) {
      const magic = view.getUint32(0, le);
      if (magic === PCAP_MAGIC_USEC || magic === PCAP_MAGIC_NSEC) {
        this.le = le;
        this.nanosecond = magic === PCAP_MAGIC_NSEC;
        const major = view.getUint16(4, le);
        if (major !== 2) throw new CaptureError(this.name, 4, `unsupported pcap version ${major}`);
        this.linkType = view.getUint32(20, le) & 0xffff; // the upper bits carry FCS information
        return;
      }
    }
    throw new CaptureError(this.name, 0, `unknown capture magic 0x${view.getUint32(0, true).toString(16)}`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
