/* Running sums of the first quarter's u16 samples, stored as u32 into the second half; then the sum of the
 * differences eight samples apart. */
#include "kernel.h"
KERNEL(prefix_sum)
{
	u64 n = len / 8;
	const u16 *in = (const u16 *)data;
	u32 *out = (u32 *)(data + len / 2);
	u32 run = 0;
	for (u64 i = 0; i < n; i++) {
		run += in[i];
		out[i] = run;
	}
	u64 acc = 0;
	for (u64 i = 8; i < n; i++) acc += out[i] - out[i - 8];
	return acc ^ run;
}
