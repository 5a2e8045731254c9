# Trial division, the conformance suite's `prime` test (same loop, same instructions) on a number read from the
# input instead of the constant 67: r0 = 1 when the u64 at [r1+0] is prime, 0 otherwise.
ldxdw %r1, [%r1+0]
mov %r0, 0x1
mov %r2, 0x2
jgt %r1, 0x2, L3
ja done
L2:
add %r2, 0x1
mov %r0, 0x1
jge %r2, %r1, done
L3:
mov %r3, %r1
div %r3, %r2
mul %r3, %r2
mov %r4, %r1
sub %r4, %r3
mov %r0, 0x0
jne %r4, 0x0, L2
done:
exit
