// Control-flow analysis of one eBPF function for the Wasm translator: basic blocks, reverse postorder,
// dominators, loop headers and merge nodes. The translator turns the dominator tree into nested Wasm
// blocks and loops (after N. Ramsey, "Beyond Relooper", ICFP 2022). An irreducible graph is first made reducible
// by copying blocks (split.ts); one that would need too many copies is emitted as a loop around a br_table
// dispatcher instead.
//
// A function is every instruction reachable from its entry without following calls: a bpf-to-bpf call
// returns to the next instruction, an exit ends the path.
import {
  CLS_JMP, CLS_JMP32, OP_LDDW,
} from "../isa";

export const END_FALL: i32 = 0; // falls into the next block (succ0)
export const END_JA: i32 = 1; // unconditional jump (succ0)
export const END_COND: i32 = 2; // conditional jump: succ0 taken, succ1 not taken
export const END_EXIT: i32 = 3;

@inline export function opAt(code: usize, pc: i32): u32 { return <u32>load<u8>(code + (<usize>pc << 3)); }
@inline export function offAt(code: usize, pc: i32): i32 { return <i32>load<i16>(code + (<usize>pc << 3), 2); }
@inline export function immAt(code: usize, pc: i32): i32 { return load<i32>(code + (<usize>pc << 3), 4); }

/** How instruction `pc` ends a block: END_FALL when it does not. */
export function endKind(code: usize, pc: i32): i32 {
  const op = opAt(code, pc);
  const cls = op & 7;
  if (cls != CLS_JMP && cls != CLS_JMP32) return END_FALL;
  const jop = op & 0xf0;
  if (jop == 0x00) return END_JA;
  if (jop == 0x80) return END_FALL; // calls return
  if (jop == 0x90) return END_EXIT;
  return END_COND;
}

/** Target of the jump at `pc` (ja, gotol or a conditional jump). */
export function jumpTarget(code: usize, pc: i32): i32 {
  const op = opAt(code, pc);
  if ((op & 7) == CLS_JMP32 && (op & 0xf0) == 0) return pc + 1 + immAt(code, pc); // gotol
  return pc + 1 + offAt(code, pc);
}

@inline export function isCall(code: usize, pc: i32): bool { return (opAt(code, pc) & 0xf7) == 0x85; }

@inline export function insnLen(code: usize, pc: i32): i32 { return opAt(code, pc) == <u32>OP_LDDW ? 2 : 1; }

export class Cfg {
  n: i32 = 0; // blocks, numbered in reverse postorder: block 0 is the entry
  start: Array<i32> = []; // first instruction of each block
  last: Array<i32> = []; // last instruction of each block
  kind: Array<i32> = []; // END_*
  succ0: Array<i32> = [];
  succ1: Array<i32> = [];
  idom: Array<i32> = [];
  loopHeader: Array<bool> = [];
  merge: Array<bool> = []; // two or more forward edges lead here, or a loop exit (see hoisting below)
  /** Placed after its parent's loop, not inside it: a loop exit whose dominator is inside the loop. */
  hoisted: Array<bool> = [];
  /** Dominator-tree children (loop exits moved up to the loop's header), in reverse postorder. */
  children: Array<Array<i32>> = [];
  reducible: bool = true;
  /**
   * Budget checkpoints: the entry, loop headers and the blocks after calls. From a checkpoint, at most
   * maxLen instructions run before the next checkpoint (or an exit), whichever way the branches go.
   */
  checkpoint: Array<bool> = [];
  maxLen: Array<i32> = [];
  /** A successor outside the program (only a program the validator refused can have one). */
  badEdge: i32 = -1;
  /** Reducible graphs: the innermost loop (its header) of each block, -1 outside loops; each loop's parent loop. */
  loopOf: StaticArray<i32> = new StaticArray<i32>(0);
  loopParent: StaticArray<i32> = new StaticArray<i32>(0);
  /** Blocks in the loop each header heads, inner loops included. */
  loopSize: StaticArray<i32> = new StaticArray<i32>(0);
}

