// An independent reference evaluator for the fuzzer: a plain BigInt eBPF machine written from RFC 9669, with no
// code in common with the interpreter. It is slow and simple on purpose: every register holds a BigInt in
// [0, 2^64), every operation is spelled out, and the result is compared with what the engines compute.
//
// Subset: everything the fuzzer generates - ALU/ALU64 (incl. sdiv/smod, movsx, byte swaps), JMP/JMP32 (incl.
// gotol), lddw (plain constants), LDX/LDXSX/ST/STX, atomics, bpf-to-bpf calls and exit. No helpers, no maps, no
// packet loads (`unsupported` is reported for those).
//
// The memory model is tinybpf's (the RFC leaves it to the runtime): frame k of the stack is the 512 bytes at
// stackBase + 512 k, r10 points at the top of the current frame, and a program may touch every frame in use
// (frames 0..depth) plus the input buffer; anything else faults. Faults are reported the way the runtime words
// them (`describeFault`), so that messages can be compared as text.
import { describeFault, type FaultInfo } from "../runtime/faults.js";
import { locate as nameAddress } from "../runtime/fault-location.js";
import { FAULT_READ, FAULT_WRITE, FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_BAD_INSN } from "../../assembly/layout.js";

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;

const u64 = (x: bigint): bigint => x & M64;
const u32 = (x: bigint): bigint => x & M32;
/** Two's-complement reading of the low `bits` bits. */
const signed = (x: bigint, bits: number): bigint => BigInt.asIntN(bits, x);

export interface ReferenceOptions {
  /** Address of the input buffer (r1 at entry); 0 with no input. */
  inputAddr: number;
  /** Address of stack frame 0 (the runtime's STACK_BASE). */
  stackBase: number;
  /** Instructions one run may execute (the next one faults); 0 = unlimited. */
  budget: number;
  frameSize?: number; // 512
  maxFrames?: number; // 8, the entry frame included
}

export interface ReferenceResult {
  r0?: bigint;
  /** Fault text as the runtime prints it after the program name: "what (instruction N)". */
  error?: string;
  /** Instructions executed (a lddw counts once), on success. */
  executed: number;
  /** The input buffer after the run. */
  input: Uint8Array;
}

/** Thrown for an instruction outside the subset this evaluator models (a generator bug, not an engine's). */
export class Unsupported extends Error {}

class Fault {
  constructor(readonly info: FaultInfo) {}
}

