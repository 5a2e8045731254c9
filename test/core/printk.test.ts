import { describe, expect, it } from "vitest";
import { FormatError, TRACE_PRINTK_MAX_CHARS, formatPrintk, formatSnprintf } from "../../src/runtime/printk.js";

// Expected strings follow C's printf rules, which the kernel's vsprintf shares for these conversions:
// no length modifier means a 32-bit int, l and ll a 64-bit long.
const strings = new Map<bigint, string>([
  [0x1000n, "eth0"],
  [0x2000n, "hello"],
]);
const readString = (addr: bigint) => {
  const s = strings.get(addr);
  if (s === undefined) throw new Error(`no string at ${addr}`);
  return s;
};
const fmt = (f: string, ...args: bigint[]) => formatPrintk(f, args, readString);
const MINUS_ONE = 0xffffffffffffffffn; // -1 in a 64-bit register

describe("integers", () => {
  it("casts to 32 bits without a length modifier", () => {
    expect(fmt("%d %i %u %x", MINUS_ONE, 0x1_0000_0005n, MINUS_ONE, 0x1234_5678_9abc_def0n)).toBe(
      "-1 5 4294967295 9abcdef0",
    );
    expect(fmt("%d", 0x8000_0000n)).toBe("-2147483648");
  });

  it("keeps 64 bits with l and ll", () => {
    expect(fmt("%ld %li %lu", MINUS_ONE, 0x1_0000_0005n, MINUS_ONE)).toBe("-1 4294967301 18446744073709551615");
    expect(fmt("%lld %llu %llx", 0x8000_0000_0000_0000n, 42n, 0x1234_5678_9abc_def0n)).toBe(
      "-9223372036854775808 42 123456789abcdef0",
    );
    expect(fmt("%lx %lli", MINUS_ONE, 7n)).toBe("ffffffffffffffff 7");
  });

  it("prints upper-case hex for %X", () => {
    expect(fmt("%X %llX", 0xbeefn, 0xdead_beef_cafen)).toBe("BEEF DEADBEEFCAFE");
  });

  it("pads to the width with spaces, zeros, or on the right", () => {
    expect(fmt("[%5d]", 42n)).toBe("[   42]");
    expect(fmt("[%-5d]", 42n)).toBe("[42   ]");
    expect(fmt("[%05d]", 42n)).toBe("[00042]");
    expect(fmt("[%05d]", MINUS_ONE)).toBe("[-0001]"); // the sign goes before the zeros
    expect(fmt("[%5d]", MINUS_ONE)).toBe("[   -1]");
    expect(fmt("[%-05d]", 42n)).toBe("[42   ]"); // '-' beats '0'
    expect(fmt("[%08x]", 0xabcn)).toBe("[00000abc]");
    expect(fmt("[%2d]", 12345n)).toBe("[12345]"); // never truncated
    expect(fmt("[%010lu]", 3n)).toBe("[0000000003]");
  });

  it("adds '+' or ' ' to signed conversions only", () => {
    expect(fmt("%+d %+d % d % d", 5n, MINUS_ONE, 5n, MINUS_ONE)).toBe("+5 -1  5 -1");
    expect(fmt("%+u % x", 5n, 10n)).toBe("5 a");
    expect(fmt("[%+05d]", 7n)).toBe("[+0007]");
  });
});

