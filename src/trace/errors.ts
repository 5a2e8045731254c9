// Script errors in bpftrace's shape: `stdin:1:15-20: ERROR: message`, then the source line and a marker under the
// columns at fault. Every check of the lexer, parser and checker throws a TraceError; nothing else may escape the
// compiler for a bad script.

export interface Loc {
  line: number; // 1-based
  col: number; // 1-based, first column
  end: number; // 1-based, one past the last column (bpftrace prints col-end)
}

export class TraceError extends Error {
  constructor(
    readonly loc: Loc,
    readonly problem: string,
  ) {
    super(problem);
    this.name = "TraceError";
  }
}

export function fail(loc: Loc, problem: string): never {
  throw new TraceError(loc, problem);
}

/**
 * The full message as bpftrace prints it: the position line; then, when the line has text, the line (tabs as four
 * spaces) and a marker of `~` under the columns at fault (the marker stops at the end of the line).
 */
export function formatError(e: TraceError, source: string, file = "stdin"): string {
  const { line, col, end } = e.loc;
  const head = `${file}:${line}:${col}-${end}: ERROR: ${e.problem}`;
  // Control characters would garble a terminal: shown as spaces, so the marker still lines up.
  const text = (source.split("\n")[line - 1] ?? "").replace(/[\x00-\x08\x0a-\x1f\x7f]/g, " ");
  if (text === "") return head;
  let marker = "";
  for (let x = 0; x < text.length && x < end - 1; x++) {
    const m = x < col - 1 ? " " : "~";
    marker += text[x] === "\t" ? m.repeat(4) : m;
  }
  return `${head}\n${text.replace(/\t/g, "    ")}\n${marker}`;
}
