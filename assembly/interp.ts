// The interpreter: one loop that dispatches on the pre-decoded records of decode.ts (built when the program was
// installed), each handler's body a line or two. The loop calls nothing: a call anywhere in it makes V8 keep the
// loop's values in stack slots, stored on every instruction. Records that need a call (bpf-to-bpf calls and exits,
// helpers, atomics, packet loads, signed division, byte order, sign-extending loads, accesses the inline checks
// did not allow, bad instructions) end the loop, and `execute` does their work and enters it again. The loop
// follows record addresses (jumps hold their target's, decode.ts), one add per instruction; everywhere else a pc
// is the original eBPF instruction index, record address less the program's first over 32, so faults name it.
//
// Registers live in linear memory at REGS (r0..r10, u64 each) so that helpers, the host and the other engines see
// the same register file. Every memory access a program makes is checked against the region table (region 0 is
// the stack of the frames in use): loads first try copies of the two regions read last (`readable`), stores the
// stack and a copy of the writable region written last (`writable`), and the rest ask the table (slowAccess,
// atomics). The loop allocates nothing and calls JavaScript only for host helpers. The budget counts executed
// eBPF instructions as every engine does, a block at a time: the loop charges a block's length (decode.ts: R_REM,
// a fused record counting the two it stands for) when it enters it, and execute hands back what a block did not
// run when the loop left it early, or runs the instructions one at a time when the budget does not cover a block,
// so that the count stays exact and a budget fault names the instruction it would name counted one by one.
import {
  ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_XOR, ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_CMPXCHG,
  STACK_SIZE, MAX_CALL_DEPTH, MAX_TAIL_CALLS,
} from "./isa";
import {
  STATE, REGS, FRAMES, PROGS, REGIONS, REGION_SIZE, ST_REGION_COUNT, FRAME_SIZE, DECODED, STACK_BASE, HELPER_KINDS, MAX_HELPER_ID,
  ST_FAULT, ST_FAULT_PC, ST_FAULT_ADDR, ST_FAULT_SIZE, ST_BUDGET, ST_EXECUTED, ST_STOPPED, ST_PROG,
  ST_TAIL_CALLS, ST_PROG_COUNT, ST_PKT, ST_PKT_LEN, ST_CTX, ST_ENGINE,
  FAULT_NONE, FAULT_READ, FAULT_WRITE, FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_HELPER, FAULT_BAD_INSN,
  FAULT_BAD_MAP, HELPER_CORE, HELPER_HOST, FUNC_HANDLE_TAG, MAP_HANDLE_TAG,
} from "./layout";
import {
  H_ALU64, H_MOVSX64, H_ALU32, H_MOVSX32, H_JMP64, H_JMP32, H_JA, H_CALL_LOCAL, H_EXIT, H_HELPER,
  H_LDX, H_LDXSX, H_ST, H_ATOMIC, H_LDDW, H_LD_PACKET, H_LDXB_LSH, H_LDXB_LSH_OR64, H_LDXB_LSH_OR32, H_LSH_ARSH64,
  H_LSH_ARSH32, H_MOV_JMP64, H_MOV_JMP32, H_MOV_JA, RECORD_SIZE,
  RECORD_SHIFT, R_SIZE, R_EXTRA, R_TARGET,
  R_IMM, R_A, R_B, R_C, R_REM,
} from "./records";
import { decodeSingle } from "./decode";
import { FUSE_PAIRS } from "./fusion";
import { accessAllowed, regionSet } from "./memory";
import { callCoreHelper } from "./helpers";
import { progArrayGet } from "./maps/index";
import { setInterpCallback } from "./callback";

/** A helper registered by the host; it reads r1-r5 from REGS, writes r0, and returns a FAULT_* code. */
@external("env", "host_helper")
declare function hostHelper(id: u32): u32;

const HELPER_TAIL_CALL: u32 = 12;
const RETURN_TO_HOST: u32 = 0xffffffff; // return pc of a frame pushed by invokeCallback

/** One record run alone (execute), and two of zeros after it, where the loop stops when it goes on past it. */
const SINGLE = memory.data(3 * RECORD_SIZE, RECORD_SIZE);
/** Eight bytes on their way between a register and memory (slowAccess). */
const SCRATCH = memory.data(8, 8);

