// Counted loops (a `jlt iv, bound` back edge, one `add iv, step` in the latch) that the Wasm and the ARM32 engines'
// tests both run. A translator versions such a loop: it tests the whole address range once before the loop and,
// when the range fits, runs an unchecked copy of the body. Each program sits on a boundary of that one test (its
// last access ends exactly at a region's end, or one access further), so a range test that is off by one, or an
// unchecked copy that computes its addresses otherwise than the checked one, changes the outcome. The tests name
// faulting instructions by their index: changing an instruction here changes the expected faults in both files.

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