describe("characters, strings and pointers", () => {
  it("prints %c from the low byte and %s through readString", () => {
    expect(fmt("%c%c%c", 0x41n, 0x142n, 0x43n)).toBe("ABC");
    expect(fmt("dev=%s msg=%s", 0x1000n, 0x2000n)).toBe("dev=eth0 msg=hello");
    expect(fmt("%pks/%pus", 0x1000n, 0x2000n)).toBe("eth0/hello");
  });

  it("pads strings and characters with spaces only", () => {
    expect(fmt("[%8s][%-8s][%08s]", 0x1000n, 0x1000n, 0x1000n)).toBe("[    eth0][eth0    ][    eth0]");
    expect(fmt("[%3c][%-3c]", 0x78n, 0x79n)).toBe("[  x][y  ]");
    expect(fmt("[%2s]", 0x2000n)).toBe("[hello]");
  });

  it("prints pointers as 16 hex digits unless a width is given", () => {
    expect(fmt("%p %px %pK", 0x20010n, 0xdeadbeefn, 0n)).toBe("0000000000020010 00000000deadbeef 0000000000000000");
    expect(fmt("[%8px] [%-8p]", 0x1fn, 0x2fn)).toBe("[      1f] [2f      ]");
    expect(fmt("%p", MINUS_ONE)).toBe("ffffffffffffffff");
  });

  it("treats a space or punctuation after %p as text", () => {
    expect(fmt("%p, %p\n(%p)", 1n, 2n, 3n)).toBe("0000000000000001, 0000000000000002\n(0000000000000003)");
  });

  it("prints %ps and %pS as a bare address, as with no matching symbol", () => {
    expect(fmt("at %ps / %pS", 0xc0de0n, 0x10n)).toBe("at 0xc0de0 / 0x10");
  });
});

describe("format rules", () => {
  it("prints %% and plain text without taking an argument", () => {
    expect(formatPrintk("100%% sure\n", [], readString)).toBe("100% sure\n");
    expect(fmt("%d%%", 9n)).toBe("9%");
  });

  it("stops at the first NUL, as a C string does", () => {
    expect(fmt("a=%d\n\0garbage %q", 1n)).toBe("a=1\n");
  });

  it("refuses unknown conversions and names the position", () => {
    expect(() => fmt("x=%q", 1n)).toThrow(new FormatError("x=%q", 2, 'unknown conversion "%q"'));
    expect(() => fmt("%hd", 1n)).toThrow('format "%hd": unknown conversion "%h" at position 0');
    expect(() => fmt("ok %.3d", 1n)).toThrow(/at position 3$/); // no precision
    expect(() => fmt("%ls", 1n)).toThrow(/unknown conversion "%ls" at position 0$/);
    expect(() => fmt("%lf", 1n)).toThrow(FormatError);
    expect(() => fmt("%pI4", 1n)).toThrow('format "%pI4": unsupported pointer conversion "%pI" at position 0');
    expect(() => fmt("%pB", 1n)).toThrow(FormatError);
    expect(() => fmt("end %", 1n)).toThrow('format "end %": format ends inside a conversion at position 4');
    expect(() => fmt("end %05", 1n)).toThrow(/ends inside a conversion at position 4$/);
  });

  it("refuses more conversions than arguments", () => {
    expect(() => formatPrintk("%d %d", [1n], readString)).toThrow(
      'format "%d %d": more conversions than the 1 arguments at position 3',
    );
  });

  it("refuses characters that are not printable ASCII, as the kernel does", () => {
    expect(() => fmt("bell\x07")).toThrow('format "bell\\u0007": character 0x07 is not printable ASCII at position 4');
    expect(() => fmt("caf\u00e9")).toThrow(/character 0xe9 .* at position 3$/);
    expect(fmt("tab\there\r\n")).toBe("tab\there\r\n");
  });

  it("cuts trace_printk output to the kernel's 512-byte buffer, but not snprintf's", () => {
    expect(TRACE_PRINTK_MAX_CHARS).toBe(511);
    expect(fmt("%600d", 1n)).toBe(" ".repeat(511));
    expect(formatSnprintf("%600d", [1n], readString)).toBe(" ".repeat(599) + "1");
  });

  it("formats snprintf's up to twelve arguments with the same rules", () => {
    const args = Array.from({ length: 12 }, (_, i) => BigInt(i * 11));
    expect(formatSnprintf("%d,%u,%x,%ld,%lu,%lx,%lld,%llu,%llx,%c,%05d,%-3d|", args, readString)).toBe(
      "0,11,16,33,44,37,66,77,58,c,00110,121|",
    );
  });

  it("lets readString failures through to the caller", () => {
    expect(() => fmt("%s", 0x9999n)).toThrow("no string at 39321");
  });
});
