/* A walk over an array of 12-byte records (a flow table's rows): bytes of TCP records with flag 2 summed by port
 * class, the others' low id bytes counted. Result: low ports * 3 + high ports * 5 + the others' sum. */
#include "kernel.h"

struct flow {
	u32 id;
	u16 port;
	u8 proto;
	u8 flags;
	u32 bytes;
};

KERNEL(records)
{
	const struct flow *f = (const struct flow *)data;
	u64 n = len / sizeof(struct flow);
	u64 low = 0, high = 0, other = 0;

	for (u64 i = 0; i < n; i++) {
		if (f[i].proto == 6 && (f[i].flags & 2)) {
			if (f[i].port < 1024)
				low += f[i].bytes;
			else
				high += f[i].bytes;
		} else {
			other += f[i].id & 0xff;
		}
	}
	return low * 3 + high * 5 + other;
}
