/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of the input, one bit at a time.
 * Result: the CRC, as zlib's crc32() returns it. */
#include "kernel.h"

KERNEL(crc32_bitwise)
{
	u32 crc = 0xffffffff;

	for (u64 i = 0; i < len; i++) {
		crc ^= data[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return crc ^ 0xffffffff;
}
