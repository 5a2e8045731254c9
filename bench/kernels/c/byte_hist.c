/* A byte histogram on the stack, then the sum of squares of its counts. */
#include "kernel.h"
KERNEL(byte_hist)
{
	u32 hist[64];
	for (int i = 0; i < 64; i++) hist[i] = 0;
	for (u64 i = 0; i < len; i++) hist[data[i] >> 2]++;
	u64 s = 0;
	for (int i = 0; i < 64; i++) s += (u64)hist[i] * hist[i];
	return s;
}
