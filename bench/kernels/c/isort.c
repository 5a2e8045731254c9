/* Insertion sort of the input's u32 array in place: input = u32 count, then the values (little-endian).
 * Result: sum over i of (i + 1) * sorted[i], which only the sorted order gives. */
#include "kernel.h"

KERNEL(isort)
{
	if (len < 4)
		return 0;
	u64 n = load_le32(data);
	if (n > (len - 4) / 4)
		n = (len - 4) / 4;
	u32 *a = (u32 *)(data + 4);

	for (u64 i = 1; i < n; i++) {
		u32 v = a[i];
		u64 j = i;
		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
	u64 result = 0;
	for (u64 i = 0; i < n; i++)
		result += (i + 1) * a[i];
	return result;
}
