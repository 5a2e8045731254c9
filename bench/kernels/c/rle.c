/* Run-length statistics of a byte string: a loop whose inner loop's trip count is the data's.
 * Result: the number of runs << 40 ^ the longest run << 20 ^ the sum of the runs' squared lengths. */
#include "kernel.h"

KERNEL(rle)
{
	u64 runs = 0, longest = 0, squares = 0;
	u64 i = 0;

	while (i < len) {
		u8 c = data[i];
		u64 j = i + 1;
		while (j < len && data[j] == c)
			j++;
		u64 n = j - i;
		runs++;
		if (n > longest)
			longest = n;
		squares += n * n;
		i = j;
	}
	return runs << 40 ^ longest << 20 ^ squares;
}
