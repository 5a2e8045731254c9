/* Base64 encoding (RFC 4648) of the input's whole 3-byte groups through a read-only alphabet, each output character
 * folded into a hash instead of stored (h = h * 131 + c). Result: the hash plus the bytes encoded. */
#include "kernel.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

KERNEL(base64)
{
	u32 h = 0;
	u64 i = 0;

	for (; i + 3 <= len; i += 3) {
		u32 v = (u32)data[i] << 16 | (u32)data[i + 1] << 8 | data[i + 2];
		h = h * 131 + alphabet[(v >> 18) & 63];
		h = h * 131 + alphabet[(v >> 12) & 63];
		h = h * 131 + alphabet[(v >> 6) & 63];
		h = h * 131 + alphabet[v & 63];
	}
	return h + i;
}
