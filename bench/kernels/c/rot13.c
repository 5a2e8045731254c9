/* ROT13 in place: each byte cut to 7 bits, control characters moved up by 64, letters rotated by 13; then a rotating
 * checksum of the result. */
#include "kernel.h"
KERNEL(rot13)
{
	for (u64 i = 0; i < len; i++) {
		u8 c = data[i] & 0x7f;
		if (c < 32) c += 64;
		if (c >= 'a' && c <= 'z') c = (c - 'a' + 13) % 26 + 'a';
		else if (c >= 'A' && c <= 'Z') c = (c - 'A' + 13) % 26 + 'A';
		data[i] = c;
	}
	u32 s = 0;
	for (u64 i = 0; i < len; i++) s = (s << 1 | s >> 31) ^ data[i];
	return s;
}
