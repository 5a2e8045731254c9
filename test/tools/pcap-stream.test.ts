// The streaming pcap reader (live captures read from `tcpdump -w -`): cut anywhere, a stream yields exactly the
// packets the file reader finds in the same bytes; bad streams end in a CaptureError naming the offset.
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { PcapStream, MAX_RECORD_BYTES } from "../../src/tools/pcap-stream.js";
import { readCapture, writePcap, writePcapng, type Packet } from "../../src/tools/pcap.js";
import { fixture } from "../support/paths.js";

/** Feeds `bytes` in pieces whose sizes come from a small deterministic generator. */
function streamed(bytes: Uint8Array, seed: number, maxPiece: number): Packet[] {
  const s = new PcapStream("pipe");
  const out: Packet[] = [];
  let x = seed;
  for (let at = 0; at < bytes.length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = 1 + (x % maxPiece);
    out.push(...s.push(bytes.subarray(at, at + n)));
    at += n;
  }
  s.end();
  return out;
}

describe("PcapStream", () => {
  const file = new Uint8Array(readFileSync(fixture("pcap/sockex1.pcap")));
  test("any cut of a capture gives the file reader's packets", () => {
    const want = readCapture(file, "f");
    for (const [seed, piece] of [
      [1, 1],
      [2, 7],
      [3, 64],
      [4, 5000],
      [5, file.length],
    ])
      expect(streamed(file, seed, piece)).toEqual(want);
  });

  test("big-endian and nanosecond captures", () => {
    const packets = [
      { data: new Uint8Array([1, 2, 3]), tsSec: 7, tsNsec: 123456789 },
      { data: new Uint8Array(0), tsSec: 8, tsNsec: 5 },
    ];
    for (const opts of [{ bigEndian: true }, { nanosecond: true }, { bigEndian: true, nanosecond: true }]) {
      const bytes = writePcap(packets, opts);
      expect(streamed(bytes, 9, 11)).toEqual(readCapture(bytes, "f"));
    }
  });

  test("errors name what was wrong and where", () => {
    const push = (bytes: Uint8Array) => () => new PcapStream("pipe").push(bytes);
    expect(push(writePcapng([{ data: new Uint8Array(4) }]))).toThrow(
      "pipe: pcapng streams are not read live (tcpdump -w - writes classic pcap) at offset 0",
    );
    expect(push(new Uint8Array(24).fill(0x41))).toThrow("pipe: unknown capture magic 0x41414141 at offset 0");
    const huge = writePcap([{ data: new Uint8Array(8) }]);
    new DataView(huge.buffer).setUint32(24 + 8, MAX_RECORD_BYTES + 1, true);
    expect(push(huge)).toThrow(
      `pipe: captured length ${MAX_RECORD_BYTES + 1} exceeds ${MAX_RECORD_BYTES} at offset 24`,
    );
    const cut = new PcapStream("pipe");
    cut.push(file.subarray(0, 24 + 16 + 3));
    expect(() => cut.end()).toThrow("pipe: the stream ended inside a record (19 bytes) at offset 24");
    const empty = new PcapStream("pipe");
    empty.push(file.subarray(0, 10));
    expect(() => empty.end()).toThrow("pipe: the stream ended before the pcap file header at offset 0");
  });
});
