// Bad scripts: each one gives exactly one message in bpftrace's shape (`stdin:LINE:COL-END: ERROR: ...`), the
// source line, and a marker line of tildes under exactly the columns the first line names (as bpftrace marks them).
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { compile } from "../../src/trace/compile.js";
import { TraceError, formatError } from "../../src/trace/errors.js";

// [script, the message's first line]
export const BAD: [string, string][] = [
  ["packet { @x = count() ", "stdin:1:23-24: ERROR: syntax error, unexpected end of file, expecting ';'"],
  ["BEGIN { @x = foo() }", "stdin:1:14-19: ERROR: Unknown function: foo"],
  ["BEGIN { @x = count(1) }", "stdin:1:14-22: ERROR: count() requires no arguments (1 provided)"],
  ["BEGIN { @x = sum() }", "stdin:1:14-19: ERROR: sum() requires one argument (0 provided)"],
  ["BEGIN { @x = lhist(1, 2) }", "stdin:1:14-25: ERROR: lhist() requires 4 arguments (2 provided)"],
  ["BEGIN { @x = lhist(5, 0, 10, 0) }", "stdin:1:30-31: ERROR: lhist() step must be >= 1"],
  ["BEGIN { @x = lhist(5, 10, 0, 1) }", "stdin:1:27-28: ERROR: lhist() max must be greater than min"],
  ["BEGIN { @x = lhist(5, 0, $a, 1) }", "stdin:1:26-28: ERROR: lhist() max must be an integer literal"],
  ["BEGIN { @x = len }", "stdin:1:14-17: ERROR: The len builtin can only be used with 'packet' probes (not 'BEGIN')"],
  [
    "END { @x = tcp.dport }",
    "stdin:1:12-21: ERROR: The tcp.dport builtin can only be used with 'packet' probes (not 'END')",
  ],
  [
    "BEGIN { @x = pkt.u8[0] }",
    "stdin:1:14-23: ERROR: The pkt.u8 builtin can only be used with 'packet' probes (not 'BEGIN')",
  ],
  ["BEGIN { @x = arg0 }", "stdin:1:14-18: ERROR: The arg0 builtin can only be used with 'probe' probes (not 'BEGIN')"],
  [
    "packet { @x = arg1 }",
    "stdin:1:15-19: ERROR: The arg1 builtin can only be used with 'probe' probes (not 'packet')",
  ],
  ["kprobe:foo { @x = 1 }", "stdin:1:1-11: ERROR: Invalid probe type: kprobe"],
  [
    "interval:m:1 { @x = 1 }",
    "stdin:1:1-13: ERROR: invalid interval probe 'interval:m:1': use interval:s:N or interval:ms:N",
  ],
  ["interval:s:0 { @x = 1 }", "stdin:1:12-13: ERROR: interval period must be at least 1"],
  ["probe { @x = 1 }", "stdin:1:1-6: ERROR: invalid probe 'probe': use probe:NAME"],
  ["BEGIN { @x = $y }", "stdin:1:14-16: ERROR: Undefined or undeclared variable: $y"],
  ["BEGIN { print(@nope) }", "stdin:1:15-20: ERROR: Undefined map: @nope"],
  [
    "BEGIN { @x = 1; @x = comm }",
    "stdin:1:17-19: ERROR: Type mismatch for @x: trying to assign value of type 'string' when map already contains a value of type 'int64'",
  ],
  [
    'BEGIN { @x[1] = 1; @x["a"] = 2 }',
    "stdin:1:20-27: ERROR: Argument mismatch for @x: trying to access with arguments: [string] when map expects arguments: [int64]",
  ],
  [
    "BEGIN { @x[1] = 1; @x = 2 }",
    "stdin:1:20-22: ERROR: Argument mismatch for @x: trying to access with arguments: none when map expects arguments: [int64]",
  ],
  [
    "BEGIN { @x = count(); @x = sum(5) }",
    "stdin:1:23-25: ERROR: Type mismatch for @x: trying to assign value of type 'sum_t' when map already contains a value of type 'count_t'",
  ],
  ["BEGIN { @x = count(); @x += 1 }", "stdin:1:23-25: ERROR: '+=' needs an integer map, but @x holds count_t"],
  ['BEGIN { printf("%d\\n") }', "stdin:1:9-23: ERROR: printf: Expected 1 argument but 0 given"],
  ['BEGIN { printf("%d %d\\n", 1) }', "stdin:1:9-29: ERROR: printf: Expected 2 arguments but 1 given"],
  [
    'BEGIN { printf("%s\\n", 1) }',
    "stdin:1:24-25: ERROR: printf: %s specifier expects a value of type string (int64 supplied)",
  ],
  [
    'BEGIN { printf("%d\\n", comm) }',
    "stdin:1:24-28: ERROR: printf: %d specifier expects a value of type integer (string supplied)",
  ],
  ['BEGIN { printf("%q\\n", 1) }', "stdin:1:16-22: ERROR: printf: Unknown format string token: %q"],
  ["BEGIN { printf(5) }", "stdin:1:16-17: ERROR: printf() expects a string literal as its first argument"],
  ["BEGIN { $x = comm }", "stdin:1:14-18: ERROR: variable $x cannot hold a string: only maps can"],
  ["BEGIN { @x = comm + 1 }", "stdin:1:19-20: ERROR: operator '+' needs integer operands (string supplied)"],
  ["BEGIN { @x = count() + 1 }", "stdin:1:14-21: ERROR: count() should be directly assigned to a map"],
  ["BEGIN { count() }", "stdin:1:9-16: ERROR: count() should be directly assigned to a map"],
  ['BEGIN { @x = printf("a") }', "stdin:1:14-25: ERROR: printf() should not be used in an expression"],
  ["BEGIN { exit(1) }", "stdin:1:9-16: ERROR: exit() requires no arguments (1 provided)"],
  ["BEGIN { @x = 1; print(@x[1]) }", "stdin:1:23-28: ERROR: print() expects a map with no keys, e.g. print(@name)"],
  ["BEGIN { @h = hist(1); @y = @h }", "stdin:1:28-30: ERROR: the value of @h (hist_t) cannot be used in an expression"],
  [
    "BEGIN { @h = hist(1); delete(@h[1]) }",
    "stdin:1:30-35: ERROR: delete() of a histogram element is not supported: use clear()",
  ],
  [
    "BEGIN { @x = 99999999999999999999999 }",
    "stdin:1:14-37: ERROR: integer 99999999999999999999999 does not fit in 64 bits",
  ],
  ["BEGIN { @x = 12abc }", "stdin:1:14-19: ERROR: invalid integer '12abc'"],
  ['BEGIN { @x = "abc }', "stdin:1:14-20: ERROR: unterminated string"],
  ["BEGIN { @x = 1 # 2 }", "stdin:1:16-17: ERROR: invalid character '#'"],
  ["BEGIN { @x = ip.foo }", "stdin:1:14-20: ERROR: ip has no field 'foo' (fields: proto, src, dst, len, ttl)"],
  ["BEGIN { @x = foo.bar }", "stdin:1:14-21: ERROR: Unknown identifier: 'foo'"],
  [
    "packet { @x = pkt.u64[0] }",
    "stdin:1:15-22: ERROR: unknown packet accessor 'pkt.u64': use pkt.u8, pkt.u16 or pkt.u32",
  ],
  ["BEGIN { @x = (1 + 2 }", "stdin:1:21-22: ERROR: syntax error, unexpected '}', expecting ')'"],
  ["BEGIN { if 1 { @x = 1 } }", "stdin:1:12-13: ERROR: syntax error, unexpected integer 1, expecting '('"],
  ["BEGIN { unroll(0) { @x = 1 } }", "stdin:1:16-17: ERROR: unroll count must be in the range 1 to 100"],
  ["BEGIN { return 5 }", "stdin:1:9-15: ERROR: return with a value is only allowed in packet probes"],
  ['BEGIN { @x = "this string is too long" }', "stdin:1:14-39: ERROR: string literal is longer than 15 bytes"],
  ["BEGIN { $x += 1 }", "stdin:1:9-11: ERROR: Undefined or undeclared variable: $x"],
  ["BEGIN, END { @x = 1 }", "stdin:1:6-7: ERROR: one probe per action block: several attach points are not supported"],
  ["/* unterminated", "stdin:1:1-3: ERROR: unterminated comment"],
  [
    "BEGIN { @x = 1 ? comm : 2 }",
    "stdin:1:14-26: ERROR: ternary operator branches must both be integers (string supplied)",
  ],
  ["BEGIN { @x = ntop(comm) }", "stdin:1:19-23: ERROR: ntop() argument must be an integer, not string"],
  ["BEGIN { @x }", "stdin:1:9-11: ERROR: a map alone is not a statement: assign to it or pass it to a function"],
  ["", "stdin:1:1-2: ERROR: no probes: a script needs at least one probe, e.g. BEGIN { ... }"],
  ["{ @x = 1 }", "stdin:1:1-2: ERROR: syntax error, unexpected '{', expecting a probe"],
  ['BEGIN { @x = "a\\q" }', "stdin:1:14-18: ERROR: invalid escape '\\q' in string"],
  // found by the fuzzer: a string alone as a statement reached the code generator; an escaped newline put a
  // line break inside the message
  ['BEGIN { "x"; }', "stdin:1:9-12: ERROR: this expression alone is not a statement: it has no effect"],
  ["BEGIN { comm }", "stdin:1:9-13: ERROR: this expression alone is not a statement: it has no effect"],
  ['BEGIN { @x = "a\\\n" }', "stdin:1:14-18: ERROR: unterminated string"],
  // found by the long fuzz run: a hexadecimal prefix with only separators reached BigInt()
  ["BEGIN { @x = 0x_ }", "stdin:1:14-17: ERROR: invalid integer '0x_'"],
];

