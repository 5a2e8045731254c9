/* Hex encoding of the first third of the input into the rest of it, then a hash of the text. */
#include "kernel.h"
KERNEL(hex_encode)
{
	u64 n = len / 3;
	u8 *out = data + n;
	for (u64 i = 0; i < n; i++) {
		u8 b = data[i];
		u8 hi = b >> 4, lo = b & 15;
		out[2 * i] = hi < 10 ? '0' + hi : 'a' + hi - 10;
		out[2 * i + 1] = lo < 10 ? '0' + lo : 'a' + lo - 10;
	}
	u32 h = 0;
	for (u64 i = 0; i < 2 * n; i++) h = h * 31 + out[i];
	return h;
}
