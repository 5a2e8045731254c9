/* The Internet checksum (RFC 1071) of the input: the ones' complement of the ones' complement sum of its
 * big-endian 16-bit words, an odd last byte padded with zero. Result: the 16-bit checksum. */
#include "kernel.h"

KERNEL(inet_csum)
{
	u64 sum = 0;
	u64 i = 0;

	for (; i + 1 < len; i += 2)
		sum += load_be16(data + i);
	if (i < len)
		sum += (u32)data[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}
