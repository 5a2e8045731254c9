/* CRC-16/CCITT-FALSE bit by bit (polynomial 0x1021, initial value 0xffff), in 16-bit arithmetic. */
#include "kernel.h"
KERNEL(crc16)
{
	u16 crc = 0xffff;
	for (u64 i = 0; i < len; i++) {
		crc ^= (u16)data[i] << 8;
		for (int k = 0; k < 8; k++)
			crc = crc & 0x8000 ? (u16)(crc << 1) ^ 0x1021 : (u16)(crc << 1);
	}
	return crc;
}
