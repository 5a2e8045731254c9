// Maps compiled into an executable: ARRAY, PERCPU_ARRAY and PERCPU_HASH (one CPU), HASH, and global data
// (.data/.rodata/.bss as single-entry arrays), with the helpers map_lookup_elem (1), map_update_elem (2) and
// map_delete_elem (3); this file also dispatches to the other families, each in a file of its own and compiled in
// only when the object has such a map: LRU hashes and maps of maps (maps-hash.ts), LPM tries (maps-lpm.ts), queues
// and stacks (maps-queue.ts), ring buffers and perf event arrays (maps-ringbuf.ts), and their printing
// (maps-print.ts). Same semantics, flags, errnos and iteration order as the core's
// assembly/maps/array.ts and hash.ts (the hash map uses the same hash function, buckets, element records and free
// list, so its entries come out in the order of the host's BpfMap.dump()).
//
// The maps live in a zero-filled segment at DATA_BASE (the host lays it out, see src/arm32-engine.ts):
//
//   DATA_BASE + 0            u32 number of maps
//   DATA_BASE + 16 + 80 * i  descriptor of map i (D_* below)
//   ...                      map names (JSON strings), value arenas, hash buckets and element records
//
// The driver copies the area's initial bytes (descriptors, names, initial global data) from the image at start-up.
// Only value arenas are regions (registered in the state block's region table); descriptors, names, buckets and
// records are not, so a program cannot reach them. A program refers to a map by MAP_HANDLE_TAG:index, the handle
// the host writes into lddw PSEUDO_MAP_FD; map values by address (PSEUDO_MAP_VALUE).

import {
  emit, emitConst, skip, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, IP, LR, PC, AL, EQ, NE, HS, LO, HI,
  ldr, str, ldrb, strb, movReg, movImm, cmpImm, cmpReg, opImm, opReg, opRegS, opImmS, dpReg, dpImm, immRot, mul,
  mla, push, pop, bit, bx, addImm, subImm, OP_ADD, OP_SUB, OP_AND, OP_EOR, OP_ORR, OP_MVN, OP_BIC, OP_TST, SH_LSL, SH_LSR,
  SH_ROR, ldrReg,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, call, S_REGS, S_HELPER_LR, L_FAULT, L_CHECK_COMMON, L_HELPER_LOOKUP, L_HELPER_UPDATE,
  L_HELPER_DELETE, L_PRINT_MAPS, L_LOCAL, L_MAPS_MORE, L_HELPER_PUSH, L_HELPER_POP, L_HELPER_PEEK,
  L_HELPER_RB_OUTPUT, L_HELPER_RB_RESERVE, L_HELPER_RB_SUBMIT, L_HELPER_RB_DISCARD, L_HELPER_RB_QUERY,
  L_HELPER_PERF_OUTPUT,
} from "../image";
import { FAULT_BAD_MAP, MAP_HANDLE_TAG } from "../../../assembly/layout";
import { emitLruRoutines, lookupHashMore, lookupArrayMore, updateFoundMore, updateNewMore, evictMore, deleteMore } from "./hash";
import { emitLpmRoutines, LPM_LOOKUP, LPM_UPDATE, LPM_DELETE } from "./lpm";
import { emitQueueHelpers } from "./queue";
import { emitRingbufHelpers, emitPerfHelper } from "./ringbuf";
import { emitPrintMore } from "./print";

export const DATA_BASE: u32 = 0x02000000;
export const DESC_BASE: u32 = DATA_BASE + 16;
export const DESC_SIZE: u32 = 80;

// Descriptor fields
export const D_TYPE = 0;
export const D_KEY_SIZE = 4;
export const D_VALUE_SIZE = 8;
export const D_MAX = 12;
export const D_VALUES = 16; // value arena
export const D_STRIDE = 20; // bytes per value (roundUp8(value size))
export const D_BUCKETS = 24; // hash: bucket heads (element index + 1)
export const D_RECORDS = 28; // hash: element records (chain, hash, 8 unused bytes, key)
export const D_MASK = 32; // hash: buckets - 1
export const D_FRESH = 36; // hash: elements never used yet
export const D_FREE = 40; // hash: free list head
export const D_COUNT = 44; // hash: elements in use
export const D_REGION = 48; // the arena's region: start, end, writable start, writable end (0, 0: read-only)
export const D_NAME = 64; // the name as a JSON string, and its length
export const D_NAME_LEN = 68;
export const D_REC_STRIDE = 72; // hash: bytes per element record
export const D_ZERO_SKIP = 76; // 1: the readable listing leaves out entries whose value is all zeros (arrays)

