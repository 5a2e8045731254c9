// A capture read as it arrives: `tinybpf trace --pcap -` fed by a pipe, and the daemon's live links reading
// `tcpdump -w -`. Classic pcap gives its packets record by record, as soon as each is complete, so that a live pipe
// is traced while it runs and an interrupt (SIGINT) still finds every packet before it counted. pcapng, whose
// blocks depend on the interfaces described before them, is read whole at the end, or refused by a live reader,
// whose input never ends. Memory stays bounded by one record: a record longer than the largest snap length any
// capture tool writes is an error, not a reason to buffer without end.
import {
  CaptureError,
  PCAP_HEADER_SIZE,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
  PCAP_RECORD_SIZE,
  PCAPNG_SHB,
  readCapture,
  type Packet,
} from "./pcap.js";

/** libpcap's largest snap length (MAXIMUM_SNAPLEN): no capture tool writes a longer record. */
export const MAX_RECORD_BYTES = 262_144;

export class CaptureStream {
  private pending: Uint8Array = new Uint8Array(0);
  private consumed = 0; // bytes of the input already given out as packets (for error offsets)
  private le = true;
  private nanosecond = false;
  private linkType = -1; // -1 until the classic pcap file header has been read
  private whole?: Uint8Array[]; // pcapng: the chunks, read at the end

  /** `live`: the input never ends, so pcapng (only readable whole) is refused at once. */
  constructor(
    readonly fileName: string,
    private readonly opts: { live?: boolean } = {},
  ) {}

  /** The packets completed by `chunk`. */
  push(chunk: Uint8Array): Packet[] {
    if (this.whole) {
      this.whole.push(chunk.slice());
      return [];
    }
    this.pending = this.pending.length ? concat(this.pending, chunk) : chunk;
    const packets: Packet[] = [];
    let at = 0;
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, this.pending.byteLength);
    if (this.linkType < 0) {
      if (this.pending.length >= 4 && view.getUint32(0, true) === PCAPNG_SHB) {
        if (this.opts.live) {
          throw new CaptureError(this.fileName, 0, "pcapng is read only whole, not live (tcpdump -w - writes pcap)");
        }
        this.whole = [this.pending.slice()];
        this.pending = new Uint8Array(0);
        return [];
      }
      if (this.pending.length < PCAP_HEADER_SIZE) {
        this.pending = this.pending.slice();
        return [];
      }
      this.readHeader(view);
      at = PCAP_HEADER_SIZE;
    }
    while (this.pending.length - at >= PCAP_RECORD_SIZE) {
      const capLen = view.getUint32(at + 8, this.le);
      if (capLen > MAX_RECORD_BYTES) {
        throw new CaptureError(
          this.fileName,
          this.consumed + at,
          `captured length ${capLen} exceeds ${MAX_RECORD_BYTES}`,
        );
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
    this.consumed += at;
    this.pending = this.pending.slice(at); // a copy: the caller's chunk is not kept
    return packets;
  }

  /** The end of the input: the packets still held (pcapng: all of them); a cut record is an error. */
  end(): Packet[] {
    if (this.whole) {
      const all = new Uint8Array(this.whole.reduce((n, c) => n + c.length, 0));
      this.whole.reduce((at, c) => (all.set(c, at), at + c.length), 0);
      return readCapture(all, this.fileName);
    }
    if (this.linkType < 0) return readCapture(this.pending, this.fileName); // too short: the file reader's error
    const left = this.pending.length;
    if (left === 0) return [];
    if (left < PCAP_RECORD_SIZE) {
      throw new CaptureError(
        this.fileName,
        this.consumed,
        `packet record header truncated (${left} of ${PCAP_RECORD_SIZE} bytes)`,
      );
    }
    const capLen = new DataView(this.pending.buffer, this.pending.byteOffset).getUint32(8, this.le);
    throw new CaptureError(
      this.fileName,
      this.consumed,
      `captured length ${capLen} runs past the end of the file (${left - PCAP_RECORD_SIZE} bytes left)`,
    );
  }

  private readHeader(view: DataView): void {
    for (const le of [true, false]) {
      const magic = view.getUint32(0, le);
      if (magic === PCAP_MAGIC_USEC || magic === PCAP_MAGIC_NSEC) {
        const major = view.getUint16(4, le);
        if (major !== 2) {
          throw new CaptureError(this.fileName, 4, `unsupported pcap version ${major}.${view.getUint16(6, le)}`);
        }
        this.le = le;
        this.nanosecond = magic === PCAP_MAGIC_NSEC;
        this.linkType = view.getUint32(20, le) & 0xffff; // the upper bits carry FCS information
        return;
      }
    }
    const magic = view.getUint32(0, true).toString(16).padStart(8, "0");
    throw new CaptureError(this.fileName, 0, `unknown capture magic 0x${magic}`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