// Execution state of the current run (Wasm globals: cheap to reach from the loop and from cold paths).
let dec: u32 = 0; // address of the current program's first pre-decoded record (decode.ts)
let depth: u32 = 0; // frames in use beyond the entry frame
let executed: u64 = 0;
let limit: u64 = 0;
// Copies of the two regions read last, so that a load tests its bounds inline instead of calling accessAllowed:
// a read at m is allowed when m - readLo <= readLim (readLim being the span less 8, so that the test holds for
// every size). Two, because programs often alternate between two regions (a packet and the stack, an input and a
// table). Never empty: both fall back to the stack of the frames in use (forgetReads) whenever regions may have
// changed (a helper ran, the call depth changed, a run began).
let readLo: u64 = 0;
let readLim: u64 = 0;
let readLo2: u64 = 0;
let readLim2: u64 = 0;
// The same for stores, most of which go to the stack: a store at m is allowed inline when m - STACK_BASE <=
// stackLim, the span of the frames in use less 8 (setStackDepth).
let stackLim: u64 = 0;
// The writable part of the region written last, off the stack (a map value, an output buffer), tested the same way.
let writeLo: u64 = 0;
let writeLim: u64 = 0;
// Where the loop stopped: the record (plus 1 when the budget stopped it first), and the budget left.
let outRecord: u32 = 0;
let outLeft: u64 = 0;
// The instruction in SINGLE, run alone when the budget does not cover its block.
let singlePc: u32 = 0;

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
  stackLim = <u64>(top - STACK_BASE - 8);
  forgetReads();
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
  dec = load<u32>(DECODED + (prog << 2));
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
  store<u32>(f, dec, 4);
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
  dec = load<u32>(f, 4);
  setStackDepth(depth);
  return load<u32>(f);
}

/** Is [addr, addr + size) inside one region's readable part? Decided inline when in a region read last. */
@inline function readable(addr: u64, size: u32): bool {
  if (!FUSE_PAIRS) return accessAllowed(addr, size, false); // the tiny core (fusion.ts): its size comes first
  return addr - readLo <= readLim || addr - readLo2 <= readLim2;
}

/** Is [addr, addr + size) inside one region's writable part? Decided inline on the stack or the region written last. */
@inline function writable(addr: u64, size: u32): bool {
  if (!FUSE_PAIRS) return accessAllowed(addr, size, true);
  return addr - <u64>STACK_BASE <= stackLim || addr - writeLo <= writeLim;
}

/**
 * An access the copies do not cover: the region table decides, and the region it falls in is copied when it spans
 * 8 bytes or more (for a read, as the newer of the two copies). The tiny core asks the table every time.
 */
function miss(addr: u64, size: u32, write: bool): bool {
  if (!FUSE_PAIRS) return accessAllowed(addr, size, write);
  const r = regionHolding(addr, size, write);
  if (r == 0) return false;
  const lo = r & 0xffffffff, span = (r >> 32) - lo;
  if (span >= 8) {
    if (write) {
      writeLo = lo;
      writeLim = span - 8;
    } else {
      readLo2 = readLo;
      readLim2 = readLim;
      readLo = lo;
      readLim = span - 8;
    }
  }
  return true;
}

/**
 * The region whose readable part (writable, when `write`) holds [addr, addr + size), as start | end << 32, or 0:
 * the region table's own rule (memory.ts: accessAllowed), with the bounds it found.
 */
function regionHolding(addr: u64, size: u64, write: bool): u64 {
  const end = <u32>REGIONS + load<u32>(STATE + ST_REGION_COUNT) * REGION_SIZE;
  for (let r: u32 = REGIONS; r < end; r += REGION_SIZE) {
    const span = load<u64>(r + (write ? 8 : 0));
    const lo = span & 0xffffffff, hi = span >> 32;
    if (addr >= lo && addr <= hi && hi - addr >= size) return span;
  }
  return 0;
}

/** Points the copies back at the stack (region 0), which every run has, after regions may have changed. */
function forgetReads(): void {
  if (!FUSE_PAIRS) return;
  readLo = readLo2 = writeLo = STACK_BASE;
  readLim = readLim2 = writeLim = stackLim;
}

/**
 * After a helper, which may have added or dropped regions (a ring buffer sample): keeps each copy that a region
 * still holds, and points the others back at the stack. Most helpers change nothing, and a program reads and
 * writes the map value or the context it used before the call again after it.
 */
function recheckCopies(): void {
  if (!FUSE_PAIRS) return;
  if (regionHolding(readLo, readLim + 8, false) == 0) { readLo = STACK_BASE; readLim = stackLim; }
  if (regionHolding(readLo2, readLim2 + 8, false) == 0) { readLo2 = STACK_BASE; readLim2 = stackLim; }
  if (regionHolding(writeLo, writeLim + 8, true) == 0) { writeLo = STACK_BASE; writeLim = stackLim; }
}

/**
 * Executes from `pc` until an exit at frame `stopDepth`, a fault, or a helper stopping the program, and adds the
 * instructions it ran to `executed`. The loop runs every record that needs no call; it returns here for those that
 * do (calls, exits, helpers, atomics, packet loads, accesses its inline checks did not allow, bad instructions) and
 * at a block the budget does not cover, and this function does what they need and enters the loop again. A call in the
 * loop would make V8 keep the loop's values in stack slots, stored on every instruction, to survive it.
 */
