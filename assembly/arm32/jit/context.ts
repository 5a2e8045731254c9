// The state of one translation, in one object, as the Linux ARM32 JIT's `struct jit_ctx` and uBPF's
// `struct jit_state`: the output buffer and labels it extends (a32/code.ts, a32/labels.ts), the eBPF program and
// its tables, the register table, what the emitters know at the current instruction, and what the runtime, the
// helpers, the maps and the driver were told about the image. index.ts makes one per translation (both passes use
// it) and every emitter takes it as its first argument; nothing else in the translator holds state.
//
// Where the tables live: the instructions and the per-instruction tables are in the module's memory from 0x10000
// (index.ts), the label table at 0x8000 (a32/labels.ts), the loop tables from 0x9000 (analysis/loops.ts); objects
// like this one come from the heap below 0x8000 (index.ts checks that it stays there).

import { IP, R4, R5, R6, R7, R8, R9 } from "../a32/encoder";
import { Labels } from "../a32/labels";
import { Widths } from "../analysis/ranges";
import { ERR_NONE } from "../../../targets/arm32/abi";
import { L_CODE, S_REGS } from "../../../targets/arm32/image";

// Per-instruction flags (the u8 table at `flags`)
export const F_LEADER: u8 = 1; // starts a basic block
export const F_FUNC: u8 = 2; // starts a subprogram (target of a bpf-to-bpf call)
export const F_PROG: u8 = 4; // starts a program (the image's first, or a tail call's target)
export const F_TARGET: u8 = 8; // a jump, call or program entry lands here (a block's start only after a jump is not)
export const F_JOINED: u8 = 16; // more than one of those lands here

/** In the instruction-offset table: the entry of lddw's second slot (the first slot's code, this bit set). */
export const SECOND_SLOT: u32 = 0x80000000;
export const MAX_GIVEN_BACK: i32 = 4; // jit/budget.ts: ways out of a chain whose give-back a converted block may join

export class Context extends Labels {
  // The eBPF program and the translator's tables (see index.ts prepare())
  insns: usize = 0; // the instructions
  count: i32 = 0;
  offsets: usize = 0; // u32 per instruction: code offset from L_CODE (| SECOND_SLOT)
  flags: usize = 0; // u8 per instruction: F_* above
  states: usize = 0; // u32 per instruction: hiZero at the start of each basic block (leaders only)
  widths: usize = 0; // ranges.STATE_BYTES per instruction: the value widths there (leaders only, see ranges.ts)
  frames: usize = 0; // u8 per instruction: accesses proven in the frame, frame addresses (analysis/frame-ranges.ts)
  spare: usize = 0; // where the image goes, free while measuring: analysis/frame-ranges.ts works there
  options: u32 = 0; // OPT_* (targets/arm32/abi.ts)
  budget: u32 = 0; // instructions per run, 0 = unlimited
  // per program id: the instruction where that program starts (-1: not in the image), its name's address and length
  progTable: usize = 0;
  progIds: i32 = 0;
  errorCode: i32 = ERR_NONE;
  errorIndex: i32 = 0;

  // Where each eBPF register lives (translate.ts allocateRegisters; in a loop copy, loopregs.ts): its ARM low and
  // high register, each -1 when that word is in the register file (a copy may keep only the low word in an ARM one)
  armLo: StaticArray<i32> = new StaticArray<i32>(11);
  armHi: StaticArray<i32> = new StaticArray<i32>(11);
  score: StaticArray<i64> = new StaticArray<i64>(13); // allocateRegisters' and loopregs.ts's scratch
  /** The emitters' fifth scratch register: ip, or lr in a loop copy that keeps eBPF registers in r10 and ip. */
  XR: i32 = IP;

