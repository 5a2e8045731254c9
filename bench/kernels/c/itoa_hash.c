/* Each u32, shifted right by its low four bits, written in decimal into a stack buffer (digits last first, then
 * reversed in place) and its characters hashed: printf's inner loop. */
#include "kernel.h"
KERNEL(itoa_hash)
{
	const u32 *a = (const u32 *)data;
	u64 n = len / 4;
	u32 h = 5381;
	char buf[12];
	for (u64 i = 0; i < n; i++) {
		u32 v = a[i] >> (a[i] & 15);
		int k = 0;
		do {
			buf[k++] = '0' + v % 10;
			v /= 10;
		} while (v);
		for (int l = 0, r = k - 1; l < r; l++, r--) {
			char t = buf[l];
			buf[l] = buf[r];
			buf[r] = t;
		}
		for (int j = 0; j < k; j++) h = h * 33 + buf[j];
	}
	return h;
}