function message(script: string): string {
  try {
    compile(script);
  } catch (e) {
    if (e instanceof TraceError) return formatError(e, script);
    throw e;
  }
  throw new Error(`no error for ${script}`);
}

/** bpftrace's marker for a position line: spaces up to COL, then a tilde per column up to END (or the line's end). */
function marker(first: string, line: string): string {
  const m = /^stdin:\d+:(\d+)-(\d+): ERROR: /.exec(first)!;
  const [col, end] = [Number(m[1]), Number(m[2])];
  return " ".repeat(col - 1) + "~".repeat(Math.max(0, Math.min(end, line.length + 1) - col));
}

describe("trace: bad scripts", () => {
  test("at least 40 of them", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(40);
  });
  for (const [script, first] of BAD) {
    test(script || "(empty script)", () => {
      const lines = message(script).split("\n");
      const line = script.split("\n")[0];
      expect(lines).toEqual(line === "" ? [first] : [first, line, marker(first, line)]);
    });
  }
  test("an error on a later line names that line", () => {
    const script = "BEGIN {\n  @x = 1;\n  @y = nope;\n}";
    expect(message(script)).toBe("stdin:3:8-12: ERROR: Unknown identifier: 'nope'\n  @y = nope;\n       ~~~~");
  });
  test("tabs print as four spaces, in the line and under it", () => {
    expect(message("BEGIN {\t@x = nope }")).toBe(
      "stdin:1:14-18: ERROR: Unknown identifier: 'nope'\nBEGIN {    @x = nope }\n                ~~~~",
    );
  });
});

describe("trace: errors from the command line", () => {
  const root = join(__dirname, "..", "..");
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, "bin/tinybpf.js"), "trace", ...args], { encoding: "utf8" });
  test("exit status 1, the three lines on stderr, nothing on stdout", () => {
    const r = run("-e", "BEGIN { @x = foo() }");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("stdin:1:14-19: ERROR: Unknown function: foo\nBEGIN { @x = foo() }\n             ~~~~~\n");
  });
  test("a script file is named by its file name", () => {
    const r = run(join(root, "test/fixtures/trace/bad.bt"));
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe("bad.bt:2:3-6: ERROR: Unknown identifier: 'foo'");
  });
  test("usage errors are one line", () => {
    const r = run("-e", "BEGIN { exit() }", "--bogus", "1");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("tinybpf trace: unknown option --bogus\n");
  });
});
