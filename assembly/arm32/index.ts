// The eBPF -> ARM32 module (build/arm32.wasm), separate from the core so that devices that only interpret do not
// carry it. The host writes the eBPF instructions at prepare()'s address, calls translate() and copies the image
// (driver, runtime routines, translated program, tables, strings) from output(); targets/arm32/elf32.ts wraps it
// into a static ARM Linux executable.

import { emitReset, pos } from "./encoder";
import { clearLabels, setImageBase, imageBase, labelAt, label, at, L_START, L_ENTRY, L_CODE, L_TABLE, L_STATE, STATE_SIZE } from "./image";
import { emitDriver, emitDriverStrings } from "./driver";
import { emitRuntime } from "./runtime";
import * as translator from "./translate";

const INSNS: usize = 0x10000;
let count: i32 = 0;
let offsets: usize = 0;
let flags: usize = 0;
let out: usize = 0;

function ensureMemory(end: usize): void {
  const have = <usize>memory.size() << 16;
  if (end > have) memory.grow(<i32>((end - have + 0xffff) >> 16));
}

/** Room for n eBPF instructions; returns where to write them. */
export function prepare(n: i32): usize {
  count = n;
  offsets = INSNS + (<usize>n << 3);
  flags = offsets + (<usize>n << 2) + 4;
  out = (flags + <usize>n + 15) & ~15;
  ensureMemory(out);
  return INSNS;
}

function emitImage(opts: u32, budget: u32): bool {
  emitDriver();
  emitRuntime(count);
  if (!translator.emitProgram(INSNS, count, offsets, flags, opts, budget)) return false;
  emitDriverStrings();
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
export function errorIndex(): i32 { return translator.errorIndex; }
