/* A ones'-complement sum of big-endian 16-bit words, folded every 4096 words into 32 bits. */
#include "kernel.h"
KERNEL(be_sum16)
{
	u64 sum = 0;
	u64 n = len / 2;
	for (u64 i = 0; i < n; i++) {
		sum += load_be16(data + 2 * i);
		if ((i & 4095) == 4095) sum = (sum & 0xffff) + (sum >> 16);
	}
	while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}
