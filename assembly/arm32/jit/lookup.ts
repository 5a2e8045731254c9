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
import { Context, dstOf, immOf, opcode, srcOf } from "./context";
import { inlinedLookup, isAtomic, lookupKey, lookupMap, writes } from "./lookupplan";
import { lo, setHiZero, setLo } from "./regs";
import { MAP_HANDLE_TAG } from "../../layout";
import { DESC_SIZE, D_MAX, D_STRIDE, D_VALUES } from "../../../targets/arm32/abi";
import { L_HASH_WORDS } from "../../../targets/arm32/image";
import { DESC_BASE } from "../../../targets/arm32/maps/common";
import { descriptorAt, directHash } from "../../../targets/arm32/maps/direct";

/**
 * Emits the lookup at call i inline when its arguments are known (see above, lookupplan.ts); false: the helper
 * routine is needed. Leaves r0 as the routine does (the value's address, or 0); r1-r5 keep their values.
 */
export function inlineMapLookup(c: Context, i: i32): bool {
  if (!inlinedLookup(c, i)) return false;
  const map = lookupMap;
  const off = lookupKey;
  if (directHash(c, map)) {
    c.emit(opImm(OP_SUB, R0, lo(c, 10, R3), immRot(<u32>-off)));
    c.emitConst(R1, DESC_BASE + <u32>map * DESC_SIZE);
    c.bl(L_HASH_WORDS);
    setLo(c, 0, R0);
    setHiZero(c, 0);
    return true;
  }
  const desc = descriptorAt(c, map);
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
  let r1: i64 = -1; // unknown
  for (let j = 0; j < c.count; j++) {
    const op = opcode(c, j);
    const dst = dstOf(c, j);
    if (op == 0x18) {
      if (dst == 1) r1 = j + 1 < c.count && <u32>immOf(c, j + 1) == MAP_HANDLE_TAG && srcOf(c, j) == 0 ? <i64><u32>immOf(c, j) : -1;
      j++;
      continue;
    }
    if (op == 0x85 && srcOf(c, j) == 0 && immOf(c, j) == 1 && r1 >= 0 && r1 < <i64>c.mapCount && directHash(c, <i32>r1)) {
      return true;
    }
    if (writes(op, dst, 1) || (isAtomic(op) && srcOf(c, j) == 1)) r1 = -1;
  }
  return false;
}
