# Fletcher-32 over 16-bit little-endian words: [r1+0] u32 word count, the words from [r1+8].
# Both sums are reduced modulo 65535 after every word. r0 = sum2 << 16 | sum1.
ldxw %r3, [%r1+0]
mov %r4, %r1
add %r4, 8
lsh %r3, 1
add %r3, %r4
mov %r5, 0
mov %r6, 0
jge %r4, %r3, out
loop:
ldxh %r7, [%r4+0]
add %r5, %r7
mod %r5, 65535
add %r6, %r5
mod %r6, 65535
add %r4, 2
jlt %r4, %r3, loop
out:
mov %r0, %r6
lsh %r0, 16
or %r0, %r5
exit
