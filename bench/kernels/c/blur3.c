/* A [1 2 1] / 4 filter over the first half of the input into the second half and back, then an FNV-1a-like hash
 * of the first half. */
#include "kernel.h"
KERNEL(blur3)
{
	u64 half = len / 2;
	u8 *src = data, *dst = data + half;
	for (int pass = 0; pass < 2; pass++) {
		for (u64 i = 1; i + 1 < half; i++)
			dst[i] = (src[i - 1] + 2 * src[i] + src[i + 1] + 2) >> 2;
		u8 *t = src;
		src = dst;
		dst = t;
	}
	u32 h = 0;
	for (u64 i = 0; i < half; i++) h = (h ^ src[i]) * 0x01000193;
	return h;
}
