// Which bpf_map_lookup_elem calls lookup.ts emits inline, found from the program alone: the block loads the map's
// handle into r1 and points r2 at a 4-aligned key in the stack frame, and the map is an array map with 4-byte keys
// or a hash map directHash accepts. Apart from the emitter so that liveness.ts can ask too: an inline lookup reads
// the key through r10, never r1-r5, so clang's set-up of r1 and r2 is not read by the call.
import { Context, F_FUNC, F_LEADER, F_PROG, dstOf, flagOf, immOf, opcode, srcOf } from "./context";
import { STACK_SIZE } from "../../isa";
import { MAP_HANDLE_TAG } from "../../layout";
import { D_KEY_SIZE, D_TYPE, K_ARRAY } from "../../../targets/arm32/abi";
import { descriptorAt, directHash } from "../../../targets/arm32/maps/direct";

const UNKNOWN: i64 = -1; // what the scan knows of r1 / r2: unknown
const FRAME: i64 = 1 << 32; // r2 = r10 + (value - FRAME)

/** inlinedLookup's findings: the map's index and the key's offset from r10. */
export let lookupMap: i32 = 0;
export let lookupKey: i32 = 0;

/** Whether call i (a bpf_map_lookup_elem) is emitted inline; then lookupMap and lookupKey say with what. */
export function inlinedLookup(c: Context, i: i32): bool {
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
  if (!directHash(c, <i32>r1) && (load<u32>(desc + D_TYPE) != K_ARRAY || keySize != 4)) return false;
  lookupMap = <i32>r1;
  lookupKey = off;
  return true;
}

/** Whether instruction `op` (destination `dst`) may write register r, for the scans: conservatively. */
export function writes(op: u32, dst: i32, r: i32): bool {
  const cls = op & 7;
  if (cls == 5 || cls == 6) return op == 0x85 || op == 0x8d ? r <= 5 : false; // calls clobber r0-r5
  if (cls == 2 || cls == 3) return false; // stores (atomics: see isAtomic)
  if (cls == 0) return true; // legacy packet loads (lddw is handled apart)
  return dst == r; // ALU, loads
}

/** Atomic read-modify-write (BPF_ATOMIC): with BPF_FETCH or xchg / cmpxchg it writes its src register, r0. */
export function isAtomic(op: u32): bool { return op == 0xc3 || op == 0xdb; }
