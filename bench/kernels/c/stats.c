/* The minimum, maximum and mean of u32 samples, then the sum of their distances to the mean (shifted down). */
#include "kernel.h"
KERNEL(stats)
{
	const u32 *a = (const u32 *)data;
	u64 n = len / 4;
	if (n == 0) return 0;
	u32 mn = a[0], mx = a[0];
	u64 sum = 0;
	for (u64 i = 0; i < n; i++) {
		u32 v = a[i];
		if (v < mn) mn = v;
		if (v > mx) mx = v;
		sum += v;
	}
	u64 mean = sum / n, dev = 0;
	for (u64 i = 0; i < n; i++) {
		u64 d = a[i] > mean ? a[i] - mean : mean - a[i];
		dev += d >> 8;
	}
	return (u64)mn ^ (u64)mx << 16 ^ mean << 24 ^ dev;
}
