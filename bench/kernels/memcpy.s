# Memory copy, 8 bytes at a time: [r1+0] u32 byte count n (a multiple of 8), [r1+4] u32 rounds; copies the n
# bytes at [r1+8] to [r1+8+n], `rounds` times. r0 = the 64-bit wrapping sum of every word copied.
ldxw %r2, [%r1+0]
ldxw %r8, [%r1+4]
mov %r0, 0
add %r1, 8
jeq %r8, 0, done
jeq %r2, 0, done
round:
mov %r3, 0
copy:
mov %r4, %r1
add %r4, %r3
ldxdw %r5, [%r4+0]
add %r4, %r2
stxdw [%r4+0], %r5
add %r0, %r5
add %r3, 8
jlt %r3, %r2, copy
sub %r8, 1
jne %r8, 0, round
done:
exit
