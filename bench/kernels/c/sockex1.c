/* Linux's samples/bpf sockex1 over a whole capture (kernel.h's record format): for every IPv4 frame,
 * count[protocol] += its length on the wire, the protocol byte read at the fixed offset 14 + 9, in an array map,
 * with an atomic add as the sample does. Result: the TCP, UDP and ICMP byte counts folded together; the map is
 * zeroed again before returning. */
#include "kernel.h"

ARRAY_MAP(proto_bytes, u64, 256);

KERNEL(sockex1)
{
	for (u64 at = 0; at + 4 <= len;) {
		u32 wire = load_le16(data + at), flen = load_le16(data + at + 2);
		const u8 *f = data + at + 4;
		at += 4 + flen;
		if (at > len)
			break;
		if (flen < 24 || load_be16(f + 12) != 0x0800)
			continue;
		u32 index = f[14 + 9];
		u64 *value = bpf_map_lookup_elem(&proto_bytes, &index);
		if (value)
			__sync_fetch_and_add(value, wire);
	}
	u64 result = 0;
	for (u32 index = 0; index < 256; index++) {
		u64 *value = bpf_map_lookup_elem(&proto_bytes, &index);
		if (!value)
			continue;
		if (index == 6)
			result += *value << 32;
		else if (index == 17)
			result += *value << 16;
		else if (index == 1)
			result += *value;
		*value = 0;
	}
	return result;
}
