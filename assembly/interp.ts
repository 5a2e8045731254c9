// The interpreter: fetch, decode, dispatch. One loop, each opcode's body a few lines; the cold paths (faults,
// calls, helpers, packet loads) live in functions outside the loop.
//
// Registers live in linear memory at REGS (r0..r10, u64 each) so that helpers, the host and the other engines see
// the same register file. Every memory access a program makes goes through `allowed`, which consults the region
// table (region 0 is the stack of the frames in use). The loop allocates nothing and calls JavaScript only for
// host helpers.
import {
  CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64,
  SZ_W, SZ_H, SZ_B, SZ_DW, MODE_IMM, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX, MODE_ATOMIC,
  ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_XOR, ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_CMPXCHG,
  CALL_HELPER, CALL_LOCAL, STACK_SIZE, MAX_CALL_DEPTH, MAX_TAIL_CALLS,
} from "./isa";
import {
  STATE, REGS, FRAMES, FRAME_SIZE, PROGS, STACK_BASE, HELPER_KINDS, MAX_HELPER_ID,
  ST_FAULT, ST_FAULT_PC, ST_FAULT_ADDR, ST_FAULT_SIZE, ST_BUDGET, ST_EXECUTED, ST_STOPPED, ST_PROG,
  ST_TAIL_CALLS, ST_PROG_COUNT, ST_PKT, ST_PKT_LEN, ST_CTX, ST_ENGINE,
  FAULT_NONE, FAULT_READ, FAULT_WRITE, FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER, FAULT_BAD_INSN,
  FAULT_BAD_MAP, HELPER_CORE, HELPER_HOST, FUNC_HANDLE_TAG, MAP_HANDLE_TAG,
} from "./layout";
import { accessAllowed, regionSet } from "./memory";
import { callCoreHelper } from "./helpers";
import { progArrayGet } from "./maps/index";
import { setInterpCallback } from "./callback";

/** A helper registered by the host; it reads r1-r5 from REGS, writes r0, and returns a FAULT_* code. */
@external("env", "host_helper")
declare function hostHelper(id: u32): u32;

const HELPER_TAIL_CALL: u32 = 12;
const RETURN_TO_HOST: u32 = 0xffffffff; // return pc of a frame pushed by invokeCallback

// Execution state of the current run (Wasm globals: cheap to reach from the loop and from cold paths).
let code: u32 = 0; // address of the current program's first instruction
let depth: u32 = 0; // frames in use beyond the entry frame
let executed: u64 = 0;
let limit: u64 = 0;

@inline function reg(n: u32): u64 { return load<u64>(REGS + (n << 3)); }
@inline function setReg(n: u32, v: u64): void { store<u64>(REGS + (n << 3), v); }

function fault(kind: u32, pc: u32, addr: u64, size: u32): void {
  store<u32>(STATE + ST_FAULT, kind);
  store<u32>(STATE + ST_FAULT_PC, pc);
  store<u64>(STATE + ST_FAULT_ADDR, addr);
  store<u32>(STATE + ST_FAULT_SIZE, size);
}

@inline function faulted(): bool { return load<u32>(STATE + ST_FAULT) != FAULT_NONE; }

/** Region 0 is the stack of every frame in use: a callee may touch its callers' frames (pointers passed down). */
function setStackDepth(d: u32): void {
  const top = STACK_BASE + (d + 1) * STACK_SIZE;
  regionSet(0, STACK_BASE, top, STACK_BASE, top);
  setReg(10, <u64>top);
}

/**
 * Resets the run state for program `prog` (fault, counters, stack, r1, r2). Translated programs call it too
 * (exported as `runBegin`), then run their own code; `engine` tells callbacks which engine runs (ST_ENGINE).
 */
export function beginRun(prog: u32, r1: u64, r2: u64, engine: u32): bool {
  store<u32>(STATE + ST_FAULT, FAULT_NONE);
  store<u32>(STATE + ST_STOPPED, 0);
  store<u32>(STATE + ST_TAIL_CALLS, 0);
  store<u32>(STATE + ST_CTX, <u32>r1);
  store<u32>(STATE + ST_ENGINE, engine);
  store<u64>(STATE + ST_EXECUTED, 0);
  memory.fill(REGS, 0, 11 * 8);
  if (prog >= load<u32>(STATE + ST_PROG_COUNT)) {
    fault(FAULT_BAD_INSN, 0, <u64>prog, 0);
    return false;
  }
  store<u32>(STATE + ST_PROG, prog);
  code = load<u32>(PROGS + prog * 8);
  depth = 0;
  executed = 0;
  const budget = load<u64>(STATE + ST_BUDGET);
  limit = budget == 0 ? u64.MAX_VALUE : budget;
  setStackDepth(0);
  setReg(1, r1);
  setReg(2, r2);
  return true;
}

