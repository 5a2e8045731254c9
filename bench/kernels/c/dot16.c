/* The dot product of the input's two halves as signed 16-bit vectors, and the first one's sum of squares. */
#include "kernel.h"
KERNEL(dot16)
{
	const short *a = (const short *)data;
	u64 n = len / 4;
	const short *b = a + n;
	s64 dot = 0, sq = 0;
	for (u64 i = 0; i < n; i++) {
		dot += (s32)a[i] * b[i];
		sq += (s32)a[i] * a[i];
	}
	return (u64)(dot ^ (sq << 3));
}
