// Formatting for bpf_trace_printk and bpf_snprintf: the conversions the kernel's bpf_bprintf_prepare accepts,
// printed the way its bstr_printf prints them, so a program's messages read the same under tinybpf.
//
// Accepted: %% and %[flags][width]conv, flags from "0+- ", no precision, where conv is
//   d i u x X       with no modifier the argument is cast to 32 bits (signed for d/i), with l or ll to 64 bits
//                   (the kernel side is 64-bit, as clang's bpf target assumes)
//   c               the low byte of the argument
//   s  pks  pus     a NUL-terminated string read at the argument's address through readString
//   p  pK  px       the argument as a pointer: 16 zero-padded lowercase hex digits unless a width is given.
//                   The kernel hashes %p (and %pK) so as not to leak kernel addresses; tinybpf's addresses are
//                   offsets in its own memory, so it prints them as %px does.
//   ps  pS          a code address: "0x" and its hex digits, which is what the kernel prints when no symbol
//                   matches (tinybpf has no symbol table)
// Anything else (%pI4, %pB, %h..., precision, a stray %) is a FormatError naming the position, as the kernel
// refuses such a format with -EINVAL. The format ends at its first NUL, as the C string it is.

export class FormatError extends Error {
  constructor(fmt: string, position: number, what: string) {
    super(`format ${JSON.stringify(fmt)}: ${what} at position ${position}`);
    this.name = "FormatError";
  }
}

/** bpf_trace_printk writes into a MAX_BPRINTF_BUF (512) byte buffer: at most 511 characters and the NUL. */
export const TRACE_PRINTK_MAX_CHARS = 511;
const FIELD_WIDTH_MAX = (1 << 23) - 1; // vsprintf clamps wider fields

/** bpf_trace_printk's message: the formatted text, cut to what the kernel's buffer holds. */
export function formatPrintk(fmt: string, args: bigint[], readString: (addr: bigint) => string): string {
  return format(fmt, args, readString).slice(0, TRACE_PRINTK_MAX_CHARS);
}

/**
 * bpf_snprintf's text in full; the caller copies what fits its buffer (with the NUL) and returns the full length
 * plus one, as the helper does.
 */
export function formatSnprintf(fmt: string, args: bigint[], readString: (addr: bigint) => string): string {
  return format(fmt, args, readString);
}

interface Spec {
  left: boolean; // '-'
  zero: boolean; // '0'
  plus: boolean; // '+'
  space: boolean; // ' '
  width: number; // -1 when not given
}

function format(fullFmt: string, args: bigint[], readString: (addr: bigint) => string): string {
  const nul = fullFmt.indexOf("\0");
  const fmt = nul < 0 ? fullFmt : fullFmt.slice(0, nul);
  let out = "";
  let argIndex = 0;
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i];
    checkPrintable(fmt, i);
    if (ch !== "%") {
      out += ch;
      i++;
      continue;
    }
    if (fmt[i + 1] === "%") {
      out += "%";
      i += 2;
      continue;
    }
    const start = i;
    if (argIndex >= args.length) {
      throw new FormatError(fmt, start, `more conversions than the ${args.length} arguments`);
    }
    const arg = args[argIndex++];
    i++;
    const spec: Spec = { left: false, zero: false, plus: false, space: false, width: -1 };
    for (; "0+- ".includes(fmt[i] ?? "x"); i++) {
      if (fmt[i] === "-") spec.left = true;
      else if (fmt[i] === "0") spec.zero = true;
      else if (fmt[i] === "+") spec.plus = true;
      else spec.space = true;
    }
    if (fmt[i] >= "1" && fmt[i] <= "9") {
      let width = 0;
      for (; fmt[i] >= "0" && fmt[i] <= "9"; i++)
        width = Math.min(width * 10 + (fmt.charCodeAt(i) - 48), FIELD_WIDTH_MAX);
      spec.width = width;
    }
    if (spec.left) spec.zero = false;

    const conv = fmt[i];
    if (conv === "p") {
      const next = fmt[i + 1];
      if ((next === "k" || next === "u") && fmt[i + 2] === "s") {
        out += pad(readString(arg), spec);
        i += 3;
      } else if (next === "s" || next === "S") {
        out += pad("0x" + BigInt.asUintN(64, arg).toString(16), spec);
        i += 2;
      } else if (next === undefined || next === "K" || next === "x" || /[\s!-/:-@[-`{-~]/.test(next)) {
        // %p, %pK, %px; a space or punctuation after a bare %p is ordinary text
        out += pointer(arg, spec);
        i += next === "K" || next === "x" ? 2 : 1;
      } else {
        throw new FormatError(fmt, start, `unsupported pointer conversion "%p${next}"`);
      }
      continue;
    }
    if (conv === "s") {
      out += pad(readString(arg), spec);
      i++;
      continue;
    }
    if (conv === "c") {
      out += pad(String.fromCharCode(Number(arg & 0xffn)), spec);
      i++;
      continue;
    }
    let bits = 32;
    if (fmt[i] === "l") {
      bits = 64;
      i++;
      if (fmt[i] === "l") i++;
    }
    const kind = fmt[i];
    if (kind === "d" || kind === "i") out += signedInteger(BigInt.asIntN(bits, arg), spec);
    else if (kind === "u") out += padNumber("", BigInt.asUintN(bits, arg).toString(10), spec);
    else if (kind === "x") out += padNumber("", BigInt.asUintN(bits, arg).toString(16), spec);
    else if (kind === "X") out += padNumber("", BigInt.asUintN(bits, arg).toString(16).toUpperCase(), spec);
    else if (kind === undefined) throw new FormatError(fmt, start, "format ends inside a conversion");
    else throw new FormatError(fmt, start, `unknown conversion "${fmt.slice(start, i + 1)}"`);
    i++;
  }
  return out;
}

function checkPrintable(fmt: string, i: number): void {
  const c = fmt.charCodeAt(i);
  const printable = c >= 0x20 && c <= 0x7e;
  const space = c === 0x09 || c === 0x0a || c === 0x0b || c === 0x0c || c === 0x0d;
  if (!printable && !space) {
    throw new FormatError(fmt, i, `character 0x${c.toString(16).padStart(2, "0")} is not printable ASCII`);
  }
}

/** vsprintf's number() for a signed conversion: '-', or '+' / ' ' when those flags ask for a sign. */
function signedInteger(value: bigint, spec: Spec): string {
  if (value < 0n) return padNumber("-", (-value).toString(10), spec);
  return padNumber(spec.plus ? "+" : spec.space ? " " : "", value.toString(10), spec);
}

/** Pads a number to the field width: zeros between the sign and the digits, spaces outside them. */
function padNumber(sign: string, digits: string, spec: Spec): string {
  const fill = spec.width - sign.length - digits.length;
  if (fill <= 0) return sign + digits;
  if (spec.left) return sign + digits + " ".repeat(fill);
  if (spec.zero) return sign + "0".repeat(fill) + digits;
  return " ".repeat(fill) + sign + digits;
}

/** vsprintf's pointer_string(): without a width, 16 zero-padded hex digits (a 64-bit pointer). */
function pointer(value: bigint, spec: Spec): string {
  const s = spec.width < 0 ? { ...spec, width: 16, zero: true } : spec;
  return padNumber("", BigInt.asUintN(64, value).toString(16), s);
}

/** Strings and characters pad with spaces only, on the left unless '-' was given. */
function pad(text: string, spec: Spec): string {
  const fill = spec.width - text.length;
  if (fill <= 0) return text;
  return spec.left ? text + " ".repeat(fill) : " ".repeat(fill) + text;
}
