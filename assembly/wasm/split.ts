// Node splitting for the Wasm translator's control-flow graphs (cfg.ts): an irreducible graph, a cycle that can be
// entered at two or more of its blocks (clang makes them: a loop rotated so that the first trip starts in its
// middle, two loops jumping into each other), becomes a reducible one by copying blocks, so that the function is
// structured into Wasm loops and blocks instead of running through a br_table dispatcher with a budget check in
// every block (each transfer a jump through the table, and no versioned loops, no grouped checks).
//
// One step: a retreating edge x -> y whose target does not dominate its source lies in a strongly connected set S
// of blocks with two or more entries (blocks with a predecessor outside S, and the function's entry): the blocks
// that y reaches and that reach y, without passing the header of a cycle of one entry around them (S may lie
// inside a loop that is entered at one block only). The entry first in reverse postorder, h, stays the header;
// the blocks of S that the other entries reach without passing h (R) are copied, and every edge from outside S
// into R goes to the copy instead. The copies lead to h, or leave S, as the originals do; the originals are then
// entered only through h. Cycles among the copies (inner loops of S that avoided h) are smaller than S, so
// repeating the step ends; reducibleCfg repeats it until the graph is reducible or the copies would pass a bound on
// the code they add. A copy runs the same instructions: the same pcs, the same faults, the same budget.
import { Cfg, analyse, dominates, insnLen } from "./cfg";

/**
 * Instructions of a function copied to make its graph reducible: up to twice its size, or SPLIT_MIN for a small
 * one, never more than SPLIT_LIMIT. Each step analyses the whole graph again (cfg.ts: analyse), so a graph of
 * more than SPLIT_BLOCKS blocks, or one with more retreating edges to blocks that do not dominate their sources
 * than the SPLIT_STEPS steps could take one at a time, is left to the dispatcher: translation time stays within
 * a few times a plain graph's.
 */
const SPLIT_MIN: i32 = 512;
const SPLIT_LIMIT: i32 = 4096;
const SPLIT_STEPS: i32 = 16;
const SPLIT_BLOCKS: i32 = 1024;

/** Instructions the last splitEntries copied. */
let splitCopied: i32 = 0;

/**
 * The graph `g` (cfg.ts: buildCfg) made reducible by splitting steps, or as it is when it is reducible or the
 * copies would pass the bounds above: the translator's dispatcher then runs it.
 */
export function reducibleCfg(code: usize, g: Cfg): Cfg {
  let size = 0;
  for (let b = 0; b < g.n; b++) for (let pc = g.start[b]; pc <= g.last[b]; pc += insnLen(code, pc)) size++;
  let room = min(max(2 * size, SPLIT_MIN), SPLIT_LIMIT);
  for (let step = 0; !g.reducible && step < SPLIT_STEPS && g.n <= SPLIT_BLOCKS; step++) {
    const split = splitEntries(code, g, room, SPLIT_STEPS - step);
    if (split == null) break;
    room -= splitCopied;
    const badEdge = g.badEdge;
    g = analyse(code, split, 0);
    g.badEdge = badEdge;
  }
  return g;
}

/**
 * The blocks of `g` (reverse postorder, entry 0, not reducible) after one splitting step, successors by index,
 * entry 0; null when no step applies, when `steps` steps could not take each retreating edge to a block that does
 * not dominate its source, or when the copies would hold more than `room` instructions.
 */
