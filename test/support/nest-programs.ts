// Nested loops for the engines' tests of nests (an outer loop whose test proves its inner loop's accesses):
// generated programs, the inner bound a register the outer loop does not write or a constant, the outer exit on iv
// or on iv + that register, index and pointer forms, counting up and down, inner loops leaving early, inner loops
// starting at the outer iv (plus a constant) and running to the outer bound; a model of
// each program written here (r0, or the load that reads outside the input, and the furthest byte read), and the
// nests whose last trip reads the input's last byte or one byte past it.

export interface Nest {
  outer: "rotated" | "counted" | "down"; // entered in its middle (exit on iv or iv + n), do-while on iv < B, iv to 0
  exitAdd: boolean; // rotated: the exit test on iv + n (r3), else on iv
  swapped: boolean; // rotated: `jlt B, Y` instead of `jgt Y, B`
  over: boolean; // rotated: the test jumps over a `ja` out instead (`jle Y, B, entry; ja done`)
  pointer: boolean; // the outer iv is r1 + i (and B is r1 + B), else i
  innerDown: boolean; // the inner loop counts n .. 1 (`jne`), else 0 .. n - 1 (`jlt`)
  innerConst: boolean; // the inner bound a constant, else r3
  early: number; // the inner loop leaves at this byte (-1: never)
  second: boolean; // a second load at r1 + j + off2 (a needle)
  n: number;
  i0: number;
  b: number;
  off: number;
  off2: number;
  /**
   * The inner iv starts at the outer one plus this (`for (j = i + 1; j < b; j++)`), runs to the outer bound (r2),
   * and its loads are at r1 + j (index form, counting up); undefined: it starts at 0 (or n).
   */
  innerFrom?: number;
}

/** The program's lines, and the instruction indexes of its two loads. */
export function program(p: Nest): { source: string; load: number; load2: number } {
  const lines: string[] = ["mov %r0, 0", `mov %r3, ${p.n}`];
  lines.push(...(p.pointer ? ["mov %r2, %r1", `add %r2, ${p.b}`] : [`mov %r2, ${p.b}`]));
  lines.push(...(p.pointer ? ["mov %r4, %r1", `add %r4, ${p.i0}`] : [`mov %r4, ${p.i0}`]));
  const body = [
    ...(p.pointer ? [] : ["mov %r7, %r1", "add %r7, %r4"]),
    ...(p.innerFrom !== undefined
      ? ["mov %r6, %r4", `add %r6, ${p.innerFrom}`]
      : [p.innerDown ? `mov %r6, ${p.n}` : "mov %r6, 0"]),
    "inner:",
    p.innerFrom !== undefined ? "mov %r8, %r1" : p.pointer ? "mov %r8, %r4" : "mov %r8, %r7",
    "add %r8, %r6",
    `ldxb %r8, [%r8+${p.off}]`,
    ...(p.second ? ["mov %r9, %r1", "add %r9, %r6", `ldxb %r9, [%r9+${p.off2}]`, "add %r0, %r9"] : []),
    "add %r0, %r8",
    ...(p.early >= 0 ? [`jeq %r8, ${p.early}, after`] : []),
    ...(p.innerDown
      ? ["add %r6, -1", "jne %r6, 0, inner"]
      : [
          "add %r6, 1",
          p.innerFrom !== undefined
            ? "jlt %r6, %r2, inner"
            : p.innerConst
              ? `jlt %r6, ${p.n}, inner`
              : "jlt %r6, %r3, inner",
        ]),
    "after:",
  ];
  if (p.outer === "rotated") {
    lines.push("ja entry", "next:", "add %r4, 1", "mov %r6, %r4");
    if (p.exitAdd) lines.push("add %r6, %r3");
    if (p.over) lines.push(p.swapped ? "jge %r2, %r6, entry" : "jle %r6, %r2, entry", "ja done");
    else lines.push(p.swapped ? "jlt %r2, %r6, done" : "jgt %r6, %r2, done");
    lines.push("entry:", ...body, "ja next", "done:", "exit");
  } else {
    lines.push("outer:", ...body);
    lines.push(
      ...(p.outer === "down" ? ["add %r4, -1", "jne %r4, 0, outer"] : ["add %r4, 1", "jlt %r4, %r2, outer"]),
      "exit",
    );
  }
  const index = (text: string) => lines.filter((l) => !l.endsWith(":")).findIndex((l) => l.startsWith(text));
  return { source: lines.join("\n"), load: index("ldxb %r8"), load2: index("ldxb %r9") };
}

