// bpf_map_lookup_elem inline, as the Linux JIT does with map_gen_lookup: where the block itself loads the map's
// handle into r1 and points r2 into the stack frame (`r1 = map ll; r2 = r10; r2 += -4`, clang's code for
// `bpf_map_lookup_elem(&map, &key)` with a local key), everything the helper would check is known when
// translating: the handle is good, the map's type, the key is readable. For an array map what is left is the
// index's bound and the value's address, five to seven instructions where the helper routine runs some seventy;
// a hash map whose key is whole words goes straight to its bucket walk (targets/arm32/maps/direct.ts), past the
// helper's checks and byte-wise hashing. Any other call takes the routine.
import {
  AL, HS, IP, OP_ADD, OP_SUB, R0, R1, R2, R3, SH_LSL, cmpImm, cmpReg, dpReg, immRot, ldr, mla, movImmC, opImm,
} from "../a32/encoder";
import { Context, F_FUNC, F_LEADER, F_PROG, dstOf, flagOf, immOf, opcode, srcOf } from "./context";
import { lo, setHiZero, setLo } from "./regs";
import { STACK_SIZE } from "../../isa";
import { MAP_HANDLE_TAG } from "../../layout";
import { DESC_SIZE, D_KEY_SIZE, D_MAX, D_STRIDE, D_TYPE, D_VALUES, K_ARRAY } from "../../../targets/arm32/abi";
import { L_HASH_WORDS } from "../../../targets/arm32/image";
import { DESC_BASE } from "../../../targets/arm32/maps/common";
import { descriptorAt, directHash } from "../../../targets/arm32/maps/direct";

const UNKNOWN: i64 = -1; // what the scan knows of r1 / r2: unknown
const FRAME: i64 = 1 << 32; // r2 = r10 + (value - FRAME)

/**
 * Emits the lookup at call i inline when its arguments are known (see above); false: the helper routine is needed.
 * Leaves r0 as the routine does (the value's address, or 0); r1-r5 keep their values.
 */
export function inlineMapLookup(c: Context, i: i32): bool {
  if (c.mapCount == 0 || c.mapData == 0) return false;
  // the block's start: the scan does not follow jumps
  let j = i;
  while (j > 0 && (flagOf(c, j) & (F_LEADER | F_FUNC | F_PROG)) == 0) j--;
  let r1: i64 = UNKNOWN;
  let r2: i64 = UNKNOWN;
  for (; j < i; j++) {
    const op = opcode(c, j);
    const dst = dstOf(c, j);
    if (op == 0x18) { // lddw: a map handle?
      const v: i64 = j + 1 < i && <u32>immOf(c, j + 1) == MAP_HANDLE_TAG && srcOf(c, j) == 0 ? <i64><u32>immOf(c, j) : UNKNOWN;
      if (dst == 1) r1 = v;
      if (dst == 2) r2 = UNKNOWN;
      j++;
      continue;
    }
    if (op == 0xbf && dst == 2 && srcOf(c, j) == 10) { r2 = FRAME; continue; } // r2 = r10
    if (op == 0x07 && dst == 2 && r2 != UNKNOWN) { r2 += <i64>immOf(c, j); continue; } // r2 += imm
    if (writes(op, dst, 1)) r1 = UNKNOWN;
    if (writes(op, dst, 2) || (isAtomic(op) && srcOf(c, j) == 2)) r2 = UNKNOWN;
    if (isAtomic(op) && srcOf(c, j) == 1) r1 = UNKNOWN;
  }
  if (r1 < 0 || r1 >= <i64>c.mapCount || r2 == UNKNOWN) return false;
  const off = <i32>(r2 - FRAME);
  const desc = descriptorAt(c, <i32>r1);
  const keySize = <i32>load<u32>(desc + D_KEY_SIZE);
  if (off < -STACK_SIZE || off > -keySize || (off & 3) != 0) return false; // the key: in the frame, 4-aligned
  if (directHash(c, <i32>r1)) {
    c.emit(opImm(OP_SUB, R0, lo(c, 10, R3), immRot(<u32>-off)));
    c.emitConst(R1, DESC_BASE + <u32>r1 * DESC_SIZE);
    c.bl(L_HASH_WORDS);
    setLo(c, 0, R0);
    setHiZero(c, 0);
    return true;
  }
  if (load<u32>(desc + D_TYPE) != K_ARRAY || keySize != 4) return false;
  const max = load<u32>(desc + D_MAX);
  const values = load<u32>(desc + D_VALUES);
  const stride = load<u32>(desc + D_STRIDE);

  const fp = lo(c, 10, R3);
  c.emit(ldr(R0, fp, off)); // the key
  c.emitConst(IP, values);
  if (immRot(max) >= 0) c.emit(cmpImm(R0, max));
  else {
    c.emitConst(R2, max);
    c.emit(cmpReg(R0, R2));
  }
  if (stride != 0 && (stride & (stride - 1)) == 0) {
    c.emit(dpReg(AL, OP_ADD, 0, R0, IP, R0, SH_LSL, <u32>ctz(stride))); // values + key * stride
  } else {
    c.emitConst(R2, stride);
    c.emit(mla(R0, R0, R2, IP));
  }
  c.emit(movImmC(HS, R0, 0)); // key >= max_entries: NULL
  setLo(c, 0, R0);
  setHiZero(c, 0);
  return true;
}

/**
 * Whether some lookup may take L_HASH_WORDS, before the runtime is emitted (maps/direct.ts emits it only then):
 * one scan over the whole program, r1 tracked as inlineMapLookup tracks it but across blocks too. Where a block
 * proves r1 the handle of a map directHash accepts, the last write to r1 before the call is that block's, which
 * this scan sees as well: it finds every lookup inlineMapLookup sends there (and may find more).
 */
export function mayCallDirectHash(c: Context): bool {
  if (c.mapCount == 0 || c.mapData == 0) return false;
  let r1: i64 = UNKNOWN;
  for (let j = 0; j < c.count; j++) {
    const op = opcode(c, j);
    const dst = dstOf(c, j);
    if (op == 0x18) {
      if (dst == 1) r1 = j + 1 < c.count && <u32>immOf(c, j + 1) == MAP_HANDLE_TAG && srcOf(c, j) == 0 ? <i64><u32>immOf(c, j) : UNKNOWN;
      j++;
      continue;
    }
    if (op == 0x85 && srcOf(c, j) == 0 && immOf(c, j) == 1 && r1 >= 0 && r1 < <i64>c.mapCount && directHash(c, <i32>r1)) {
      return true;
    }
    if (writes(op, dst, 1) || (isAtomic(op) && srcOf(c, j) == 1)) r1 = UNKNOWN;
  }
  return false;
}

/** Whether instruction `op` (destination `dst`) may write register r, for the scan above: conservatively. */
function writes(op: u32, dst: i32, r: i32): bool {
  const cls = op & 7;
  if (cls == 5 || cls == 6) return op == 0x85 || op == 0x8d ? r <= 5 : false; // calls clobber r0-r5
  if (cls == 2 || cls == 3) return false; // stores (atomics: see isAtomic)
  if (cls == 0) return true; // legacy packet loads (lddw is handled apart)
  return dst == r; // ALU, loads
}

/** Atomic read-modify-write (BPF_ATOMIC): with BPF_FETCH or xchg / cmpxchg it writes its src register, r0. */
function isAtomic(op: u32): bool { return op == 0xc3 || op == 0xdb; }
