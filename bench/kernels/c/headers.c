/* A header walk over a capture (kernel.h's record format): for every frame, Ethernet (one 802.1Q tag skipped),
 * IPv4 with options (its header length from IHL; fragments after the first skipped), then TCP (data offset, flags)
 * or UDP (its length field). Result: a fold of what a flow monitor would keep: frames per class, port sums, TCP
 * SYNs, payload bytes and bytes on the wire. */
#include "kernel.h"

#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100

KERNEL(headers)
{
	u64 bytes = 0, ipv4 = 0, tcp = 0, udp = 0, other = 0, syns = 0, payload = 0, ports = 0;

	for (u64 at = 0; at + 4 <= len;) {
		u32 wire = load_le16(data + at), flen = load_le16(data + at + 2);
		const u8 *f = data + at + 4;
		at += 4 + flen;
		if (at > len)
			break;
		bytes += wire;
		u32 off = 14;
		if (flen < off) {
			other++;
			continue;
		}
		u32 proto = load_be16(f + 12);
		if (proto == ETH_P_8021Q) {
			if (flen < 18) {
				other++;
				continue;
			}
			proto = load_be16(f + 16);
			off = 18;
		}
		if (proto != ETH_P_IP || flen < off + 20 || (f[off] >> 4) != 4) {
			other++;
			continue;
		}
		ipv4++;
		u32 ihl = (f[off] & 15) * 4;
		u32 total = load_be16(f + off + 2);
		if (ihl < 20 || flen < off + ihl || (load_be16(f + off + 6) & 0x1fff))
			continue;
		u32 l4 = off + ihl;
		u32 l4len = total > ihl ? total - ihl : 0;
		if (f[off + 9] == 6 && flen >= l4 + 20) {
			tcp++;
			ports += load_be16(f + l4) + load_be16(f + l4 + 2);
			u32 doff = (f[l4 + 12] >> 4) * 4;
			if ((f[l4 + 13] & 0x12) == 0x02)
				syns++;
			if (l4len > doff)
				payload += l4len - doff;
		} else if (f[off + 9] == 17 && flen >= l4 + 8) {
			udp++;
			ports += load_be16(f + l4) + load_be16(f + l4 + 2);
			u32 ulen = load_be16(f + l4 + 4);
			if (ulen > 8)
				payload += ulen - 8;
		}
	}
	return ((ipv4 << 48) ^ (tcp << 32) ^ (udp << 16) ^ other) + syns * 0x9e3779b97f4a7c15ULL + (payload << 20) + ports + (bytes << 8);
}
