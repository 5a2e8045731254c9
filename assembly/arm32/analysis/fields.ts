// An eBPF instruction's fields by its index, and the registers it writes: shared by the loop analyses (loops.ts,
// divided.ts), which read the program where the translator stored it (Context.insns, 8 bytes an instruction).
import { Context } from "../jit/context";
import { CLS_JMP, CLS_JMP32, CLS_LD, CLS_ST, CLS_STX, JMP_CALL, JMP_EXIT, MODE_ATOMIC } from "../../isa";

@inline export function opAt(c: Context, i: i32): u32 { return load<u8>(c.insns + (<usize>i << 3)); }
@inline export function dstAt(c: Context, i: i32): i32 { return load<u8>(c.insns + (<usize>i << 3) + 1) & 15; }
@inline export function srcAt(c: Context, i: i32): i32 { return load<u8>(c.insns + (<usize>i << 3) + 1) >> 4; }
@inline export function offAt(c: Context, i: i32): i32 { return load<i16>(c.insns + (<usize>i << 3) + 2); }
@inline export function immAt(c: Context, i: i32): i32 { return load<i32>(c.insns + (<usize>i << 3) + 4); }

/**
 * Registers instruction i writes (bit mask); -1 for what a loop the translator versions may not hold: a call, an
 * exit, a packet load, an atomic (which writes a register its fields do not name as the destination).
 */
export function writes(c: Context, i: i32): i32 {
  const op = opAt(c, i);
  const cls = op & 7;
  if (cls == CLS_JMP || cls == CLS_JMP32) {
    const kind = op & 0xf0;
    return kind == JMP_CALL || kind == JMP_EXIT ? -1 : 0;
  }
  if (cls == CLS_LD) return op == 0x18 ? 1 << dstAt(c, i) : -1; // lddw; packet loads
  if (cls == CLS_ST || cls == CLS_STX) return (op & 0xe0) == MODE_ATOMIC ? -1 : 0;
  return 1 << dstAt(c, i); // ALU, ALU64, LDX
}
