// Counted loops (a `jlt iv, bound` back edge, one `add iv, step` in the latch) that the Wasm and the ARM32 engines'
// tests both run. A translator versions such a loop: it tests the whole address range once before the loop and,
// when the range fits, runs an unchecked copy of the body. Each program sits on a boundary of that one test (its
// last access ends exactly at a region's end, or one access further), so a range test that is off by one, or an
// unchecked copy that computes its addresses otherwise than the checked one, changes the outcome. The tests name
// faulting instructions by their index: changing an instruction here changes the expected faults in both files.

/**
 * clang's rotated form of `for (i = 0; i + 16 <= bound; i += 8) { ...r4 = p + i... }` over r1: the counter kept
 * twice (r7, and r3, which starts at `next` and is i + 8 after a trip when `next` is 0), the exit test on the old
 * one plus 16 (jgt out), an unconditional jump back. `body` reads through r4 into r5 and `fold` combines r5 into
 * r0; `before` runs first and `after` at the exit. The first read is instruction 6 when `before` is empty.
 */
export function rotatedLoop(o: {
  bound: number;
  body?: string;
  fold?: string;
  before?: string;
  after?: string;
  next?: number;
}): string {
  return `
    ${o.before ?? ""}
    mov %r0, 0
    mov %r3, ${o.next ?? 0}
    mov %r7, 0
    mov %r2, ${o.bound}
  loop:
    mov %r4, %r1
    add %r4, %r7
    ${o.body ?? "ldxdw %r5, [%r4+0]"}
    ${o.fold ?? "add %r0, %r5"}
    add %r3, 8
    mov %r8, %r7
    add %r8, 16
    mov %r7, %r3
    jgt %r8, %r2, out
    ja loop
  out:
    ${o.after ?? ""}
    exit`;
}

/**
 * inet_csum's loop as clang rotates it: i (r4) and next (r3), two-byte reads summed into r0, the back edge on
 * i + 3 < bound; `after` runs at the exit. The read is instruction 6.
 */
export const pairSumLoop = (bound: number, after = "") => `
    mov %r0, 0
    mov %r3, 0
    mov %r4, 0
    mov %r2, ${bound}
  loop:
    mov %r5, %r1
    add %r5, %r4
    ldxh %r6, [%r5+0]
    add %r0, %r6
    add %r3, 2
    mov %r6, %r4
    add %r6, 3
    mov %r4, %r3
    jlt %r6, %r2, loop
    ${after}
    exit`;

/**
 * Flags for 2 .. n-1 from r1, one byte each, zero at the start: r0 = the number of primes below n. The inner loops
 * store up to the largest composite below n, so an n above the region's size runs a store past its end: n = 101
 * over 100 bytes, one byte past it.
 */
export const sieve = (n: number) => `
        mov %r2, ${n}
        mov %r0, 0
        mov %r3, 2
      outer:
        mov %r4, %r1
        add %r4, %r3
        ldxb %r5, [%r4+0]
        jne %r5, 0, next
        add %r0, 1
        mov %r6, %r3
        mul %r6, %r3
        jge %r6, %r2, next
      inner:
        mov %r4, %r1
        add %r4, %r6
        stb [%r4+0], 1
        add %r6, %r3
        jlt %r6, %r2, inner
      next:
        add %r3, 1
        jlt %r3, %r2, outer
        exit`;

/**
 * Addresses made of operands above 2^32: r4 = r1 + r3 + (2^40 + 8) + (-2^40), a byte read there and written 16
 * bytes further, r3 from 0 below `bound`; r0 adds up r4 - r1 (r3 + 24 in each trip). The high words cancel: the
 * accesses lie in the input, and the unchecked copy's addresses, added up in 32 bits, must be the 64-bit sums. The
 * last write is at offset bound + 23, the last byte of an input of bound + 24 bytes.
 */
export const wideOperands = (bound: number) => `
        mov %r0, 0
        lddw %r6, 0x10000000008
        lddw %r7, 0xffffff0000000000
        mov %r3, 0
      loop:
        mov %r4, %r1
        add %r4, %r3
        add %r4, %r6
        add %r4, %r7
        ldxb %r5, [%r4+0]
        add %r4, 16
        stxb [%r4+0], %r5
        mov %r8, %r4
        sub %r8, %r1
        add %r0, %r8
        add %r3, 1
        jlt %r3, ${bound}, loop
        exit`;

/**
 * Words copied from the input to the stack at r10 - frame through a pointer (r2), r3 from 0 below `bound` in
 * steps of 8; r0 = the sum of the words, plus the first one read back from the stack with `readBack`. One loop
 * touches two regions, each with its own boundary: a bound of 65 reads a word past a 64-byte input, a frame of 56
 * writes the last word at r10 (just above the frame), a frame of 520 the first one below the 512-byte frame.
 */
export const copyToStack = (frame: number, bound: number, { readBack }: { readBack: boolean }) => `
        mov %r0, 0
        mov %r2, %r10
        add %r2, -${frame}
        mov %r3, 0
      loop:
        mov %r4, %r1
        add %r4, %r3
        ldxdw %r5, [%r4+0]
        mov %r4, %r2
        add %r4, %r3
        stxdw [%r4+0], %r5
        add %r0, %r5
        add %r3, 8
        jlt %r3, ${bound}, loop${
          readBack
            ? `
        ldxdw %r5, [%r2+0]
        add %r0, %r5`
            : ""
        }
        exit`;

