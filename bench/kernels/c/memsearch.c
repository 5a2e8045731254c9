/* A byte search, the plain nested loop: input = u32 needle length n (1..16), 16 bytes holding the needle, then
 * the haystack. Result: number of (possibly overlapping) occurrences << 32 | offset of the first one
 * (0xffffffff when there is none). */
#include "kernel.h"

KERNEL(memsearch)
{
	if (len < 20)
		return 0;
	u32 n = load_le32(data);
	if (n < 1 || n > 16)
		return 0;
	const u8 *needle = data + 4, *hay = data + 20;
	u64 hay_len = len - 20, count = 0, first = 0xffffffff;

	for (u64 i = 0; i + n <= hay_len; i++) {
		u32 j = 0;
		while (j < n && hay[i + j] == needle[j])
			j++;
		if (j == n) {
			if (!count)
				first = i;
			count++;
		}
	}
	return count << 32 | first;
}