/** r0, or the instruction of the load that reads outside the input (data undefined: every load allowed). */
export function model(p: Nest, data: Uint8Array | undefined, loads: { load: number; load2: number }) {
  let r0 = 0n;
  let reach = -1;
  const read = (at: number, insn: number) => {
    reach = Math.max(reach, at);
    if (!data) return 1;
    if (at < 0 || at >= data.length) throw new RangeError(String(insn));
    return data[at];
  };
  const body = (i: number) => {
    const from = p.innerFrom !== undefined;
    let j = from ? i + p.innerFrom! : p.innerDown ? p.n : 0;
    for (;;) {
      const b = read((from ? 0 : i) + j + p.off, loads.load);
      if (p.second) r0 += BigInt(read(j + p.off2, loads.load2));
      r0 += BigInt(b);
      if (b === p.early) return;
      if (p.innerDown) {
        if (--j === 0) return;
      } else if (++j >= (from ? p.b : p.n)) return;
    }
  };
  try {
    let i = p.i0;
    if (p.outer === "rotated") {
      for (;;) {
        body(i);
        i++;
        if ((p.exitAdd ? i + p.n : i) > p.b) break;
      }
    } else if (p.outer === "counted") {
      do body(i++);
      while (i < p.b);
    } else {
      do body(i--);
      while (i !== 0);
    }
  } catch (e) {
    if (e instanceof RangeError) return { fault: Number(e.message), reach };
    throw e;
  }
  return { r0, reach };
}

/** A nest whose last trip reads the input's last byte (past = 0) or the byte after it (past = 1), or undefined. */
export function reaching(p: Nest, length: number, past: number): Nest | undefined {
  for (let b = 0; b <= length + 20; b++)
    for (let i0 = p.outer === "down" ? 1 : 0; i0 <= (p.outer === "down" ? length : 3); i0++) {
      const q = { ...p, b, i0 };
      if (q.outer === "down" && b !== 0) continue;
      if (model(q, undefined, { load: 0, load2: 0 }).reach === length - 1 + past) return q;
    }
  return undefined;
}

export function randomNest(rand: () => number): Nest {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const outer = pick(["rotated", "rotated", "counted", "down"] as const);
  return {
    outer,
    exitAdd: rand() < 0.6,
    swapped: rand() < 0.3,
    pointer: outer !== "down" && rand() < 0.4,
    innerDown: rand() < 0.25,
    innerConst: rand() < 0.4,
    early: rand() < 0.5 ? pick([0x61, 0x62]) : -1,
    second: rand() < 0.5,
    n: 1 + Math.floor(rand() * 8),
    i0: 0,
    b: 0,
    off: Math.floor(rand() * 9),
    off2: Math.floor(rand() * 5),
    over: rand() < 0.4,
  };
}

/** Input bytes: mostly 'c', some 'a' and 'b' (where inner loops leaving early stop). */
export function input(rand: () => number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = rand() < 0.15 ? 0x61 : rand() < 0.1 ? 0x62 : 0x63;
  return b;
}

/** memsearch's shape: clang's rotated outer loop, its exit on i + n, an inner loop that leaves early. */
export const MEMSEARCH: Nest = {
  outer: "rotated",
  exitAdd: true,
  swapped: false,
  over: false,
  pointer: false,
  innerDown: false,
  innerConst: false,
  early: 0x62,
  second: true,
  n: 6,
  i0: 0,
  b: 40,
  off: 4,
  off2: 0,
};