export function evaluate(code: Uint8Array, input: Uint8Array, opts: ReferenceOptions): ReferenceResult {
  const frameSize = opts.frameSize ?? 512;
  const maxFrames = opts.maxFrames ?? 8;
  const count = code.length / 8;
  const words = new DataView(code.buffer, code.byteOffset, code.length);
  const mem = input.slice();
  const stack = new Uint8Array(frameSize * maxFrames);
  const r: bigint[] = new Array(11).fill(0n);
  r[1] = BigInt(opts.inputAddr);
  r[2] = BigInt(input.length);
  r[10] = BigInt(opts.stackBase + frameSize);
  const frames: { ret: number; saved: bigint[] }[] = [];
  let executed = 0;

  // Memory: [addr, addr + size) must lie inside one region; returns the backing array and index.
  const locate = (addr: bigint, size: number): [Uint8Array, number] | undefined => {
    if (addr + BigInt(size) > M32 + 1n) return undefined;
    const a = Number(addr);
    const stackTop = opts.stackBase + frameSize * (frames.length + 1);
    if (a >= opts.stackBase && a + size <= stackTop) return [stack, a - opts.stackBase];
    if (mem.length && a >= opts.inputAddr && a + size <= opts.inputAddr + mem.length) return [mem, a - opts.inputAddr];
    return undefined;
  };
  const fault = (kind: number, pc: number, addr: bigint, size: number): never => {
    const info: FaultInfo = { kind, pc, addr, size };
    if (kind === FAULT_READ || kind === FAULT_WRITE) {
      // named as the runtime names it: the regions are the stack of the frames in use and the input
      const stackTop = opts.stackBase + frameSize * (frames.length + 1);
      info.where = nameAddress(
        [
          { name: "stack", start: opts.stackBase, end: stackTop },
          { name: "context", start: opts.inputAddr, end: opts.inputAddr + mem.length },
        ],
        addr,
      );
    }
    throw new Fault(info);
  };
  const read = (pc: number, addr: bigint, size: number): bigint => {
    const at = locate(addr, size);
    if (!at) return fault(FAULT_READ, pc, addr, size);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(at[0][at[1] + i]);
    return v;
  };
  const write = (pc: number, addr: bigint, size: number, v: bigint): void => {
    const at = locate(addr, size);
    if (!at) return fault(FAULT_WRITE, pc, addr, size);
    for (let i = 0; i < size; i++) at[0][at[1] + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  };

  try {
    let pc = 0;
    for (;;) {
      if (pc < 0 || pc >= count) throw new Unsupported(`pc ${pc} left the program`);
      if (opts.budget && executed >= opts.budget) fault(FAULT_BUDGET, pc, BigInt(opts.budget), 0);
      executed++;
      const op = words.getUint8(pc * 8);
      const dst = words.getUint8(pc * 8 + 1) & 15;
      const src = words.getUint8(pc * 8 + 1) >> 4;
      const off = words.getInt16(pc * 8 + 2, true);
      const imm = words.getInt32(pc * 8 + 4, true);
      const cls = op & 7;
      const here = pc;
      pc++;
      switch (cls) {
        case 0x04: // ALU: 32-bit
        case 0x07: {
          // ALU64
          const wide = cls === 0x07;
          const useReg = (op & 8) !== 0;
          const code4 = op >> 4;
          if (code4 === 0xd) {
            r[dst] = byteSwap(r[dst], imm, wide, useReg);
            break;
          }
          const operand = useReg ? r[src] : u64(BigInt(imm)); // imm is sign-extended to 64 bits
          r[dst] = wide ? alu64(code4, r[dst], operand, off) : alu32(code4, r[dst], operand, off);
          break;
        }
        case 0x05: // JMP
        case 0x06: {
          // JMP32
          const code4 = op >> 4;
          if (code4 === 0x0) {
            pc += cls === 0x05 ? off : imm;
            break;
          }
          if (code4 === 0x8) {
            if (cls !== 0x05 || op & 8 || src !== 1) throw new Unsupported(`call at ${here}`);
            if (frames.length + 1 >= maxFrames) fault(FAULT_CALL_DEPTH, here, BigInt(frames.length + 1), 0);
            frames.push({ ret: pc, saved: r.slice(6, 11) });
            r[10] = BigInt(opts.stackBase + frameSize * (frames.length + 1));
            pc += imm;
            break;
          }
          if (code4 === 0x9) {
            const f = frames.pop();
            if (!f) return { r0: r[0], executed, input: mem };
            for (let i = 0; i < 5; i++) r[6 + i] = f.saved[i];
            pc = f.ret;
            break;
          }
          const b = op & 8 ? r[src] : u64(BigInt(imm));
          if (condition(code4, r[dst], b, cls === 0x06)) pc += off;
          break;
        }
        case 0x00: {
          // LD: only lddw with a plain constant
          if (op !== 0x18 || src !== 0) throw new Unsupported(`ld 0x${op.toString(16)} at ${here}`);
          const hi = BigInt(words.getUint32(pc * 8 + 4, true));
          r[dst] = (hi << 32n) | BigInt(imm >>> 0);
          pc++;
          break;
        }
        case 0x01: {
          // LDX: MEM or MEMSX
          const size = [4, 2, 1, 8][(op >> 3) & 3];
          const v = read(here, u64(r[src] + BigInt(off)), size);
          const mode = op & 0xe0;
          if (mode === 0x60) r[dst] = v;
          else if (mode === 0x80) r[dst] = u64(signed(v, size * 8));
          else throw new Unsupported(`ldx mode at ${here}`);
          break;
        }
        case 0x02: // ST
        case 0x03: {
          // STX
          const size = [4, 2, 1, 8][(op >> 3) & 3];
          const addr = u64(r[dst] + BigInt(off));
          const mode = op & 0xe0;
          if (mode === 0x60) {
            write(here, addr, size, cls === 0x02 ? u64(BigInt(imm)) : r[src]);
          } else if (mode === 0xc0 && cls === 0x03) {
            atomic(here, addr, size, src, imm);
          } else throw new Unsupported(`store mode at ${here}`);
          break;
        }
        default:
          fault(FAULT_BAD_INSN, here, BigInt(op), 0);
      }
    }
  } catch (e) {
    if (e instanceof Fault) return { error: describeFault(e.info), executed, input: mem };
    throw e;
  }

  function atomic(pc: number, addr: bigint, size: number, src: number, imm: number): void {
    // The access must be writable; check it before reading (a read-only location faults as a write).
    if (!locate(addr, size)) fault(FAULT_WRITE, pc, addr, size);
    const mask = size === 8 ? M64 : M32;
    const old = read(pc, addr, size);
    const val = r[src] & mask;
    const fetch = (imm & 1) !== 0;
    switch (imm) {
      case 0xe1:
        write(pc, addr, size, val);
        r[src] = old;
        return; // xchg
      case 0xf1: {
        // cmpxchg: compare with r0, load the old value into r0 either way
        if (old === (r[0] & mask)) write(pc, addr, size, val);
        r[0] = old;
        return;
      }
    }
    let result: bigint;
    switch (imm & ~1) {
      case 0x00:
        result = old + val;
        break;
      case 0x40:
        result = old | val;
        break;
      case 0x50:
        result = old & val;
        break;
      case 0xa0:
        result = old ^ val;
        break;
      default:
        throw new Unsupported(`atomic 0x${imm.toString(16)}`);
    }
    write(pc, addr, size, result & mask);
    if (fetch) r[src] = old;
  }
}

function alu64(code4: number, a: bigint, b: bigint, off: number): bigint {
  switch (code4) {
    case 0x0:
      return u64(a + b);
    case 0x1:
      return u64(a - b);
    case 0x2:
      return u64(a * b);
    case 0x3:
      return b === 0n ? 0n : off === 1 ? u64(signed(a, 64) / signed(b, 64)) : a / b;
    case 0x4:
      return a | b;
    case 0x5:
      return a & b;
    case 0x6:
      return u64(a << (b & 63n));
    case 0x7:
      return a >> (b & 63n);
    case 0x8:
      return u64(-a);
    case 0x9:
      return b === 0n ? a : off === 1 ? u64(signed(a, 64) % signed(b, 64)) : a % b;
    case 0xa:
      return a ^ b;
    case 0xb:
      return off === 0 ? b : u64(signed(b, off));
    case 0xc:
      return u64(signed(a, 64) >> (b & 63n));
  }
  throw new Unsupported(`alu64 op ${code4}`);
}

/** 32-bit ALU: operands are the low 32 bits, the result is zero-extended into the 64-bit register. */
function alu32(code4: number, a64: bigint, b64: bigint, off: number): bigint {
  const a = u32(a64),
    b = u32(b64);
  switch (code4) {
    case 0x0:
      return u32(a + b);
    case 0x1:
      return u32(a - b);
    case 0x2:
      return u32(a * b);
    case 0x3:
      return b === 0n ? 0n : off === 1 ? u32(signed(a, 32) / signed(b, 32)) : a / b;
    case 0x4:
      return a | b;
    case 0x5:
      return a & b;
    case 0x6:
      return u32(a << (b & 31n));
    case 0x7:
      return a >> (b & 31n);
    case 0x8:
      return u32(-a);
    case 0x9:
      return b === 0n ? a : off === 1 ? u32(signed(a, 32) % signed(b, 32)) : a % b;
    case 0xa:
      return a ^ b;
    case 0xb:
      return off === 0 ? b : u32(signed(b, off));
    case 0xc:
      return u32(signed(a, 32) >> (b & 31n));
  }
  throw new Unsupported(`alu32 op ${code4}`);
}

/** ALU class: le (source bit 0) keeps the low `width` bits, be (source bit 1) reverses them (little-endian
 * machine). ALU64 class: bswap, always reverses. Either way the result is zero-extended. */
function byteSwap(v: bigint, width: number, alu64: boolean, toBig: boolean): bigint {
  const bytes = width / 8;
  const low = v & ((1n << BigInt(width)) - 1n);
  if (!alu64 && !toBig) return low;
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((low >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Whether the jump condition `code4` holds for a and b (64-bit values), compared in 32 bits when `narrow`. */
export function condition(code4: number, a64: bigint, b64: bigint, narrow: boolean): boolean {
  const bits = narrow ? 32 : 64;
  const a = narrow ? u32(a64) : a64,
    b = narrow ? u32(b64) : b64;
  const sa = signed(a, bits),
    sb = signed(b, bits);
  switch (code4) {
    case 0x1:
      return a === b;
    case 0x2:
      return a > b;
    case 0x3:
      return a >= b;
    case 0x4:
      return (a & b) !== 0n;
    case 0x5:
      return a !== b;
    case 0x6:
      return sa > sb;
    case 0x7:
      return sa >= sb;
    case 0xa:
      return a < b;
    case 0xb:
      return a <= b;
    case 0xc:
      return sa < sb;
    case 0xd:
      return sa <= sb;
  }
  throw new Unsupported(`jump op ${code4}`);
}