// D_TYPE: the storage kind in the low byte (the host writes it, src/arm32-engine.ts), variant bits above it.
// HASH and PERCPU_HASH are K_HASH, ARRAY, PERCPU_ARRAY and global data K_ARRAY: with one CPU they behave alike.
export const K_HASH: u32 = 1;
export const K_ARRAY: u32 = 2;
export const K_PROGS: u32 = 3; // PROG_ARRAY; ARRAY_OF_MAPS is K_PROGS | V_INNER (slots of ids, 0xffffffff = empty)
export const K_LPM: u32 = 4;
export const K_QUEUE: u32 = 5;
export const K_STACK: u32 = 6;
export const K_RINGBUF: u32 = 7;
export const K_PERF: u32 = 8;
export const V_LRU: u32 = 0x100; // LRU_HASH, LRU_PERCPU_HASH
export const V_INNER: u32 = 0x200; // maps of maps: values are inner map ids, lookups give the inner map's handle

// Families an image holds (noteMapFamilies), one bit each: code for a family is emitted only when it is there.
export const F_LRU: u32 = 1;
export const F_INNER: u32 = 2;
export const F_LPM: u32 = 4;
export const F_QUEUE: u32 = 8;
export const F_RINGBUF: u32 = 16;
export const F_PERF: u32 = 32;
export let families: u32 = 0;
let mapsInImage: i32 = 0;

/** Notes the families of the `nmaps` maps whose descriptors are in the area's initial bytes at `data`. */
export function noteMapFamilies(data: usize, nmaps: i32): void {
  families = 0;
  mapsInImage = nmaps;
  for (let i = 0; i < nmaps; i++) {
    const t = load<u32>(data + <usize>(DESC_BASE - DATA_BASE) + <usize>(<u32>i * DESC_SIZE) + D_TYPE);
    const k = t & 0xff;
    if (t & V_LRU) families |= F_LRU;
    if (t & V_INNER) families |= F_INNER;
    if (k == K_LPM) families |= F_LPM;
    if (k == K_QUEUE || k == K_STACK) families |= F_QUEUE;
    if (k == K_RINGBUF) families |= F_RINGBUF;
    if (k == K_PERF) families |= F_PERF;
  }
}

/** Does the driver's map printer hand maps to maps-print.ts? */
export function printsMoreMaps(): bool {
  return mapsInImage > 0 && (families & (F_LPM | F_QUEUE | F_RINGBUF | F_PERF)) != 0;
}

/** The routine of helper `id` when it belongs to a family the image holds, else -1 (calls.ts). */
export function moreMapHelper(id: i32): i32 {
  if (mapsInImage == 0) return -1;
  if ((families & F_QUEUE) && id >= 87 && id <= 89) return L_HELPER_PUSH + id - 87;
  if ((families & F_RINGBUF) && id >= 130 && id <= 134) return L_HELPER_RB_OUTPUT + id - 130;
  if ((families & F_PERF) && id == 25) return L_HELPER_PERF_OUTPUT;
  return -1;
}

const MAP_TYPE_HASH: u32 = 1;
const EL_KEY = 16;
export const ENOENT: u32 = 2;
export const E2BIG: u32 = 7;
export const EEXIST: u32 = 17;
export const EINVAL: u32 = 22;

const M = L_LOCAL + 16; // this file's labels (L_LOCAL + 16 .. L_LOCAL + 63)
export const CHECKN = M + 0;
export const BAD_MAP = M + 1;
const HASH = M + 2;
export const FIND = M + 3;
export const COPY = M + 4;
export const RETURN = M + 5;
export const RET_ERR = M + 6;
const H_LOOP = M + 7;
const H_TAIL = M + 8;
const H_TLOOP = M + 9;
const H_FIN = M + 10;
const F_LOOP = M + 11;
const F_CMP = M + 12;
const F_NEXT = M + 13;
const F_DONE = M + 14;
const C_LOOP = M + 15;
const L_ARRAY = M + 16;
export const L_NULL = M + 17;
const U_ARRAY = M + 18;
export const U_EINVAL = M + 19;
export const U_E2BIG = M + 20;
export const U_EEXIST = M + 21;
export const U_ENOENT = M + 22;
export const U_WRITE = M + 23;
const U_FREE = M + 24;
export const U_GOT = M + 25;
const PREP = M + 26;
const PREP_W = M + 27;
const U_NEW = M + 28;
const X = L_MAPS_MORE; // labels for the other families' dispatch (L_MAPS_MORE + 0 .. 19)
export const HANDLE = X + 0;
export const RET_HANDLE = X + 1;

