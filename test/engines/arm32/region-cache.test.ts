// The inline memory checks' region cache (targets/arm32/image.ts S_RCACHE) stays valid from one run to the next,
// so it must never pass an access through a window that is no longer a region: the previous packet's bytes once
// the next packet is in place, a longer packet's tail in the same buffer after a shorter one arrived, a callee's
// frame after it returned or after a run ended inside it. Each program here reads exactly there in a later run or
// after the return; the interpreter faults, and so must the executable, at the same instruction with the same message.
import { describe, it, expect, beforeAll } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../../src/tools/asm.js";
import { writePcap } from "../../../src/tools/pcap.js";
import { Runtime } from "../../../src/runtime/runtime.js";
import { BpfFault, describeFault } from "../../../src/runtime/faults.js";
import { skBuffContext, xdpContext } from "../../../src/runtime/contexts.js";
import { buildArm32Executable, qemuCpu } from "../../../src/engines/arm32/build.js";
import { ensureArm32Translator } from "../../support/arm32.js";

let dir = "";
beforeAll(() => {
  ensureArm32Translator();
  dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-rcache-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

type Kind = "socket" | "xdp";

/** r0 of the last packet, or the fault line of the first that faults: the interpreter, packet by packet. */
function interpret(kind: Kind, code: Uint8Array, packets: Uint8Array[]): string {
  const rt = new Runtime();
  const prog = rt.addProgram("p", code, kind === "xdp" ? "xdp" : "socket");
  let r0 = 0n;
  try {
    for (const bytes of packets) {
      const buildCtx = (dataAddr: number) =>
        kind === "xdp" ? xdpContext(bytes, { dataAddr }) : skBuffContext(bytes, { dataAddr });
      r0 = rt.run(prog, { packet: { bytes }, buildCtx }).r0;
    }
  } catch (e) {
    if (e instanceof BpfFault) return describeFault(e.info);
    throw e;
  }
  return r0.toString();
}

/** The same through the executable over a capture of the packets (r0 of the last run, or its fault line). */
function arm(kind: Kind, code: Uint8Array, packets: Uint8Array[]): string {
  const tag = Math.random().toString(36).slice(2);
  const exe = join(dir, `exe-${tag}`);
  writeFileSync(exe, buildArm32Executable(code, kind === "xdp" ? { xdp: true } : { skb: true }));
  chmodSync(exe, 0o755);
  const pcap = join(dir, `cap-${tag}.pcap`);
  writeFileSync(pcap, writePcap(packets.map((data) => ({ data, ts: 0 }))));
  const r = spawnSync("qemu-arm", ["-cpu", qemuCpu(), exe, "--pcap", pcap], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 1) return r.stderr.trim();
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

const noAddress = (s: string) => s.replace(/at 0x[0-9a-f]+/, "at ADDR");
const packet = (length: number) => Uint8Array.from({ length }, (_, k) => (k * 7 + 3) & 0xff);

/** Both engines fault on the same instruction with the same message, an out-of-bounds read (or write). */
function expectSameFault(kind: Kind, source: string[], packets: Uint8Array[], insn: number, access = "read"): void {
  const code = assemble(source.join("\n"));
  const expected = interpret(kind, code, packets);
  expect(expected).toMatch(new RegExp(`^out-of-bounds ${access} of \\d bytes at .* \\(instruction ${insn}\\)$`));
  expect(noAddress(arm(kind, code, packets))).toBe(noAddress(expected));
}

describe("ARM32 region cache across runs and returns", () => {
  it("a socket filter cannot read the previous packet through the window it left", () => {
    // The first run keeps its packet's address in its frame (which the next run finds as it was left) and reads
    // the packet: the read window is that packet's. The second run reads through the kept address first: the
    // capture's packets lie one after the other, so the first packet is no region of the second run. The
    // interpreter places every packet at one address (the kept one is the current packet's there): this is the
    // executable's own layout, checked against the fault a read of the previous packet's first byte gives.
    const code = assemble(
      [
        "ldxdw %r2, [%r10-8]", // 0 in the first run (the state block starts zeroed)
        "jeq %r2, 0, +1",
        "ldxb %r0, [%r2+0]",
        "ldxw %r2, [%r1+76]", // data
        "stxdw [%r10-8], %r2",
        "ldxb %r0, [%r2+0]",
        "exit",
      ].join("\n"),
    );
    expect(arm("socket", code, [packet(60)])).toBe(String(packet(60)[0]));
    // the first packet's bytes and the second's 16-byte record header lie right before the second packet
    expect(arm("socket", code, [packet(200), packet(60)])).toBe(
      `out-of-bounds read of 1 bytes at packet-0x${(200 + 16).toString(16)} (instruction 2)`,
    );
  });

  it("an XDP program cannot write past a short packet in the buffer a longer one filled", () => {
    // every XDP run gets its private copy at the same address: only the length changes. The write window the
    // first run leaves is the longer packet's (the context reads in between replace the read window only).
    expectSameFault(
      "xdp",
      [
        "ldxw %r2, [%r1+0]", // data
        "ldxw %r3, [%r1+4]", // data_end
        "sub %r3, %r2",
        "jgt %r3, 100, +2",
        "stb [%r2+80], 1",
        "exit",
        "stb [%r2+0], 1",
        "exit",
      ],
      [packet(200), packet(60)],
      4,
      "write",
    );
  });

  it("a caller cannot read its callee's frame after the return", () => {
    const source = [
      "call local sub", // the callee reads its frame through a pointer: the stack's window, callee frame included
      "mov %r1, %r10",
      "add %r1, 8",
      "ldxb %r0, [%r1+0]", // 8 bytes above the caller's frame: the callee's, which has returned
      "exit",
      "sub: stdw [%r10-8], 5",
      "mov %r2, %r10",
      "add %r2, -8",
      "ldxdw %r0, [%r2+0]",
      "exit",
    ];
    expectSameFault("socket", source, [packet(60)], 3);
    expectSameFault("xdp", source, [packet(60)], 3);
  });

  it("a run cannot write the frame of a callee that an earlier run ended in", () => {
    // the first packet's run ends inside the callee (LD_ABS past the packet ends the program with r0 = 0) after a
    // write through a pointer into its frame, which is still counted in the stack region; the next run starts
    // with the entry frame alone and writes 8 bytes above it
    expectSameFault(
      "xdp",
      [
        "ldxw %r2, [%r1+0]",
        "ldxw %r3, [%r1+4]",
        "sub %r3, %r2",
        "jgt %r3, 100, +4",
        "mov %r1, %r10",
        "add %r1, 8",
        "stb [%r1+0], 1",
        "exit",
        "call local sub",
        "exit",
        "sub: mov %r2, %r10",
        "add %r2, -8",
        "stdw [%r2+0], 5",
        "ldabsb 1000",
        "exit",
      ],
      [packet(200), packet(60)],
      6,
      "write",
    );
  });

  it("windows that stay regions keep passing: context, packet and stack reads in every run agree", () => {
    // the counterpart of the faults above: the same kinds of reads inside the current regions, over packets of
    // several lengths, give the interpreter's r0 (the sum of bytes each run read, computed here too)
    const code = assemble(
      [
        "mov %r6, %r1",
        "call local sub", // the stack's window first, then the packet's
        "ldxw %r2, [%r6+0]",
        "ldxw %r3, [%r6+4]",
        "mov %r4, %r3",
        "sub %r4, %r2",
        "ldxb %r0, [%r2+0]",
        "ldxb %r5, [%r3-1]",
        "add %r0, %r5",
        "lsh %r4, 16",
        "or %r0, %r4",
        "exit",
        "sub: stdw [%r10-8], 1",
        "mov %r2, %r10",
        "add %r2, -8",
        "ldxdw %r0, [%r2+0]",
        "exit",
      ].join("\n"),
    );
    const packets = [packet(200), packet(60), packet(14), packet(1514), packet(61)];
    const last = packets[packets.length - 1];
    const expected = String(last[0] + last[last.length - 1] + (last.length << 16));
    expect(interpret("xdp", code, packets)).toBe(expected);
    expect(arm("xdp", code, packets)).toBe(expected);
  });
});
