// Control-flow analysis of one eBPF function for the Wasm translator: basic blocks, reverse postorder,
// dominators, loop headers and merge nodes. The translator turns the dominator tree into nested Wasm
// blocks and loops (after N. Ramsey, "Beyond Relooper", ICFP 2022); a function whose graph is irreducible
// is emitted as a loop around a br_table dispatcher instead.
//
// A function is every instruction reachable from its entry without following calls: a bpf-to-bpf call
// returns to the next instruction, an exit ends the path.
import { CLS_JMP, CLS_JMP32, OP_LDDW } from "../isa";

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
  merge: Array<bool> = []; // two or more forward edges lead here
  children: Array<Array<i32>> = []; // dominator-tree children, in reverse postorder
  reducible: bool = true;
  /** A successor outside the program (only a program the validator refused can have one). */
  badEdge: i32 = -1;
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
  const g = new Cfg();
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
        if (t < 0 || t >= count) { g.badEdge = pc; break; }
        leader[t] = 1;
        work.push(t);
        if (k == END_JA) break;
        if (pc + 1 < count) leader[pc + 1] = 1;
      }
      const next = pc + insnLen(code, pc);
      if (next >= count) { g.badEdge = pc; break; }
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

  // 3. Reverse postorder from the entry block (iterative depth-first search).
  const order = new Array<i32>(); // postorder
  const state = new StaticArray<u8>(nb); // 0 new, 1 on stack, 2 done
  const stack = new Array<i32>();
  const eb = blockAt[entry];
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
  for (let b = 1; b < n; b++) {
    g.merge[b] = forwardIn[b] >= 2;
    g.children[idom[b]].push(b); // b increases, so children come in reverse postorder
  }
  return g;
}

function dominates(idom: Array<i32>, a: i32, b: i32): bool {
  while (true) {
    if (b == a) return true;
    if (b == 0) return false;
    b = idom[b];
  }
}
