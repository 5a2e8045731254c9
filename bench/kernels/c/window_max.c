/* Sliding window of 16 bytes: its sum at every position, the largest sum and where it is. */
#include "kernel.h"
KERNEL(window_max)
{
	if (len < 16) return 0;
	u32 s = 0, best = 0;
	u64 at = 0;
	for (u64 i = 0; i < 16; i++) s += data[i];
	best = s;
	for (u64 i = 16; i < len; i++) {
		s += data[i];
		s -= data[i - 16];
		if (s > best) { best = s; at = i; }
	}
	return (u64)best << 32 | at;
}
