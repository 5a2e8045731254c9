/* SipHash-2-4 of the input under the key 00 01 02 ... 0f (the reference test key). Result: the 64-bit hash. */
#include "kernel.h"

static inline u64 rotl64(u64 x, int r) { return x << r | x >> (64 - r); }

#define SIPROUND                                                                                                 \
	do {                                                                                                     \
		v0 += v1;                                                                                        \
		v1 = rotl64(v1, 13);                                                                             \
		v1 ^= v0;                                                                                        \
		v0 = rotl64(v0, 32);                                                                             \
		v2 += v3;                                                                                        \
		v3 = rotl64(v3, 16);                                                                             \
		v3 ^= v2;                                                                                        \
		v0 += v3;                                                                                        \
		v3 = rotl64(v3, 21);                                                                             \
		v3 ^= v0;                                                                                        \
		v2 += v1;                                                                                        \
		v1 = rotl64(v1, 17);                                                                             \
		v1 ^= v2;                                                                                        \
		v2 = rotl64(v2, 32);                                                                             \
	} while (0)

KERNEL(siphash)
{
	const u64 k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
	u64 v0 = 0x736f6d6570736575ULL ^ k0;
	u64 v1 = 0x646f72616e646f6dULL ^ k1;
	u64 v2 = 0x6c7967656e657261ULL ^ k0;
	u64 v3 = 0x7465646279746573ULL ^ k1;
	u64 words = len / 8;

	for (u64 i = 0; i < words; i++) {
		u64 m = load_le64(data + 8 * i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	u64 b = len << 56;
	for (u64 i = 0; i < (len & 7); i++)
		b |= (u64)data[8 * words + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
