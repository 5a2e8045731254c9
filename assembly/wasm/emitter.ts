// The WebAssembly byte emitter: a growable byte buffer with LEB128 encoding and one small method per Wasm
// instruction the translator uses. It knows the Wasm binary format and nothing about eBPF.
//
// Buffers live on the translator's bump heap, which `translate` resets before each translation.

// Value and block types
export const T_I32: u32 = 0x7f;
export const T_I64: u32 = 0x7e;
export const T_VOID: u32 = 0x40; // empty block type

// Control
export const W_UNREACHABLE: u32 = 0x00;
export const W_BLOCK: u32 = 0x02;
export const W_LOOP: u32 = 0x03;
export const W_IF: u32 = 0x04;
export const W_ELSE: u32 = 0x05;
export const W_END: u32 = 0x0b;
export const W_BR: u32 = 0x0c;
export const W_BR_IF: u32 = 0x0d;
export const W_BR_TABLE: u32 = 0x0e;
export const W_RETURN: u32 = 0x0f;
export const W_CALL: u32 = 0x10;
export const W_DROP: u32 = 0x1a;
export const W_SELECT: u32 = 0x1b;
// Variables
export const W_LOCAL_GET: u32 = 0x20;
export const W_LOCAL_SET: u32 = 0x21;
export const W_LOCAL_TEE: u32 = 0x22;
export const W_GLOBAL_GET: u32 = 0x23;
export const W_GLOBAL_SET: u32 = 0x24;
// Memory
export const W_I32_LOAD: u32 = 0x28;
export const W_I64_LOAD: u32 = 0x29;
export const W_I32_LOAD8_S: u32 = 0x2c;
export const W_I32_LOAD8_U: u32 = 0x2d;
export const W_I32_LOAD16_S: u32 = 0x2e;
export const W_I64_LOAD8_S: u32 = 0x30;
export const W_I64_LOAD8_U: u32 = 0x31;
export const W_I64_LOAD16_S: u32 = 0x32;
export const W_I64_LOAD16_U: u32 = 0x33;
export const W_I64_LOAD32_S: u32 = 0x34;
export const W_I64_LOAD32_U: u32 = 0x35;
export const W_I32_STORE: u32 = 0x36;
export const W_I64_STORE: u32 = 0x37;
export const W_I64_STORE8: u32 = 0x3c;
export const W_I64_STORE16: u32 = 0x3d;
export const W_I64_STORE32: u32 = 0x3e;
// Bulk memory: the 0xfc prefix, then the operation
export const W_PREFIX_FC: u32 = 0xfc;
export const W_FC_MEMORY_COPY: u32 = 10; // then the two memories (0, 0)
export const W_FC_MEMORY_FILL: u32 = 11; // then the memory (0)
// Constants
export const W_I32_CONST: u32 = 0x41;
export const W_I64_CONST: u32 = 0x42;
// i32 comparisons and arithmetic (the i64 forms are at fixed distances, see below)
export const W_I32_EQZ: u32 = 0x45;
export const W_I32_EQ: u32 = 0x46;
export const W_I32_NE: u32 = 0x47;
export const W_I32_LT_S: u32 = 0x48;
export const W_I32_LT_U: u32 = 0x49;
export const W_I32_GT_S: u32 = 0x4a;
export const W_I32_GT_U: u32 = 0x4b;
export const W_I32_GE_S: u32 = 0x4e;
export const W_I32_GE_U: u32 = 0x4f;
export const W_I32_CLZ: u32 = 0x67;
export const W_I32_ADD: u32 = 0x6a;
export const W_I32_SUB: u32 = 0x6b;
export const W_I32_MUL: u32 = 0x6c;
export const W_I32_DIV_S: u32 = 0x6d;
export const W_I32_DIV_U: u32 = 0x6e;
export const W_I32_REM_S: u32 = 0x6f;
export const W_I32_REM_U: u32 = 0x70;
export const W_I32_AND: u32 = 0x71;
export const W_I32_OR: u32 = 0x72;
export const W_I32_XOR: u32 = 0x73;
export const W_I32_SHL: u32 = 0x74;
export const W_I32_SHR_U: u32 = 0x76;
export const W_I32_ROTL: u32 = 0x77;
// i64
export const W_I64_EQZ: u32 = 0x50;
export const W_I64_EQ: u32 = 0x51;
export const W_I64_NE: u32 = 0x52;
export const W_I64_LT_S: u32 = 0x53;
export const W_I64_LT_U: u32 = 0x54;
export const W_I64_GT_U: u32 = 0x56;
export const W_I64_GT_S: u32 = 0x55;
export const W_I64_LE_S: u32 = 0x57;
export const W_I64_LE_U: u32 = 0x58;
export const W_I64_GE_S: u32 = 0x59;
export const W_I64_GE_U: u32 = 0x5a;
export const W_I64_ADD: u32 = 0x7c;
export const W_I64_SUB: u32 = 0x7d;
export const W_I64_MUL: u32 = 0x7e;
export const W_I64_DIV_S: u32 = 0x7f;
export const W_I64_DIV_U: u32 = 0x80;
export const W_I64_REM_S: u32 = 0x81;
export const W_I64_REM_U: u32 = 0x82;
export const W_I64_AND: u32 = 0x83;
export const W_I64_OR: u32 = 0x84;
export const W_I64_XOR: u32 = 0x85;
export const W_I64_SHL: u32 = 0x86;
export const W_I64_SHR_U: u32 = 0x88;
export const W_I64_ROTL: u32 = 0x89;
/** An i64 comparison opcode minus this is its i32 twin (eq, ne, lt/gt/le/ge signed and unsigned). */
export const W_CMP_I64_TO_I32: u32 = 0x0b;
/** An i64 arithmetic opcode minus this is its i32 twin (add .. rotr). */
export const W_ARITH_I64_TO_I32: u32 = 0x12;
// Conversions
export const W_I32_WRAP_I64: u32 = 0xa7;
export const W_I64_EXTEND_I32_S: u32 = 0xac;
export const W_I64_EXTEND_I32_U: u32 = 0xad;
export const W_I32_EXTEND8_S: u32 = 0xc0;
export const W_I32_EXTEND16_S: u32 = 0xc1;
export const W_I64_EXTEND8_S: u32 = 0xc2;
export const W_I64_EXTEND16_S: u32 = 0xc3;
export const W_I64_EXTEND32_S: u32 = 0xc4;

