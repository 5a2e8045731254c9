// The byte search that the Wasm and the ARM32 engines' short-search tests both run: a counted outer loop over the
// haystack's starts and, inside it, a search loop that can leave early (at the first byte that differs), which
// each translator versions behind an entry test it skips while searches run short. Faults are named by the
// haystack load's instruction index: changing an instruction here changes the expected faults in both files.

/** The needle: the context's bytes 0 .. n - 1 (n <= 16); the haystack starts at byte HAY. */
export const HAY = 16;
/** The instruction index of the haystack's load. */
export const READ_HAY = 7;

/** Occurrences of ctx[0..n) in ctx[HAY..] at starts 0 .. starts - 1 (the search at the last may read past the end). */
export const search = (n: number, starts: number) => `
    mov %r0, 0
    mov %r4, 0
  outer:
    mov %r7, %r1
    add %r7, %r4
    mov %r6, 0
  inner:
    mov %r8, %r7
    add %r8, %r6
    ldxb %r8, [%r8+${HAY}]
    mov %r9, %r1
    add %r9, %r6
    ldxb %r9, [%r9+0]
    jne %r8, %r9, miss
    add %r6, 1
    jlt %r6, ${n}, inner
    add %r0, 1
  miss:
    add %r4, 1
    jlt %r4, ${starts}, outer
    exit`;
