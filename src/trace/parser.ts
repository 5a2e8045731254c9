// The parser: tokens to a Script, by recursive descent with C's operator precedence (bpftrace's grammar).
// Syntax errors read as bpftrace's: "syntax error, unexpected X, expecting Y".
import { fail, type Loc } from "./errors.js";
import { tokenize, type Token } from "./lexer.js";
import { span, type Expr, type MapExpr, type Probe, type Script, type Stmt, type VarExpr } from "./ast.js";

// Binary operators by precedence level, loosest first (the ternary sits above all of them).
const LEVELS = [
  ["||"],
  ["&&"],
  ["|"],
  ["^"],
  ["&"],
  ["==", "!="],
  ["<", "<=", ">", ">="],
  ["<<", ">>"],
  ["+", "-"],
  ["*", "/", "%"],
];
const ASSIGN_OPS = new Set(["=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="]);
const MAX_DEPTH = 200;
const MAX_OPERANDS = 500; // a chain a + b + ... is a left-deep tree: the checker and code generator recurse on it // nesting beyond this is refused, so deep input cannot overflow the host stack

export function parse(src: string): Script {
  return new Parser(tokenize(src)).script();
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of file";
    case "int":
      return `integer ${t.text}`;
    case "string":
      return "string";
    case "map":
      return `map @${t.text}`;
    case "var":
      return `variable $${t.text}`;
    case "ident":
      return `identifier ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private get t(): Token {
    return this.tokens[this.pos];
  }
  private next(): Token {
    return this.tokens[this.pos++];
  }
  private is(text: string): boolean {
    return this.t.kind === "punct" && this.t.text === text;
  }
  private accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.pos++;
    return true;
  }
  private unexpected(expecting: string): never {
    fail(this.t.loc, `syntax error, unexpected ${describe(this.t)}, expecting ${expecting}`);
  }
  private expect(text: string): Token {
    if (!this.is(text)) this.unexpected(`'${text}'`);
    return this.next();
  }
  private enter(loc: Loc): void {
    if (++this.depth > MAX_DEPTH) fail(loc, `nesting deeper than ${MAX_DEPTH} levels`);
  }

  script(): Script {
    const probes: Probe[] = [];
    while (this.t.kind !== "eof") probes.push(this.probe());
    if (probes.length === 0) fail(this.t.loc, "no probes: a script needs at least one probe, e.g. BEGIN { ... }");
    return { probes };
  }

  private probe(): Probe {
    const first = this.t;
    if (first.kind !== "ident") this.unexpected("a probe");
    this.pos++;
    const parts: Token[] = [first];
    while (this.accept(":")) {
      const part = this.t;
      if (part.kind !== "ident" && part.kind !== "int") this.unexpected("a probe name part");
      parts.push(this.next());
    }
    const loc = span(first.loc, parts[parts.length - 1].loc);
    const name = parts.map((p) => p.text).join(":");
    const probe: Probe = { ...probeKind(parts, name, loc), name, body: [], loc };
    if (this.is(",")) fail(this.t.loc, "one probe per action block: several attach points are not supported");
    if (this.accept("/")) {
      probe.pred = this.expr(true);
      this.expect("/");
    }
    probe.body = this.block();
    return probe;
  }

  private block(): Stmt[] {
    this.expect("{");
    const body: Stmt[] = [];
    while (!this.is("}")) {
      if (this.t.kind === "eof") this.unexpected("'}'");
      if (this.accept(";")) continue;
      const s = this.stmt();
      body.push(s);
      if (s.k === "if" || s.k === "unroll") continue;
      if (!this.is("}")) this.expect(";");
    }
    this.pos++;
    return body;
  }

  private stmt(): Stmt {
    const t = this.t;
    this.enter(t.loc);
    try {
      if (t.kind === "ident" && t.text === "if") return this.ifStmt();
      if (t.kind === "ident" && t.text === "unroll") {
        this.pos++;
        this.expect("(");
        const n = this.t;
        if (n.kind !== "int") this.unexpected("an integer");
        this.pos++;
        this.expect(")");
        if (n.value! < 1n || n.value! > 100n) fail(n.loc, "unroll count must be in the range 1 to 100");
        return { k: "unroll", count: n.value!, body: this.block(), loc: t.loc };
      }
      if (t.kind === "ident" && t.text === "return") {
        this.pos++;
        if (this.is(";") || this.is("}")) return { k: "return", loc: t.loc };
        return { k: "return", value: this.expr(), loc: t.loc };
      }
      if (t.kind === "map" || t.kind === "var") {
        const target = this.primary() as MapExpr | VarExpr;
        if (target.k !== "map" && target.k !== "var") return { k: "expr", expr: target, loc: t.loc };
        if (this.is("++") || this.is("--")) {
          const op = this.next().text === "++" ? "+=" : "-=";
          return { k: "assign", target, op, value: { k: "int", value: 1n, loc: target.loc }, loc: target.loc };
        }
        if (this.t.kind === "punct" && ASSIGN_OPS.has(this.t.text)) {
          const op = this.next().text;
          return { k: "assign", target, op, value: this.expr(), loc: target.loc };
        }
        if (target.k === "map" && (this.is(";") || this.is("}"))) {
          fail(target.loc, "a map alone is not a statement: assign to it or pass it to a function");
        }
        this.unexpected("'=' or an assignment operator");
      }
      if (this.is("++") || this.is("--")) {
        const op = this.next().text === "++" ? "+=" : "-=";
        const target = this.primary();
        if (target.k !== "map" && target.k !== "var") fail(target.loc, "++ and -- apply to a map or a variable");
        return { k: "assign", target, op, value: { k: "int", value: 1n, loc: target.loc }, loc: target.loc };
      }
      const expr = this.expr();
      return { k: "expr", expr, loc: expr.loc };
    } finally {
      this.depth--;
    }
  }

  private ifStmt(): Stmt {
    const loc = this.next().loc;
    this.expect("(");
    const cond = this.expr();
    this.expect(")");
    const then = this.block();
    let otherwise: Stmt[] = [];
    if (this.t.kind === "ident" && this.t.text === "else") {
      this.pos++;
      const after: Token = this.t;
      if (after.kind === "ident" && after.text === "if") otherwise = [this.ifStmt()];
      else otherwise = this.block();
    }
    return { k: "if", cond, then, else: otherwise, loc };
  }

  /** An expression; in a predicate (`/.../`) a bare '/' ends it rather than dividing. */
  expr(inPredicate = false): Expr {
    this.enter(this.t.loc);
    try {
      const cond = this.binary(0, inPredicate);
      if (!this.accept("?")) return cond;
      const then = this.expr(inPredicate);
      this.expect(":");
      const otherwise = this.expr(inPredicate);
      return { k: "ternary", cond, then, else: otherwise, loc: span(cond.loc, otherwise.loc) };
    } finally {
      this.depth--;
    }
  }

  private binary(level: number, inPredicate: boolean): Expr {
    if (level === LEVELS.length) return this.unary(inPredicate);
    let left = this.binary(level + 1, inPredicate);
    let operands = 1;
    while (this.t.kind === "punct" && LEVELS[level].includes(this.t.text) && !(inPredicate && this.t.text === "/")) {
      const opTok = this.next();
      if (++operands > MAX_OPERANDS) fail(opTok.loc, `more than ${MAX_OPERANDS} operands in one expression`);
      const right = this.binary(level + 1, inPredicate);
      left = { k: "binary", op: opTok.text, left, right, loc: opTok.loc };
    }
    return left;
  }

  private unary(inPredicate: boolean): Expr {
    const t = this.t;
    if (t.kind === "punct" && ["!", "~", "-"].includes(t.text)) {
      this.pos++;
      this.enter(t.loc);
      try {
        const arg = this.unary(inPredicate);
        return { k: "unary", op: t.text, arg, loc: span(t.loc, arg.loc) };
      } finally {
        this.depth--;
      }
    }
    if (t.kind === "punct" && (t.text === "++" || t.text === "--")) {
      fail(t.loc, "++ and -- are statements here, not expressions");
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "int":
        return { k: "int", value: t.value!, loc: t.loc };
      case "string":
        return { k: "str", value: t.text, loc: t.loc };
      case "var":
        return { k: "var", name: t.text, loc: t.loc };
      case "map": {
        const keys: Expr[] = [];
        let end = t.loc;
        if (this.accept("[")) {
          if (this.is("]")) this.unexpected("a key");
          do keys.push(this.expr());
          while (this.accept(","));
          end = this.expect("]").loc;
        }
        return { k: "map", name: t.text, keys, loc: span(t.loc, end) };
      }
      case "ident": {
        if (this.accept("(")) {
          const args: Expr[] = [];
          if (!this.is(")")) {
            do args.push(this.expr());
            while (this.accept(","));
          }
          const close = this.expect(")");
          return { k: "call", name: t.text, args, loc: span(t.loc, close.loc) };
        }
        if (this.accept(".")) {
          const field = this.t;
          if (field.kind !== "ident") this.unexpected("a field name");
          this.pos++;
          const loc = span(t.loc, field.loc);
          if (t.text === "pkt") {
            const m = /^u(8|16|32)$/.exec(field.text);
            if (!m) fail(loc, `unknown packet accessor 'pkt.${field.text}': use pkt.u8, pkt.u16 or pkt.u32`);
            this.expect("[");
            const index = this.expr();
            const close = this.expect("]");
            return { k: "pkt", width: Number(m[1]) as 8 | 16 | 32, index, loc: span(t.loc, close.loc) };
          }
          return { k: "field", base: t.text, name: field.text, loc };
        }
        return { k: "builtin", name: t.text, loc: t.loc };
      }
      case "punct":
        if (t.text === "(") {
          const e = this.expr();
          this.expect(")");
          return e;
        }
    }
    this.pos--;
    return this.unexpected("an expression");
  }
}

function probeKind(parts: Token[], name: string, loc: Loc): Pick<Probe, "kind" | "periodNs" | "event"> {
  const head = parts[0].text;
  if ((head === "BEGIN" || head === "END" || head === "packet") && parts.length === 1) return { kind: head };
  if (head === "interval" || head === "i") {
    const [, unit, count] = parts;
    const scale: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, hz: 0n };
    if (parts.length !== 3 || !(unit.text in scale) || count.kind !== "int") {
      fail(loc, `invalid interval probe '${name}': use interval:s:N or interval:ms:N`);
    }
    if (count.value === 0n) fail(count.loc, "interval period must be at least 1");
    const periodNs = unit.text === "hz" ? 1_000_000_000n / count.value! : scale[unit.text] * count.value!;
    if (periodNs === 0n) fail(count.loc, "interval frequency is too high");
    return { kind: "interval", periodNs };
  }
  if (head === "probe") {
    if (parts.length !== 2 || parts[1].kind !== "ident") fail(loc, `invalid probe '${name}': use probe:NAME`);
    return { kind: "probe", event: parts[1].text };
  }
  return fail(loc, `Invalid probe type: ${head}`);
}
