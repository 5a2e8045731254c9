# CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320), bit by bit without a table and without branches in the
# bit loop: [r1+0] u32 byte count, the bytes from [r1+8]. r0 = the CRC.
ldxw %r2, [%r1+0]
add %r1, 8
mov %r3, %r1
add %r3, %r2
mov32 %r0, -1
jge %r1, %r3, fin
byte:
ldxb %r4, [%r1+0]
xor32 %r0, %r4
mov %r5, 8
bit:
mov32 %r6, %r0
and32 %r6, 1
neg32 %r6
and32 %r6, 0xedb88320
rsh32 %r0, 1
xor32 %r0, %r6
sub %r5, 1
jne %r5, 0, bit
add %r1, 1
jlt %r1, %r3, byte
fin:
xor32 %r0, -1
exit
