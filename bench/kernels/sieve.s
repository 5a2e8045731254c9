# Sieve of Eratosthenes: [r1+0] u32 n, then n zero bytes from [r1+8] (one flag per number).
# r0 = how many primes are below n. Byte loads and stores, a multiply, nested loops.
ldxw %r2, [%r1+0]
add %r1, 8
mov %r0, 0
mov %r3, 2
jge %r3, %r2, done
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
done:
exit
