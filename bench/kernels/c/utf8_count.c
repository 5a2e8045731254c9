/* UTF-8: code points and malformed sequences (a lead byte not followed by enough continuation bytes). */
#include "kernel.h"
KERNEL(utf8_count)
{
	u64 points = 0, bad = 0, i = 0;
	while (i < len) {
		u8 c = data[i];
		u64 need = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 4;
		if (need == 4) { bad++; i++; continue; }
		u64 j = 1;
		while (j <= need && i + j < len && (data[i + j] & 0xc0) == 0x80) j++;
		if (j <= need) bad++; else points++;
		i += j;
	}
	return points << 32 | bad;
}