function execute(startPc: u32, stopDepth: u32): void {
  let pc = startPc;
  let left = limit - executed;
  let alone = false; // run the instruction at pc alone, from SINGLE
  while (true) {
    loop(alone ? <u32>SINGLE : dec + (pc << RECORD_SHIFT), left);
    alone = false;
    left = outLeft;
    const p = outRecord & ~1;
    // The instruction index of the record; in SINGLE's three records, counted from the one run alone (the two
    // after it, zeros, stop the loop where it went on to: the next instruction, or the one after an lddw).
    const past = p - <u32>SINGLE;
    pc = past < 3 * RECORD_SIZE ? singlePc + (past >> RECORD_SHIFT) : (p - dec) >> RECORD_SHIFT;
    if (outRecord & 1) { // the budget does not cover the block at p: its instructions one at a time, or the fault
      if (left == 0) { fault(FAULT_BUDGET, pc, limit, 0); left = u64.MAX_VALUE; break; }
      const prog = PROGS + load<u32>(STATE + ST_PROG) * 8;
      decodeSingle(load<u32>(prog), pc, load<u32>(prog, 4), <u32>SINGLE, dec);
      singlePc = pc;
      alone = true;
      continue;
    }
    if (past - RECORD_SIZE < 2 * RECORD_SIZE) continue; // the instruction run alone is done
    // The record at p ran as far as the loop could take it (counted as one instruction: no record that leaves the
    // loop is fused but H_LDXB_LSH and its forms with an or, whose shift is counted below and whose or runs apart);
    // the rest of its block, charged with it, did not.
    left += <u64>load<u32>(p, R_REM) - 1;
    const h = <u32>load<u8>(p);
    const t = load<i32>(p, R_TARGET);
    const b = load<u64>(load<u32>(p, R_B));
    const y = <u32>b;
    if (h == <u32>H_CALL_LOCAL) {
      if (!pushFrame(pc + 1, pc)) break;
      pc = (<u32>t - dec) >> RECORD_SHIFT;
      continue;
    }
    if (h == <u32>H_EXIT) {
      if (depth == stopDepth) break;
      pc = popFrame();
      if (pc == RETURN_TO_HOST) break;
      continue;
    }
    pc++;
    if (h < <u32>H_JMP64) {
      store<u64>(REGS + <u32>load<u8>(p, 1), aluOutside(h, load<u64>(load<u32>(p, R_A)), b, t));
      continue;
    }
    if (h == <u32>H_HELPER) {
      if (y == HELPER_TAIL_CALL) { // the helper's id is b: the immediate, or dst for callx
        const taken = tailCall(pc - 1);
        if (taken < 0) break;
        if (taken > 0) pc = 0;
        continue;
      }
      executed = limit - left; // a helper may run a callback, which counts on from here
      const go = callHelper(y, pc - 1);
      recheckCopies();
      left = limit - executed;
      if (!go) break;
      continue;
    }
    if (h == <u32>H_ATOMIC) {
      const a = load<u64>(load<u32>(p, R_A));
      const m = a + <u64><i64>t;
      const size = <u32>load<u8>(p, R_SIZE);
      if (!accessAllowed(m, size, true)) { fault(FAULT_WRITE, pc - 1, m, size); break; }
      atomic(<usize>m, size, <u32>load<u8>(p, R_EXTRA), y);
      continue;
    }
    if (h == <u32>H_LD_PACKET) {
      let offset = load<i64>(p, R_IMM);
      if (load<u8>(p, R_SIZE) != 0) offset += <i64><i32><u32>reg(<u32>load<u8>(p, R_EXTRA)); // LD_IND
      if (packetLoad(offset, <u32>t)) continue;
      unwindToExit(stopDepth); // out of the packet: the kernel ends the program with r0 = 0
      break;
    }
    // a byte load and shift, with an or or not (the or then runs apart); the tiny core has no fused records
    const byteShift = FUSE_PAIRS && h >= <u32>H_LDXB_LSH && h <= <u32>H_LDXB_LSH_OR32;
    if ((h >= <u32>H_LDX && h < <u32>H_LD_PACKET) || byteShift) {
      const done = slowAccess(p, h, pc - 1);
      if (done < 0) break;
      if (FUSE_PAIRS && done > 0) { pc--; left++; } // run again, by the loop, uncounted so far
      else if (byteShift) { pc++; left--; }
      continue;
    }
    fault(FAULT_BAD_INSN, pc - 1, <u64>load<u8>(p, R_EXTRA), 0);
    break;
  }
  executed = limit - left;
}

