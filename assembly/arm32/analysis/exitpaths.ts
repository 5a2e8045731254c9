// A loop's exit path: the blocks inside its instruction range [h, l] that are not in the loop. clang -O2 often
// lays a loop out so that it is entered in its middle and the code run once it ends (an `exit`, the result's last
// operations and a `ja` to the epilogue) lies between its exit test and its body: `for (i = 0; i < n; i++) { v =
// a[i]; cur = max(cur + v, v); best = max(best, cur); } return best;` ends its trip with `if (i < n) goto body;
// exit; body: ...`. An instruction of the range is on the exit path when no path from it within the range comes
// back into the loop: it cannot reach a jump back (a jump to an instruction at or before it, inside the range)
// without leaving the range. Once a trip gets there the loop has ended, as if it had jumped out of the range.
// loops.ts plans a loop without its exit path (what it writes, its ways out, its accesses, its calls and exits);
// versioned.ts's copy leaves for the ordinary code where the exit path starts, which runs it checked, as it runs
// any code after the loop.
import { Context, F_LEADER, flagOf, immOf, offOf, opcode } from "../jit/context";
import { CLS_JMP, CLS_JMP32, JMP_CALL, JMP_EXIT, JMP_JA } from "../../isa";

const MAX_LOOPS = 16; // loops.ts MAX_LOOPS
const WORDS = 2; // per loop: a bit per instruction of a range of at most 128 (loops.ts MAX_LOOP_INSNS)
const paths = new StaticArray<u64>(MAX_LOOPS * WORDS);
const heads = new StaticArray<i32>(MAX_LOOPS);

/**
 * Marks loop k's exit path in [h, l] (see above): from l down, an instruction comes back into the loop when it is
 * a jump back within the range, or when where it goes on (its fall-through, a forward jump's target within the
 * range, both for a conditional jump) does; an `exit`, a jump out of the range and l's fall-through do not.
 * Returns whether the range has an exit path.
 */
export function markExitPath(c: Context, k: i32, h: i32, l: i32): bool {
  for (let w = 0; w < WORDS; w++) unchecked(paths[k * WORDS + w] = 0);
  unchecked(heads[k] = h);
  let any = false;
  for (let i = l; i >= h; i--) {
    // (lddw's second slot, as any instruction that is not a jump, goes on to the next)
    const op = opcode(c, i);
    const cls = op & 7;
    const kind = op & 0xf0;
    let back = i < l && !onExitPath(k, i + 1); // where it falls through to
    if ((cls == CLS_JMP || cls == CLS_JMP32) && kind != JMP_CALL) {
      if (kind == JMP_EXIT || kind == JMP_JA) back = false; // no fall-through
      if (kind != JMP_EXIT) {
        const t = i + 1 + (op == (CLS_JMP32 | JMP_JA) ? immOf(c, i) : offOf(c, i));
        if ((t >= h && t <= i) || (t > i && t <= l && !onExitPath(k, t))) back = true;
      }
    }
    if (!back) {
      setOn(k, i - h);
      any = true;
    }
  }
  return any;
}

/** Whether instruction i of loop k's range lies on its exit path. */
@inline export function onExitPath(k: i32, i: i32): bool {
  const d = i - unchecked(heads[k]);
  return d >= 0 && d < WORDS * 64 && ((unchecked(paths[k * WORDS + (d >> 6)]) >> <u64>(d & 63)) & 1) != 0;
}

/**
 * The end of the block of loop k's exit path starting at i (past the last instruction of [h, l], l included): it
 * ends at a leader or where the exit path does. A copy leaves for the ordinary code at such a block, but where it
 * starts with a `ja`: the copy takes that jump (to the ordinary code, or to an outer copy's code).
 */
export function exitBlockEnd(c: Context, k: i32, i: i32, l: i32): i32 {
  let end = i + 1;
  while (end <= l && onExitPath(k, end) && (flagOf(c, end) & F_LEADER) == 0) end++;
  return end;
}

/** Whether loop k's copy leaves both for the ordinary code at instruction i of its exit path (see exitBlockEnd). */
export function leavesCopyAt(c: Context, k: i32, i: i32): bool {
  const h = unchecked(heads[k]);
  if (!onExitPath(k, i)) return false;
  let start = i;
  while (start > h && onExitPath(k, start - 1) && (flagOf(c, start) & F_LEADER) == 0) start--;
  return opcode(c, start) != (CLS_JMP | JMP_JA);
}

/** Whether loop k's range has an exit path. */
export function hasExitPath(k: i32): bool {
  for (let w = 0; w < WORDS; w++) if (unchecked(paths[k * WORDS + w]) != 0) return true;
  return false;
}

/** Loop k's exit path is loop `from`'s (loops.ts removeLoop). */
export function moveExitPath(k: i32, from: i32): void {
  unchecked(heads[k] = heads[from]);
  for (let w = 0; w < WORDS; w++) unchecked(paths[k * WORDS + w] = paths[from * WORDS + w]);
}

/**
 * Whether instruction i of loop k (not on its exit path) may go where the loop has ended: a jump out of the range
 * [h, l] or into its exit path, or a conditional jump falling through into its exit path.
 */
export function leavesLoop(c: Context, k: i32, h: i32, l: i32, i: i32): bool {
  const op = opcode(c, i);
  const cls = op & 7;
  if (cls != CLS_JMP && cls != CLS_JMP32) return false;
  const kind = op & 0xf0;
  if (kind == JMP_CALL || kind == JMP_EXIT) return false;
  const t = i + 1 + (op == (CLS_JMP32 | JMP_JA) ? immOf(c, i) : offOf(c, i));
  if (t < h || t > l || onExitPath(k, t)) return true;
  return kind != JMP_JA && onExitPath(k, i + 1);
}

function setOn(k: i32, d: i32): void {
  const w = k * WORDS + (d >> 6);
  unchecked(paths[w] = paths[w] | (<u64>1 << <u64>(d & 63)));
}
