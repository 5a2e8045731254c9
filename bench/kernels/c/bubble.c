/* Bubble sort of the input's u32 (little-endian), stopping at a pass without a swap, then a polynomial hash. */
#include "kernel.h"
KERNEL(bubble)
{
	u32 *a = (u32 *)data;
	u32 n = len / 4;
	for (u32 i = 0; i + 1 < n; i++) {
		int swapped = 0;
		for (u32 j = 0; j + 1 < n - i; j++) {
			if (a[j] > a[j + 1]) {
				u32 t = a[j];
				a[j] = a[j + 1];
				a[j + 1] = t;
				swapped = 1;
			}
		}
		if (!swapped) break;
	}
	u64 h = 0;
	for (u32 i = 0; i < n; i++) h = h * 31 + a[i];
	return h;
}
