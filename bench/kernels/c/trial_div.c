/* How many of the input's u16 values (made odd) are prime, by trial division up to their square root. */
#include "kernel.h"
KERNEL(trial_div)
{
	const u16 *a = (const u16 *)data;
	u64 n = len / 2, primes = 0;
	for (u64 i = 0; i < n; i++) {
		u32 v = a[i] | 1;
		int prime = v > 1;
		for (u32 d = 3; d * d <= v; d += 2) {
			if (v % d == 0) {
				prime = 0;
				break;
			}
		}
		primes += prime;
	}
	return primes;
}