/** ARM register rd = address of descriptor of the map whose index is in rn (uses ip). */
export function descOf(rd: i32, rn: i32): void {
  emitConst(IP, DESC_SIZE);
  emit(mul(rd, rn, IP));
  emitConst(IP, DESC_BASE);
  emit(opReg(OP_ADD, rd, rd, IP));
}

/** rd = base + (rn - 1) * stride (or rn * stride), stride a field of the descriptor in r4 (uses ip; rd may be rn or base). */
export function slot(rd: i32, base: i32, rn: i32, strideField: i32, minusOne: bool): void {
  emit(ldr(IP, R4, strideField));
  emit(mla(rd, rn, IP, base));
  if (minusOne) emit(opReg(OP_SUB, rd, rd, IP));
}

export function errno(e: u32): void {
  emitConst(R0, <u32>(-<i32>e));
  b(RET_ERR);
}

/**
 * The three map helpers and their routines. `write` routines need a writable map (not .rodata). Each helper:
 * push r4-r10 and lr, remember lr in S_HELPER_LR (faults then name the calling instruction), check the handle
 * (r1) and the key (r2), leave the descriptor in r4 and the key address in r5, and return r0:r1 = the result.
 */
export function emitMapRuntime(nmaps: i32): void {
  // check_n: r10:ip = address, r0 = size, r1 = 1 for a write. The region check with a size known at run time.
  label(CHECKN);
  emit(push(0x3f));
  b(L_CHECK_COMMON);

  // bad_map: r2:r3 = the handle
  label(BAD_MAP);
  emit(ldr(R1, R11, S_HELPER_LR));
  emit(movImm(R0, FAULT_BAD_MAP));
  emit(movImm(IP, 0));
  b(L_FAULT);

  // prep / prep_w: common entry of the helpers (called with BL from the helper after its push)
  for (let w = 0; w < 2; w++) {
    label(w == 0 ? PREP : PREP_W);
    emit(push(bit(LR)));
    emit(ldr(R2, R11, S_REGS + 8));
    emit(ldr(R3, R11, S_REGS + 12));
    emitConst(IP, <u32>MAP_HANDLE_TAG);
    emit(cmpReg(R3, IP));
    jump(NE, BAD_MAP);
    emitConst(IP, <u32>nmaps);
    emit(cmpReg(R2, IP));
    jump(HS, BAD_MAP);
    descOf(R4, R2);
    emit(ldr(R0, R4, D_TYPE));
    emit(cmpImm(R0, 3));
    jump(EQ, BAD_MAP); // a program array: its slots are not for programs to read or change
    if (families & (F_QUEUE | F_RINGBUF | F_PERF)) { // maps without keyed elements take other helpers
      emit(opImm(OP_AND, R1, R0, 0xff));
      emit(cmpImm(R1, K_QUEUE));
      jump(HS, BAD_MAP);
    }
    if (w == 1 && (families & F_INNER)) { // maps of maps change through the host only
      emit(dpImm(AL, OP_TST, 1, 0, R0, immRot(V_INNER)));
      jump(NE, BAD_MAP);
    }
    if (w == 1) {
      emit(ldr(R0, R4, D_REGION + 12));
      emit(cmpImm(R0, 0));
      jump(EQ, BAD_MAP); // BPF_F_RDONLY_PROG: programs may not change .rodata
    }
    emit(ldr(R10, R11, S_REGS + 16));
    emit(ldr(IP, R11, S_REGS + 20));
    emit(ldr(R0, R4, D_KEY_SIZE));
    emit(movImm(R1, 0));
    bl(CHECKN);
    emit(ldr(R5, R11, S_REGS + 16));
    emit(pop(bit(PC)));
  }

  // return: r0 = result (sign-extended to r0:r1)
  label(RET_ERR);
  emit(dpImm(AL, OP_MVN, 0, R1, 0, 0)); // r1 = -1
  emit(movImm(R2, 0));
  emit(str(R2, R11, S_HELPER_LR));
  emit(pop(0x87f0)); // r4-r10, pc
  label(RETURN);
  emit(movImm(R1, 0));
  emit(str(R1, R11, S_HELPER_LR));
  emit(pop(0x87f0));

  // hash: r0 = key address, r1 = key size -> r0 = hashBytes(key, size) of assembly/maps/common.ts (uses r1-r3, ip)
  label(HASH);
  emitConst(R2, 0x9747b28c);
  emit(opReg(OP_EOR, R2, R2, R1));
  label(H_LOOP);
  emit(cmpImm(R1, 4));
  jump(LO, H_TAIL);
  emit(ldrb(R3, R0, 0));
  for (let k = 1; k < 4; k++) {
    emit(ldrb(IP, R0, k));
    emit(dpReg(AL, OP_ORR, 0, R3, R3, IP, SH_LSL, 8 * k));
  }
  emit(opReg(OP_EOR, R2, R2, R3));
  emitConst(IP, 0xcc9e2d51);
  emit(mul(R2, R2, IP));
  emit(dpReg(AL, 0xd /* MOV */, 0, R2, 0, R2, SH_ROR, 17)); // rotl 15
  emitConst(IP, 0x1b873593);
  emit(mul(R2, R2, IP));
  emit(addImm(R0, R0, 4));
  emit(subImm(R1, R1, 4));
  b(H_LOOP);
  label(H_TAIL);
  label(H_TLOOP);
  emit(cmpImm(R1, 0));
  jump(EQ, H_FIN);
  emit(ldrb(R3, R0, 0));
  emit(opReg(OP_EOR, R2, R2, R3));
  emitConst(IP, 0x01000193);
  emit(mul(R2, R2, IP));
  emit(addImm(R0, R0, 1));
  emit(subImm(R1, R1, 1));
  b(H_TLOOP);
  label(H_FIN);
  emit(dpReg(AL, OP_EOR, 0, R2, R2, R2, SH_LSR, 16));
  emitConst(IP, 0x85ebca6b);
  emit(mul(R2, R2, IP));
  emit(dpReg(AL, OP_EOR, 0, R0, R2, R2, SH_LSR, 13));
  emit(bx(LR));

  // find: r4 = descriptor, r5 = key -> r6 = hash, r7 = bucket, r8 = element (index + 1) or 0, r9 = the link
  // that holds r8 (bucket head or previous record's chain), r10 = r8's record.
  label(FIND);
  emit(push(bit(LR)));
  emit(movReg(R0, R5));
  emit(ldr(R1, R4, D_KEY_SIZE));
  bl(HASH);
  emit(movReg(R6, R0));
  emit(ldr(R0, R4, D_MASK));
  emit(opReg(OP_AND, R0, R0, R6));
  emit(ldr(R1, R4, D_BUCKETS));
  emit(dpReg(AL, OP_ADD, 0, R7, R1, R0, SH_LSL, 2));
  emit(movReg(R9, R7));
  label(F_LOOP);
  emit(ldr(R8, R9, 0));
  emit(cmpImm(R8, 0));
  jump(EQ, F_DONE);
  emit(ldr(R0, R4, D_RECORDS));
  slot(R10, R0, R8, D_REC_STRIDE, true);
  emit(ldr(R0, R10, 4));
  emit(cmpReg(R0, R6));
  jump(NE, F_NEXT);
  emit(addImm(R0, R10, EL_KEY));
  emit(movReg(R1, R5));
  emit(ldr(R2, R4, D_KEY_SIZE));
  label(F_CMP);
  emit(ldrb(R3, R0, 0));
  emit(ldrb(IP, R1, 0));
  emit(cmpReg(R3, IP));
  jump(NE, F_NEXT);
  emit(addImm(R0, R0, 1));
  emit(addImm(R1, R1, 1));
  emit(opImmS(OP_SUB, R2, R2, 1));
  jump(NE, F_CMP);
  label(F_DONE);
  emit(pop(bit(PC)));
  label(F_NEXT);
  emit(movReg(R9, R10));
  b(F_LOOP);

  // copy: r0 = destination, r1 = source, r2 = bytes (> 0); uses r3
  label(COPY);
  label(C_LOOP);
  emit(ldrb(R3, R1, 0));
  emit(strb(R3, R0, 0));
  emit(addImm(R0, R0, 1));
  emit(addImm(R1, R1, 1));
  emit(opImmS(OP_SUB, R2, R2, 1));
  jump(NE, C_LOOP);
  emit(bx(LR));

  // map_lookup_elem(map, key) -> value address or 0
  label(L_HELPER_LOOKUP);
  emit(push(0x47f0)); // r4-r10, lr
  emit(str(LR, R11, S_HELPER_LR));
  bl(PREP);
  emit(ldrb(R0, R4, D_TYPE));
  if (families & F_LPM) {
    emit(cmpImm(R0, K_LPM));
    jump(EQ, LPM_LOOKUP);
  }
  emit(cmpImm(R0, MAP_TYPE_HASH));
  jump(NE, L_ARRAY);
  bl(FIND);
  emit(cmpImm(R8, 0));
  jump(EQ, L_NULL);
  lookupHashMore();
  emit(ldr(R0, R4, D_VALUES));
  slot(R0, R0, R8, D_STRIDE, true);
  lookupArrayMore(false);
  b(RETURN);
  label(L_ARRAY);
  emit(ldr(R1, R5, 0));
  emit(ldr(R2, R4, D_MAX));
  emit(cmpReg(R1, R2));
  jump(HS, L_NULL);
  emit(ldr(R0, R4, D_VALUES));
  slot(R0, R0, R1, D_STRIDE, false);
  lookupArrayMore(true);
  b(RETURN);
  label(L_NULL);
  emit(movImm(R0, 0));
  b(RETURN);

  // map_update_elem(map, key, value, flags) -> 0 or a negated errno
  label(L_HELPER_UPDATE);
  emit(push(0x47f0));
  emit(str(LR, R11, S_HELPER_LR));
  bl(PREP_W);
  emit(ldr(R10, R11, S_REGS + 24));
  emit(ldr(IP, R11, S_REGS + 28));
  emit(ldr(R0, R4, D_VALUE_SIZE));
  emit(movImm(R1, 0));
  bl(CHECKN);
  emit(ldr(R0, R11, S_REGS + 32)); // flags > BPF_EXIST: -EINVAL
  emit(ldr(R1, R11, S_REGS + 36));
  emit(cmpImm(R1, 0));
  jump(NE, U_EINVAL);
  emit(cmpImm(R0, 2));
  jump(HI, U_EINVAL);
  emit(movReg(R10, R0));
  emit(ldrb(R0, R4, D_TYPE));
  if (families & F_LPM) {
    emit(cmpImm(R0, K_LPM));
    jump(EQ, LPM_UPDATE);
  }
  emit(cmpImm(R0, MAP_TYPE_HASH));
  jump(NE, U_ARRAY);
  emit(push(bit(R10)));
  bl(FIND);
  emit(pop(bit(R0))); // flags
  emit(cmpImm(R8, 0));
  jump(EQ, U_NEW);
  emit(cmpImm(R0, 1));
  jump(EQ, U_EEXIST); // BPF_NOEXIST on an element that exists
  updateFoundMore();
  b(U_WRITE);
  label(U_NEW);
  emit(cmpImm(R0, 2));
  jump(EQ, U_ENOENT); // BPF_EXIST on an element that does not
  // take a never-used element, else one from the free list, else -E2BIG
  emit(ldr(R0, R4, D_FRESH));
  emit(ldr(R1, R4, D_MAX));
  emit(cmpReg(R0, R1));
  jump(HS, U_FREE);
  emit(addImm(R8, R0, 1));
  emit(str(R8, R4, D_FRESH));
  b(U_GOT);
  label(U_FREE);
  emit(ldr(R8, R4, D_FREE));
  emit(cmpImm(R8, 0));
  evictMore(); // else -E2BIG
  emit(ldr(R0, R4, D_RECORDS));
  slot(R10, R0, R8, D_REC_STRIDE, true);
  emit(ldr(R0, R10, 0));
  emit(str(R0, R4, D_FREE));
  label(U_GOT);
  emit(ldr(R0, R4, D_RECORDS));
  slot(R10, R0, R8, D_REC_STRIDE, true);
  emit(addImm(R0, R10, EL_KEY));
  emit(movReg(R1, R5));
  emit(ldr(R2, R4, D_KEY_SIZE));
  bl(COPY);
  emit(str(R6, R10, 4));
  emit(ldr(R0, R7, 0));
  emit(str(R0, R10, 0));
  emit(str(R8, R7, 0));
  emit(ldr(R0, R4, D_COUNT));
  emit(addImm(R0, R0, 1));
  emit(str(R0, R4, D_COUNT));
  updateNewMore();
  label(U_WRITE); // value of element r8
  emit(ldr(R0, R4, D_VALUES));
  slot(R0, R0, R8, D_STRIDE, true);
  emit(ldr(R1, R11, S_REGS + 24));
  emit(ldr(R2, R4, D_VALUE_SIZE));
  bl(COPY);
  emit(movImm(R0, 0));
  b(RETURN);
  label(U_ARRAY);
  emit(ldr(R8, R5, 0));
  emit(ldr(R1, R4, D_MAX));
  emit(cmpReg(R8, R1));
  jump(HS, U_E2BIG);
  emit(cmpImm(R10, 1));
  jump(EQ, U_EEXIST);
  emit(addImm(R8, R8, 1));
  b(U_WRITE);
  label(U_EINVAL);
  errno(EINVAL);
  label(U_E2BIG);
  errno(E2BIG);
  label(U_EEXIST);
  errno(EEXIST);
  label(U_ENOENT);
  errno(ENOENT);

  // map_delete_elem(map, key) -> 0 or a negated errno (arrays: -EINVAL)
  label(L_HELPER_DELETE);
  emit(push(0x47f0));
  emit(str(LR, R11, S_HELPER_LR));
  bl(PREP_W);
  emit(ldrb(R0, R4, D_TYPE));
  if (families & F_LPM) {
    emit(cmpImm(R0, K_LPM));
    jump(EQ, LPM_DELETE);
  }
  emit(cmpImm(R0, MAP_TYPE_HASH));
  jump(NE, U_EINVAL);
  bl(FIND);
  emit(cmpImm(R8, 0));
  jump(EQ, U_ENOENT);
  emit(ldr(R0, R10, 0));
  emit(str(R0, R9, 0)); // unlink from the bucket chain
  deleteMore();
  emit(ldr(R0, R4, D_FREE));
  emit(str(R0, R10, 0));
  emit(str(R8, R4, D_FREE));
  emit(ldr(R0, R4, D_COUNT));
  emit(subImm(R0, R0, 1));
  emit(str(R0, R4, D_COUNT));
  emit(movImm(R0, 0));
  b(RETURN);

  if (families != 0) emitFamilies(nmaps);
}

