/* The input reversed in place by two indices converging, then every fourth byte weighted by its position. */
#include "kernel.h"
KERNEL(reverse_bytes)
{
	if (len == 0) return 0;
	u64 i = 0, j = len - 1;
	while (i < j) {
		u8 t = data[i];
		data[i] = data[j];
		data[j] = t;
		i++;
		j--;
	}
	u64 s = 0;
	for (u64 k = 0; k < len; k += 4) s += data[k] * (k + 1);
	return s;
}
