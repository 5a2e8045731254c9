/* The decimal digits of each u32 of the input (little-endian), by division by 10 in a loop whose trip count is
 * the data's. Result: the number of digits << 32 | their sum. */
#include "kernel.h"

KERNEL(digits)
{
	const u32 *a = (const u32 *)data;
	u64 n = len / 4, count = 0, sum = 0;

	for (u64 i = 0; i < n; i++) {
		u32 x = a[i];
		do {
			sum += x % 10;
			x /= 10;
			count++;
		} while (x);
	}
	return count << 32 | sum;
}