  // What the emitters know at the current instruction (jit/regs.ts, jit/step.ts), and the value widths there
  ranges: Widths = new Widths(); // analysis/ranges.ts
  hiZero: u32 = 0; // bit n: eBPF rn's high word is known to be 0 here
  hiOwed: i32 = -1; // owedhigh.ts: the eBPF register whose high word r1 holds, not yet stored to the register file
  hiOwedTo: i32 = -1; // ... the instruction that reads it there
  hiKeep: i32 = -1; // owedhigh.ts mayKeepHigh: the register whose high word setHi may leave in r1 for the next one
  hiLate: u32 = 0; // latehigh.ts: registers whose zero high word is known but not yet in their ARM register
  lateOk: bool = false; // latehigh.ts: a zero high word written now may be left for later
  blockStart: i32 = 0; // code position where the current basic block's instructions begin
  insnStart: i32 = 0; // code position where the current eBPF instruction's code begins
  insnIndex: i32 = 0; // the eBPF instruction being emitted (the first of a fused group)
  forwardFrom: i32 = 0x7fffffff; // code from here on runs only after the code before it: a store may be forwarded
  addrOff: i32 = 0; // memory.ts: the offset an access adds to address()'s register
  addrAligned: bool = false; // memory.ts: address() found the access aligned to its size (a map value's word)
  handleEntries: i32 = -1; // mapvalue.ts: some function is entered through a handle (1) or none is (0); -1: not yet known
  frameFixed: i32 = -1; // regs.ts fixedFrame: r10 is the entry frame's top everywhere (1) or not (0); -1: not yet known
  // select.ts: a jump's skipped instructions being emitted to run under a condition: their first word, the join
  // (the jump's target; -1: none), and the condition (the jump's, inverted)
  selectFrom: i32 = 0;
  selectEnd: i32 = -1;
  selectCond: u32 = 0;
  selectJump: i32 = -1; // the jump being converted, then the last converted
  selectJoin: i32 = -1; // ... and its join
  selectBranch: bool = false; // the skipped code is one unconditional jump's branch (conditioned alone)
  // jumps.ts: the last 32-bit comparison (a jump's cmp or tst), for a later jump to reuse its flags (select.ts
  // flagsHold): its jump (-1: none), what it compared, and where its code ends
  cmpJump: i32 = -1;
  cmpKey: u64 = 0;
  cmpEnd: i32 = 0;
  spreadSigned: u32 = 0; // extend.ts: registers whose char a load sign-extended ahead of their arsh32 by 24

  // The image (index.ts tells these before the driver and the runtime are emitted)
  pairChecks: u32 = 0; // memory.ts noteChecks: the L_CHECK entries that get L_CHECK_PAIR stubs
  insnCount: i32 = 0; // instructions in the image: function handles name one of them
  usedHostless: u32 = 0; // calls.ts: bit k, routine L_HELPERS + k is compiled in
  mapCount: i32 = 0; // maps in the image: the map helpers are compiled in when there is at least one
  programIds: i32 = 0; // program ids the image knows (tail calls): 0 = bpf_tail_call is not compiled in
  programStarts: i32 = 1; // programs in the image: the driver maps fault indexes back to them
  families: u32 = 0; // maps/common.ts F_*: the map families the image holds
  mapsInImage: i32 = 0;
  mapData: usize = 0; // the map area's initial bytes (descriptors first), for what calls can know (jit/lookup.ts)
  driverOpts: u32 = 0; // the options, for emitDriverStrings (after the code)
  // Where each part of the image ends (abi.ts SEC_*): for measuring what an executable is made of
  sectionEnds: StaticArray<i32> = new StaticArray<i32>(16);

  // Loops (analysis/loops.ts) and their versioned copies (versioned.ts, jit/copies.ts)
  loops: i32 = 0; // counted loops found
  leaderBit: u8 = 1; // findLoops: the flags that mark a block start, a subprogram or program start
  funcBits: u8 = 6;
  poolUsed: i32 = 0; // entries of POOL (loops.ts) in use: code positions of copied instructions
  depth: i32 = 0; // copies being emitted, outermost first: their loops and first POOL entries
  copyLoop: StaticArray<i32> = new StaticArray<i32>(16); // MAX_LOOPS deep at most
  copyBase: StaticArray<i32> = new StaticArray<i32>(16);
  copies: i32 = 0; // copies emitted (COPY_TABLE, for the listing)
  // A copy's own register allocation (jit/loopregs.ts): while `local`, armLo / armHi are the copy's and
  // globalLo / globalHi the ordinary code's, restored on every way out; constants the copy keeps in registers
  local: bool = false;
  globalLo: StaticArray<i32> = new StaticArray<i32>(11);
  globalHi: StaticArray<i32> = new StaticArray<i32>(11);
  localWrites: u32 = 0; // the registers the copy writes (the others' slots stay valid: no store on the way out)
  constCount: i32 = 0;
  constValues: StaticArray<u32> = new StaticArray<u32>(12); // as many as ARM registers a copy may take
  constRegs: StaticArray<i32> = new StaticArray<i32>(12);
  candScore: StaticArray<i32> = new StaticArray<i32>(32); // loopregs.ts's scratch: registers, then constants
  candValue: StaticArray<u32> = new StaticArray<u32>(32);
  candWide: u32 = 0; // the registers an instruction of the loop may give a high word other than 0
  candHiUses: StaticArray<i32> = new StaticArray<i32>(11); // per register: instructions touching its high word
  // Byte-assembled words in a copy (jit/bytes.ts): per register r0-r9 whose value is deferred (bit r of
  // byteMask), its base register and the bytes or-ed into it, each an offset from the base and a shift
  byteMask: u32 = 0;
  byteHiOwed: u32 = 0; // registers whose zero high word bytes.ts counts as written but has not written yet
  byteBase: StaticArray<i32> = new StaticArray<i32>(10);
  byteCount: StaticArray<i32> = new StaticArray<i32>(10);
  byteOffs: StaticArray<i32> = new StaticArray<i32>(80);
  byteShifts: StaticArray<i32> = new StaticArray<i32>(80);
  liveStarts: StaticArray<i32> = new StaticArray<i32>(32); // jit/liveness.ts's scratch: the paths to walk
  // One check for a group of loads (jit/groups.ts): the group whose copy is pending (groupEnd >= 0) or being
  // emitted (grouping), its loads (bit j - groupFirst), base register and span, the test's branches to the copy,
  // where the ordinary code starts after the test, and what was known there
  grouping: bool = false;
  groupFirst: i32 = 0;
  groupEnd: i32 = -1;
  groupMask: u64 = 0;
  groupBase: i32 = 0;
  groupLow: i32 = 0;
  groupLen: i32 = 0;
  groupPass: i32 = 0;
  groupFound: i32 = 0;
  groupBody: i32 = 0;
  groupHiZero: u32 = 0;
  groups: i32 = 0; // tests emitted in this pass (L_RANGE is emitted when there are any)
  // A copy's budget charged a chain of blocks at a time (jit/budget.ts): what was charged for blocks not yet
  // entered, and the next of them
  owed: u32 = 0;
  chainNext: i32 = -1;
  // ... the chain's charge while a converted block may still join it (-1: none), what it charges, the ways out
  // since that give back part of it, and the join where a converted block is given back when skipped (select.ts)
  chargeAt: i32 = -1;
  chargeTotal: u32 = 0;
  givenBacks: i32 = 0;
  givenBackAt: StaticArray<i32> = new StaticArray<i32>(MAX_GIVEN_BACK);
  givenBackLen: StaticArray<u32> = new StaticArray<u32>(MAX_GIVEN_BACK);
  backJoin: i32 = -1;
  backLen: u32 = 0;
  backCond: u32 = 0;