/** Per-instruction work arrays, allocated once per translation and shared by its functions. */
export class CfgScratch {
  reach: StaticArray<u8>;
  leader: StaticArray<u8>;
  blockAt: StaticArray<i32>;
  constructor(count: i32) {
    this.reach = new StaticArray<u8>(count);
    this.leader = new StaticArray<u8>(count);
    this.blockAt = new StaticArray<i32>(count);
  }
}

/** Analyses the function starting at `entry` in `count` instructions at `code`. */
export function buildCfg(code: usize, count: i32, entry: i32, scratch: CfgScratch): Cfg {
  // 1. Reachable instructions and block leaders.
  const reach = scratch.reach;
  const leader = scratch.leader;
  memory.fill(changetype<usize>(reach), 0, <usize>count);
  memory.fill(changetype<usize>(leader), 0, <usize>count);
  const work = new Array<i32>();
  let badEdge = -1;
  work.push(entry);
  leader[entry] = 1;
  while (work.length > 0) {
    let pc = work.pop();
    while (pc >= 0 && pc < count && reach[pc] == 0) {
      reach[pc] = 1;
      const k = endKind(code, pc);
      if (k == END_EXIT) break;
      if (k == END_JA || k == END_COND) {
        const t = jumpTarget(code, pc);
        if (t < 0 || t >= count) { badEdge = pc; break; }
        leader[t] = 1;
        work.push(t);
        if (k == END_JA) break;
        if (pc + 1 < count) leader[pc + 1] = 1;
      }
      const next = pc + insnLen(code, pc);
      if (next >= count) { badEdge = pc; break; }
      if (isCall(code, pc)) leader[next] = 1; // a block starts after a call (a budget checkpoint)
      pc = next;
    }
  }

  // 2. Blocks in program order, then successors.
  const blockAt = scratch.blockAt;
  const tmpStart = new Array<i32>();
  for (let pc = 0; pc < count; pc++) {
    blockAt[pc] = -1;
    if (reach[pc] != 0 && leader[pc] != 0) {
      blockAt[pc] = tmpStart.length;
      tmpStart.push(pc);
    }
  }
  const nb = tmpStart.length;
  const tmpLast = new Array<i32>(nb);
  const tmpKind = new Array<i32>(nb);
  const tmpS0 = new Array<i32>(nb);
  const tmpS1 = new Array<i32>(nb);
  for (let b = 0; b < nb; b++) {
    let pc = tmpStart[b];
    let s0 = -1, s1 = -1, kind = END_FALL;
    while (true) {
      const k = endKind(code, pc);
      if (k == END_EXIT) { kind = k; break; }
      if (k == END_JA || k == END_COND) {
        kind = k;
        const t = jumpTarget(code, pc);
        s0 = t >= 0 && t < count ? blockAt[t] : -1;
        if (k == END_COND) s1 = pc + 1 < count ? blockAt[pc + 1] : -1;
        break;
      }
      const next = pc + insnLen(code, pc);
      if (next >= count) break; // falls off the end (refused by the validator)
      if (leader[next] != 0) { s0 = blockAt[next]; break; }
      pc = next;
    }
    tmpLast[b] = pc;
    tmpKind[b] = kind;
    tmpS0[b] = s0;
    tmpS1[b] = s1;
  }

  const blocks = new Cfg();
  blocks.start = tmpStart;
  blocks.last = tmpLast;
  blocks.kind = tmpKind;
  blocks.succ0 = tmpS0;
  blocks.succ1 = tmpS1;
  const g = analyse(code, blocks, blockAt[entry]);
  g.badEdge = badEdge;
  return g;
}

/**
 * Steps 3-6 on the blocks `t` (start, last, kind and successors by index) from entry block `eb`: the graph in
 * reverse postorder, its dominators, loops, merge nodes and budget checkpoints.
 */
