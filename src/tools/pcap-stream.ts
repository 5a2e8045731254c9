// A capture read as it arrives (`tinybpf trace --pcap -` fed by a pipe, tcpdump -w - ...): classic pcap gives its
// packets record by record, as soon as each is complete, so that a live pipe is traced while it runs and an
// interrupt (SIGINT) still finds every packet before it counted. pcapng, whose blocks depend on the interfaces
// described before them, is read whole at the end. Records are parsed by readCapture, the file reader, with the
// same checks; only a record cut by the end of the input is reported here, in its words.
import { CaptureError, readCapture, type Packet } from "./pcap.js";

const PCAP_HEADER_SIZE = 24;
const PCAP_RECORD_SIZE = 16;
const PCAPNG_SHB = 0x0a0d0d0a;

export class CaptureStream {
  private pending = new Uint8Array(0);
  private header?: Uint8Array; // classic pcap: the file header, put in front of each batch of records
  private littleEndian = true;
  private whole?: Uint8Array[]; // pcapng: the chunks, read at the end
  private consumed = 0; // bytes of the input already given out as packets (for error offsets)

  constructor(readonly fileName: string) {}

  /** The packets completed by `chunk`. */
  push(chunk: Uint8Array): Packet[] {
    if (this.whole) {
      this.whole.push(chunk);
      return [];
    }
    const joined = new Uint8Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    this.pending = joined;
    if (!this.header) {
      if (this.pending.length < 4) return [];
      const view = new DataView(this.pending.buffer);
      if (view.getUint32(0, true) === PCAPNG_SHB) {
        this.whole = [this.pending];
        return [];
      }
      if (this.pending.length < PCAP_HEADER_SIZE) return [];
      readCapture(this.pending.subarray(0, PCAP_HEADER_SIZE), this.fileName); // the magic and version, checked
      this.littleEndian = view.getUint32(0, true) >>> 16 === 0xa1b2;
      this.header = this.pending.slice(0, PCAP_HEADER_SIZE);
      this.pending = this.pending.slice(PCAP_HEADER_SIZE);
      this.consumed = PCAP_HEADER_SIZE;
    }
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, this.pending.byteLength);
    let complete = 0;
    while (this.pending.length - complete >= PCAP_RECORD_SIZE) {
      const capLen = view.getUint32(complete + 8, this.littleEndian);
      if (capLen > this.pending.length - complete - PCAP_RECORD_SIZE) break;
      complete += PCAP_RECORD_SIZE + capLen;
    }
    if (complete === 0) return [];
    const batch = new Uint8Array(PCAP_HEADER_SIZE + complete);
    batch.set(this.header);
    batch.set(this.pending.subarray(0, complete), PCAP_HEADER_SIZE);
    this.pending = this.pending.slice(complete);
    this.consumed += complete;
    return readCapture(batch, this.fileName);
  }

  /** The end of the input: the packets still held (pcapng: all of them); a cut record is an error. */
  end(): Packet[] {
    if (this.whole) {
      const all = new Uint8Array(this.whole.reduce((n, c) => n + c.length, 0));
      this.whole.reduce((at, c) => (all.set(c, at), at + c.length), 0);
      return readCapture(all, this.fileName);
    }
    if (!this.header) return readCapture(this.pending, this.fileName); // too short: readCapture's error
    const left = this.pending.length;
    if (left === 0) return [];
    if (left < PCAP_RECORD_SIZE) {
      throw new CaptureError(
        this.fileName,
        this.consumed,
        `packet record header truncated (${left} of ${PCAP_RECORD_SIZE} bytes)`,
      );
    }
    const capLen = new DataView(this.pending.buffer, this.pending.byteOffset).getUint32(8, this.littleEndian);
    throw new CaptureError(
      this.fileName,
      this.consumed,
      `captured length ${capLen} runs past the end of the file (${left - PCAP_RECORD_SIZE} bytes left)`,
    );
  }
}
