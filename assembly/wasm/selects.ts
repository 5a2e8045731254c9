// Selects: clang's branch over one mov (eBPF has no conditional move: `if (key < x) goto +1; hi = mid`), which the
// Wasm translator may emit as a Wasm select, a conditional move for V8, instead of a branch (translate.ts:
// selected). This file finds them; it emits nothing.
//
// A select is a win only where the branch mispredicts: timed against the branches in one process, a binary
// search's (lower_bound) ran in 0.65 of its time as selects, while byte classifiers (djb2, wc), whose branches the
// processor predicts, ran 1.15-1.2x slower: a select waits for its condition, and a running sum chained through it
// then waits every trip. So a branch is taken for a select only when the register it sets feeds an address read
// or written on the way on (a search, a pointer chase), whose condition hangs on a load the branch cannot predict.
import { CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_JMP, CLS_JMP32 } from "../isa";
import { Cfg, insnLen, inLoop, END_FALL, END_JA, END_COND } from "./cfg";

/** Blocks the walk of feedsAddress looks at. */
const MAX_WALK: i32 = 16;

/**
 * x's successor m where its conditional jump is not taken, when m holds one mov (of an immediate, or of a register
 * without sign extension) and maybe a `ja`, has x as its only way in, leads to where the jump goes, and the
 * register it sets feeds an address (see above); else -1.
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
  return feedsAddress(code, g, t, load<u8>(p, 1) & 0xf) ? m : -1;
}

/**
 * Whether register r, as it is at the start of block t, makes (through movs and arithmetic) the base of a load or
 * store on the way on from t: after a conditional jump, the jump's way when it stays in t's loop, else the other,
 * up to MAX_WALK blocks, an exit or a call.
 */
function feedsAddress(code: usize, g: Cfg, t: i32, r: i32): bool {
  const lo = g.loopOf, lp = g.loopParent, h = lo[t];
  let taint = 1 << r; // the registers derived from r
  for (let y = t, k = 0; y >= 0 && k < MAX_WALK && taint != 0; k++) {
    for (let pc = g.start[y]; pc <= g.last[y]; pc += insnLen(code, pc)) {
      const p = code + (<usize>pc << 3);
      const op = <u32>load<u8>(p);
      const dst = <i32>(load<u8>(p, 1) & 0xf), src = <i32>(load<u8>(p, 1) >> 4);
      const cls = op & 7;
      if ((cls == CLS_LDX ? taint >> src : cls == CLS_ST || cls == CLS_STX ? taint >> dst : 0) & 1) return true;
      if (cls == CLS_JMP || cls == CLS_JMP32) {
        if ((op & 0xf0) == 0x80) return false; // a call
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