export function analyse(code: usize, t: Cfg, eb: i32): Cfg {
  const g = new Cfg();
  const nb = t.start.length;
  const tmpStart = t.start, tmpLast = t.last, tmpKind = t.kind, tmpS0 = t.succ0, tmpS1 = t.succ1;

  // 3. Reverse postorder from the entry block (iterative depth-first search).
  const order = new Array<i32>(); // postorder
  const state = new StaticArray<u8>(nb); // 0 new, 1 on stack, 2 done
  const stack = new Array<i32>();
  stack.push(eb);
  state[eb] = 1;
  while (stack.length > 0) {
    const b = stack[stack.length - 1];
    const a = tmpS0[b], c = tmpS1[b];
    if (a >= 0 && state[a] == 0) { state[a] = 1; stack.push(a); continue; }
    if (c >= 0 && state[c] == 0) { state[c] = 1; stack.push(c); continue; }
    stack.pop();
    state[b] = 2;
    order.push(b);
  }
  const n = order.length;
  const num = new StaticArray<i32>(nb); // old block -> rpo number
  for (let i = 0; i < nb; i++) num[i] = -1;
  for (let i = 0; i < n; i++) num[order[n - 1 - i]] = i;
  g.n = n;
  for (let i = 0; i < n; i++) {
    const b = order[n - 1 - i];
    g.start.push(tmpStart[b]);
    g.last.push(tmpLast[b]);
    g.kind.push(tmpKind[b]);
    g.succ0.push(tmpS0[b] >= 0 ? num[tmpS0[b]] : -1);
    g.succ1.push(tmpS1[b] >= 0 ? num[tmpS1[b]] : -1);
    g.loopHeader.push(false);
    g.merge.push(false);
    g.hoisted.push(false);
    g.checkpoint.push(false);
    g.maxLen.push(0);
    g.children.push(new Array<i32>());
    g.idom.push(-1);
  }

  // 4. Predecessors and dominators (Cooper, Harvey and Kennedy's iteration over reverse postorder).
  const preds = new Array<Array<i32>>(n);
  for (let i = 0; i < n; i++) preds[i] = new Array<i32>();
  for (let i = 0; i < n; i++) {
    if (g.succ0[i] >= 0) preds[g.succ0[i]].push(i);
    if (g.succ1[i] >= 0) preds[g.succ1[i]].push(i);
  }
  const idom = g.idom;
  idom[0] = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = 1; b < n; b++) {
      const ps = preds[b];
      let d = -1;
      for (let j = 0; j < ps.length; j++) {
        const p = ps[j];
        if (idom[p] < 0) continue;
        if (d < 0) { d = p; continue; }
        let x = p, y = d;
        while (x != y) {
          while (x > y) x = idom[x];
          while (y > x) y = idom[y];
        }
        d = x;
      }
      if (d != idom[b]) { idom[b] = d; changed = true; }
    }
  }

  // 5. Back edges (to a block not later in reverse postorder), loop headers, merge nodes, reducibility.
  const forwardIn = new StaticArray<i32>(n);
  for (let x = 0; x < n; x++) {
    for (let e = 0; e < 2; e++) {
      const y = e == 0 ? g.succ0[x] : g.succ1[x];
      if (y < 0) continue;
      if (y <= x) {
        g.loopHeader[y] = true;
        if (!dominates(idom, y, x)) g.reducible = false;
      } else {
        forwardIn[y]++;
      }
    }
  }
  for (let b = 1; b < n; b++) g.merge[b] = forwardIn[b] >= 2;

  // Budget checkpoints and the longest run of instructions from each block to the next checkpoint.
  g.checkpoint[0] = true;
  for (let x = 0; x < n; x++) {
    if (g.loopHeader[x]) g.checkpoint[x] = true;
    if (g.kind[x] == END_FALL && g.succ0[x] >= 0 && isCall(code, g.last[x])) g.checkpoint[g.succ0[x]] = true;
  }
  for (let x = n - 1; x >= 0; x--) {
    let len = 0;
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) len++;
    let longest = 0;
    for (let e = 0; e < 2; e++) {
      const y = e == 0 ? g.succ0[x] : g.succ1[x];
      if (y > x && !g.checkpoint[y] && g.maxLen[y] > longest) longest = g.maxLen[y];
    }
    g.maxLen[x] = len + longest;
  }

  // 6. Loop exits leave their loops in the Wasm too. A node outside a loop whose immediate dominator is inside it
  // (the classic: the exit of a while loop, dominated by its header) would otherwise be placed inside the Wasm
  // loop, with the rest of the program after it: correct, but the Wasm loop would span the whole rest of the
  // program. Such a node becomes a child of the header of the outermost loop it leaves (that header dominates it
  // too), with a block label around that loop, so that a Wasm loop holds its eBPF loop and nothing more.
  const parent = new StaticArray<i32>(n);
  for (let b = 1; b < n; b++) parent[b] = idom[b];
  if (g.reducible) {
    const loops = naturalLoops(g, preds);
    const loopOf = loops[0], loopParent = loops[1];
    g.loopOf = loopOf;
    g.loopParent = loopParent;
    g.loopSize = loops[2];
    for (let y = 1; y < n; y++) {
      let best = -1;
      for (let l = loopOf[idom[y]]; l >= 0; l = loopParent[l]) if (!inLoop(loopOf, loopParent, l, y)) best = l;
      if (best >= 0) {
        parent[y] = best;
        g.hoisted[y] = true;
        g.merge[y] = true;
      }
    }
  }
  for (let b = 1; b < n; b++) g.children[parent[b]].push(b); // b increases: children come in reverse postorder
  return g;
}

