// Linear-memory allocation and the region table: what a program may read and write.
import {
  STATE, ST_HEAP_TOP, ST_REGION_COUNT, REGIONS, REGION_SIZE, MAX_REGIONS, HEAP_BASE,
} from "./layout";

/** Bump allocator over the heap. Memory is never freed one piece at a time; `heapReset` drops everything. */
export function alloc(size: u32, align: u32 = 8): u32 {
  let top = load<u32>(STATE + ST_HEAP_TOP);
  if (top < <u32>HEAP_BASE) top = <u32>HEAP_BASE;
  const start = (top + align - 1) & ~(align - 1);
  const end = start + size;
  const have = <u32>memory.size() << 16;
  if (end > have) {
    const pages = ((end - have + 0xffff) >>> 16);
    if (memory.grow(<i32>pages) < 0) return 0;
  }
  memory.fill(start, 0, size);
  store<u32>(STATE + ST_HEAP_TOP, end);
  return start;
}

export function heapTop(): u32 {
  const top = load<u32>(STATE + ST_HEAP_TOP);
  return top < <u32>HEAP_BASE ? <u32>HEAP_BASE : top;
}

export function heapReset(top: u32): void {
  store<u32>(STATE + ST_HEAP_TOP, top);
}

/**
 * Adds a region [start, end) that programs may read; [wstart, wend) inside it may also be written
 * (pass wstart = wend = 0 for a read-only region). Returns the region's index, or -1 when the table is full.
 */
export function regionAdd(start: u32, end: u32, wstart: u32, wend: u32): i32 {
  const n = load<u32>(STATE + ST_REGION_COUNT);
  if (n >= <u32>MAX_REGIONS) return -1;
  regionSet(n, start, end, wstart, wend);
  store<u32>(STATE + ST_REGION_COUNT, n + 1);
  return <i32>n;
}

// The bounds of the region the last read fell in, tried before the table: a program's reads mostly stay in the
// region it read last (its input, a map value); its writes go mostly to the stack, the table's first region.
// Emptied whenever a region changes or goes, so they never allow what the table does not.
let readStart: u32 = 0;
let readEnd: u32 = 0;

/** The bounds of the region the last allowed read fell in, start | end << 32: the interpreter keeps a copy. */
export function lastReadRegion(): u64 {
  return <u64>readStart | <u64>readEnd << 32;
}

export function regionSet(index: u32, start: u32, end: u32, wstart: u32, wend: u32): void {
  readStart = readEnd = 0;
  const r = REGIONS + index * REGION_SIZE;
  store<u32>(r, start);
  store<u32>(r, end, 4);
  store<u32>(r, wstart, 8);
  store<u32>(r, wend, 12);
}

/** Drops region `index`; the last region takes its place (only regions 0-2 have fixed places, never dropped). */
export function regionRemove(index: u32): void {
  readStart = readEnd = 0;
  const n = load<u32>(STATE + ST_REGION_COUNT) - 1;
  memory.copy(REGIONS + index * REGION_SIZE, REGIONS + n * REGION_SIZE, REGION_SIZE);
  store<u32>(STATE + ST_REGION_COUNT, n);
}

/** Index of the region whose readable and writable parts are both exactly [start, end), or -1. */
export function regionFind(start: u32, end: u32): i32 {
  const span = <u64>start | (<u64>end << 32);
  const n = load<u32>(STATE + ST_REGION_COUNT);
  for (let i: u32 = 0; i < n; i++) {
    const r = REGIONS + i * REGION_SIZE;
    if (load<u64>(r) == span && load<u64>(r, 8) == span) return <i32>i;
  }
  return -1;
}

/** Is [addr, addr + size) inside one region (and inside its writable part when `write`)? */
export function accessAllowed(addr: u64, size: u32, write: bool): bool {
  if (addr >> 32) return false;
  const a = <u32>addr;
  const e = a + size;
  if (e < a) return false;
  if (!write && a >= readStart && e <= readEnd) return true;
  const n = load<u32>(STATE + ST_REGION_COUNT);
  for (let i: u32 = 0; i < n; i++) {
    const r = REGIONS + i * REGION_SIZE;
    if (write) {
      if (a >= load<u32>(r, 8) && e <= load<u32>(r, 12)) return true;
    } else {
      const start = load<u32>(r), end = load<u32>(r, 4);
      if (a >= start && e <= end) { readStart = start; readEnd = end; return true; }
    }
  }
  return false;
}
