// Live packets for `iface:NAME` links. Node has no raw sockets, so the daemon reads what `tcpdump -w -` writes
// to a pipe (packet-buffered, immediate mode: a packet reaches the link as soon as the kernel hands it over) and
// runs the link's program on its own engine, over the module's own maps: tables, metrics and events see every
// packet. tcpdump is found on the daemon's PATH; its first error line (no such device, not permitted) becomes the
// link's fault.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CaptureStream } from "../tools/pcap-stream.js";
import type { Packet } from "../tools/pcap.js";
import { onPath, WatchedChild, type LiveCapture } from "./child.js";
import { HttpError, oneLine } from "./http.js";

export type { LiveCapture };

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash, no whitespace. */
const IFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

export function checkInterfaceName(name: string): void {
  if (!IFACE_NAME.test(name)) throw new HttpError(400, `'${name}' is not an interface name`);
  if (existsSync("/sys/class/net") && !existsSync(join("/sys/class/net", name))) {
    throw new HttpError(400, `no such interface '${name}'`);
  }
}

/** The tcpdump the daemon would run, or undefined. */
export const findTcpdump = (path?: string): string | undefined => onPath("tcpdump", path);

/**
 * In immediate mode the kernel's ring holds buffer / snap length frames: with tcpdump's defaults (2 MiB, 256 KiB)
 * that is 8, and a burst of 9 small packets loses some. 4 MiB of 64 KiB frames holds 64; a longer frame (only
 * loopback's 64 KiB MTU allows one) reaches the program cut at 65535 bytes.
 */
export const TCPDUMP_ARGS = (iface: string): string[] => [
  "-i",
  iface,
  "-U",
  "--immediate-mode",
  "-s",
  "65535",
  "-B",
  "4096",
  "-w",
  "-",
];

/**
 * Starts capturing on `iface`: `onPackets` gets each batch as it arrives, `onEnd` once, with an error message when
 * the capture failed (tcpdump could not start, refused the interface, or wrote something that is not pcap).
 */
export function captureLive(
  iface: string,
  onPackets: (packets: Packet[]) => void,
  onEnd: (error?: string) => void,
): LiveCapture {
  const tcpdump = findTcpdump();
  if (!tcpdump) {
    throw new HttpError(400, `iface links read packets from tcpdump, which is not on the daemon's PATH`);
  }
  const child = spawn(tcpdump, TCPDUMP_ARGS(iface), { stdio: ["ignore", "pipe", "pipe"] });
  const stream = new CaptureStream(`tcpdump -i ${iface}`, { live: true });
  const watch = new WatchedChild(child, "tcpdump", onEnd);
  child.stdout!.on("data", (chunk: Buffer) => {
    if (watch.ended) return;
    try {
      const packets = stream.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (packets.length) onPackets(packets);
    } catch (e) {
      watch.finish(oneLine(e));
      child.kill();
    }
  });
  child.on("close", (code, signal) => {
    if (watch.stopped) return watch.finish();
    // tcpdump prints "listening on ..." and packet counts to stderr: the error is the line that says tcpdump
    const why = watch.stderr
      .split("\n")
      .find((l) => /^tcpdump: /.test(l) && !/listening on/.test(l))
      ?.trim();
    if (code === 0) {
      try {
        const last = stream.end();
        if (last.length) onPackets(last);
        watch.finish();
      } catch (e) {
        watch.finish(oneLine(e));
      }
    } else watch.finish(why ?? `tcpdump ended with ${signal ?? `exit status ${code}`}`);
  });
  return watch;
}