  /** The image's part `k` (abi.ts SEC_*) ends here. */
  endSection(k: i32): void { this.sectionEnds[k] = this.pos; }

  constructor() {
    super();
    // Until allocateRegisters has run (the first pass's driver and runtime): the kernel JIT's choice
    for (let r = 0; r < 11; r++) {
      unchecked(this.armLo[r] = -1);
      unchecked(this.armHi[r] = -1);
    }
    this.heldLimit = S_REGS + 8 * 11; // the register file: what a32/code.ts holds() tracks
    unchecked(this.armLo[0] = R4);
    unchecked(this.armHi[0] = R5);
    unchecked(this.armLo[1] = R6);
    unchecked(this.armHi[1] = R7);
    unchecked(this.armLo[6] = R8);
    unchecked(this.armHi[6] = R9);
  }
}

@inline export function opcode(c: Context, i: i32): u32 { return load<u8>(c.insns + (<usize>i << 3)); }
@inline export function dstOf(c: Context, i: i32): i32 { return load<u8>(c.insns + (<usize>i << 3) + 1) & 15; }
@inline export function srcOf(c: Context, i: i32): i32 { return load<u8>(c.insns + (<usize>i << 3) + 1) >> 4; }
@inline export function offOf(c: Context, i: i32): i32 { return load<i16>(c.insns + (<usize>i << 3) + 2); }
@inline export function immOf(c: Context, i: i32): i32 { return load<i32>(c.insns + (<usize>i << 3) + 4); }
@inline export function flagOf(c: Context, i: i32): u8 { return load<u8>(c.flags + <usize>i); }

/**
 * The registers instruction i names as operands: bit n for rn as its destination operand, bit 16 + n for rn as its
 * source (both bits count when one register is both). ALU (src only when it is a register), loads and stores,
 * conditional jumps, lddw's destination; calls, exit, `ja` and legacy packet loads name none here: the register
 * choices (translate.ts, loopregs.ts) weigh those themselves.
 */
export function operandRegs(c: Context, i: i32): u32 {
  const op = opcode(c, i);
  const cls = op & 7;
  const d = <u32>1 << <u32>dstOf(c, i);
  const s = <u32>0x10000 << <u32>srcOf(c, i);
  const x = (op & 8) != 0; // SRC_X
  if (cls == 4 || cls == 7) return x ? d | s : d; // ALU, ALU64
  if (cls == 1 || cls == 3) return d | s; // LDX, STX
  if (cls == 2) return d; // ST
  if (cls == 5 || cls == 6) { // JMP, JMP32
    const code = op & 0xf0;
    return code == 0x00 || code == 0x80 || code == 0x90 ? 0 : x ? d | s : d;
  }
  return op == 0x18 ? d : 0;
}

/** Records a translation error at instruction i; returns false for the caller to return. */
export function fail(c: Context, code: i32, i: i32): bool {
  c.errorCode = code;
  c.errorIndex = i;
  return false;
}

/** The code position of instruction t in the ordinary code (from the offset table: exact in the second pass). */
export function targetPos(c: Context, t: i32): i32 {
  return c.at(L_CODE) + <i32>(load<u32>(c.offsets + (<usize>t << 2)) & ~SECOND_SLOT);
}
