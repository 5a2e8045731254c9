/* Matrix-vector products in 16-bit fixed point: rows of 64 signed 16-bit values, each 64-row block from every 16th
 * row on multiplied by its own first row; the products shifted down and summed. */
#include "kernel.h"
KERNEL(matvec16)
{
	const short *m = (const short *)data;
	u32 rows = len / 128;
	if (rows < 64) return 0;
	s64 total = 0;
	for (u32 base = 0; base + 64 <= rows; base += 16) {
		const short *x = m + base * 64;
		for (u32 r = 0; r < 64; r++) {
			s32 acc = 0;
			const short *row = m + (base + r) * 64;
			for (u32 c = 0; c < 64; c++) acc += row[c] * x[c];
			total += acc >> 4;
		}
	}
	return (u64)total;
}
