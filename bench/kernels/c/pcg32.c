/* PCG32 (XSH RR): a 64-bit linear congruential state stepped once per input byte (the byte, made odd, as the
 * increment), each step's 32-bit output rotated by the state's top bits. Result: the sum of the outputs. */
#include "kernel.h"

KERNEL(pcg32)
{
	u64 state = 0x853c49e6748fea9bULL;
	u64 sum = 0;

	for (u64 i = 0; i < len; i++) {
		state = state * 6364136223846793005ULL + (data[i] | 1);
		u32 x = (u32)(((state >> 18) ^ state) >> 27);
		u32 r = state >> 59;
		sum += (x >> r) | (x << ((-r) & 31));
	}
	return sum;
}