/** Runs program `prog` from its first instruction with r1, r2 as given; returns r0 (see ST_FAULT for faults). */
export function run(prog: u32, r1: u64, r2: u64): u64 {
  if (!beginRun(prog, r1, r2, 0)) return 0;
  execute(0, 0);
  store<u64>(STATE + ST_EXECUTED, executed);
  return reg(0);
}

/** Calls a program function (bpf_loop, for_each_map_elem callbacks) from a core helper; returns its r0. */
export function interpCallback(handle: u64, r1: u64, r2: u64, r3: u64, r4: u64): u64 {
  if (<u32>(handle >> 32) != FUNC_HANDLE_TAG) {
    fault(FAULT_BAD_MAP, 0, handle, 0);
    return 0;
  }
  if (!pushFrame(RETURN_TO_HOST, 0)) return 0;
  setReg(1, r1); setReg(2, r2); setReg(3, r3); setReg(4, r4);
  execute(<u32>handle, depth);
  if (faulted()) return 0;
  const r0 = reg(0);
  popFrame(); // the callback's exit left its frame in place: restore the helper caller's r6-r10
  return r0;
}

// Core helpers (bpf_loop, for_each_map_elem) call back through this entry; they do not import the interpreter.
setInterpCallback(interpCallback);

/** Saves the caller's r6-r9, r10 and return pc, and gives the callee a fresh 512-byte frame. */
function pushFrame(returnPc: u32, pc: u32): bool {
  if (depth + 1 >= <u32>MAX_CALL_DEPTH) {
    fault(FAULT_CALL_DEPTH, pc, <u64>(depth + 1), 0);
    return false;
  }
  const f = FRAMES + depth * FRAME_SIZE;
  store<u32>(f, returnPc);
  store<u32>(f, code, 4);
  memory.copy(f + 8, REGS + 6 * 8, 5 * 8); // r6..r10
  depth++;
  setStackDepth(depth);
  return true;
}

/** Restores the caller's registers; returns the pc to continue at. */
function popFrame(): u32 {
  depth--;
  const f = FRAMES + depth * FRAME_SIZE;
  memory.copy(REGS + 6 * 8, f + 8, 5 * 8);
  code = load<u32>(f, 4);
  setStackDepth(depth);
  return load<u32>(f);
}

/** Is [addr, addr + size) inside one region? Stack accesses (the common case) are decided without the table. */
@inline function allowed(addr: u64, size: u32, write: bool): bool {
  return accessAllowed(addr, size, write);
}