/**
 * Per block x of the loop headed by h (no inner loop): the most instructions a trip runs from x's start
 * to its end (the jump back to h, or a jump out of the loop); at h, the longest trip. Blocks come in reverse
 * postorder, so x's successors in the loop but h come after it.
 */
export function tripRests(code: usize, g: Cfg, h: i32): StaticArray<i32> {
  const rest = new StaticArray<i32>(g.n);
  for (let x = g.n - 1; x >= h; x--) {
    if (g.loopOf[x] != h) continue;
    let len = 0;
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(code, pc)) len++;
    let longest = 0;
    for (let e = 0; e < 2; e++) {
      const y = e == 0 ? g.succ0[x] : g.kind[x] == END_COND ? g.succ1[x] : -1;
      if (y > x && g.loopOf[y] == h && rest[y] > longest) longest = rest[y];
    }
    rest[x] = len + longest;
  }
  return rest;
}

/** Innermost loop (its header) of each block, -1 outside loops; each loop's enclosing loop; each loop's size. */
function naturalLoops(g: Cfg, preds: Array<Array<i32>>): StaticArray<i32>[] {
  const n = g.n;
  const loopOf = new StaticArray<i32>(n);
  const loopParent = new StaticArray<i32>(n);
  const mark = new StaticArray<i32>(n);
  const size = new StaticArray<i32>(n);
  for (let i = 0; i < n; i++) { loopOf[i] = -1; loopParent[i] = -1; mark[i] = -1; }
  const stack = new Array<i32>();
  for (let h = n - 1; h >= 0; h--) { // inner loops first: an inner header comes later in reverse postorder
    if (!g.loopHeader[h]) continue;
    mark[h] = h;
    size[h] = 1;
    loopOf[h] = h;
    const ps = preds[h];
    for (let j = 0; j < ps.length; j++) if (ps[j] >= h) stack.push(ps[j]); // back edges
    while (stack.length > 0) {
      const q = stack.pop();
      if (mark[q] == h) continue;
      mark[q] = h;
      size[h]++;
      if (loopOf[q] < 0) loopOf[q] = h;
      else if (loopOf[q] != h) {
        let l = loopOf[q];
        while (loopParent[l] >= 0 && loopParent[l] != h) l = loopParent[l];
        if (loopParent[l] < 0 && l != h) loopParent[l] = h;
      }
      const qs = preds[q];
      for (let j = 0; j < qs.length; j++) if (mark[qs[j]] != h) stack.push(qs[j]);
    }
  }
  return [loopOf, loopParent, size];
}

export function inLoop(loopOf: StaticArray<i32>, loopParent: StaticArray<i32>, l: i32, y: i32): bool {
  for (let m = loopOf[y]; m >= 0; m = loopParent[m]) if (m == l) return true;
  return false;
}

export function dominates(idom: Array<i32>, a: i32, b: i32): bool {
  while (true) {
    if (b == a) return true;
    if (b == 0) return false;
    b = idom[b];
  }
}
