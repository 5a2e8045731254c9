/* MurmurHash3_x86_32 of the input with seed 0x9747b28c (blocks read little-endian). Result: the hash. */
#include "kernel.h"

static inline u32 rotl32(u32 x, int r) { return x << r | x >> (32 - r); }

KERNEL(murmur3)
{
	const u32 c1 = 0xcc9e2d51, c2 = 0x1b873593;
	u32 h = 0x9747b28c;
	u64 blocks = len / 4;

	for (u64 i = 0; i < blocks; i++) {
		u32 k = load_le32(data + 4 * i);
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
		h = rotl32(h, 13);
		h = h * 5 + 0xe6546b64;
	}
	const u8 *tail = data + 4 * blocks;
	u32 k = 0;
	switch (len & 3) {
	case 3:
		k ^= (u32)tail[2] << 16;
		/* fall through */
	case 2:
		k ^= (u32)tail[1] << 8;
		/* fall through */
	case 1:
		k ^= tail[0];
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
	}
	h ^= (u32)len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}
