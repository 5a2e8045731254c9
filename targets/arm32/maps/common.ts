// What every map family shares: the descriptor layout the host writes (D_*, K_*, V_*), the families an image
// holds, the errnos, the labels the families jump to in each other's code, and the small emitters for descriptors and
// slots. maps/index.ts emits the array and hash maps and calls the families (hash.ts, lpm.ts, queue.ts, ringbuf.ts,
// print.ts), which import this file and never index.ts.
import { IP, OP_ADD, OP_SUB, R0, R4, ldr, mla, mul, opReg } from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  DATA_BASE, DESC_OFFSET, DESC_SIZE, D_TYPE, K_LPM, K_PERF, K_QUEUE, K_RINGBUF, K_STACK, RECORD_HEADER, V_INNER,
  V_LRU,
} from "../abi";
import { L_HELPER_PERF_OUTPUT, L_HELPER_PUSH, L_HELPER_RB_OUTPUT } from "../image";

export const DESC_BASE: u32 = DATA_BASE + DESC_OFFSET;

// Families an image holds (noteMapFamilies), one bit each: code for a family is emitted only when it is there.
export const F_LRU: u32 = 1;
export const F_INNER: u32 = 2;
export const F_LPM: u32 = 4;
export const F_QUEUE: u32 = 8;
export const F_RINGBUF: u32 = 16;
export const F_PERF: u32 = 32;
// The program calls a map helper of a family the image lacks (or calls helpers through a register): maps/missing.ts
// emits the core's faults for those helpers.
export const F_MISSING: u32 = 64;

/**
 * Notes the families of the `nmaps` maps whose descriptors are in the area's initial bytes at `data`, and whether
 * the program (c.insns) calls a map helper none of them serves (F_MISSING).
 */
export function noteMapFamilies(c: Context, data: usize, nmaps: i32): void {
  c.families = 0;
  c.mapsInImage = nmaps;
  for (let i = 0; i < nmaps; i++) {
    const t = load<u32>(data + <usize>(DESC_BASE - DATA_BASE) + <usize>(<u32>i * DESC_SIZE) + D_TYPE);
    const k = t & 0xff;
    if (t & V_LRU) c.families |= F_LRU;
    if (t & V_INNER) c.families |= F_INNER;
    if (k == K_LPM) c.families |= F_LPM;
    if (k == K_QUEUE || k == K_STACK) c.families |= F_QUEUE;
    if (k == K_RINGBUF) c.families |= F_RINGBUF;
    if (k == K_PERF) c.families |= F_PERF;
  }
  for (let i = 0; i < c.count; i++) {
    const p = c.insns + (<usize>i << 3);
    const op = load<u8>(p);
    if (op == 0x18) { i++; continue; }
    const helper = op == 0x85 && (load<u8>(p + 1) >> 4) == 0;
    if (op == 0x8d || (helper && missingMapHelper(c, load<i32>(p + 4)) >= 0)) c.families |= F_MISSING;
  }
}

/**
 * The routine giving the core's fault for map helper `id` when no map of the image serves it (maps/missing.ts),
 * else -1: the map argument is then no map of the right kind; ringbuf_submit / discard get no reserved sample.
 */
function missingMapHelper(c: Context, id: i32): i32 {
  if (id >= 1 && id <= 3) return c.mapsInImage == 0 ? NM_ARG1 : -1;
  if (id >= 87 && id <= 89) return c.families & F_QUEUE ? -1 : NM_ARG1;
  if (id == 130 || id == 131 || id == 134) return c.families & F_RINGBUF ? -1 : NM_ARG1;
  if (id == 132 || id == 133) return c.families & F_RINGBUF ? -1 : NM_RECORD;
  if (id == 25) return c.families & F_PERF ? -1 : NM_ARG2;
  return -1;
}

/** Does the driver's map printer hand maps to maps/print.ts? */
export function printsMoreMaps(c: Context): bool {
  return c.mapsInImage > 0 && (c.families & (F_LPM | F_QUEUE | F_RINGBUF | F_PERF)) != 0;
}

/** The routine of helper `id` when it belongs to a family the image holds, else -1 (jit/calls.ts). */
export function moreMapHelper(c: Context, id: i32): i32 {
  if (c.families & F_MISSING && missingMapHelper(c, id) >= 0) return missingMapHelper(c, id);
  if (c.mapsInImage == 0) return -1;
  if ((c.families & F_QUEUE) && id >= 87 && id <= 89) return L_HELPER_PUSH + id - 87;
  if ((c.families & F_RINGBUF) && id >= 130 && id <= 134) return L_HELPER_RB_OUTPUT + id - 130;
  if ((c.families & F_PERF) && id == 25) return L_HELPER_PERF_OUTPUT;
  return -1;
}

export const EL_KEY = RECORD_HEADER; // an element record's key
export const ENOENT: u32 = 2;
export const E2BIG: u32 = 7;
export const EEXIST: u32 = 17;
export const EINVAL: u32 = 22;

export const M = block("maps", 29); // labels of maps/common.ts and maps/index.ts (index.ts: the ones it alone uses)
export const CHECKN = M + 0;
export const BAD_MAP = M + 1;
export const FIND = M + 3;
export const COPY = M + 4;
export const RETURN = M + 5;
export const RET_ERR = M + 6;
export const L_NULL = M + 17;
export const U_EINVAL = M + 19;
export const U_E2BIG = M + 20;
export const U_EEXIST = M + 21;
export const U_ENOENT = M + 22;
export const U_WRITE = M + 23;
export const U_GOT = M + 25;
const NM = block("maps/missing", 4); // maps/missing.ts
export const NM_ARG1 = NM + 0;
export const NM_ARG2 = NM + 1;
export const NM_RECORD = NM + 2;
export const NM_FAULT = NM + 3;
const X = block("maps/handles", 2); // the handle routines the other families call
export const HANDLE = X + 0;
export const RET_HANDLE = X + 1;

/** ARM register rd = address of descriptor of the map whose index is in rn (uses ip). */
export function descOf(c: Context, rd: i32, rn: i32): void {
  c.emitConst(IP, DESC_SIZE);
  c.emit(mul(rd, rn, IP));
  c.emitConst(IP, DESC_BASE);
  c.emit(opReg(OP_ADD, rd, rd, IP));
}

/** rd = base + (rn - 1) * stride (or rn * stride), stride a field of the descriptor in r4 (uses ip; rd may be rn or base). */
export function slot(c: Context, rd: i32, base: i32, rn: i32, strideField: i32, minusOne: bool): void {
  c.emit(ldr(IP, R4, strideField));
  c.emit(mla(rd, rn, IP, base));
  if (minusOne) c.emit(opReg(OP_SUB, rd, rd, IP));
}

export function errno(c: Context, e: u32): void {
  c.emitConst(R0, <u32>(-<i32>e));
  c.b(RET_ERR);
}