/**
 * The load or store of record `p` (handler `h`, instruction `pc`) that the loop's inline checks did not allow:
 * asks the region table and copies the region for the next access. Returns 1 when the loop can now run the record
 * itself (its region copied), 0 when done here, -1 after recording the fault. Here, the bytes go through SCRATCH,
 * one copy for every size (reading 8 bytes at a region's end could pass memory's): regions under 8 bytes, which
 * are never copied, and sign-extending loads, which the loop leaves to this function.
 */
function slowAccess(p: u32, h: u32, pc: u32): i32 {
  const write = h >= <u32>H_ST && h < <u32>H_LD_PACKET;
  const size = <u32>load<u8>(p, R_SIZE);
  const m = load<u64>(load<u32>(p + (write ? R_A : R_B))) + <u64><i64>load<i32>(p, R_TARGET);
  if (!miss(m, size, write)) {
    fault(write ? FAULT_WRITE : FAULT_READ, pc, m, size);
    return -1;
  }
  // The loop leaves sign-extending loads here every time: those it must not be given back.
  if (FUSE_PAIRS && (h < <u32>H_LDXSX || h >= <u32>H_ST) && (write ? m - writeLo <= writeLim : m - readLo <= readLim))
    return 1;
  if (write) {
    store<u64>(SCRATCH, load<u64>(load<u32>(p, R_B)));
    memory.copy(<usize>m, SCRATCH, size);
    return 0;
  }
  store<u64>(SCRATCH, 0);
  memory.copy(SCRATCH, <usize>m, size);
  const bits = 64 - (size << 3);
  let v = load<u64>(SCRATCH);
  if (h >= <u32>H_LDXSX && h < <u32>H_ST) v = <u64>(<i64>(v << bits) >> bits);
  if (FUSE_PAIRS && h >= <u32>H_LDXB_LSH && h <= <u32>H_LDXB_LSH_OR32) v <<= load<u64>(p, R_IMM);
  store<u64>(REGS + <u32>load<u8>(p, 1), v);
  return 0;
}

/**
 * The loop behind `execute`, from the record at `start` with `startLeft` of the budget left (a local: a global
 * would be a load and a store on every instruction). It calls nothing: it stops at the first record that needs a
 * call, or at a block the budget does not cover, and leaves where (outRecord, plus 1 for the budget) and what is
 * left (outLeft, the block of that record charged). Every record (decode.ts) gives the handler, the dst register's
 * address, where a and b are read and a target or offset, so each handler is a line or two.
 */
/** Where the loop stopped (execute reads it): at record `at` (plus 1 when the budget stopped it), `left` left. */
@inline function leave(at: u32, left: u64): void {
  outRecord = at;
  outLeft = left;
}

/** The value a mov fused with a jump writes (decode.ts: fuseMovJump): R_SIZE 1 is a 32-bit mov from a register. */
@inline function moved(p: u32): u64 {
  const v = load<u64>(load<u32>(p, R_C));
  return load<u8>(p, R_SIZE) != 0 ? <u64><u32>v : v;
}

