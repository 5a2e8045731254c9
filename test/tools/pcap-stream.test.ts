// The capture read as it arrives (src/tools/pcap-stream.ts): however the input is cut into chunks, the packets are
// the file reader's, each given out as soon as its record is complete; a record cut by the end is an error naming
// its offset; pcapng is read whole at the end (or refused by a live reader); no record is longer than any snap
// length.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readCapture, writePcap, writePcapng, type Packet } from "../../src/tools/pcap.js";
import { CaptureStream, MAX_RECORD_BYTES } from "../../src/tools/pcap-stream.js";

const fixture = (name: string) => new Uint8Array(readFileSync(join(__dirname, "..", "fixtures", "pcap", name)));

function inChunks(bytes: Uint8Array, size: (k: number) => number): { packets: Packet[]; early: number[] } {
  const s = new CaptureStream("stdin");
  const packets: Packet[] = [];
  const early: number[] = []; // how many packets had come out after each chunk
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = Math.max(1, size(k));
    packets.push(...s.push(bytes.subarray(at, at + n)));
    early.push(packets.length);
    at += n;
  }
  packets.push(...s.end());
  return { packets, early };
}

describe("CaptureStream", () => {
  for (const name of ["trace-mix.pcap", "sockex1-be-ns.pcap", "sockex1.pcap"]) {
    test(`${name}: the file reader's packets, whatever the chunks`, () => {
      const bytes = fixture(name);
      const want = readCapture(bytes, name);
      for (const size of [() => 1, () => 7, (k: number) => (k * 37) % 300, () => bytes.length]) {
        expect(inChunks(bytes, size).packets).toEqual(want);
      }
    });
  }

  test("each packet as soon as its record is complete", () => {
    const bytes = fixture("trace-mix.pcap");
    const want = readCapture(bytes, "x");
    let end = 24;
    const ends = want.map((p) => (end += 16 + p.data.length));
    const s = new CaptureStream("stdin");
    expect(s.push(bytes.subarray(0, ends[0] - 1))).toEqual([]);
    expect(s.push(bytes.subarray(ends[0] - 1, ends[0]))).toEqual([want[0]]);
    expect(s.push(bytes.subarray(ends[0], ends[2]))).toEqual([want[1], want[2]]);
  });

  test("a record cut by the end of the input", () => {
    const bytes = fixture("trace-mix.pcap");
    const first = 24 + 16 + readCapture(bytes, "x")[0].data.length;
    const cutHeader = new CaptureStream("stdin");
    cutHeader.push(bytes.subarray(0, first + 10));
    expect(() => cutHeader.end()).toThrow(`stdin: packet record header truncated (10 of 16 bytes) at offset ${first}`);
    const cutData = new CaptureStream("stdin");
    cutData.push(bytes.subarray(0, first + 20));
    expect(() => cutData.end()).toThrow(
      /^stdin: captured length \d+ runs past the end of the file \(4 bytes left\) at offset \d+$/,
    );
    expect(() => new CaptureStream("stdin").push(new Uint8Array(24).fill(7))).toThrow(/unknown capture magic/);
  });

  test("pcapng: read whole at the end", () => {
    const bytes = fixture("sockex1.pcapng");
    const s = new CaptureStream("stdin");
    expect(s.push(bytes.subarray(0, 100))).toEqual([]);
    expect(s.push(bytes.subarray(100))).toEqual([]);
    expect(s.end()).toEqual(readCapture(bytes, "stdin"));
  });
});

describe("CaptureStream, live and bounded", () => {
  test("big-endian and nanosecond captures, cut anywhere", () => {
    const packets = [
      { data: new Uint8Array([1, 2, 3]), tsSec: 7, tsNsec: 123456789 },
      { data: new Uint8Array(0), tsSec: 8, tsNsec: 5 },
    ];
    for (const opts of [{ bigEndian: true }, { nanosecond: true }, { bigEndian: true, nanosecond: true }]) {
      const bytes = writePcap(packets, opts);
      expect(inChunks(bytes, (k) => 1 + ((k * 5) % 11)).packets).toEqual(readCapture(bytes, "f"));
    }
  });

  test("a live reader refuses pcapng at once; a record longer than any snap length is refused", () => {
    const live = new CaptureStream("pipe", { live: true });
    expect(() => live.push(writePcapng([{ data: new Uint8Array(4) }]))).toThrow(
      "pipe: pcapng is read only whole, not live (tcpdump -w - writes pcap) at offset 0",
    );
    const huge = writePcap([{ data: new Uint8Array(8) }]);
    new DataView(huge.buffer).setUint32(24 + 8, MAX_RECORD_BYTES + 1, true);
    expect(() => new CaptureStream("pipe").push(huge)).toThrow(
      `pipe: captured length ${MAX_RECORD_BYTES + 1} exceeds ${MAX_RECORD_BYTES} at offset 24`,
    );
    const empty = new CaptureStream("pipe");
    empty.push(new Uint8Array(10).fill(0xd4));
    expect(() => empty.end()).toThrow(/^pipe: /);
  });
});
