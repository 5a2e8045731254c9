// The eBPF -> ARM32 module (build/arm32.wasm), separate from the core so that devices that only interpret do not
// carry it. The host writes the eBPF instructions at prepare()'s address, calls translate() and copies the image
// (driver, runtime routines, translated program, tables, strings) from output(); targets/arm32/elf32.ts wraps it
// into a static ARM Linux executable. The host makes a fresh instance for each translation.
//
// Memory: static data and the heap (the one Context of a translation, see jit/context.ts) below 0x8000, the label
// table from 0x8000 (a32/labels.ts), the loop tables from 0x9000 (analysis/loops.ts), from 0x10000 the instructions
// and the tables laid out by prepare(), prepareData() and prepareProgs(), then the output.

import { NEAR_SPAN, blockName, blockOffset } from "./a32/labels";
import { COPY_TABLE, LOOP_TABLE_AT, POOL, loopEntryJump, loopNestInner, loopTestAt } from "./analysis/loops";
import { STATE_BYTES } from "./analysis/ranges";
import { Context } from "./jit/context";
import { translatePass } from "./jit/translate";
import { ERR_MEMORY, ERR_NONE, MAX_MAPS, OPT_ARMV6, SECTIONS } from "../../targets/arm32/abi";
import { L_CODE, L_ENTRY, L_START, L_STATE, L_TABLE, STATE_SIZE } from "../../targets/arm32/image";

const INSNS: usize = 0x10000;
const HEAP_END: usize = 0x8000; // the label table starts here
let count: i32 = 0;
let offsets: usize = 0;
let flags: usize = 0;
let states: usize = 0;
let widths: usize = 0;
let frames: usize = 0;
let out: usize = 0;
let nmaps: i32 = 0;
let data: usize = 0; // the map area's initial bytes (see maps/common.ts)
let dataLength: i32 = 0;
let heapBeforePasses: usize = 0; // the heap's top when the first pass starts ...
let heapAfterPasses: usize = 0; // ... and after the last one
let progs: usize = 0; // per program id: where it starts in the instructions (or -1), its name (see prepareProgs)
let progIds: i32 = 0;
let last: Context | null = null; // the last translation, for the tables and errors the host reads afterwards

function ensureMemory(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end > have) memory.grow(<i32>((end - have + 0xffff) >> 16));
}

/** Room for n eBPF instructions; returns where to write them. */
export function prepare(n: i32): usize {
  count = n;
  offsets = INSNS + (<usize>n << 3);
  flags = offsets + (<usize>n << 2) + 4;
  states = (flags + <usize>n + 3) & ~3;
  widths = (states + (<usize>n << 2) + 15) & ~15;
  frames = widths + <usize>n * STATE_BYTES;
  out = (frames + <usize>n + 15) & ~15;
  ensureMemory(out);
  nmaps = 0;
  dataLength = 0;
  progIds = 0;
  return INSNS;
}

/**
 * After prepare(): the image holds `maps` maps whose area (at abi.ts DATA_BASE) starts with `length` initial
 * bytes; returns where to write them. At most MAX_MAPS maps.
 */
export function prepareData(maps: i32, length: i32): usize {
  nmaps = maps;
  dataLength = length;
  data = out;
  out = (data + <usize>length + 15) & ~15;
  ensureMemory(out);
  return data;
}

/**
 * After prepare() (and prepareData()): the instructions hold several programs, one after the other, that tail
 * calls reach; program id k starts at instruction table[3k] (-1: not in the image), and its name (for fault
 * reports) is table[3k + 2] bytes at address table[3k + 1] of the executable. Returns where to write the `ids`
 * entries. With a table, bpf_tail_call (helper 12) is compiled in.
 */
export function prepareProgs(ids: i32): usize {
  progIds = ids;
  progs = out;
  out = (progs + <usize>ids * 12 + 15) & ~15;
  ensureMemory(out);
  return progs;
}

export function maxMaps(): i32 { return MAX_MAPS; }

/**
 * Translate the prepared program into an image loaded at `base`. Options: abi.ts OPT_* bits. Budget: executed
 * instructions allowed per run, 0 = unlimited. Returns the image length in bytes, or -1 (see errorCode/errorIndex).
 */
