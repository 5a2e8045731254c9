// Script errors in bpftrace's shape: `stdin:1:15-20: ERROR: message`, then the source line and a marker under the
// columns at fault. Every check of the lexer, parser and checker throws a TraceError; nothing else may escape the
// compiler for a bad script.

export interface Loc {
  line: number; // 1-based
  col: number; // 1-based, first column
  end: number; // 1-based, one past the last column (bpftrace prints col-end)
}

export class TraceError extends Error {
  constructor(readonly loc: Loc, readonly problem: string) {
    super(problem);
    this.name = "TraceError";
  }
}

export function fail(loc: Loc, problem: string): never {
  throw new TraceError(loc, problem);
}

/** The full message: position line, the source line, and `^~~~` under the faulty columns. */
export function formatError(e: TraceError, source: string, file = "stdin"): string {
  const { line, col, end } = e.loc;
  // Control characters would garble a terminal: shown as spaces, so the marker still lines up.
  const text = (source.split("\n")[line - 1] ?? "").replace(/[\x00-\x08\x0a-\x1f\x7f]/g, " ");
  const width = Math.max(1, end - col);
  // Tabs keep their width in the marker line so the caret stays under the right character.
  const pad = text.slice(0, col - 1).replace(/[^\t]/g, " ");
  return `${file}:${line}:${col}-${col + width}: ERROR: ${e.problem}\n${text}\n${pad}^${"~".repeat(width - 1)}`;
}
