// Helpers implemented on the host: formatted output (trace_printk, snprintf) and the identity of the "current
// task" that tracing helpers report (there is no kernel: the host supplies pid, uid and comm).
import { STATE, ST_PID_TGID, ST_UID_GID, ST_COMM } from "../../assembly/layout.js";
import { formatPrintk, formatSnprintf, FormatError } from "./printk.js";
import type { Runtime } from "./runtime.js";
import type { Core } from "./core.js";

export const HELPER_TRACE_PRINTK = 6;
export const HELPER_SNPRINTF = 165;

export interface HostOptions {
  /** Where bpf_trace_printk lines go (default: standard error). */
  printk?: (line: string) => void;
  /** Values returned by get_current_pid_tgid / get_current_uid_gid / get_current_comm. */
  pid?: number;
  tgid?: number;
  uid?: number;
  gid?: number;
  comm?: string;
}

/** Reads `size` bytes at `addr` if the program itself may read them; throws naming the address otherwise. */
function readChecked(core: Core, addr: bigint, size: number, what: string): Uint8Array {
  if (size < 0 || (size > 0 && !core.x.accessAllowed(addr, size, false))) {
    throw new Error(`${what}: ${size} bytes at 0x${addr.toString(16)} are not readable`);
  }
  return core.memory.slice(Number(addr), Number(addr) + size);
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

export function registerHostHelpers(rt: Runtime, options: HostOptions = {}): void {
  const core = rt.core;
  const v = core.view;
  const pid = options.pid ?? process.pid;
  const tgid = options.tgid ?? pid;
  v.setBigUint64(STATE + ST_PID_TGID, (BigInt(tgid) << 32n) | BigInt(pid), true);
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const gid = options.gid ?? process.getgid?.() ?? 0;
  v.setBigUint64(STATE + ST_UID_GID, (BigInt(gid) << 32n) | BigInt(uid), true);
  const comm = new TextEncoder().encode((options.comm ?? "tinybpf").slice(0, 15));
  core.memory.fill(0, STATE + ST_COMM, STATE + ST_COMM + 16);
  core.memory.set(comm, STATE + ST_COMM);

  const printk = options.printk ?? ((line: string) => process.stderr.write(line));
  const readString = (addr: bigint) => core.readString(addr);

  // long bpf_trace_printk(const char *fmt, u32 fmt_size, ...): at most three arguments.
  rt.registerHelper(HELPER_TRACE_PRINTK, ([fmtAddr, fmtSize, a1, a2, a3]) => {
    const fmt = cString(readChecked(core, fmtAddr, Number(fmtSize), "trace_printk format"));
    let line: string;
    try {
      line = formatPrintk(fmt, [a1, a2, a3], readString);
    } catch (e) {
      if (e instanceof FormatError) return -22n; // -EINVAL, as the kernel answers a format it refuses
      throw e;
    }
    printk(line);
    return BigInt(line.length);
  });

  // long bpf_snprintf(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len)
  rt.registerHelper(HELPER_SNPRINTF, ([out, outSize, fmtAddr, data, dataLen]) => {
    const n = Number(dataLen);
    if (n % 8 !== 0 || n > 12 * 8) return -22n; // -EINVAL, as the kernel
    const fmt = core.readString(fmtAddr);
    const raw = readChecked(core, data, n, "snprintf arguments");
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const args = Array.from({ length: n / 8 }, (_, i) => dv.getBigUint64(i * 8, true));
    let formatted: string;
    try {
      formatted = formatSnprintf(fmt, args, readString);
    } catch (e) {
      if (e instanceof FormatError) return -22n;
      throw e;
    }
    const text = new TextEncoder().encode(formatted);
    const size = Number(outSize);
    if (size > 0) {
      if (!core.x.accessAllowed(out, size, true))
        throw new Error(`snprintf: ${size} bytes at 0x${out.toString(16)} are not writable`);
      const len = Math.min(text.length, size - 1);
      core.memory.set(text.subarray(0, len), Number(out));
      core.memory[Number(out) + len] = 0;
    }
    return BigInt(text.length + 1); // bytes needed, NUL included
  });
}