export function translate(opts: u32, budget: u32, base: u32): i32 {
  const c = new Context();
  last = c;
  if (!heapBelowLabels(c)) return -1;
  c.insns = INSNS;
  c.count = count;
  c.offsets = offsets;
  c.flags = flags;
  c.states = states;
  c.widths = widths;
  c.frames = frames;
  c.spare = out;
  c.options = opts;
  c.armv6 = (opts & OPT_ARMV6) != 0;
  c.budget = budget;
  c.progTable = progs;
  c.progIds = progIds;
  c.imageBase = base;
  heapBeforePasses = heapTop();
  if (!pass(c, true, 0)) return -1;
  if (c.armv6 && c.at(L_STATE) + STATE_SIZE <= NEAR_SPAN) {
    // small enough for pc-relative addresses: measure again with them (a32/labels.ts addressOf)
    c.nearAddresses = true;
    if (!pass(c, true, 0)) return -1;
  }
  ensureMemory(out + <usize>c.pos);
  if (!pass(c, false, out)) return -1;
  return c.pos;
}

/**
 * The heap (static data, then the Context and its arrays) must end below the label table: checked before the
 * passes and after each, as the stub runtime never frees and an object allocated while emitting would grow the
 * heap into the labels (bound twice, or moved) and the loop tables. ERR_MEMORY otherwise.
 */
function heapBelowLabels(c: Context): bool {
  const top = heapTop();
  heapAfterPasses = top;
  if (top + 4 <= HEAP_END) return true;
  c.errorCode = ERR_MEMORY;
  return false;
}

function heapTop(): usize {
  const top = heap.alloc(4);
  heap.free(top);
  return top;
}

/** One pass (translatePass); a heap grown into the label table during it is the error reported, as the cause. */
function pass(c: Context, measure: bool, at: usize): bool {
  const ok = translatePass(c, measure, at, data, nmaps, dataLength);
  return heapBelowLabels(c) && ok;
}

function result(): Context { return changetype<Context>(last); }

export function output(): usize { return out; }
/** u32 per eBPF instruction: offset of its code from codeOffset() (bit 31: second slot of lddw). */
export function offsetTable(): usize { return offsets; }
export function codeOffset(): i32 { return result().at(L_CODE); }
export function tableOffset(): i32 { return result().at(L_TABLE); }
export function entryOffset(): i32 { return result().at(L_START); }
/** The program's entry routine (prologue), called by the driver. */
export function programOffset(): i32 { return result().at(L_ENTRY); }
export function stateOffset(): i32 { return result().at(L_STATE); }
export function stateSize(): i32 { return STATE_SIZE; }
export function errorCode(): i32 { return last ? result().errorCode : ERR_NONE; }
/** Bytes the heap grew by during the last translation's passes: 0, as nothing they do may allocate. */
export function passesHeapGrowth(): i32 { return <i32>(heapAfterPasses - heapBeforePasses); }
export function errorIndex(): i32 { return last ? result().errorIndex : 0; }
/** Where part k of the image ends (abi.ts SEC_*). */
export function sectionEnd(k: i32): i32 { return k >= 0 && k < SECTIONS ? result().sectionEnds[k] : 0; }
/** For ERR_LABEL: the name of the label block errorIndex() belongs to (a string in this module's memory). */
export function labelBlockName(id: i32): string { return blockName(id); }
export function labelBlockOffset(id: i32): i32 { return blockOffset(id); }
// For the listing (src/engines/arm32/build.ts): the versioned loops (64 bytes each: head, last, ..., at 44 the
// position of the head's ordinary code) and the copies emitted (loop, first entry of the pool of their
// instructions' positions), and the inner loop whose test each loop's own test makes unneeded in its copy (or -1);
// for a loop entered by a jump from outside it, that jump (else -1) and its test's position.
export function loopCount(): i32 { return result().loops; }
export function nestInner(k: i32): i32 { return k >= 0 && k < result().loops ? loopNestInner(k) : -1; }
export function entryJump(k: i32): i32 { return k >= 0 && k < result().loops ? loopEntryJump(k) : -1; }
export function testAt(k: i32): i32 { return k >= 0 && k < result().loops ? loopTestAt(k) : 0; }
export function loopTable(): usize { return LOOP_TABLE_AT; }
export function copyCount(): i32 { return result().copies; }
export function copyTable(): usize { return COPY_TABLE; }
export function copyPositions(): usize { return POOL; }
