/* Adler-32 (RFC 1950) of the whole input, written the textbook way: both sums reduced modulo 65521 after every
 * byte. Result: the checksum. */
#include "kernel.h"

#define MOD_ADLER 65521

KERNEL(adler32)
{
	u32 a = 1, b = 0;

	for (u64 i = 0; i < len; i++) {
		a = (a + data[i]) % MOD_ADLER;
		b = (b + a) % MOD_ADLER;
	}
	return (u64)b << 16 | a;
}
