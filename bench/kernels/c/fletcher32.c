/* Fletcher-32 over the input as little-endian 16-bit words (a trailing odd byte is ignored), with the usual
 * deferred reduction: the sums are folded only every 359 words, the most that cannot overflow 32 bits.
 * Result: sum2 << 16 | sum1. */
#include "kernel.h"

KERNEL(fletcher32)
{
	u32 sum1 = 0xffff, sum2 = 0xffff;
	u64 words = len / 2;
	const u8 *p = data;

	while (words) {
		u64 block = words > 359 ? 359 : words;
		words -= block;
		do {
			sum1 += load_le16(p);
			sum2 += sum1;
			p += 2;
		} while (--block);
		sum1 = (sum1 & 0xffff) + (sum1 >> 16);
		sum2 = (sum2 & 0xffff) + (sum2 >> 16);
	}
	sum1 = (sum1 & 0xffff) + (sum1 >> 16);
	sum2 = (sum2 & 0xffff) + (sum2 >> 16);
	return (u64)sum2 << 16 | sum1;
}
