// Byte-assembled loads: C reads an unaligned little-endian word byte by byte (p[0] | p[1] << 8 | ...), and clang
// keeps that as byte loads, shifts and ors, interleaved with other work. Inside a basic block, the translator
// (translate.ts: insn) hands this file the loads of such bytes that need no check (proven in a versioned loop),
// shifts of them by a constant and ors of two of them, and emits nothing for them: each register holds a
// deferred value, "the bytes at base + offset_i shifted by s_i, or-ed". The value is emitted only where something
// else reads the register (or at the block's end), as one load of 2, 4 or 8 bytes when the bytes are contiguous
// and in order, else as the bytes one by one. A register written before it is read is never emitted: the
// temporaries of the idiom cost nothing. Deferring is exact because nothing in between writes memory or the base
// (translate.ts emits every deferred value before a store or a call, and keeps or emits those on a base it
// writes) and every byte was allowed where the program loaded it. When a base register is written while deferred values still read it
// (clang loads a word's last byte into the register holding its address, or moves the pointer between bytes),
// its old value is copied to one local of its own (SAVED) and those values read that instead; a second such base
// while the local is taken emits its values first.
import {
  Buf, W_I64_LOAD, W_I64_LOAD8_U, W_I64_LOAD16_U, W_I64_LOAD32_U, W_I64_ADD, W_I64_SHL, W_I64_OR, W_I32_WRAP_I64,
} from "./emitter";

const MAX_BYTES = 8;
/** A base that is no register: the old value of one, kept in a local of its own while deferred values read it. */
export const SAVED: u32 = 10;

export class ByteLoads {
  /** Per register r0-r9: the base register of its deferred value, -1 when it holds its value. */
  base: StaticArray<i32> = new StaticArray<i32>(10);
  count: StaticArray<i32> = new StaticArray<i32>(10);
  offs: StaticArray<i32> = new StaticArray<i32>(10 * MAX_BYTES);
  shifts: StaticArray<i32> = new StaticArray<i32>(10 * MAX_BYTES);

  constructor() { this.clear(); }

  clear(): void {
    for (let r = 0; r < 10; r++) this.base[r] = -1;
  }

  /** Registers whose deferred values read base register `r` (a mask), and r itself when it is deferred. */
  uses(r: u32): i32 {
    let m = 0;
    for (let i = 0; i < 10; i++) if (this.base[i] >= 0 && (i == <i32>r || this.base[i] == <i32>r)) m |= 1 << i;
    return m;
  }

  /** Registers holding deferred values (a mask). */
  all(): i32 {
    let m = 0;
    for (let i = 0; i < 10; i++) if (this.base[i] >= 0) m |= 1 << i;
    return m;
  }

  /** ldxb dst, [src + off], a load that needs no check: deferred. False when it cannot be (dst is the base). */
  byteLoad(dst: u32, src: u32, off: i32): bool {
    if (dst == src || dst > 9 || src > SAVED) return false;
    this.base[dst] = <i32>src;
    this.count[dst] = 1;
    this.offs[dst * MAX_BYTES] = off;
    this.shifts[dst * MAX_BYTES] = 0;
    return true;
  }

  /** dst <<= k on a deferred value of `bits` (32 or 64) bits: false when a byte would leave them. */
  shift(dst: u32, k: i32, bits: i32): bool {
    const n = this.count[dst];
    for (let i = 0; i < n; i++) if (this.shifts[dst * MAX_BYTES + i] + k + 8 > bits) return false;
    for (let i = 0; i < n; i++) this.shifts[dst * MAX_BYTES + i] += k;
    return true;
  }

  /** dst |= src, both deferred on one base (32 or 64 bits): false when it cannot stay deferred. */
  or(dst: u32, src: u32, bits: i32): bool {
    const n = this.count[dst];
    const m = this.count[src];
    if (this.base[dst] != this.base[src] || n + m > MAX_BYTES || dst == src) return false;
    if (!this.fits(dst, bits) || !this.fits(src, bits)) return false;
    for (let i = 0; i < m; i++) {
      this.offs[dst * MAX_BYTES + n + i] = this.offs[src * MAX_BYTES + i];
      this.shifts[dst * MAX_BYTES + n + i] = this.shifts[src * MAX_BYTES + i];
    }
    this.count[dst] = n + m;
    return true;
  }

  private fits(r: u32, bits: i32): bool {
    for (let i = 0; i < this.count[r]; i++) if (this.shifts[r * MAX_BYTES + i] + 8 > bits) return false;
    return true;
  }

  /** Emits register r's deferred value (an i64) with its base in local `baseLocal`; r then holds its value. */
  emit(b: Buf, r: u32, baseLocal: u32): void {
    const n = this.count[r];
    const at = r * MAX_BYTES;
    // one load when the bytes are the n distinct positions lowest + k, each shifted by s0 + 8 k (2, 4 or 8
    // bytes); the same byte or'ed in twice is not a wider word
    let lo = 0;
    for (let i = 1; i < n; i++) if (this.shifts[at + i] < this.shifts[at + lo]) lo = i;
    let whole = n == 2 || n == 4 || n == 8;
    let seen = 0;
    for (let i = 0; i < n && whole; i++) {
      const d = this.shifts[at + i] - this.shifts[at + lo];
      const k = d >> 3;
      whole = d % 8 == 0 && k < n && (seen & (1 << k)) == 0 && this.offs[at + i] - this.offs[at + lo] == k;
      seen |= 1 << k;
    }
    if (whole) {
      b.mem(n == 2 ? W_I64_LOAD16_U : n == 4 ? W_I64_LOAD32_U : W_I64_LOAD, 0, this.address(b, baseLocal, this.offs[at + lo]));
      this.shiftBy(b, this.shifts[at + lo]);
    } else {
      for (let i = 0; i < n; i++) {
        b.mem(W_I64_LOAD8_U, 0, this.address(b, baseLocal, this.offs[at + i]));
        this.shiftBy(b, this.shifts[at + i]);
        if (i > 0) b.op(W_I64_OR);
      }
    }
    this.base[r] = -1;
  }

  /** The base wrapped to 32 bits and the offset for the load's memarg: an offset >= 0 goes there (translate.ts:
   * memOffset; every byte here needs no check), a negative one is added first. */
  private address(b: Buf, baseLocal: u32, off: i32): u32 {
    b.get(baseLocal);
    if (off < 0) { b.i64c(<i64>off); b.op(W_I64_ADD); }
    b.op(W_I32_WRAP_I64);
    return off < 0 ? 0 : <u32>off;
  }

  private shiftBy(b: Buf, s: i32): void {
    if (s != 0) { b.i64c(<i64>s); b.op(W_I64_SHL); }
  }
}
