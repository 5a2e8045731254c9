/* djb2 (h = h * 33 + c) of every space- or newline-separated word of a text, the words' hashes folded in order
 * (acc = acc * 31 + h): a byte loop with a branch per byte, two accumulators of different widths.
 * Result: acc + the last word's hash. */
#include "kernel.h"

KERNEL(djb2)
{
	u64 acc = 0;
	u32 h = 5381;

	for (u64 i = 0; i < len; i++) {
		u8 c = data[i];
		if (c == ' ' || c == '\n') {
			acc = acc * 31 + h;
			h = 5381;
		} else {
			h = h * 33 + c;
		}
	}
	return acc + h;
}
