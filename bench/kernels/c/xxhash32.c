/* xxHash32 of the input with seed 0 (the reference algorithm: four lanes over 16-byte stripes, then the tail).
 * Result: the hash. */
#include "kernel.h"

#define P1 0x9E3779B1u
#define P2 0x85EBCA77u
#define P3 0xC2B2AE3Du
#define P4 0x27D4EB2Fu
#define P5 0x165667B1u

static inline u32 rotl32(u32 x, int r) { return x << r | x >> (32 - r); }
static inline u32 round32(u32 acc, u32 input) { return rotl32(acc + input * P2, 13) * P1; }

KERNEL(xxhash32)
{
	const u8 *p = data, *end = data + len;
	u32 h;

	if (len >= 16) {
		u32 v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1;
		const u8 *limit = end - 16;
		do {
			v1 = round32(v1, load_le32(p));
			v2 = round32(v2, load_le32(p + 4));
			v3 = round32(v3, load_le32(p + 8));
			v4 = round32(v4, load_le32(p + 12));
			p += 16;
		} while (p <= limit);
		h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
	} else {
		h = P5;
	}
	h += (u32)len;
	while (p + 4 <= end) {
		h = rotl32(h + load_le32(p) * P3, 17) * P4;
		p += 4;
	}
	while (p < end) {
		h = rotl32(h + *p * P5, 11) * P1;
		p++;
	}
	h ^= h >> 15;
	h *= P2;
	h ^= h >> 13;
	h *= P3;
	h ^= h >> 16;
	return h;
}
