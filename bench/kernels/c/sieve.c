/* Sieve of Eratosthenes in the input buffer (each byte a flag, written): strides that are the data's, not
 * constants. Result: the number of primes below the input's length. */
#include "kernel.h"

KERNEL(sieve)
{
	for (u64 i = 0; i < len; i++)
		data[i] |= 1; /* (not = 1: clang would call memset) */
	if (len > 0)
		data[0] = 0;
	if (len > 1)
		data[1] = 0;
	for (u64 i = 2; i * i < len; i++) {
		if (!data[i])
			continue;
		for (u64 j = i * i; j < len; j += i)
			data[j] = 0;
	}
	u64 count = 0;
	for (u64 i = 0; i < len; i++)
		count += data[i] != 0;
	return count;
}