function loop(start: u32, startLeft: u64): void {
  let next = start;
  let left = startLeft;
  while (true) {
    // A block is charged whole when entered (here, or after a jump, taken or not), or left to execute to run an
    // instruction at a time when the budget does not cover it.
    const charge = <u64>load<u32>(next, R_REM);
    if (left < charge) return leave(next | 1, left);
    left -= charge;
    while (true) {
      let p = next; // the record run, or after a fused add the load's own (its case leaves there)
      const h = <u32>load<u8>(p);
      const rd = REGS + <u32>load<u8>(p, 1);
      let a = load<u64>(load<u32>(p, R_A));
      let b = load<u64>(load<u32>(p, R_B));
      const t = load<i32>(p, R_TARGET);
      next = p + RECORD_SIZE;
      const x = <u32>a, y = <u32>b;
      // The cases follow the handler indices (decode.ts) one by one, each with a body of its own: only then does
      // the switch become a single jump table. A fused mov + operation steps over the operation's own record and
      // falls into its case, a being read from the mov's source; a fused add + jump does the add, steps over the
      // jump's record and falls into its case with a the sum and b the jump's own. Jumps break out of the switch,
      // to the block charge; everything else goes on in the same block.
      switch (h) {
        case H_ALU64 - 1 + 2 * 0x0: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0x0: store<u64>(rd, a + b); continue;
        case H_ALU64 - 1 + 2 * 0x1: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0x1: store<u64>(rd, a - b); continue;
        case H_ALU64 - 1 + 2 * 0x2: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0x2: store<u64>(rd, a * b); continue;
        case H_ALU64 - 1 + 2 * 0x3: return leave(p, left); // not fused
        case H_ALU64 + 2 * 0x3: if (t != 0) return leave(p, left); store<u64>(rd, udiv64(a, b)); continue;
        case H_ALU64 - 1 + 2 * 0x4: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0x4: store<u64>(rd, a | b); continue;
        case H_ALU64 - 1 + 2 * 0x5: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0x5: store<u64>(rd, a & b); continue;
        case H_ALU64 - 1 + 2 * 0x6: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0x6: store<u64>(rd, a << (b & 63)); continue;
        case H_ALU64 - 1 + 2 * 0x7: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0x7: store<u64>(rd, a >> (b & 63)); continue;
        case H_ALU64 - 1 + 2 * 0x8: return leave(p, left); // not fused
        case H_ALU64 + 2 * 0x8: store<u64>(rd, 0 - a); continue;
        case H_ALU64 - 1 + 2 * 0x9: return leave(p, left); // not fused
        case H_ALU64 + 2 * 0x9: if (t != 0) return leave(p, left); store<u64>(rd, umod64(a, b)); continue;
        case H_ALU64 - 1 + 2 * 0xa: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0xa: store<u64>(rd, a ^ b); continue;
        case H_ALU64 - 1 + 2 * 0xb: return leave(p, left); // not fused
        case H_ALU64 + 2 * 0xb: store<u64>(rd, b); continue;
        case H_ALU64 - 1 + 2 * 0xc: next += RECORD_SIZE;
        case H_ALU64 + 2 * 0xc: store<u64>(rd, <u64>(<i64>a >> (b & 63))); continue;
        case H_ALU64 - 1 + 2 * 0xd: return leave(p, left); // not fused
        case H_ALU64 + 2 * 0xd: return leave(p, left);
        case H_MOVSX64: store<u64>(rd, t == 8 ? <u64><i8>b : t == 16 ? <u64><i16>b : <u64><i32>b); continue;
        case H_MOVSX32: store<u64>(rd, <u64>(t == 8 ? <u32><i8>y : <u32><i16>y)); continue;
        case H_ALU32 - 1 + 2 * 0x0: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0x0: store<u64>(rd, <u64>(x + y)); continue;
        case H_ALU32 - 1 + 2 * 0x1: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0x1: store<u64>(rd, <u64>(x - y)); continue;
        case H_ALU32 - 1 + 2 * 0x2: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0x2: store<u64>(rd, <u64>(x * y)); continue;
        case H_ALU32 - 1 + 2 * 0x3: return leave(p, left); // not fused
        case H_ALU32 + 2 * 0x3: if (t != 0) return leave(p, left); store<u64>(rd, <u64>(y == 0 ? 0 : x / y)); continue;
        case H_ALU32 - 1 + 2 * 0x4: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0x4: store<u64>(rd, <u64>(x | y)); continue;
        case H_ALU32 - 1 + 2 * 0x5: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0x5: store<u64>(rd, <u64>(x & y)); continue;
        case H_ALU32 - 1 + 2 * 0x6: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0x6: store<u64>(rd, <u64>(x << (y & 31))); continue;
        case H_ALU32 - 1 + 2 * 0x7: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0x7: store<u64>(rd, <u64>(x >> (y & 31))); continue;
        case H_ALU32 - 1 + 2 * 0x8: return leave(p, left); // not fused
        case H_ALU32 + 2 * 0x8: store<u64>(rd, <u64>(<u32>0 - x)); continue;
        case H_ALU32 - 1 + 2 * 0x9: return leave(p, left); // not fused
        case H_ALU32 + 2 * 0x9: if (t != 0) return leave(p, left); store<u64>(rd, <u64>(y == 0 ? x : x % y)); continue;
        case H_ALU32 - 1 + 2 * 0xa: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0xa: store<u64>(rd, <u64>(x ^ y)); continue;
        case H_ALU32 - 1 + 2 * 0xb: return leave(p, left); // not fused
        case H_ALU32 + 2 * 0xb: store<u64>(rd, <u64>y); continue;
        case H_ALU32 - 1 + 2 * 0xc: next += RECORD_SIZE;
        case H_ALU32 + 2 * 0xc: store<u64>(rd, <u64><u32>(<i32>x >> (y & 31))); continue;
        case H_ALU32 - 1 + 2 * 0xd: return leave(p, left); // not fused
        case H_ALU32 + 2 * 0xd: return leave(p, left);
        case H_JMP64 - 1: return leave(p, left); // not fused
        case H_JA: next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0x1: return leave(p, left); // not fused
        case H_JMP64 + 2 * 0x1: if (a == b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0x2: if (!FUSE_PAIRS) return leave(p, left); a += b; store<u64>(rd, a); b = load<u64>(load<u32>(p, R_C)); next += RECORD_SIZE;
        case H_JMP64 + 2 * 0x2: if (a > b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0x3: if (!FUSE_PAIRS) return leave(p, left); a += b; store<u64>(rd, a); b = load<u64>(load<u32>(p, R_C)); next += RECORD_SIZE;
        case H_JMP64 + 2 * 0x3: if (a >= b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0x4: return leave(p, left); // not fused
        case H_JMP64 + 2 * 0x4: if ((a & b) != 0) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0x5: if (!FUSE_PAIRS) return leave(p, left); a += b; store<u64>(rd, a); b = load<u64>(load<u32>(p, R_C)); next += RECORD_SIZE;
        case H_JMP64 + 2 * 0x5: if (a != b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0x6: if (!FUSE_PAIRS) return leave(p, left); a += b; store<u64>(rd, a); b = load<u64>(load<u32>(p, R_C)); next += RECORD_SIZE;
        case H_JMP64 + 2 * 0x6: if (<i64>a > <i64>b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0x7: return leave(p, left); // not fused
        case H_JMP64 + 2 * 0x7: if (<i64>a >= <i64>b) next = <u32>t; break;
        case H_CALL_LOCAL - 1: return leave(p, left); // not fused
        case H_CALL_LOCAL: return leave(p, left);
        case H_EXIT - 1: return leave(p, left); // not fused
        case H_EXIT: return leave(p, left);
        case H_JMP64 - 1 + 2 * 0xa: if (!FUSE_PAIRS) return leave(p, left); a += b; store<u64>(rd, a); b = load<u64>(load<u32>(p, R_C)); next += RECORD_SIZE;
        case H_JMP64 + 2 * 0xa: if (a < b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0xb: if (!FUSE_PAIRS) return leave(p, left); a += b; store<u64>(rd, a); b = load<u64>(load<u32>(p, R_C)); next += RECORD_SIZE;
        case H_JMP64 + 2 * 0xb: if (a <= b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0xc: if (!FUSE_PAIRS) return leave(p, left); a += b; store<u64>(rd, a); b = load<u64>(load<u32>(p, R_C)); next += RECORD_SIZE;
        case H_JMP64 + 2 * 0xc: if (<i64>a < <i64>b) next = <u32>t; break;
        case H_JMP64 - 1 + 2 * 0xd: return leave(p, left); // not fused
        case H_JMP64 + 2 * 0xd: if (<i64>a <= <i64>b) next = <u32>t; break;
        case H_LDDW: store<u64>(rd, b); next += RECORD_SIZE; continue; // one instruction in two slots
        case H_JMP32 + 0x1: if (x == y) next = <u32>t; break;
        case H_JMP32 + 0x2: if (x > y) next = <u32>t; break;
        case H_JMP32 + 0x3: if (x >= y) next = <u32>t; break;
        case H_JMP32 + 0x4: if ((x & y) != 0) next = <u32>t; break;
        case H_JMP32 + 0x5: if (x != y) next = <u32>t; break;
        case H_JMP32 + 0x6: if (<i32>x > <i32>y) next = <u32>t; break;
        case H_JMP32 + 0x7: if (<i32>x >= <i32>y) next = <u32>t; break;
        case H_HELPER: return leave(p, left);
        case H_ATOMIC: return leave(p, left);
        case H_JMP32 + 0xa: if (x < y) next = <u32>t; break;
        case H_JMP32 + 0xb: if (x <= y) next = <u32>t; break;
        case H_JMP32 + 0xc: if (<i32>x < <i32>y) next = <u32>t; break;
        case H_JMP32 + 0xd: if (<i32>x <= <i32>y) next = <u32>t; break;
        // A load fused with the add of its address (fuseAddLoad; - 2: a mov before the add too): the add, then on into
        // the load's case as the load's own record, where the loop leaves when its inline check does not allow the
        // access, the add done, as run apart.
        case H_LDX - 2 + 3 * 0: if (!FUSE_PAIRS) return leave(p, left); next += RECORD_SIZE;
        case H_LDX - 1 + 3 * 0: if (!FUSE_PAIRS) return leave(p, left); b = a + b; store<u64>(load<u32>(p, R_C), b); p = next; next += RECORD_SIZE;
        case H_LDX + 3 * 0: { const m = b + <u64><i64>t; if (!readable(m, 4)) return leave(p, left); store<u64>(rd, <u64>load<u32>(<usize>m)); continue; }
        case H_LDX - 2 + 3 * 1: if (!FUSE_PAIRS) return leave(p, left); next += RECORD_SIZE;
        case H_LDX - 1 + 3 * 1: if (!FUSE_PAIRS) return leave(p, left); b = a + b; store<u64>(load<u32>(p, R_C), b); p = next; next += RECORD_SIZE;
        case H_LDX + 3 * 1: { const m = b + <u64><i64>t; if (!readable(m, 2)) return leave(p, left); store<u64>(rd, <u64>load<u16>(<usize>m)); continue; }
        case H_LDX - 2 + 3 * 2: if (!FUSE_PAIRS) return leave(p, left); next += RECORD_SIZE;
        case H_LDX - 1 + 3 * 2: if (!FUSE_PAIRS) return leave(p, left); b = a + b; store<u64>(load<u32>(p, R_C), b); p = next; next += RECORD_SIZE;
        case H_LDX + 3 * 2: { const m = b + <u64><i64>t; if (!readable(m, 1)) return leave(p, left); store<u64>(rd, <u64>load<u8>(<usize>m)); continue; }
        case H_LDX - 2 + 3 * 3: if (!FUSE_PAIRS) return leave(p, left); next += RECORD_SIZE;
        case H_LDX - 1 + 3 * 3: if (!FUSE_PAIRS) return leave(p, left); b = a + b; store<u64>(load<u32>(p, R_C), b); p = next; next += RECORD_SIZE;
        case H_LDX + 3 * 3: { const m = b + <u64><i64>t; if (!readable(m, 8)) return leave(p, left); store<u64>(rd, load<u64>(<usize>m)); continue; }
        case H_LDXSX + 0: return leave(p, left); // sign-extending loads (cpu v4): slowAccess
        case H_LDXSX + 1: return leave(p, left); // sign-extending loads (cpu v4): slowAccess
        case H_LDXSX + 2: return leave(p, left); // sign-extending loads (cpu v4): slowAccess
        case H_ST + 0: { const m = a + <u64><i64>t; if (!writable(m, 4)) return leave(p, left); store<u32>(<usize>m, y); continue; }
        case H_ST + 1: { const m = a + <u64><i64>t; if (!writable(m, 2)) return leave(p, left); store<u16>(<usize>m, <u16>y); continue; }
        case H_ST + 2: { const m = a + <u64><i64>t; if (!writable(m, 1)) return leave(p, left); store<u8>(<usize>m, <u8>y); continue; }
        case H_ST + 3: { const m = a + <u64><i64>t; if (!writable(m, 8)) return leave(p, left); store<u64>(<usize>m, b); continue; }
        case H_LD_PACKET: return leave(p, left);
        case H_LDXB_LSH: {
          if (!FUSE_PAIRS) return leave(p, left);
          const m = b + <u64><i64>t;
          if (!readable(m, 1)) return leave(p, left);
          store<u64>(rd, <u64>load<u8>(<usize>m) << load<u64>(p, R_IMM));
          next += RECORD_SIZE;
          continue;
        }
        case H_LDXB_LSH_OR64: {
          if (!FUSE_PAIRS) return leave(p, left);
          const m = b + <u64><i64>t;
          if (!readable(m, 1)) return leave(p, left);
          const v = <u64>load<u8>(<usize>m) << load<u64>(p, R_IMM);
          store<u64>(rd, v);
          const or = load<u32>(p, R_C);
          store<u64>(or, load<u64>(or) | v);
          next += 2 * RECORD_SIZE;
          continue;
        }
        case H_LDXB_LSH_OR32: {
          if (!FUSE_PAIRS) return leave(p, left);
          const m = b + <u64><i64>t;
          if (!readable(m, 1)) return leave(p, left);
          const v = <u64>load<u8>(<usize>m) << load<u64>(p, R_IMM);
          store<u64>(rd, v);
          const or = load<u32>(p, R_C);
          store<u64>(or, <u64>(load<u32>(or) | <u32>v));
          next += 2 * RECORD_SIZE;
          continue;
        }
        case H_LSH_ARSH64 - 1: if (!FUSE_PAIRS) return leave(p, left); next += RECORD_SIZE;
        case H_LSH_ARSH64: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, <u64>(<i64>(a << b) >> t)); next += RECORD_SIZE; continue;
        case H_LSH_ARSH32 - 1: if (!FUSE_PAIRS) return leave(p, left); next += RECORD_SIZE;
        case H_LSH_ARSH32: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, <u64><u32>(<i32>(x << y) >> t)); next += RECORD_SIZE; continue;
        // A mov and the conditional jump after it (fuseMovJump): a and b are the jump's, read before the mov's write.
        case H_MOV_JMP64 + 0: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (a == b) next = <u32>t; break;
        case H_MOV_JMP64 + 1: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (a > b) next = <u32>t; break;
        case H_MOV_JMP64 + 2: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (a >= b) next = <u32>t; break;
        case H_MOV_JMP64 + 3: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (a != b) next = <u32>t; break;
        case H_MOV_JMP64 + 4: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (<i64>a > <i64>b) next = <u32>t; break;
        case H_MOV_JMP64 + 5: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (a < b) next = <u32>t; break;
        case H_MOV_JMP64 + 6: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (a <= b) next = <u32>t; break;
        case H_MOV_JMP64 + 7: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (<i64>a < <i64>b) next = <u32>t; break;
        case H_MOV_JMP32 + 0: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (x == y) next = <u32>t; break;
        case H_MOV_JMP32 + 1: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (x > y) next = <u32>t; break;
        case H_MOV_JMP32 + 2: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (x >= y) next = <u32>t; break;
        case H_MOV_JMP32 + 3: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (x != y) next = <u32>t; break;
        case H_MOV_JMP32 + 4: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (<i32>x > <i32>y) next = <u32>t; break;
        case H_MOV_JMP32 + 5: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (x < y) next = <u32>t; break;
        case H_MOV_JMP32 + 6: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (x <= y) next = <u32>t; break;
        case H_MOV_JMP32 + 7: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next += RECORD_SIZE; if (<i32>x < <i32>y) next = <u32>t; break;
        case H_MOV_JA: if (!FUSE_PAIRS) return leave(p, left); store<u64>(rd, moved(p)); next = <u32>t; break;
        default: return leave(p, left); // a bad record: execute
      }
      break; // after a jump: charge the block it goes to
    }
  }
}

/** A tail call: -1 when the program must stop (fault), 0 to fall through, 1 to continue at the new program's start. */
function tailCall(pc: u32): i32 {
  const target = tailCallTarget(pc);
  if (faulted()) return -1;
  if (target < 0) return 0;
  dec = load<u32>(DECODED + (<u32>target << 2));
  return 1;
}

/**
 * The ALU operations the loop leaves to execute, rare in programs: signed division and modulo (32-bit ones on the
 * sign-extended operands: the 64-bit quotient's low half is the 32-bit one, MIN / -1 included), byte order.
 */
function aluOutside(h: u32, a: u64, b: u64, t: i32): u64 {
  const wide = h < <u32>H_ALU32;
  const op = (h - (wide ? <u32>H_ALU64 : <u32>H_ALU32)) >> 1;
  if (op == 0xd) return byteOrder(a, <u32>b, wide || t != 0); // bswap (ALU64) always swaps
  if (!wide) { a = <u64><i64><i32>a; b = <u64><i64><i32>b; }
  const r = sdivmod(a, b, op != 3);
  return wide ? r : <u64><u32>r;
}

/**
 * ALU le/be: truncate to `width` bits (16, 32, else 64), swapping the bytes when `swap` (this is a little-endian
 * machine). A byte at a time: a loop is smaller than asc's bswap, and byte order is rare in the programs that count.
 */
function byteOrder(a: u64, width: u32, swap: bool): u64 {
  const w: u64 = width == 16 || width == 32 ? width : 64;
  let v = a;
  if (swap) {
    v = 0;
    for (let i: u64 = 0; i < w; i += 8) v = v << 8 | (a >> i & 0xff);
  }
  return w == 64 ? v : v & ((<u64>1 << w) - 1);
}

/** A packet load that fell outside the packet ends the whole program, not only the current function. */
function unwindToExit(stopDepth: u32): void {
  while (depth > stopDepth) popFrame();
  setReg(0, 0);
}

/** LD_ABS / LD_IND: big-endian load from the packet into r0. Returns false when outside the packet. */
function packetLoad(offset: i64, size: u32): bool {
  const len = <i64>load<u32>(STATE + ST_PKT_LEN);
  if (offset < 0 || offset + <i64>size > len) return false;
  const a = load<u32>(STATE + ST_PKT) + <u32>offset;
  let v: u64 = 0;
  for (let i: u32 = 0; i < size; i++) v = v << 8 | <u64>load<u8>(a + i);
  setReg(0, v);
  return true;
}

/** Atomic read-modify-write (single-threaded here, so plain loads and stores are atomic). */
function atomic(a: usize, size: u32, src: u32, imm: i32): void {
  const op = <u32>imm;
  const is64 = size == 8; // typed loads and stores: memory.copy is a call into the engine, slow for a few bytes
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

// Unsigned division follows RFC 9669 too: x / 0 = 0, x % 0 = x.
@inline function udiv64(a: u64, b: u64): u64 { return b == 0 ? 0 : a / b; }
@inline function umod64(a: u64, b: u64): u64 { return b == 0 ? a : a % b; }
// Signed division and modulo (RFC 9669): x / 0 = 0, x % 0 = x, and MIN / -1 wraps instead of trapping.
function sdivmod(a: u64, b: u64, mod: bool): u64 {
  if (b == 0) return mod ? a : 0;
  if (b == u64.MAX_VALUE) return mod ? 0 : 0 - a;
  return <u64>(mod ? <i64>a % <i64>b : <i64>a / <i64>b);
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
