// parse_nums (bench/kernels/c/parse_nums.c) as clang -O2 lays it out, for the ARM32 tests of loops that
// analysis/facts.ts versions: the program, text to run it on, and its result computed here by BigInt.

const M64 = (1n << 64n) - 1n;

/** Where the loop's parts lie, counted from the `ja` into its middle (its head). */
export const PARSE_NUMS = {
  last: 44, // the loop's last instruction
  readAfterOther: 10, // reads data[i] after a byte that is not a digit (or at the first trip)
  readAfterDigit: 39, // reads data[i + 1] after a digit
};

/**
 * The program: `entry` sets r2 = len (and whatever else the caller moves, e.g. the counter's start r5); with
 * `zeroCounter`, r5 = 0 where clang places it instead.
 */
export function parseNumsProgram(entry: string, zeroCounter: boolean): string {
  return `
${entry}
        mov %r3, 0
        mov %r0, 0
        mov %r6, 0
        jeq %r2, 0, done
        mov %r4, %r1
        add %r4, 1
${zeroCounter ? "        mov %r5, 0\n" : ""}        stxdw [%r10-16], %r1
        ja first
      more:
        ldxdw %r3, [%r10-8]
        add %r3, %r9
        add %r0, %r6
        add %r5, 1
        ldxdw %r1, [%r10-16]
        jge %r5, %r2, tail
      first:
        stxdw [%r10-8], %r3
        mov %r6, %r1
        add %r6, %r5
        ldxb %r8, [%r6+0]
        add32 %r8, -48
        mov32 %r6, 0
        mov32 %r7, 1
        jlt32 %r8, 10, skip
        mov32 %r7, 0
      skip:
        jgt32 %r8, 9, other
        mov32 %r6, 0
        mov32 %r9, %r8
        ja digit
      next:
        add %r5, 1
        jlt32 %r9, 10, digit
      other:
        mov32 %r9, 1
        jlt32 %r8, 10, more
        mov32 %r9, 0
        ja more
      digit:
        mov32 %r3, %r6
        mul32 %r3, 10
        mov32 %r6, %r9
        add32 %r6, %r3
        mov %r3, %r5
        add %r3, 1
        jlt %r3, %r2, again
        and %r7, 1
        ldxdw %r3, [%r10-8]
        add %r3, %r7
        ja done
      again:
        mov %r7, %r4
        add %r7, %r5
        ldxb %r9, [%r7+0]
        add32 %r9, -48
        mov32 %r7, 1
        jlt32 %r9, 10, next
        mov32 %r7, 0
        ja next
      tail:
        and %r7, 1
        add %r3, %r7
        mov %r6, 0
      done:
        add %r0, %r6
        lsh %r3, 48
        xor %r0, %r3
        exit`;
}

/** Text of `length` bytes: digits in runs of 0 to 11, separated by 1 to 3 other bytes. */
export function parseNumsText(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0 || 1;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0x7fff;
  for (let i = 0; i < length; ) {
    for (let d = next() % 12; d > 0 && i < length; d--) out[i++] = 48 + (next() % 10);
    for (let o = 1 + (next() % 3); o > 0 && i < length; o--) out[i++] = [32, 44, 47, 58, 97, 10][next() % 6];
  }
  return out;
}

/**
 * The program's result by BigInt (the first trip runs whenever len is not 0, as clang's rotated loop does), or the
 * fault of the first read past the region; the counter i runs from `start` (data at r1 + i - start), the loop's
 * head is instruction `head`.
 */
export function parseNumsModel(len: bigint, start: bigint, mem: Uint8Array, head: number): string {
  let total = 0n,
    count = 0n,
    cur = 0n,
    inNum = false;
  if (len === 0n) return "r0 = 0";
  let i = start;
  do {
    const at = i - start;
    if (at >= BigInt(mem.length)) {
      const after = at > 0n && mem[Number(at) - 1] >= 48 && mem[Number(at) - 1] <= 57;
      return `out-of-bounds read of 1 bytes at context+0x${at.toString(16)} (instruction ${head + (after ? PARSE_NUMS.readAfterDigit : PARSE_NUMS.readAfterOther)})`;
    }
    const d = (BigInt(mem[Number(at)]) - 48n) & 0xffffffffn;
    if (d < 10n) {
      cur = (cur * 10n + d) & 0xffffffffn;
      inNum = true;
    } else if (inNum) {
      total += cur;
      count++;
      cur = 0n;
      inNum = false;
    }
    i = (i + 1n) & M64;
  } while (i < len);
  if (inNum) {
    total += cur;
    count++;
  }
  return `r0 = ${(total ^ (count << 48n)) & M64}`;
}
