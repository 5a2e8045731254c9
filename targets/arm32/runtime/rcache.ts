// What keeps the inline memory checks' region cache (image.ts S_RCACHE) from ever passing a stale window.
//
// Every window the cache holds is one region's readable (or writable) window from its start: L_CHECK and
// versioned.ts's L_RANGE store the start they found. So a window whose start is not the start of a region that just
// shrank or moved is still inside a region, and only those need forgetting. The cache then stays valid across
// runs: a socket filter's context and its maps' values hit from the first access of every packet, where resetting
// it at each entry cost a region-table walk per region a run touches.
//
// Who changes the region table, and forgets here:
//   - the driver, before it stores a run's input or packet region (forgetRegionWindows);
//   - the program's prologue, which shrinks the stack region back to the entry frame (a run that ended inside a
//     bpf-to-bpf call or a callback leaves it larger: mayEndDeeper), and every bpf-to-bpf return
//     (forgetStackWindows);
//   - helpers/loop.ts and maps/ringbuf.ts, which reset the cache whole.
// A stale window could otherwise pass a read of the previous packet's bytes, or of a callee's frame after it
// returned.

import { EQ, R11, addImm, cmpReg, ldr, movImmC, str, when } from "../../../assembly/arm32/a32/encoder";
import { Context } from "../../../assembly/arm32/jit/context";
import { REGION_BYTES, S_RCACHE, S_REGIONS, S_STACK } from "../image";

/** Forgets the read (write) window when its start is the value in `start` (uses `t`). */
function forgetWindowAt(c: Context, write: bool, start: i32, t: i32): void {
  const at = S_RCACHE + (write ? 8 : 0);
  c.emit(ldr(t, R11, at));
  c.emit(cmpReg(t, start));
  c.emit(movImmC(EQ, t, 0));
  c.emit(when(EQ, str(t, R11, at + 4))); // a span of 0 matches nothing
}

/**
 * Before region `index` changes: forgets the read window that starts where it starts, and with `writable` the
 * write window too (the driver's regions are writable from their start, or not at all: then no write window can
 * start there).
 */
export function forgetRegionWindows(c: Context, index: i32, writable: bool, t1: i32, t2: i32): void {
  c.emit(ldr(t1, R11, S_REGIONS + REGION_BYTES * index));
  forgetWindowAt(c, false, t1, t2);
  if (writable) forgetWindowAt(c, true, t1, t2);
}

/**
 * Whether a run may end with the stack region larger than the entry frame: inside a bpf-to-bpf call or a
 * callback (an exit from LD_ABS past the packet). Only then does the prologue need forgetStackWindows.
 */
export function mayEndDeeper(c: Context): bool {
  for (let i = 0; i < c.count; i++) {
    const p = c.insns + (<usize>i << 3);
    const op = load<u8>(p);
    const src = load<u8>(p + 1) >> 4;
    if ((op == 0x85 && src == 1) || (op == 0x18 && src == 4)) return true; // a local call, a callback's address
    if (op == 0x18) i++;
  }
  return false;
}

/** After the stack region shrank: forgets the windows that start where it starts (uses t1, t2). */
export function forgetStackWindows(c: Context, t1: i32, t2: i32): void {
  c.emit(addImm(t1, R11, S_STACK)); // region 0's start: the entry frame, at every depth
  forgetWindowAt(c, false, t1, t2);
  forgetWindowAt(c, true, t1, t2);
}
