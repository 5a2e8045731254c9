/* Population count of the input, a 64-bit word at a time with the classic SWAR reduction (Hacker's Delight 5-1);
 * trailing bytes one bit at a time. Result: the number of set bits. */
#include "kernel.h"

KERNEL(popcount)
{
	u64 total = 0, i = 0;

	for (; i + 8 <= len; i += 8) {
		u64 x = load_le64(data + i);
		x = x - ((x >> 1) & 0x5555555555555555ULL);
		x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
		x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
		total += (x * 0x0101010101010101ULL) >> 56;
	}
	for (; i < len; i++)
		for (u32 b = data[i]; b; b >>= 1)
			total += b & 1;
	return total;
}
