// The lexer: script text to tokens with their positions. Comments (// and /* */) and whitespace are skipped.
import { fail, type Loc } from "./errors.js";

export type TokenKind = "ident" | "int" | "string" | "map" | "var" | "punct" | "eof";

export interface Token {
  kind: TokenKind;
  text: string; // identifier, punctuation, map/variable name (without @ or $), decoded string
  value?: bigint; // integers
  loc: Loc;
}

// Longest first, so that "<<=" wins over "<<" and "<".
const PUNCTS = [
  "<<=",
  ">>=",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "<<",
  ">>",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ";",
  ",",
  ":",
  "/",
  "?",
  "+",
  "-",
  "*",
  "%",
  "&",
  "|",
  "^",
  "!",
  "~",
  "<",
  ">",
  "=",
  ".",
];

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", "\\": "\\", '"': '"', r: "\r", "0": "\0" };

const isIdentStart = (c: string) => /[A-Za-z_]/.test(c);
const isIdent = (c: string) => /[A-Za-z0-9_]/.test(c);
/** A character as an error message shows it: control and non-ASCII characters as escapes, so it stays one line. */
const printable = (c: string) => {
  const code = c.charCodeAt(0);
  return code < 32 || code > 126 ? `\\x${code.toString(16).padStart(2, "0")}` : c;
};
const U64_MAX = (1n << 64n) - 1n;

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (start: number, startLine = line, startLineStart = lineStart): Loc => {
    // A token never spans lines except strings and comments, which report their first line.
    const col = start - startLineStart + 1;
    const end = startLine === line ? i - startLineStart + 1 : col + 1;
    return { line: startLine, col, end: Math.max(end, col + 1) };
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    const start = i;
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const [l0, s0] = [line, lineStart];
      i += 2;
      while (i < src.length && !(src[i] === "*" && src[i + 1] === "/")) {
        if (src[i] === "\n") {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      if (i >= src.length) fail({ line: l0, col: start - s0 + 1, end: start - s0 + 3 }, "unterminated comment");
      i += 2;
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdent(src[i])) i++;
      tokens.push({ kind: "ident", text: src.slice(start, i), loc: here(start) });
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)/.exec(src.slice(i))!;
      i += m[0].length;
      if (i < src.length && isIdent(src[i])) {
        while (i < src.length && isIdent(src[i])) i++;
        fail(here(start), `invalid integer '${src.slice(start, i)}'`);
      }
      const digits = m[0].replace(/_/g, "");
      if (/^0[xX]$/.test(digits)) fail(here(start), `invalid integer '${m[0]}'`);
      const value = BigInt(digits);
      if (value > U64_MAX) fail(here(start), `integer ${m[0]} does not fit in 64 bits`);
      tokens.push({ kind: "int", text: m[0], value, loc: here(start) });
      continue;
    }
    if (c === "@" || c === "$") {
      i++;
      while (i < src.length && isIdent(src[i])) i++;
      const name = src.slice(start + 1, i);
      if (c === "$" && name === "") fail(here(start), "'$' must be followed by a variable name");
      if (name !== "" && /^[0-9]/.test(name))
        fail(here(start), `invalid ${c === "@" ? "map" : "variable"} name '${src.slice(start, i)}'`);
      tokens.push({ kind: c === "@" ? "map" : "var", text: name, loc: here(start) });
      continue;
    }
    if (c === '"') {
      i++;
      let text = "";
      while (i < src.length && src[i] !== '"') {
        if (src[i] === "\n") fail(here(start), "unterminated string");
        if (src[i] === "\\") {
          const e = ESCAPES[src[i + 1]];
          if (e === undefined) {
            const bad = src[i + 1] ?? "";
            i += 2;
            if (bad === "\n" || bad === "") fail(here(start), "unterminated string");
            fail(here(start), `invalid escape '\\${printable(bad)}' in string`);
          }
          text += e;
          i += 2;
        } else text += src[i++];
      }
      if (i >= src.length) fail(here(start), "unterminated string");
      i++;
      tokens.push({ kind: "string", text, loc: here(start) });
      continue;
    }
    const p = PUNCTS.find((q) => src.startsWith(q, i));
    if (!p) {
      i++;
      fail(here(start), `invalid character '${printable(c)}'`);
    }
    i += p.length;
    tokens.push({ kind: "punct", text: p, loc: here(start) });
  }
  const col = i - lineStart + 1;
  tokens.push({ kind: "eof", text: "end of file", loc: { line, col, end: col + 1 } });
  return tokens;
}
