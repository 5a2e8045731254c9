/* Word count through a hash map, the shape of a BCC tool keyed by string: words are runs of letters (case folded,
 * at most 16 kept as the key, zero-padded). First pass: counts[word] += 1 (insert with BPF_NOEXIST when new).
 * Second pass: each word's count is read and its entry deleted, so the map is empty again at the end. Result:
 * distinct words << 40 ^ the largest count << 20 ^ the sum of squared counts. */
#include "kernel.h"

#define MAX_WORD 16

struct word {
	u8 c[MAX_WORD];
};

HASH_MAP(counts, struct word, u32, 4096);

static inline int is_letter(u32 c) { return (c | 0x20) - 'a' < 26; }

/* The word starting at data[*at] (after skipping non-letters) into *w; 0 when the input has no more words. */
static inline int next_word(const u8 *data, u64 len, u64 *at, struct word *w)
{
	u64 i = *at;

	while (i < len && !is_letter(data[i]))
		i++;
	if (i == len)
		return 0;
	for (int k = 0; k < MAX_WORD; k++)
		w->c[k] = 0;
	u32 n = 0;
	while (i < len && is_letter(data[i])) {
		if (n < MAX_WORD)
			w->c[n++] = data[i] | 0x20;
		i++;
	}
	*at = i;
	return 1;
}

KERNEL(wordcount)
{
	struct word w;
	u64 at = 0;

	while (next_word(data, len, &at, &w)) {
		u32 *count = bpf_map_lookup_elem(&counts, &w);
		if (count) {
			*count += 1;
		} else {
			u32 one = 1;
			bpf_map_update_elem(&counts, &w, &one, BPF_NOEXIST);
		}
	}
	u64 distinct = 0, max = 0, squares = 0;
	at = 0;
	while (next_word(data, len, &at, &w)) {
		u32 *count = bpf_map_lookup_elem(&counts, &w);
		if (!count)
			continue;
		u64 c = *count;
		distinct++;
		if (c > max)
			max = c;
		squares += c * c;
		bpf_map_delete_elem(&counts, &w);
	}
	return distinct << 40 ^ max << 20 ^ squares;
}