/** How a derived exit test is written: the back edge itself, or a jump out over a closing `ja loop`. */
export const DERIVED_TESTS = {
  jlt: { back: "jlt", rev: false, ja: false },
  jle: { back: "jle", rev: false, ja: false },
  jslt: { back: "jslt", rev: false, ja: false },
  jsle: { back: "jsle", rev: false, ja: false },
  "jgt-rev": { back: "jgt", rev: true, ja: false }, // jgt B, Y, loop
  "jsge-rev": { back: "jsge", rev: true, ja: false },
  "ja-jgt": { back: "jgt", rev: false, ja: true }, // jgt Y, B, done; ja loop
  "ja-jge": { back: "jge", rev: false, ja: true },
  "ja-jsgt": { back: "jsgt", rev: false, ja: true },
  "ja-jlt-rev": { back: "jlt", rev: true, ja: true }, // jlt B, Y, done; ja loop
  jne: { back: "jne", rev: false, ja: false },
  "ja-jeq": { back: "jeq", rev: false, ja: true },
  // on the low 32 bits (JMP32), as clang compiles `int` and `u32` counters
  jlt32: { back: "jlt32", rev: false, ja: false },
  jsle32: { back: "jsle32", rev: false, ja: false },
  "jgt32-rev": { back: "jgt32", rev: true, ja: false },
  "ja-jsge32": { back: "jsge32", rev: false, ja: true },
  jne32: { back: "jne32", rev: false, ja: false },
} as const;
export type DerivedTest = keyof typeof DERIVED_TESTS;

export interface Derived {
  test: DerivedTest;
  /** imm: in the test; reg: in r7, set before the loop; slot: stored at r10 - 8 and reloaded into r7 every trip. */
  bound: "imm" | "reg" | "slot";
  b: bigint;
  start: bigint;
  step: number;
  /** Y = the trip's index + c, computed before the index takes its new value. */
  c: number;
  size: 1 | 2 | 4 | 8;
  off: number;
}

/**
 * A loop as clang rotates it (`for (i = start; i + c - step < B; i += step)`): r3 steps, r4 is its copy from the
 * previous trip (the index the accesses use), the exit test compares r8 = r4 + c with B. r0 adds up the values read
 * at r1 + r4 + off; with a slot bound the loop also stores r0 into its frame at r10 - 16 (another slot: no alias).
 * After the loop r0 = r0 * 1000003 + r4 (+ the frame's r0), so that the copy's registers must be written back.
 */
export function derivedExit(d: Derived): string {
  const t = DERIVED_TESTS[d.test];
  const B = d.bound === "imm" ? `${d.b}` : "%r7";
  const [a, b] = t.rev ? [B, "%r8"] : ["%r8", B];
  const load = { 1: "ldxb", 2: "ldxh", 4: "ldxw", 8: "ldxdw" }[d.size];
  return [
    "mov %r0, 0",
    `lddw %r3, ${d.start}`,
    "mov %r4, %r3",
    ...(d.bound === "imm" ? [] : [`lddw %r7, ${d.b}`]),
    ...(d.bound === "slot" ? ["stxdw [%r10-8], %r7", "mov %r7, 0", "stxdw [%r10-16], %r7"] : []),
    "loop:",
    "mov %r5, %r1",
    "add %r5, %r4",
    `${load} %r6, [%r5${d.off < 0 ? d.off : `+${d.off}`}]`,
    "add %r0, %r6",
    ...(d.bound === "slot" ? ["stxdw [%r10-16], %r0"] : []),
    `add %r3, ${d.step}`,
    "mov %r8, %r4",
    `add %r8, ${d.c}`,
    "mov %r4, %r3",
    ...(d.bound === "slot" ? ["ldxdw %r7, [%r10-8]"] : []),
    ...(t.ja ? [`${t.back} ${a}, ${b}, done`, "ja loop"] : [`${t.back} ${a}, ${b}, loop`]),
    "done:",
    "mul %r0, 1000003",
    "add %r0, %r4",
    ...(d.bound === "slot" ? ["ldxdw %r6, [%r10-16]", "add %r0, %r6"] : []),
    "exit",
  ].join("\n");
}

type Shape = Omit<Derived, "test" | "bound" | "b">;
export const DERIVED_SHAPES: Shape[] = [
  { start: 0n, step: 2, c: 3, size: 2, off: 0 }, // inet_csum: i + 3 < len
  { start: 0n, step: 8, c: 16, size: 8, off: 0 }, // popcount: i + 16 <= len, from the previous trip's i
  { start: 0n, step: 4, c: 8, size: 4, off: 0 }, // xxhash32's tail
  { start: 3n, step: 3, c: 3, size: 1, off: 2 }, // a step that is no power of two
  { start: 8n, step: 4, c: 1, size: 4, off: -8 }, // c below the step; a negative offset
  { start: 0n, step: 8, c: -5, size: 1, off: 7 }, // Y below 0 in the first trip: ends it unsigned, not signed
];
/** For != and ==: steps of 1. */
export const DERIVED_UNIT_SHAPES: Shape[] = [
  { start: 0n, step: 1, c: 4, size: 2, off: 1 },
  { start: 2n, step: 1, c: -1, size: 1, off: 0 },
];

/** Every test with every kind of bound (a constant B only where it is the second operand), a shape each; B = 40. */
export const DERIVED_PROGRAMS: Derived[] = (Object.keys(DERIVED_TESTS) as DerivedTest[]).flatMap((test, i) =>
  (["imm", "reg", "slot"] as const)
    .filter((bound) => !(DERIVED_TESTS[test].rev && bound === "imm"))
    .map((bound, j) => {
      const shapes = /^j(ne|eq)/.test(DERIVED_TESTS[test].back) ? DERIVED_UNIT_SHAPES : DERIVED_SHAPES;
      return { ...shapes[(i + j) % shapes.length], test, bound, b: 40n };
    }),
);
