// A run over a capture takes each packet as a view of the file's bytes, found through packetSpans: every capture
// form (classic pcap in either byte order, pcapng) must give the same packets as readCapture's copies, and a
// malformed capture the same error, before any packet runs.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { packetSpans, readCapture, writePcap } from "../../src/tools/pcap.js";
import { fixture } from "../support/paths.js";

const CAPTURES = ["sockex1.pcap", "sockex1-be-ns.pcap", "sockex1.pcapng", "trace-mix.pcap"];

describe("packetSpans", () => {
  it.each(CAPTURES)("%s: the spans are readCapture's packets, in order", (name) => {
    const bytes = new Uint8Array(readFileSync(fixture(`pcap/${name}`)));
    const copies = readCapture(bytes, name).map((p) => p.data);
    const spans = packetSpans(bytes, name);
    const views = [];
    for (let i = 0; i < spans.length; i += 2) views.push(bytes.subarray(spans[i], spans[i] + spans[i + 1]));
    expect(copies.length).toBeGreaterThan(0);
    expect(views).toEqual(copies);
  });

  it("spans are offsets into the bytes given, wherever those sit in their buffer", () => {
    const packets = Array.from({ length: 3000 }, (_, i) => ({
      data: Uint8Array.from({ length: i % 97 }, (_, k) => k ^ i),
    }));
    const file = writePcap(packets);
    const padded = new Uint8Array(file.length + 5);
    padded.set(file, 5);
    const bytes = padded.subarray(5);
    const spans = packetSpans(bytes, "many.pcap");
    expect(spans.length).toBe(2 * packets.length);
    for (let i = 0; i < packets.length; i++) {
      expect(bytes.subarray(spans[2 * i], spans[2 * i] + spans[2 * i + 1])).toEqual(packets[i].data);
    }
  });

  it("a truncated capture is refused as readCapture refuses it", () => {
    const file = writePcap([{ data: new Uint8Array(40) }, { data: new Uint8Array(40) }]);
    const cut = file.subarray(0, file.length - 3);
    expect(() => readCapture(cut, "cut.pcap")).toThrow("cut.pcap: captured length 40 runs past the end");
    expect(() => packetSpans(cut, "cut.pcap")).toThrow("cut.pcap: captured length 40 runs past the end");
  });
});
