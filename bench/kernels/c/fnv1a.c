/* 64-bit FNV-1a of the input. Result: the hash. */
#include "kernel.h"

KERNEL(fnv1a)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (u64 i = 0; i < len; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
