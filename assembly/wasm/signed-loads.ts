// Signed loads: clang (before eBPF's sign-extending loads, -mcpu=v4) sign-extends a loaded 16-bit value as a load
// and a shift pair, `ldxh r, [p]; lsh32 r, 16; arsh32 r, 16` (a `short` of an array multiplied in 32 bits), or
// `lsh r, 48; arsh r, 48` for 64 bits; likewise bytes (24, 56) and 32-bit words (64-bit pair, 32). Emitted as one
// sign-extending Wasm load (i32.load16_s, which V8 makes one movsx from memory, then zero-extended to 64 bits for
// free; or i64.load16_s) instead of a zero-extending load and a separate extension (translate.ts: insn). The pair
// is skipped; were it not, it would give the same value again (a sign extension of a sign-extended value).
import { W_I32_LOAD8_S, W_I64_LOAD8_S } from "./emitter";

/**
 * For the plain load of `size` bytes into dst at pc: when pc + 1 and pc + 2 are a shift pair on dst that
 * sign-extends from that size, in the same block, the Wasm load that does both: opcode | 0x100 when it loads 32
 * bits (to be zero-extended to 64); else 0.
 */
export function signedLoad(code: usize, leader: StaticArray<u8>, count: i32, pc: i32, dst: u32, size: i32): u32 {
  if (pc + 2 >= count || leader[pc + 1] != 0 || leader[pc + 2] != 0) return 0;
  const lsh = load<u64>(code + (<usize>(pc + 1) << 3));
  const op = <u32>lsh & 0xff;
  const bits = <u32>(lsh >> 32);
  if ((op != 0x64 && op != 0x67) || (<u32>(lsh >> 8) & 0xffffff) != dst) return 0; // lsh imm: dst, no src/offset
  const wide = op == 0x67;
  if (bits != (wide ? 64 : 32) - 8 * <u32>size || (!wide && size == 4)) return 0;
  const arsh = load<u64>(code + (<usize>(pc + 2) << 3));
  if (arsh != ((wide ? 0xc7 : 0xc4) | <u64>dst << 8 | <u64>bits << 32)) return 0;
  // the signed loads of 1, 2 and 4 bytes are every other opcode from i64.load8_s (i32's from i32.load8_s)
  const step = <u32>size >> 1 << 1; // 0, 2, 4
  return wide ? W_I64_LOAD8_S + step : (W_I32_LOAD8_S + step) | 0x100;
}