/** Executes from `pc` until an exit at frame `stopDepth`, a fault, or a helper stopping the program. */
function execute(startPc: u32, stopDepth: u32): void {
  let pc = startPc;
  while (true) {
    if (++executed > limit) { fault(FAULT_BUDGET, pc, limit, 0); return; }
    const p = code + (pc << 3);
    const op = <u32>load<u8>(p);
    const regs = <u32>load<u8>(p, 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = <i32>load<i16>(p, 2);
    const imm = load<i32>(p, 4);
    pc++;
    const cls = op & 7;
    if (cls == CLS_ALU64 || cls == CLS_ALU) {
      if (!alu(op, dst, src, off, imm, cls == CLS_ALU64)) { fault(FAULT_BAD_INSN, pc - 1, <u64>op, 0); return; }
      continue;
    }
    if (cls == CLS_JMP || cls == CLS_JMP32) {
      const jop = op & 0xf0;
      if (jop == 0x00) { // ja (JMP: 16-bit offset; JMP32: gotol, 32-bit immediate)
        pc += cls == CLS_JMP ? off : imm;
        continue;
      }
      if (jop == 0x80) { // call
        if (cls != CLS_JMP) { fault(FAULT_BAD_INSN, pc - 1, <u64>op, 0); return; }
        if (src == CALL_LOCAL && (op & 8) == 0) {
          if (!pushFrame(pc, pc - 1)) return;
          pc += imm;
          continue;
        }
        const id = (op & 8) != 0 ? <u32>reg(dst) : <u32>imm;
        if ((op & 8) == 0 && src != CALL_HELPER) { fault(FAULT_BAD_INSN, pc - 1, <u64>op, 0); return; }
        if (id == HELPER_TAIL_CALL) {
          const target = tailCallTarget(pc - 1);
          if (faulted()) return;
          if (target >= 0) { code = load<u32>(PROGS + <u32>target * 8); pc = 0; }
          continue;
        }
        if (!callHelper(id, pc - 1)) return;
        continue;
      }
      if (jop == 0x90) { // exit
        if (depth == stopDepth) return;
        pc = popFrame();
        if (pc == RETURN_TO_HOST) return;
        continue;
      }
      const b: u64 = (op & 8) != 0 ? reg(src) : <u64><i64>imm;
      const a = reg(dst);
      if (taken(jop, a, b, cls == CLS_JMP32)) pc += off;
      continue;
    }
    if (cls == CLS_LDX) {
      const size = sizeBytes(op);
      const addr = reg(src) + <u64><i64>off;
      if (!allowed(addr, size, false)) { fault(FAULT_READ, pc - 1, addr, size); return; }
      const mode = op & 0xe0;
      const a = <usize>addr;
      let v: u64;
      if (mode == MODE_MEMSX) {
        v = size == 1 ? <u64>load<i8>(a) : size == 2 ? <u64>load<i16>(a) : <u64>load<i32>(a);
      } else {
        v = size == 1 ? <u64>load<u8>(a) : size == 2 ? <u64>load<u16>(a) : size == 4 ? <u64>load<u32>(a) : load<u64>(a);
      }
      setReg(dst, v);
      continue;
    }
    if (cls == CLS_ST || cls == CLS_STX) {
      const size = sizeBytes(op);
      const addr = reg(dst) + <u64><i64>off;
      if (!allowed(addr, size, true)) { fault(FAULT_WRITE, pc - 1, addr, size); return; }
      if ((op & 0xe0) == MODE_ATOMIC) {
        atomic(<usize>addr, size, src, imm);
        continue;
      }
      const v: u64 = cls == CLS_ST ? <u64><i64>imm : reg(src);
      const a = <usize>addr;
      if (size == 1) store<u8>(a, <u8>v);
      else if (size == 2) store<u16>(a, <u16>v);
      else if (size == 4) store<u32>(a, <u32>v);
      else store<u64>(a, v);
      continue;
    }
    // CLS_LD: lddw (two slots) or the legacy packet loads
    const mode = op & 0xe0;
    if (mode == MODE_IMM && (op & 0x18) == SZ_DW) {
      setReg(dst, <u64><u32>imm | (<u64>load<u32>(p, 12) << 32));
      pc++;
      continue;
    }
    if (mode == MODE_ABS || mode == MODE_IND) {
      let offset: i64 = <i64>imm;
      if (mode == MODE_IND) offset += <i64><i32><u32>reg(src);
      if (!packetLoad(offset, sizeBytes(op))) {
        // Out of the packet: the kernel ends the program with r0 = 0.
        setReg(0, 0);
        if (depth == stopDepth) return;
        unwindToExit(stopDepth);
        return;
      }
      continue;
    }
    fault(FAULT_BAD_INSN, pc - 1, <u64>op, 0);
    return;
  }
}

/** A packet load that fell outside the packet ends the whole program, not only the current function. */
function unwindToExit(stopDepth: u32): void {
  while (depth > stopDepth) popFrame();
  setReg(0, 0);
}

@inline function sizeBytes(op: u32): u32 {
  const s = op & 0x18;
  return s == SZ_B ? 1 : s == SZ_H ? 2 : s == SZ_W ? 4 : 8;
}

/** LD_ABS / LD_IND: big-endian load from the packet into r0. Returns false when outside the packet. */
function packetLoad(offset: i64, size: u32): bool {
  const len = <i64>load<u32>(STATE + ST_PKT_LEN);
  if (offset < 0 || offset + <i64>size > len) return false;
  const a = load<u32>(STATE + ST_PKT) + <u32>offset;
  let v: u64;
  if (size == 1) v = <u64>load<u8>(a);
  else if (size == 2) v = <u64>bswap<u16>(load<u16>(a));
  else v = <u64>bswap<u32>(load<u32>(a));
  setReg(0, v);
  return true;
}

/** Atomic read-modify-write (single-threaded here, so plain loads and stores are atomic). */
function atomic(a: usize, size: u32, src: u32, imm: i32): void {
  const op = <u32>imm;
  const is64 = size == 8;
  const old: u64 = is64 ? load<u64>(a) : <u64>load<u32>(a);
  const val = reg(src);
  let result: u64 = old;
  const base = op & ~ATOMIC_FETCH;
  if (op == ATOMIC_XCHG) result = val;
  else if (op == ATOMIC_CMPXCHG) {
    const expected = is64 ? reg(0) : <u64><u32>reg(0);
    if (old == expected) result = val;
    setReg(0, old);
  }
  else if (base == ATOMIC_ADD) result = old + val;
  else if (base == ATOMIC_OR) result = old | val;
  else if (base == ATOMIC_AND) result = old & val;
  else if (base == ATOMIC_XOR) result = old ^ val;
  if (is64) store<u64>(a, result); else store<u32>(a, <u32>result);
  if ((op & ATOMIC_FETCH) != 0 && op != ATOMIC_CMPXCHG) setReg(src, old);
}

/** Conditional jumps, 64-bit (JMP) or on the low 32 bits (JMP32). */
@inline function taken(jop: u32, a: u64, b: u64, is32: bool): bool {
  if (is32) {
    const x = <u32>a, y = <u32>b;
    switch (jop) {
      case 0x10: return x == y;
      case 0x20: return x > y;
      case 0x30: return x >= y;
      case 0x40: return (x & y) != 0;
      case 0x50: return x != y;
      case 0x60: return <i32>x > <i32>y;
      case 0x70: return <i32>x >= <i32>y;
      case 0xa0: return x < y;
      case 0xb0: return x <= y;
      case 0xc0: return <i32>x < <i32>y;
      case 0xd0: return <i32>x <= <i32>y;
    }
    return false;
  }
  switch (jop) {
    case 0x10: return a == b;
    case 0x20: return a > b;
    case 0x30: return a >= b;
    case 0x40: return (a & b) != 0;
    case 0x50: return a != b;
    case 0x60: return <i64>a > <i64>b;
    case 0x70: return <i64>a >= <i64>b;
    case 0xa0: return a < b;
    case 0xb0: return a <= b;
    case 0xc0: return <i64>a < <i64>b;
    case 0xd0: return <i64>a <= <i64>b;
  }
  return false;
}

/** ALU and ALU64. Returns false for an operation the validator should have refused. */
@inline function alu(op: u32, dst: u32, src: u32, off: i32, imm: i32, is64: bool): bool {
  const aop = op & 0xf0;
  const a = reg(dst);
  const b: u64 = (op & 8) != 0 ? reg(src) : <u64><i64>imm;
  if (is64) {
    let r: u64;
    switch (aop) {
      case 0x00: r = a + b; break;
      case 0x10: r = a - b; break;
      case 0x20: r = a * b; break;
      case 0x30: r = off == 0 ? udiv64(a, b) : sdiv64(a, b); break;
      case 0x40: r = a | b; break;
      case 0x50: r = a & b; break;
      case 0x60: r = a << (b & 63); break;
      case 0x70: r = a >> (b & 63); break;
      case 0x80: r = 0 - a; break;
      case 0x90: r = off == 0 ? umod64(a, b) : smod64(a, b); break;
      case 0xa0: r = a ^ b; break;
      case 0xb0: r = off == 0 ? b : off == 8 ? <u64><i8>b : off == 16 ? <u64><i16>b : <u64><i32>b; break;
      case 0xc0: r = <u64>(<i64>a >> (b & 63)); break;
      case 0xd0: r = imm == 16 ? <u64>bswap<u16>(<u16>a) : imm == 32 ? <u64>bswap<u32>(<u32>a) : bswap<u64>(a); break;
      default: return false;
    }
    setReg(dst, r);
    return true;
  }
  const x = <u32>a, y = <u32>b;
  let r: u32;
  switch (aop) {
    case 0x00: r = x + y; break;
    case 0x10: r = x - y; break;
    case 0x20: r = x * y; break;
    case 0x30: r = off == 0 ? (y == 0 ? 0 : x / y) : sdiv32(x, y); break;
    case 0x40: r = x | y; break;
    case 0x50: r = x & y; break;
    case 0x60: r = x << (y & 31); break;
    case 0x70: r = x >> (y & 31); break;
    case 0x80: r = 0 - x; break;
    case 0x90: r = off == 0 ? (y == 0 ? x : x % y) : smod32(x, y); break;
    case 0xa0: r = x ^ y; break;
    case 0xb0: r = off == 0 ? y : off == 8 ? <u32><i8>y : <u32><i16>y; break;
    case 0xc0: r = <u32>(<i32>x >> (y & 31)); break;
    case 0xd0: { // le (source bit 0) truncates; be swaps — this is a little-endian machine
      const swap = (op & 8) != 0;
      if (imm == 16) { setReg(dst, swap ? <u64>bswap<u16>(<u16>a) : <u64><u16>a); return true; }
      if (imm == 32) { setReg(dst, swap ? <u64>bswap<u32>(<u32>a) : <u64><u32>a); return true; }
      setReg(dst, swap ? bswap<u64>(a) : a);
      return true;
    }
    default: return false;
  }
  setReg(dst, <u64>r);
  return true;
}

// Division follows RFC 9669: x / 0 = 0, x % 0 = x, and signed overflow (MIN / -1) wraps instead of trapping.
@inline function udiv64(a: u64, b: u64): u64 { return b == 0 ? 0 : a / b; }
@inline function umod64(a: u64, b: u64): u64 { return b == 0 ? a : a % b; }
function sdiv64(a: u64, b: u64): u64 {
  if (b == 0) return 0;
  if (b == u64.MAX_VALUE) return 0 - a;
  return <u64>(<i64>a / <i64>b);
}
function smod64(a: u64, b: u64): u64 {
  if (b == 0) return a;
  if (b == u64.MAX_VALUE) return 0;
  return <u64>(<i64>a % <i64>b);
}
function sdiv32(x: u32, y: u32): u32 {
  if (y == 0) return 0;
  if (y == u32.MAX_VALUE) return 0 - x;
  return <u32>(<i32>x / <i32>y);
}
function smod32(x: u32, y: u32): u32 {
  if (y == 0) return x;
  if (y == u32.MAX_VALUE) return 0;
  return <u32>(<i32>x % <i32>y);
}

/** Calls helper `id`; returns false when the program must stop (fault, or a helper that ends it). Translated
 * programs call it too (exported by the core as `helperCall`). */
export function callHelper(id: u32, pc: u32): bool {
  const kind: u32 = id <= <u32>MAX_HELPER_ID ? <u32>load<u8>(HELPER_KINDS + id) : 0;
  let result: u32;
  if (kind == HELPER_CORE) result = <u32>callCoreHelper(id);
  else if (kind == HELPER_HOST) result = hostHelper(id);
  else { fault(FAULT_HELPER, pc, <u64>id, 0); return false; }
  if (result != FAULT_NONE) {
    // A fault inside a callback (bpf_loop) is already recorded with its own instruction index. Otherwise the
    // helper stored the address and size, and the instruction index is ours to add.
    if (!faulted()) {
      store<u32>(STATE + ST_FAULT, result);
      store<u32>(STATE + ST_FAULT_PC, pc);
    }
    return false;
  }
  if (faulted()) { store<u32>(STATE + ST_FAULT_PC, pc); return false; }
  return load<u32>(STATE + ST_STOPPED) == 0;
}

/**
 * bpf_tail_call(ctx, prog_array, index): returns the program to continue in, or -1 to fall through (the kernel's
 * behaviour when the index is out of range, the slot is empty, or the chain is already MAX_TAIL_CALLS long).
 */
export function tailCallTarget(pc: u32): i32 {
  const handle = reg(2);
  if (<u32>(handle >> 32) != MAP_HANDLE_TAG) { fault(FAULT_BAD_MAP, pc, handle, 0); return -1; }
  const taken = load<u32>(STATE + ST_TAIL_CALLS);
  if (taken >= <u32>MAX_TAIL_CALLS) return -1;
  const target = progArrayGet(<u32>handle, <u32>reg(3));
  if (target < 0) return -1;
  if (faulted()) { store<u32>(STATE + ST_FAULT_PC, pc); return -1; }
  store<u32>(STATE + ST_TAIL_CALLS, taken + 1);
  store<u32>(STATE + ST_PROG, <u32>target);
  return target;
}
