/* Binary searches: input = u32 n, n ascending u32 keys, then u32 queries to the end (little-endian). Each query's
 * lower bound (the first key not below it) by halving. Result: the sum of the lower bounds. */
#include "kernel.h"

KERNEL(lower_bound)
{
	if (len < 4)
		return 0;
	u32 n = load_le32(data);
	if (n > (len - 4) / 4)
		return 0;
	const u32 *keys = (const u32 *)(data + 4);
	const u32 *queries = keys + n;
	u64 count = (len - 4) / 4 - n;
	u64 sum = 0;

	for (u64 k = 0; k < count; k++) {
		u32 x = queries[k];
		u32 lo = 0, hi = n;
		while (lo < hi) {
			u32 mid = (lo + hi) / 2;
			if (keys[mid] < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		sum += lo;
	}
	return sum;
}
