/* A bitehist-like histogram over a capture (kernel.h's record format): for every frame, dist[log2(length on the
 * wire) + 1] += 1 in a hash map keyed by slot, a new slot inserted with BPF_NOEXIST as BCC's generated code does.
 * Result: sum over slots of count * slot^2 plus the number of slots; every slot is deleted again before returning. */
#include "kernel.h"

HASH_MAP(dist, u32, u64, 64);

/* floor(log2(v)) for v > 0, 0 for v = 0, branch-free as in BCC's bpf_log2. */
static inline u32 log2_32(u32 v)
{
	u32 r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

KERNEL(bitehist)
{
	for (u64 at = 0; at + 4 <= len;) {
		u32 wire = load_le16(data + at);
		at += 4 + load_le16(data + at + 2);
		if (at > len)
			break;
		u32 slot = log2_32(wire) + 1;
		u64 *count = bpf_map_lookup_elem(&dist, &slot);
		if (count) {
			__sync_fetch_and_add(count, 1);
		} else {
			u64 one = 1;
			bpf_map_update_elem(&dist, &slot, &one, BPF_NOEXIST);
		}
	}
	u64 result = 0;
	for (u32 slot = 0; slot < 64; slot++) {
		u64 *count = bpf_map_lookup_elem(&dist, &slot);
		if (!count)
			continue;
		result += *count * slot * slot + 1;
		bpf_map_delete_elem(&dist, &slot);
	}
	return result;
}
