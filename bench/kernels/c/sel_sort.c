/* Selection sort of the input's first 512 u16 (little-endian), then a position-weighted sum. */
#include "kernel.h"
KERNEL(sel_sort)
{
	u16 *a = (u16 *)data;
	u64 n = len / 2;
	if (n > 512) n = 512;
	for (u64 i = 0; i + 1 < n; i++) {
		u64 m = i;
		for (u64 j = i + 1; j < n; j++)
			if (a[j] < a[m]) m = j;
		u16 t = a[i]; a[i] = a[m]; a[m] = t;
	}
	u64 s = 0;
	for (u64 i = 0; i < n; i++) s += a[i] * (i + 1);
	return s;
}
