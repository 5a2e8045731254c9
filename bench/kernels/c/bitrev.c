/* Each u32 bit-reversed by a loop over its 32 bits, the results folded by rotate and xor. */
#include "kernel.h"
KERNEL(bitrev)
{
	const u32 *a = (const u32 *)data;
	u64 n = len / 4;
	u32 h = 0;
	for (u64 i = 0; i < n; i++) {
		u32 v = a[i], r = 0;
		for (int b = 0; b < 32; b++) {
			r = r << 1 | (v & 1);
			v >>= 1;
		}
		h = (h << 5 | h >> 27) ^ r;
	}
	return h;
}
