// Selects: clang's branch over one mov (eBPF has no conditional move: `if (key < x) goto +1; hi = mid`), which the
// Wasm translator may emit as a Wasm select, a conditional move for V8, instead of a branch (translate.ts:
// selected). This file finds them; it emits nothing.
//
// A select is a win only where the branch mispredicts, and a loss where the processor predicts it: a select waits
// for its condition, and whatever is chained through it then waits every trip (a running sum, or a minimum's index
// whose element is read again each trip: a selection sort ran 1.98x slower with its `if (a[j] < a[m]) m = j` as a
// select, byte classifiers 1.15-1.2x). What sets the two apart here is where the moved register goes. When it
// decides a later branch through arithmetic alone (a binary search's bound, which the loop's `lo < hi` tests; a
// CRC's shifted state, whose top bit is the next branch), the branches form a chain of decisions each made from the
// last, a bisection or a bit recurrence, which mixes its data: the processor has no pattern to follow. When it goes
// only into addresses or sums (a minimum's index, a classified byte's count), each branch asks one thing of the
// data, which tends to repeat (a minimum is rarely beaten), and a branch leaves nothing to wait for. A running
// extreme that decides the next trip's compare (`if (v > max) max = v`: the select would pick between its own
// compare's operands, a min or a max) is such a branch too, and stays one: as selects, a maximum window's sum
// (window_max) and a maximum subarray's running sum (kadane) ran 1.7-1.8x slower.
import { CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_JMP, CLS_JMP32 } from "../isa";
import { Cfg, insnLen, inLoop, END_FALL, END_JA, END_COND } from "./cfg";
import { written } from "./hoist";

/** Blocks the walk of decidesBranch looks at. */
const MAX_WALK: i32 = 16;

/**
 * x's successor m where its conditional jump is not taken, when m holds one mov (of an immediate, or of a register
 * without sign extension) and maybe a `ja`, has x as its only way in, leads to where the jump goes, and the
 * register it sets decides a later branch (see above); else -1.
 */
export function selectBlock(code: usize, g: Cfg, x: i32): i32 {
  const m = g.succ1[x], t = g.succ0[x];
  // (not a loop header: no way back to it either, so no checkpoint)
  if (m < 0 || t < 0 || g.merge[m] || g.loopHeader[m] || g.succ0[m] != t) return -1;
  const first = g.start[m];
  if (g.last[m] != first + (g.kind[m] == END_JA ? 1 : g.kind[m] == END_FALL ? 0 : -9)) return -1;
  const p = code + (<usize>first << 3);
  const op = <u32>load<u8>(p);
  if ((op & 0xf0) != 0xb0 || (op & 7) != 4 && (op & 7) != 7 || load<i16>(p, 2) != 0) return -1; // mov, mov32
  const dst = <i32>(load<u8>(p, 1) & 0xf);
  if ((op & 8) != 0 && isMinMax(code, g, x, dst, <i32>(load<u8>(p, 1) >> 4))) return -1;
  return decidesBranch(code, g, t, dst) ? m : -1;
}

/**
 * Whether `mov dst, src` after block x's jump makes dst the min or max of the jump's two registers: src is one of
 * them, and dst holds the other when x ends (it is that register, or was last set in x by a mov from it, which x
 * does not change after).
 */
function isMinMax(code: usize, g: Cfg, x: i32, dst: i32, src: i32): bool {
  const jp = code + (<usize>g.last[x] << 3);
  if ((load<u8>(jp) & 8) == 0) return false; // compared with an immediate
  const a = <i32>(load<u8>(jp, 1) & 0xf), b = <i32>(load<u8>(jp, 1) >> 4);
  if (src != a && src != b) return false;
  const other = src == a ? b : a;
  if (dst == other) return true;
  for (let pc = g.last[x] - 1; pc >= g.start[x]; pc--) {
    const w = written(code, pc);
    if (w < 0 || (w & (1 << other)) != 0) return false;
    if ((w & (1 << dst)) != 0) {
      const q = code + (<usize>pc << 3);
      const op = load<u8>(q);
      return (op == 0xbc || op == 0xbf) && load<i16>(q, 2) == 0 && (load<u8>(q, 1) >> 4) == other;
    }
  }
  return false;
}

/**
 * Whether register r, as it is at the start of block t, makes (through movs and arithmetic, not through memory)
 * an operand of a conditional jump on the way on from t: after a conditional jump, the jump's way when it stays in
 * t's loop, else the other, up to MAX_WALK blocks, an exit or a call.
 */
function decidesBranch(code: usize, g: Cfg, t: i32, r: i32): bool {
  const lo = g.loopOf, lp = g.loopParent, h = lo[t];
  let taint = 1 << r; // the registers derived from r
  let carried = false; // past t's loop header: in a later trip
  for (let y = t, k = 0; y >= 0 && k < MAX_WALK && taint != 0; k++) {
    if (y == h) carried = true;
    for (let pc = g.start[y]; pc <= g.last[y]; pc += insnLen(code, pc)) {
      const p = code + (<usize>pc << 3);
      const op = <u32>load<u8>(p);
      const dst = <i32>(load<u8>(p, 1) & 0xf), src = <i32>(load<u8>(p, 1) >> 4);
      const cls = op & 7;
      if (cls == CLS_JMP || cls == CLS_JMP32) {
        const jop = op & 0xf0;
        if (jop == 0x80) return false; // a call
        if (jop != 0x00 && jop != 0x90 && (taint >> dst & 1 || (op & 8) != 0 && taint >> src & 1)) {
          if (carried) return true;
        }
      } else if (cls == CLS_LD || cls == CLS_LDX) taint &= ~(1 << dst); // a loaded value is not r's
      else if (cls != CLS_ST && cls != CLS_STX) { // ALU: a mov takes its source's, the others keep dst's, add src's
        const from = (op & 0xf0) == 0xb0 ? 0 : taint >> dst & 1;
        taint = (from | ((op & 8) != 0 ? taint >> src & 1 : 0)) != 0 ? taint | (1 << dst) : taint & ~(1 << dst);
      }
    }
    const z = g.succ0[y];
    y = g.kind[y] == END_COND && !inLoop(lo, lp, h, z) ? g.succ1[y] : z;
  }
  return false;
}
