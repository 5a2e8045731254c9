import { describe, expect, it } from "vitest";
import { formatLinearHist, formatLog2Hist, histogramBar } from "../../src/api/hist.js";

// Expected text written out by hand from BCC's layout: header "     %-19s : count     distribution", rows
// "%10d -> %-10d : %-8d |%-40s|" with floor(40 * count / max) stars (at most 40), bucket i covering
// [2^(i-1), 2^i - 1] except bucket 1 printed as "0 -> 1", and the 20-wide layout with 20 stars past bucket 32.
const lines = (...ls: string[]) => ls.map((l) => l + "\n").join("");

describe("formatLog2Hist", () => {
  it("prints a small histogram like BCC", () => {
    expect(formatLog2Hist([0, 1, 0, 3, 7], "usecs")).toBe(
      lines(
        "     usecs               : count     distribution",
        "         0 -> 1          : 1        |*****                                   |",
        "         2 -> 3          : 0        |                                        |",
        "         4 -> 7          : 3        |*****************                       |",
        "         8 -> 15         : 7        |****************************************|",
      ),
    );
  });

  it("prints a bitehist-like histogram and trims empty buckets at the end", () => {
    const counts = new Array(65).fill(0n);
    Object.assign(counts, { 3: 1n, 4: 4n, 5: 21n, 6: 40n, 7: 9n, 8: 2n, 11: 1n });
    expect(formatLog2Hist(counts, "kbytes")).toBe(
      lines(
        "     kbytes              : count     distribution",
        "         0 -> 1          : 0        |                                        |",
        "         2 -> 3          : 0        |                                        |",
        "         4 -> 7          : 1        |*                                       |",
        "         8 -> 15         : 4        |****                                    |",
        "        16 -> 31         : 21       |*********************                   |",
        "        32 -> 63         : 40       |****************************************|",
        "        64 -> 127        : 9        |*********                               |",
        "       128 -> 255        : 2        |**                                      |",
        "       256 -> 511        : 0        |                                        |",
        "       512 -> 1023       : 0        |                                        |",
        "      1024 -> 2047       : 1        |*                                       |",
      ),
    );
  });

  it("strips leading empty buckets when asked, as strip_leading_zero does", () => {
    expect(formatLog2Hist([0, 0, 0, 2, 0, 1], "ms", { stripLeadingZero: true })).toBe(
      lines(
        "     ms                  : count     distribution",
        "         4 -> 7          : 2        |****************************************|",
        "         8 -> 15         : 0        |                                        |",
        "        16 -> 31         : 1        |********************                    |",
      ),
    );
  });

  it("switches to the wide layout when a bucket past 32 is used", () => {
    const counts = new Array(65).fill(0);
    counts[32] = 1;
    counts[33] = 3;
    counts[64] = 2;
    const text = formatLog2Hist(counts, "bytes", { stripLeadingZero: true });
    const rows = text.split("\n");
    expect(rows[0]).toBe("               bytes                         : count     distribution");
    expect(rows[1]).toBe("          2147483648 -> 4294967295           : 1        |******              |");
    expect(rows[2]).toBe("          4294967296 -> 8589934591           : 3        |********************|");
    expect(rows[3]).toBe("          8589934592 -> 17179869183          : 0        |                    |");
    expect(rows[33]).toBe(" 9223372036854775808 -> 18446744073709551615 : 2        |*************       |");
    expect(rows).toHaveLength(35); // header, buckets 32..64, and the empty string after the last "\n"

    // Without stripping, the rows start at bucket 1 in the wide columns.
    const full = formatLog2Hist(counts, "bytes").split("\n");
    expect(full[1]).toBe("                   0 -> 1                    : 0        |                    |");
    expect(full).toHaveLength(66);
  });

  it("keeps the narrow layout up to bucket 32", () => {
    const counts = new Array(33).fill(0);
    counts[32] = 5;
    const rows = formatLog2Hist(counts, "ns").split("\n");
    expect(rows[0]).toBe("     ns                  : count     distribution");
    expect(rows[32]).toBe("2147483648 -> 4294967295 : 5        |****************************************|");
  });

  it("does not truncate long names or counts", () => {
    expect(formatLog2Hist([0, 123456789], "a very long value type name")).toBe(
      lines(
        "     a very long value type name : count     distribution",
        "         0 -> 1          : 123456789 |****************************************|",
      ),
    );
  });

  it("prints nothing for an empty histogram or one with only bucket 0, as BCC does", () => {
    expect(formatLog2Hist([], "x")).toBe("");
    expect(formatLog2Hist([0, 0, 0], "x")).toBe("");
    expect(formatLog2Hist([5], "x")).toBe("");
  });

  it("accepts bigint counts beyond 2^53", () => {
    const big = 1n << 60n;
    expect(formatLog2Hist([0n, big, big / 2n], "v")).toBe(
      lines(
        "     v                   : count     distribution",
        "         0 -> 1          : 1152921504606846976 |****************************************|",
        "         2 -> 3          : 576460752303423488 |********************                    |",
      ),
    );
  });
});

describe("formatLinearHist", () => {
  it("prints every bucket from 0 like BCC", () => {
    expect(formatLinearHist([2, 0, 5, 1], "kbytes")).toBe(
      lines(
        "     kbytes        : count     distribution",
        "        0          : 2        |****************                        |",
        "        1          : 0        |                                        |",
        "        2          : 5        |****************************************|",
        "        3          : 1        |********                                |",
      ),
    );
  });

  it("prints the header and bucket 0 even when bucket 0 is the only one used", () => {
    expect(formatLinearHist([3, 0, 0], "slot")).toBe(
      lines(
        "     slot          : count     distribution",
        "        0          : 3        |****************************************|",
      ),
    );
    expect(formatLinearHist([0, 0], "slot")).toBe("");
  });
});

describe("histogramBar", () => {
  it("rounds down and caps at the width", () => {
    expect(histogramBar(3, 7, 40)).toBe("*".repeat(17)); // 40 * 3 / 7 = 17.14
    expect(histogramBar(1, 41, 40)).toBe(""); // 0.976: not a whole star
    expect(histogramBar(10, 10, 20)).toBe("*".repeat(20));
  });

  it("marks a value above the maximum with '+'", () => {
    expect(histogramBar(15, 10, 20)).toBe("*".repeat(19) + "+");
    expect(histogramBar(11n, 10n, 40)).toBe("*".repeat(39) + "+");
  });

  it("refuses a zero maximum", () => {
    expect(() => histogramBar(0, 0, 40)).toThrow(RangeError);
  });
});
