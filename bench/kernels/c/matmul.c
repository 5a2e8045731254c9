/* C = A x B for two n x n matrices of u32 (wrapping arithmetic), the triple loop: input = u32 n (at most 64),
 * then A and B row by row. C is not stored: each element is folded into the result as it is computed,
 * result = result * 31 + C[i][j]. */
#include "kernel.h"

KERNEL(matmul)
{
	if (len < 4)
		return 0;
	u32 n = load_le32(data);
	if (n > 64 || 4 + 8 * (u64)n * n > len)
		return 0;
	const u32 *a = (const u32 *)(data + 4), *b = a + n * n;
	u64 result = 0;

	for (u32 i = 0; i < n; i++)
		for (u32 j = 0; j < n; j++) {
			u32 sum = 0;
			for (u32 k = 0; k < n; k++)
				sum += a[i * n + k] * b[k * n + j];
			result = result * 31 + sum;
		}
	return result;
}
