// printf in a packet probe on the ARM32 engine: the executable has no host to format a ring buffer record, but it
// carries bpf_trace_printk (targets/arm32/helpers/format.ts), which with OPT_TRACE_PRINTK writes to standard output
// at once. This plans the calls that print exactly what output.ts formatPrintf prints: trace_printk takes three
// arguments and prints at most 511 characters, and its format is written to the 512-byte stack, so one printf may
// become several calls, each a piece of the format (up to 128 bytes) rewritten to the kernel's conversions:
//   %d %i %u %x %X (any length modifier)  ->  %lld %llu %llx %llX: bpftrace prints every integer in 64 bits
//   %c with '0' and a width               ->  the zeros as text, then %c (the kernel pads characters with spaces)
//   %s of a string                        ->  %s of the string's 16 bytes on the stack
//   %s of ntop(x), without a width        ->  %u.%u.%u.%u of x's four bytes (no width: its length varies)
// The kernel refuses format characters that are not printable ASCII (tab and line breaks aside): such formats
// are refused here too, with a reason.
import { FORMAT_RE, type ScalarType } from "./check.js";

/** An argument of a trace_printk call: printf's argument `arg`, for an ntop address its byte `octet` (0: first). */
export interface PrintkArg {
  arg: number;
  octet?: number;
}

export interface PrintkCall {
  format: string;
  args: PrintkArg[];
}

const PRINTK_ARGS = 3;
const PRINTK_CHARS = 511;
/** A call's piece of the format is written to the BPF stack (512 bytes, the arguments' slots beside it). */
const FORMAT_BYTES = 128;
/** Widest text of a conversion without a width: a 64-bit decimal ("-9223372036854775808"), a 15-byte string. */
const INT_CHARS = 20;
const STR_CHARS = 15;
/** Widths above this are refused: a conversion must fit one call's 511 characters with room to spare. */
export const PRINTK_WIDTH_MAX = 255;

interface Atom {
  format: string;
  chars: number; // the most characters it prints
  args: PrintkArg[];
}

const printable = (ch: string) => (ch >= " " && ch <= "~") || (ch >= "\t" && ch <= "\r");

/** The trace_printk calls that print `format` with arguments of `types`, or why it cannot be done. */
export function printkCalls(format: string, types: ScalarType[]): PrintkCall[] | string {
  const atoms: Atom[] = [];
  const text = (s: string): string | undefined => {
    for (const ch of s) {
      if (!printable(ch)) return `the arm32 engine's printf cannot print the character ${JSON.stringify(ch)}`;
      atoms.push({ format: ch, chars: 1, args: [] });
    }
    return undefined;
  };
  let at = 0;
  let next = 0;
  for (const m of format.matchAll(FORMAT_RE)) {
    const bad = text(format.slice(at, m.index));
    if (bad) return bad;
    at = m.index + m[0].length;
    const [, left, width, , conv] = m;
    if (conv === "%") {
      atoms.push({ format: "%%", chars: 1, args: [] });
      continue;
    }
    const arg = next++;
    const w = Number(width || 0);
    if (w > PRINTK_WIDTH_MAX) return `the arm32 engine's printf takes widths up to ${PRINTK_WIDTH_MAX}`;
    const t = types[arg];
    if (t.t === "inet") {
      if (width) return "the arm32 engine's printf prints ntop() without a width";
      for (let octet = 0; octet < 4; octet++) {
        if (octet) atoms.push({ format: ".", chars: 1, args: [] });
        atoms.push({ format: "%u", chars: 3, args: [{ arg, octet }] });
      }
    } else if (t.t === "str") {
      atoms.push({ format: `%${left}${width}s`, chars: Math.max(w, STR_CHARS), args: [{ arg }] });
    } else if (conv === "c") {
      const zeros = !left && width.startsWith("0") && w > 1 ? "0".repeat(w - 1) : "";
      atoms.push({ format: zeros ? `${zeros}%c` : `%${left}${width}c`, chars: Math.max(w, 1), args: [{ arg }] });
    } else {
      const kernel = conv === "i" ? "d" : conv;
      atoms.push({ format: `%${left}${width}ll${kernel}`, chars: Math.max(w, INT_CHARS), args: [{ arg }] });
    }
  }
  const bad = text(format.slice(at));
  if (bad) return bad;
  // as many atoms per call as its three arguments, 511 characters and 128 bytes of format allow
  const calls: PrintkCall[] = [];
  let chars = 0;
  for (const a of atoms) {
    const last = calls[calls.length - 1];
    if (
      !last ||
      last.args.length + a.args.length > PRINTK_ARGS ||
      chars + a.chars > PRINTK_CHARS ||
      last.format.length + a.format.length > FORMAT_BYTES
    ) {
      calls.push({ format: a.format, args: [...a.args] });
      chars = a.chars;
    } else {
      last.format += a.format;
      last.args.push(...a.args);
      chars += a.chars;
    }
  }
  return calls;
}
