/* Sum of the decimal numbers in a text (runs of digits), each taken mod 2^32. */
#include "kernel.h"
KERNEL(parse_nums)
{
	u64 total = 0, count = 0;
	u32 cur = 0;
	int in = 0;
	for (u64 i = 0; i < len; i++) {
		u32 d = (u32)data[i] - '0';
		if (d < 10) {
			cur = cur * 10 + d;
			in = 1;
		} else if (in) {
			total += cur;
			count++;
			cur = 0;
			in = 0;
		}
	}
	if (in) { total += cur; count++; }
	return total ^ count << 48;
}
