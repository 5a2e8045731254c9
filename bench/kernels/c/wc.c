/* wc: the lines, words (runs of bytes other than space, tab, CR, LF) and bytes of a text.
 * Result: lines << 40 | words << 20 | bytes. */
#include "kernel.h"

KERNEL(wc)
{
	u64 lines = 0, words = 0;
	int in_word = 0;

	for (u64 i = 0; i < len; i++) {
		u8 c = data[i];
		if (c == '\n')
			lines++;
		int space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
		if (!space && !in_word)
			words++;
		in_word = !space;
	}
	return lines << 40 | words << 20 | len;
}