export class Buf {
  ptr: usize;
  len: u32 = 0;
  cap: u32;

  constructor(cap: u32 = 256) {
    this.ptr = heap.alloc(<usize>cap);
    this.cap = cap;
  }

  private grow(n: u32): void {
    let c = this.cap << 1;
    while (c < this.len + n) c <<= 1;
    this.ptr = heap.realloc(this.ptr, <usize>c);
    this.cap = c;
  }

  @inline reserve(n: u32): void {
    if (this.len + n > this.cap) this.grow(n);
  }

  byte(b: u32): void {
    this.reserve(1);
    store<u8>(this.ptr + this.len, <u8>b);
    this.len++;
  }

  /** Unsigned LEB128. */
  u32(v: u32): void {
    this.reserve(5);
    do {
      let b = v & 0x7f;
      v >>= 7;
      if (v != 0) b |= 0x80;
      store<u8>(this.ptr + this.len, <u8>b);
      this.len++;
    } while (v != 0);
  }

  append(other: Buf): void {
    this.reserve(other.len);
    memory.copy(this.ptr + this.len, other.ptr, other.len);
    this.len += other.len;
  }

  /** Bytes as they are (a fixed part of the module). */
  bytes(a: StaticArray<u8>): void {
    const n = <u32>a.length;
    this.reserve(n);
    memory.copy(this.ptr + this.len, changetype<usize>(a), n);
    this.len += n;
  }

  /** A name: length, then the (ASCII) bytes. */
  name(s: string): void {
    this.u32(<u32>s.length);
    for (let i = 0; i < s.length; i++) this.byte(<u32>s.charCodeAt(i));
  }

  /** Section `id` holding `body`. */
  section(id: u32, body: Buf): void {
    this.byte(id);
    this.u32(body.len);
    this.append(body);
  }

  // Instructions. Those with an immediate are one call each to opU, opS or mem: functions with a loop, which the
  // optimiser does not inline, so that each instruction the translator emits costs it one call, not two or three.
  op(o: u32): void { this.byte(o); }
  get(i: u32): void { this.opU(W_LOCAL_GET, i); }
  set(i: u32): void { this.opU(W_LOCAL_SET, i); }
  tee(i: u32): void { this.opU(W_LOCAL_TEE, i); }
  gget(i: u32): void { this.opU(W_GLOBAL_GET, i); }
  gset(i: u32): void { this.opU(W_GLOBAL_SET, i); }
  i32c(v: i32): void { this.opS(W_I32_CONST, <i64>v); }
  i64c(v: i64): void { this.opS(W_I64_CONST, v); }
  call(f: u32): void { this.opU(W_CALL, f); }
  br(depth: u32): void { this.opU(W_BR, depth); }
  brIf(depth: u32): void { this.opU(W_BR_IF, depth); }
  block(t: u32 = T_VOID): void { this.opU(W_BLOCK, t); }
  loop(t: u32 = T_VOID): void { this.opU(W_LOOP, t); }
  if_(t: u32 = T_VOID): void { this.opU(W_IF, t); }
  else_(): void { this.byte(W_ELSE); }
  end(): void { this.byte(W_END); }

  /** Opcode `o`, then `v` in unsigned LEB128. */
  opU(o: u32, v: u32): void {
    this.reserve(6);
    let p = this.ptr + this.len;
    store<u8>(p++, <u8>o);
    do {
      const b = v & 0x7f;
      v >>= 7;
      store<u8>(p++, <u8>(v != 0 ? b | 0x80 : b));
    } while (v != 0);
    this.len = <u32>(p - this.ptr);
  }

  /** Opcode `o`, then `v` in signed LEB128. */
  opS(o: u32, v: i64): void {
    this.reserve(11);
    let p = this.ptr + this.len;
    store<u8>(p++, <u8>o);
    while (true) {
      const b = <u32>(v & 0x7f);
      v >>= 7;
      const done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
      store<u8>(p++, <u8>(done ? b : b | 0x80));
      if (done) break;
    }
    this.len = <u32>(p - this.ptr);
  }

  /** A load or store with alignment exponent `align` (below 128) and constant `offset`. */
  mem(o: u32, align: u32, offset: u32): void {
    this.reserve(7);
    let p = this.ptr + this.len;
    store<u8>(p++, <u8>o);
    store<u8>(p++, <u8>align);
    do {
      const b = offset & 0x7f;
      offset >>= 7;
      store<u8>(p++, <u8>(offset != 0 ? b | 0x80 : b));
    } while (offset != 0);
    this.len = <u32>(p - this.ptr);
  }
}