function splitEntries(code: usize, g: Cfg, room: i32, steps: i32): Cfg | null {
  const n = g.n;
  // the first retreating edge to a block that does not dominate its source
  let y = -1;
  let edges = 0;
  for (let x = 0; x < n; x++) {
    for (let e = 0; e < 2; e++) {
      const t = e == 0 ? g.succ0[x] : g.succ1[x];
      if (t >= 0 && t <= x && !dominates(g.idom, t, x)) { if (y < 0) y = t; edges++; }
    }
  }
  if (y < 0 || edges > steps) return null;
  const succs = new Array<Array<i32>>(n);
  const preds = new Array<Array<i32>>(n);
  for (let b = 0; b < n; b++) { succs[b] = new Array<i32>(); preds[b] = new Array<i32>(); }
  for (let b = 0; b < n; b++) {
    for (let e = 0; e < 2; e++) {
      const t = e == 0 ? g.succ0[b] : g.succ1[b];
      if (t >= 0) { succs[b].push(t); preds[t].push(b); }
    }
  }
  // S: the blocks y reaches that reach y, outside the headers of single-entry cycles around it (the cycle with two
  // entries may lie inside one that has one)
  const blocked = new StaticArray<u8>(n);
  const inS = new StaticArray<u8>(n);
  const entry = new StaticArray<u8>(n);
  let h = -1;
  while (true) {
    const fwd = reach(succs, y, blocked);
    const bwd = reach(preds, y, blocked);
    for (let b = 0; b < n; b++) { inS[b] = fwd[b] & bwd[b]; entry[b] = 0; }
    // its entries; h, the first in reverse postorder
    for (let p = 0; p < n; p++) {
      if (inS[p] != 0) continue;
      const t0 = g.succ0[p], t1 = g.succ1[p];
      if (t0 >= 0 && inS[t0] != 0) entry[t0] = 1;
      if (t1 >= 0 && inS[t1] != 0) entry[t1] = 1;
    }
    if (inS[0] != 0) entry[0] = 1;
    let entries = 0;
    h = -1;
    for (let b = 0; b < n; b++) if (entry[b] != 0) { entries++; if (h < 0) h = b; }
    if (entries >= 2) break;
    if (entries == 0 || h == y) return null;
    blocked[h] = 1;
  }
  // R: what the other entries reach inside S without passing h
  blocked[h] = 1;
  const inR = new StaticArray<u8>(n);
  for (let b = 0; b < n; b++) {
    if (entry[b] == 0 || b == h) continue;
    const r = reach(succs, b, blocked);
    for (let c = 0; c < n; c++) if (r[c] != 0 && inS[c] != 0) inR[c] = 1;
  }
  const copyOf = new StaticArray<i32>(n); // block -> its copy's index, -1 when not copied
  let m = n;
  let insns = 0;
  for (let b = 0; b < n; b++) {
    copyOf[b] = -1;
    if (inR[b] == 0) continue;
    copyOf[b] = m++;
    for (let pc = g.start[b]; pc <= g.last[b]; pc += insnLen(code, pc)) insns++;
  }
  if (m == n || insns > room) return null;
  splitCopied = insns;
  const out = new Cfg();
  // an edge from outside S into R goes to the copy
  for (let b = 0; b < n; b++) addBlock(out, g, b, inS[b] == 0, copyOf);
  // inside R to the copies; to h and out of S as the original
  for (let b = 0; b < n; b++) if (copyOf[b] >= 0) addBlock(out, g, b, true, copyOf);
  return out;
}

/** Block b of g to `out`, its successors in R redirected to their copies when `outside` (see redirect). */
function addBlock(out: Cfg, g: Cfg, b: i32, outside: bool, copyOf: StaticArray<i32>): void {
  out.start.push(g.start[b]);
  out.last.push(g.last[b]);
  out.kind.push(g.kind[b]);
  out.succ0.push(redirect(g.succ0[b], outside, copyOf));
  out.succ1.push(redirect(g.succ1[b], outside, copyOf));
}

/** Successor `t` of a block, or its copy when `outside` (the edge comes from outside S, or from a copy). */
function redirect(t: i32, outside: bool, copyOf: StaticArray<i32>): i32 {
  return t >= 0 && outside && copyOf[t] >= 0 ? copyOf[t] : t;
}

/** Blocks reachable from `from` along `edges` (successors, or predecessors) without entering a `blocked` one. */
function reach(edges: Array<Array<i32>>, from: i32, blocked: StaticArray<u8>): StaticArray<u8> {
  const seen = new StaticArray<u8>(edges.length);
  const work = new Array<i32>();
  seen[from] = 1;
  work.push(from);
  while (work.length > 0) {
    const next = edges[work.pop()];
    for (let i = 0; i < next.length; i++) {
      const c = next[i];
      if (blocked[c] == 0 && seen[c] == 0) { seen[c] = 1; work.push(c); }
    }
  }
  return seen;
}
