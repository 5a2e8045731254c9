// The eBPF -> ARM32 module (build/arm32.wasm), separate from the core so that devices that only interpret do not
// carry it. The host writes the eBPF instructions at prepare()'s address, calls translate() and copies the image
// (driver, runtime routines, translated program, tables, strings) from output(); targets/arm32/elf32.ts wraps it
// into a static ARM Linux executable.

import {
  emitReset, pos, emitByte, align4,
} from "./a32/encoder";
import {
  clearLabels, setImageBase, imageBase, label, labelAt, at, L_START, L_ENTRY, L_CODE, L_TABLE, L_STATE,
  L_DATA_INIT, STATE_SIZE, MAX_REGIONS, FIRST_MAP_REGION,
} from "../../targets/arm32/image";
import { emitMapRuntime, noteMapFamilies } from "../../targets/arm32/maps/index";
import { setMapCount, setPrograms, emitTailCallRuntime, noteHelpers, emitHostlessHelpers } from "./jit/calls";
import { emitDriver } from "../../targets/arm32/driver/main";
import { emitDriverStrings } from "../../targets/arm32/driver/print";
import {
  emitRuntime,
} from "../../targets/arm32/runtime/routines";
import { noteChecks } from "./jit/memory";
import * as translator from "./jit/translate";
import * as loops from "./analysis/loops";
import * as versioned from "./versioned";
import { STATE_BYTES } from "./analysis/ranges";

const INSNS: usize = 0x10000;
let count: i32 = 0;
let offsets: usize = 0;
let flags: usize = 0;
let states: usize = 0;
let widths: usize = 0;
let out: usize = 0;
let nmaps: i32 = 0;
let data: usize = 0; // the map area's initial bytes (see maps.ts)
let dataLength: i32 = 0;
let progs: usize = 0; // per program id: where it starts in the instructions (or -1), its name (see prepareProgs)
let progIds: i32 = 0;

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
  out = widths + <usize>n * STATE_BYTES;
  ensureMemory(out);
  nmaps = 0;
  dataLength = 0;
  progIds = 0;
  return INSNS;
}

/**
 * After prepare(): the image holds `maps` maps whose area (at maps.ts DATA_BASE) starts with `length` initial bytes;
 * returns where to write them. At most MAX_REGIONS - 3 maps.
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

export function maxMaps(): i32 { return MAX_REGIONS - FIRST_MAP_REGION; }

function emitImage(opts: u32, budget: u32): bool {
  setMapCount(nmaps);
  let starts = 1;
  for (let k = 0; k < progIds; k++) {
    const s = load<i32>(progs + <usize>k * 12);
    if (s > 0) starts++;
  }
  setPrograms(progIds, starts);
  translator.setProgramTable(progs, progIds);
  noteMapFamilies(data, nmaps); // before the driver: its map printer and the helpers depend on the families
  emitDriver(opts, nmaps, dataLength);
  noteChecks(INSNS, count);
  emitRuntime(count, opts);
  if (nmaps > 0) emitMapRuntime(nmaps);
  if (progIds > 0) emitTailCallRuntime(nmaps);
  noteHelpers(INSNS, count, opts);
  emitHostlessHelpers();
  if (!translator.emitProgram(INSNS, count, offsets, flags, states, widths, opts, budget)) return false;
  emitDriverStrings();
  label(L_DATA_INIT);
  for (let i = 0; i < dataLength; i++) emitByte(<u32>load<u8>(data + <usize>i));
  align4();
  // The state block starts on a page of its own, outside the file: code pages stay read-only and executable
  // (stores next to code would also make qemu retranslate the code on every write).
  labelAt(L_STATE, <i32>(((imageBase + <u32>pos + 4095) & ~4095) - imageBase));
  return true;
}

/**
 * Translate the prepared program into an image loaded at `base`. Options: translate.OPT_* bits. Budget: executed
 * instructions allowed per run, 0 = unlimited. Returns the image length in bytes, or -1 (see errorCode/errorIndex).
 */
export function translate(opts: u32, budget: u32, base: u32): i32 {
  clearLabels();
  setImageBase(base);
  emitReset(0, true);
  if (!emitImage(opts, budget)) return -1;
  ensureMemory(out + <usize>pos);
  emitReset(out, false);
  if (!emitImage(opts, budget)) return -1;
  return pos;
}

export function output(): usize { return out; }
/** u32 per eBPF instruction: offset of its code from codeOffset() (bit 31: second slot of lddw). */
export function offsetTable(): usize { return offsets; }
export function codeOffset(): i32 { return at(L_CODE); }
export function tableOffset(): i32 { return at(L_TABLE); }
export function entryOffset(): i32 { return at(L_START); }
/** The program's entry routine (prologue), called by the driver. */
export function programOffset(): i32 { return at(L_ENTRY); }
export function stateOffset(): i32 { return at(L_STATE); }
export function stateSize(): i32 { return STATE_SIZE; }
export function errorCode(): i32 { return translator.errorCode; }
// For the listing (src/arm32.ts): the versioned loops (64 bytes each: head, last, ..., at 44 the position of the
// head's ordinary code) and the copies emitted (loop, first entry of the pool of their instructions' positions).
export function loopCount(): i32 { return loops.loops; }
export function loopTable(): usize { return loops.LOOP_TABLE_AT; }
export function copyCount(): i32 { return versioned.copies; }
export function copyTable(): usize { return loops.COPY_TABLE; }
export function copyPositions(): usize { return loops.POOL; }
export function errorIndex(): i32 { return translator.errorIndex; }
