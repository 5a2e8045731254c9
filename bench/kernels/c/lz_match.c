/* A compressor's match search: at every 64th position, the longest match (up to 32 bytes) with the 256 bytes before
 * it; the sum of those lengths. */
#include "kernel.h"
KERNEL(lz_match)
{
	u64 total = 0;
	for (u64 p = 256; p + 32 < len; p += 64) {
		u32 best = 0;
		for (u64 q = p - 256; q < p; q++) {
			u32 l = 0;
			while (l < 32 && data[q + l] == data[p + l]) l++;
			if (l > best) best = l;
		}
		total += best;
	}
	return total;
}
