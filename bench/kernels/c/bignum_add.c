/* Multi-precision addition: input = u32 limb count n, u32 rounds, then two n-limb little-endian numbers a and b
 * (u32 limbs). Each round does a += b then b += a (mod 2^(32n)), limb by limb with the carry, a Fibonacci-like
 * walk. Result: a fold of a's limbs after the last round. */
#include "kernel.h"

static inline void add_into(u32 *dst, const u32 *src, u32 n)
{
	u64 carry = 0;

	for (u32 i = 0; i < n; i++) {
		u64 s = (u64)dst[i] + src[i] + carry;
		dst[i] = (u32)s;
		carry = s >> 32;
	}
}

KERNEL(bignum_add)
{
	if (len < 8)
		return 0;
	u32 n = load_le32(data), rounds = load_le32(data + 4);
	if (8 + 8 * (u64)n > len)
		return 0;
	u32 *a = (u32 *)(data + 8), *b = a + n;

	for (u32 r = 0; r < rounds; r++) {
		add_into(a, b, n);
		add_into(b, a, n);
	}
	u64 result = 0;
	for (u32 i = 0; i < n; i++)
		result = result * 0x100000001b3ULL + a[i];
	return result;
}
