// Histogram printing, character for character as BCC's Python front end prints it (print_log2_hist and
// print_linear_hist in bcc/table.py), so tools ported from BCC keep their output and anything that parses it
// keeps working. BCC's quirks are kept on purpose: bucket 0 of a log2 histogram is never printed, the first row
// reads "0 -> 1", nothing at all is printed when only bucket 0 is non-zero, and columns widen past bucket 32.
//
// The returned text is what BCC writes to stdout: every line ends in "\n"; an empty histogram gives "".

const STARS_MAX = 40;

export interface Log2HistOptions {
  /** BCC's strip_leading_zero: leave out the empty buckets before the first non-empty one. */
  stripLeadingZero?: boolean;
}

/** counts[i] is the count of log2 bucket i: values v with floor(log2(v)) + 1 == i (BCC's bpf_log2l). */
export function formatLog2Hist(counts: (bigint | number)[], valType: string, opts: Log2HistOptions = {}): string {
  const vals = counts.map(toBigInt);
  const { idxMax, valMax } = extent(vals);
  const wide = idxMax > 32; // the upper buckets need 20-digit columns
  const width = wide ? STARS_MAX / 2 : STARS_MAX;
  const bound = wide ? 20 : 10;
  let out = "";
  if (idxMax > 0) {
    out += wide
      ? `               ${padEnd(valType, 29)} : count     distribution\n`
      : `     ${padEnd(valType, 19)} : count     distribution\n`;
  }
  let skipping = opts.stripLeadingZero === true;
  for (let i = 1; i <= idxMax; i++) {
    let low = (1n << BigInt(i)) >> 1n;
    const high = (1n << BigInt(i)) - 1n;
    if (low === high) low -= 1n; // bucket 1 holds both 0 and 1
    const val = vals[i];
    if (skipping && val === 0n) continue;
    skipping = false;
    out += `${padStart(low, bound)} -> ${padEnd(high, bound)} : ${padEnd(val, 8)} |${padEnd(histogramBar(val, valMax, width), width)}|\n`;
  }
  return out;
}

/** counts[i] is the count of value i. */
export function formatLinearHist(counts: (bigint | number)[], valType: string): string {
  const vals = counts.map(toBigInt);
  const { idxMax, valMax } = extent(vals);
  let out = "";
  if (idxMax >= 0) out += `     ${padEnd(valType, 13)} : count     distribution\n`;
  for (let i = 0; i <= idxMax; i++) {
    out += `        ${padEnd(i, 10)} : ${padEnd(vals[i], 8)} |${padEnd(histogramBar(vals[i], valMax, STARS_MAX), STARS_MAX)}|\n`;
  }
  return out;
}

/**
 * BCC's _stars: one '*' per width/valMax of val, at most `width`, the last one turned into '+' when val exceeds
 * valMax (it cannot when valMax is the largest count, as in the histograms above; callers scaling to a smaller
 * maximum get the marker). The division is a float division, as in Python 3; it matches BCC exactly while
 * width * val stays below 2^53.
 */
export function histogramBar(val: bigint | number, valMax: bigint | number, width: number): string {
  const v = toBigInt(val);
  const m = toBigInt(valMax);
  if (m === 0n) throw new RangeError("histogramBar: valMax must not be 0");
  const scaled = Number(BigInt(width) * v) / Number(m);
  let text = "";
  for (let i = 0; !(i > scaled - 1 || i > width - 1); i++) text += "*";
  if (v > m) text = text.slice(0, -1) + "+";
  return text;
}

function extent(vals: bigint[]): { idxMax: number; valMax: bigint } {
  let idxMax = -1;
  let valMax = 0n;
  vals.forEach((v, i) => {
    if (v > 0n) idxMax = i;
    if (v > valMax) valMax = v;
  });
  return { idxMax, valMax };
}

function toBigInt(v: bigint | number): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

// Python's "%-Nd"/"%-Ns" and "%Nd": pad to at least N characters, never truncate.
function padEnd(v: string | bigint | number, n: number): string {
  return String(v).padEnd(n, " ");
}

function padStart(v: bigint | number, n: number): string {
  return String(v).padStart(n, " ");
}
