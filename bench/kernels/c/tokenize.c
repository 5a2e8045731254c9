/* A lexer's loop: identifiers (a letter, then letters and digits), numbers and single other bytes; each token's kind
 * and length folded into a hash. */
#include "kernel.h"
static inline int is_letter(u8 c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static inline int is_digit(u8 c) { return c >= '0' && c <= '9'; }
KERNEL(tokenize)
{
	u32 h = 7;
	u64 i = 0;
	while (i < len) {
		u64 start = i;
		u32 kind;
		if (is_letter(data[i])) {
			kind = 1;
			while (i < len && (is_letter(data[i]) || is_digit(data[i]))) i++;
		} else if (is_digit(data[i])) {
			kind = 2;
			while (i < len && is_digit(data[i])) i++;
		} else {
			kind = 3;
			i++;
		}
		h = h * 131 + kind * 17 + (u32)(i - start);
	}
	return h;
}
