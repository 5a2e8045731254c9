/* Largest sum of a contiguous run of the input's signed 16-bit little-endian values (Kadane). */
#include "kernel.h"
KERNEL(kadane)
{
	const u16 *a = (const u16 *)data;
	u64 n = len / 2;
	s64 best = 0, cur = 0;
	for (u64 i = 0; i < n; i++) {
		s64 v = (short)a[i];
		cur = cur + v > v ? cur + v : v;
		best = cur > best ? cur : best;
	}
	return (u64)best;
}