/** The routines of the families noteMapFamilies found. */
function emitFamilies(nmaps: i32): void {
  // handle: r2:r3 = a helper's map argument -> r4 = its descriptor (else the bad-map fault naming r2:r3)
  label(HANDLE);
  emitConst(IP, <u32>MAP_HANDLE_TAG);
  emit(cmpReg(R3, IP));
  jump(NE, BAD_MAP);
  emitConst(IP, <u32>nmaps);
  emit(cmpReg(R2, IP));
  jump(HS, BAD_MAP);
  descOf(R4, R2);
  emit(bx(LR));
  // ret_handle: r0 = address of an inner map id -> r0:r1 = the inner map's handle, as the core's lookup returns
  label(RET_HANDLE);
  emit(ldr(R0, R0, 0)); // the core's id of the inner map: its index is in the table the host lays out
  emitConst(R1, DATA_BASE);
  emit(ldr(R1, R1, 4));
  emit(dpReg(AL, 0xd /* MOV */, 0, R0, 0, R0, SH_LSL, 2));
  emit(ldrReg(R0, R1, R0));
  emitConst(R1, <u32>MAP_HANDLE_TAG);
  emit(movImm(R2, 0));
  emit(str(R2, R11, S_HELPER_LR));
  emit(pop(0x87f0));
  if (families & (F_LRU | F_INNER)) emitLruRoutines();
  if (families & F_LPM) emitLpmRoutines();
  if (families & F_QUEUE) emitQueueHelpers();
  if (families & F_RINGBUF) emitRingbufHelpers(nmaps);
  if (families & F_PERF) emitPerfHelper();
  if (families & (F_LPM | F_QUEUE | F_RINGBUF | F_PERF)) emitPrintMore();
}

