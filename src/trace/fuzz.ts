// Inputs for fuzzing the compiler: random bytes, random tokens, and valid scripts mutated (bytes flipped, spans
// deleted or duplicated, tokens swapped). `fuzzOne` compiles one input and reports anything that is not a clean
// TraceError: the compiler must either produce an object or explain the script's fault.
import { compile } from "./compile.js";
import { TraceError, formatError } from "./errors.js";

export const SEED_SCRIPTS = [
  "packet { @[ip.proto] = count(); }",
  "packet /tcp.dport == 80/ { @bytes[ntop(ip.src)] = sum(len); }",
  "packet { @h = hist(len); @l = lhist(ip.ttl, 0, 256, 16); @s = stats(len); }",
  'BEGIN { printf("hello %d %s\\n", 5, comm); exit(); }',
  "interval:ms:100 { @t = count(); if (@t > 3) { exit() } else { @u++ } }",
  "probe:open { @[arg0, arg1] = max(arg2); $x = arg3 * 2; @y = $x ? 1 : 0 }",
  "packet { $o = pkt.u8[14] & 0xf; unroll(2) { @v += pkt.u16[$o * 4 + 14] } return len > 100 }",
  "END { print(@a); clear(@a); zero(@b); delete(@c[1]) } BEGIN { @a = 1; @b = 2; @c[1] = 3 }",
  "packet { @m = min(udp.sport); @x = max(tcp.flags); @a = avg(eth.type) } /* comment */ // line",
];

const TOKENS = [
  "BEGIN",
  "END",
  "packet",
  "interval:s:1",
  "probe:x",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  "/",
  "@",
  "@m",
  "$v",
  "=",
  "+=",
  "++",
  ";",
  ",",
  "?",
  ":",
  "count()",
  "sum(",
  "hist(",
  "lhist(",
  "printf(",
  '"%d\\n"',
  "len",
  "ip.src",
  "tcp.",
  "pkt.u8[",
  "0",
  "1",
  "0xffffffffffffffff",
  "-",
  "*",
  "&&",
  "||",
  "!",
  "~",
  "<<",
  "if",
  "else",
  "unroll(3)",
  "return",
  "exit()",
  "ntop(",
  "comm",
  "nsecs",
  "arg0",
  "\n",
  " ",
  '"',
  "/*",
  "*/",
  "//",
];

/** A small deterministic generator (xorshift32). */
export class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 1;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

export function fuzzInput(rng: Rng): string {
  const kind = rng.below(4);
  if (kind === 0) {
    const n = rng.below(80);
    return String.fromCharCode(...Array.from({ length: n }, () => rng.below(128)));
  }
  if (kind === 1)
    return Array.from({ length: 1 + rng.below(30) }, () => TOKENS[rng.below(TOKENS.length)]).join(
      rng.below(2) ? " " : "",
    );
  let s = SEED_SCRIPTS[rng.below(SEED_SCRIPTS.length)];
  const edits = 1 + rng.below(4);
  for (let i = 0; i < edits; i++) {
    const at = rng.below(s.length + 1);
    const len = rng.below(8);
    switch (rng.below(5)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + len);
        break;
      case 1:
        s = s.slice(0, at) + String.fromCharCode(32 + rng.below(95)) + s.slice(at + 1);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
        break;
      case 3:
        s = s.slice(0, at) + TOKENS[rng.below(TOKENS.length)] + s.slice(at);
        break;
      default:
        s = s.slice(0, at) + SEED_SCRIPTS[rng.below(SEED_SCRIPTS.length)].slice(len) + s.slice(at);
    }
  }
  return s;
}

export interface FuzzOutcome {
  compiled: boolean;
  /** Set when the compiler failed in a way other than a clean TraceError: the input and what escaped. */
  crash?: string;
}

export function fuzzOne(source: string): FuzzOutcome {
  try {
    compile(source);
    return { compiled: true };
  } catch (e) {
    if (e instanceof TraceError) {
      const text = formatError(e, source);
      if (!/^stdin:\d+:\d+-\d+: ERROR: [^\n]+(\n[^\n\t]*\n *~*)?$/.test(text))
        return { compiled: false, crash: `malformed message: ${JSON.stringify(text)}` };
      return { compiled: false };
    }
    return { compiled: false, crash: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
