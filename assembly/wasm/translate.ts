// eBPF -> WebAssembly: turns a linked program into the bytes of a Wasm module that imports the core's memory and
// runs the program with the interpreter's semantics (assembly/interp.ts is the reference).
//
// The generated module
//   imports  env.memory     the core's linear memory (registers file, stacks, contexts, maps)
//            env.helper     (id, pc) -> ok              the core's helperCall: reads r1-r5, writes r0 in REGS
//            env.tail       (pc) -> program or -1      the core's tailCallTarget: reads r2, r3 from REGS
//            env.access     (addr, size, write) -> ok   the core's accessAllowed (the region table)
//            env.tail_run   (prog, r1..r5, fp, r0, r6..r9) -> r0, r1..r5 in REGS: the host runs another program
//            env.map_lookup (map id, key) -> value or 0     the core's mapLookup (inline-lookup.ts)
//   exports  run(r1, r2, budget) -> r0                  after the core's runBegin(prog, r1, r2, 1)
//            callback(handle, r1..r4) -> r0             bpf_loop & co. (the core calls env.host_callback)
//            tail_entry(r1..r5, fp, r0, r6..r9) -> r0   entry for a tail call into this program
//            remaining() -> instructions left of the budget
//
// Register model (one Wasm function per eBPF function, i.e. per entry: 0, call targets, function handles):
//   params  r1..r5 (0..4, i64), fp (5, i32: r10, read as fp zero-extended), r0 (6), r6..r9 (7..10) (i64)
//   results r0..r5
//   locals  cnt (budget left), t, t2 (addresses, divisors), next (dispatcher), ti, fb (fp - 512)
//   (prelude.ts numbers the module's types, functions and globals)
// A bpf-to-bpf call is a Wasm call: the callee gets every register (the interpreter shares one register file, and
// a program may read what a caller or callee left) and a new frame, fp + 512; the caller takes back r0-r5 and
// keeps its r6-r9, which live in its own locals. Around helper calls r0-r9 go through REGS.
//
// Faults and stops: the code records the fault in STATE (like the interpreter) and returns; after every call the
// caller checks ST_FAULT | ST_STOPPED and returns too. LD_ABS/LD_IND outside the packet sets ST_STOPPED = 2 and
// REGS[0] = 0 (a callback's entry clears it: the interpreter ends only the callback there).
//
// Memory: an access through r10 with a constant offset inside the frame needs no check (fb + offset + 512). Any
// other access is checked like the interpreter does, fastest first: the region the last checked load (or store)
// was found in, cached in STATE + ST_WASM_CACHE (one compare); then a search of the region table, inline, which
// refills the cache. The caches start as the frames in use (region 0 is [STACK_BASE, fp)), at function entry and
// after every call (a helper may change the region table). An access the search does not allow records its fault
// inline (the exact copy asks the core's accessAllowed instead, prelude.ts: check). An access inside a map value that
// a lookup found inline, through its pointer where a test said it is not null, needs instead one compare of the
// value's size (values.ts: a local the lookup sets) and the cache only past it. A counted loop (hoist.ts) is
// emitted twice in the fast version: a test before it checks, in one search of the region table per access, the
// whole range each access can reach over the loop, and picks the copy without those accesses' checks when every
// range is allowed (see versioned); a loop around one such loop (nests.ts) is tested so for the inner loop's
// accesses over the trips of both, and the inner loop runs in its copy with no test of its own. In those copies,
// an add that makes such an access's address is done in 32 bits (see narrow): V8 then needs no zero-extension of
// the address for the access; an offset >= 0 of an access without a check goes in its memarg (memOffset).
// Outside such copies, in a block of a loop, the accesses off one base register that does not change between them
// share one compare of their whole span with the cache (groups.ts), which picks a copy of the rest of the block
// without their checks (see grouped).
// Arithmetic is the interpreter's, one eBPF instruction at a time, but for clang's rotate of a 32-bit product
// (five instructions: eBPF has no rotate), emitted as one i32.rotl (see rotateOr), a sign extension by a shift pair,
// emitted as one Wasm sign extension (see signExtension), and in the fast version a jump over one mov whose
// register decides a branch of a later trip (a binary search's bounds, a CRC's state), emitted as a select (see
// selected).
//
// Budget: `cnt` (instructions left) goes down by each segment's length, a segment being a run of instructions
// ending at one whose effect can be seen (a checked load or store, a call, a jump, an exit, a packet load); the
// fast version below counts a block's checked accesses with the rest of the block (see flushExact).
// Each eBPF function is emitted twice:
//   fast   checks the budget only at checkpoints (entry, loop headers, after calls): is there enough left for
//          the longest run of instructions to the next checkpoint? Then nothing in between can run out. A
//          counted loop of one block (hoist.ts) is checked and counted once, on entry, for all its trips; a loop
//          whose trips are bounded on entry (counted.ts: one that can leave early, has branches, or lies inside
//          another versioned loop) is checked there and counted a trip at a time, its longest way at the header,
//          with no checkpoint (see leaveTrip).
//   exact  a br_table dispatcher that checks before every segment's last instruction, so that a budget fault
//          names the interpreter's instruction; the fast version continues in it, from the checkpoint's block,
//          when a check fails. V8 compiles it only if it is ever called.
// Register-only instructions and in-frame stack accesses through r10 are counted with the segment they precede:
// when the budget runs out among them, the exact copy may already have written the current frame where the
// interpreter stopped earlier (the frame is dead once the run has faulted). lddw counts once and starts a segment.
import {
  CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64, SZ_W, SZ_H, SZ_B, MODE_ABS, MODE_IND, MODE_MEMSX,
  MODE_ATOMIC, ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_CMPXCHG, CALL_LOCAL, CALL_HELPER,
  OP_LDDW, STACK_SIZE,
} from "../isa";
import {
  STATE, REGS, REGIONS, STACK_BASE, STACK_END, FUNC_HANDLE_TAG, ST_FAULT, ST_EXECUTED, ST_STOPPED, ST_PKT,
  ST_PKT_LEN, ST_REGION_COUNT, ST_WASM_CACHE, REGION_SIZE, FAULT_BAD_INSN, FAULT_BAD_MAP, ST_FAULT_PC, ST_FAULT_ADDR, ST_FAULT_SIZE,
  FAULT_READ, FAULT_WRITE,
} from "../layout";
import {
  Buf, T_I32, T_I64, W_RETURN, W_DROP, W_BR_TABLE, W_I32_LOAD, W_I64_LOAD, W_I64_LOAD8_S, W_I64_LOAD8_U,
  W_I64_LOAD16_S, W_I64_LOAD16_U, W_I64_LOAD32_S, W_I64_LOAD32_U, W_I32_STORE, W_I64_STORE, W_I64_STORE8,
  W_I64_STORE16, W_I64_STORE32, W_I32_EQZ, W_I32_EQ, W_I32_GE_U, W_I32_ADD, W_I32_SUB, W_I32_AND, W_I32_OR,
  W_I32_SHR_U, W_I64_EQZ, W_I64_EQ, W_I64_NE, W_I64_LT_S, W_I64_GT_U, W_I64_ADD, W_I64_SUB, W_I64_LT_U, W_I64_DIV_S,
  W_I64_DIV_U, W_I64_REM_S, W_I64_REM_U, W_I64_AND, W_I64_OR, W_I64_SHR_U, W_I64_XOR, W_I32_GE_S, W_CMP_I64_TO_I32,
  W_I32_GT_S, W_I32_LT_S, W_I32_LT_U, W_I32_NE, W_SELECT,
  W_ARITH_I64_TO_I32, W_I32_WRAP_I64, W_I64_EXTEND_I32_S, W_I64_EXTEND_I32_U, W_I32_EXTEND8_S, W_I32_EXTEND16_S,
  W_I64_EXTEND8_S, W_I64_EXTEND16_S, W_I64_EXTEND32_S, W_I32_MUL, W_I64_LE_U, W_I64_GE_S,
  W_I64_SHL, W_I64_ROTL, W_I32_SHL, W_I32_ROTL, W_I64_MUL, W_I64_GE_U, W_I64_LE_S, W_I64_GT_S,
} from "./emitter";
import { LoopPlan, written, POST, SUM_SLOT, FACT } from "./hoist";
import { inlineMapCall } from "./inline-lookup";
import { ByteLoads, SAVED } from "./bytes";
import { Groups, KEYS, planGroups } from "./groups";
import { markFrameIndexed } from "./frame-index";
import { CONT_NE, CONT_LE, CONT_GE } from "./counted";
import { planAt, NEST_QIV } from "./nests";
import { assumption } from "./facts";
import { reducibleCfg } from "./split";
import { selectBlock } from "./selects";
import { signedLoad } from "./signed-loads";
import {
  Cfg, CfgScratch, buildCfg, END_FALL, END_COND, END_EXIT, opAt, immAt, insnLen, inLoop, tripRests,
} from "./cfg";
import {
  TY_FUNC, TY_HELPER, TY_TAIL, TY_ACCESS, TY_TAIL_RUN, TY_FAULT, TY_BUDGET, TY_RUN, TY_CALLBACK, TY_GETTER,
  TY_CHECK, TY_TAIL_ENTRY, TY_LOOKUP, HEAD, GLOBALS_EXPORTS, F_HELPER, F_TAIL, F_TAIL_RUN, F_FAULT, F_BUDGET,
  F_RUN, F_CALLBACK, F_TAIL_ENTRY, F_REMAINING, F_CHECK, F_FIRST, G_REMAINING, G_START, addBody,
  faultCall, depthFault, setStackTop, faultBody, budgetBody, runBody, tailEntryBody, checkBody,
  remainingBody,
} from "./prelude";
import {
  L_FP, L_R0, L_CNT, L_T, L_T2, L_NEXT, L_TI, L_FB, L_D, L_N, L_OK, L_SAVED, L_TRIPS, L_VALUE, regLocal,
} from "./locals";
import { leaveBlock, step, NOT_NULL } from "./values";

// Versioned loops' entry test pays when a loop runs more than a few trips (one trip of a search that stops at its
// first compare does not): each entry takes TOLL from L_TRIPS, each trip of a checked copy gives one back, and the
// test is skipped while the balance is below -SKIP_BELOW (floored at -TRIPS_FLOOR, so a run of long loops after
// short ones soon tests again). Unchecked copies do not count: a long loop there keeps testing until TOLL per entry
// has run the balance down, then one entry through the checked copy counts its trips back.
const TOLL: i32 = 4;
const SKIP_BELOW: i32 = 8;
const TRIPS_FLOOR: i32 = 64;
// The region cache of checked loads (RB, RL) and of stores (WB, WL), i64 each at STATE + ST_WASM_CACHE: a region
// [RB, RB + RL + 8) (RL >= 0) that the region table allows, so that the common check is one compare,
// addr - RB <= RL (see checked). It lives in memory, not in locals: the cold path that refills it then defines no
// value that the loop around the access carries, and V8 keeps more of the eBPF registers in machine registers.
const C_RB: u32 = STATE + ST_WASM_CACHE;
const C_RL: u32 = STATE + ST_WASM_CACHE + 8;
const C_WB: u32 = STATE + ST_WASM_CACHE + 16;
const C_WL: u32 = STATE + ST_WASM_CACHE + 24;

const HELPER_LOOKUP_ELEM: i32 = 1;
const HELPER_DELETE_ELEM: i32 = 3;
const HELPER_TAIL_CALL: i32 = 12;
const STOP_PACKET: i32 = 2; // ST_STOPPED value for LD_ABS/LD_IND outside the packet

// Context entries of the structurer: label kind in the low 2 bits, block number above.
const CTX_LOOP: i32 = 0;
const CTX_BLOCK: i32 = 1;
const CTX_IF: i32 = 2; // also any other construct without a label of its own
const CTX_BAIL: i32 = 3; // the function's exit block, always ctx[0] (ctx[1] is its budget exit)

// i64 comparison opcode per jump operation (index: jop >> 4); 0 = not a comparison
const CMP64: StaticArray<u8> = [0, 0x51, 0x56, 0x5a, 0, 0x52, 0x55, 0x59, 0, 0, 0x54, 0x58, 0x53, 0x57, 0, 0];
// i64 arithmetic opcode per ALU operation (index: aop >> 4) for the plain two-operand ones; 0 = special
const ARITH64: StaticArray<u8> = [0x7c, 0x7d, 0x7e, 0, 0x84, 0x83, 0x86, 0x88, 0, 0, 0x85, 0, 0x87, 0, 0, 0];

@inline function sizeBytes(op: u32): i32 {
  const s = op & 0x18;
  return s == SZ_B ? 1 : s == SZ_H ? 2 : s == SZ_W ? 4 : 8;
}

/** Functions in the last translation, and how many of them needed the br_table dispatcher. */
export let statFunctions: u32 = 0;
export let statDispatched: u32 = 0;

export class Translator {
  code: usize;
  count: i32;
  entries: Array<i32> = []; // entry instruction of each function
  funcOf: StaticArray<i32>; // instruction -> function number, -1 when not an entry
  out: Buf = new Buf(4096); // body of the function being translated (reused)
  scratch: CfgScratch;
  /** Set when the translation went wrong (a branch target not in scope): the host must not use the module. */
  failed: bool = false;
  g: Cfg = new Cfg();
  ctx: Array<i32> = [];
  pending: i32 = 0; // instructions counted but not yet checked against the budget
  segStart: i32 = 0;
  segLddw: bool = false;
  dispatch: bool = false; // the current function uses the br_table dispatcher
  fast: bool = false; // budget checks at checkpoints only (see func)
  startGlobal: bool = false; // the dispatcher starts at the block in G_START
  funcIndex: i32 = 0;
  /** Per instruction: inside how many loop copies emitted now its access needs no check (see versioned). */
  proven: StaticArray<u8>;
  /** Inside the checked copy of a versioned loop: its inner loops are not versioned (the copies stay linear). */
  noVersion: i32 = 0;
  /** Inside a versioned loop's copy whose budget was counted before it: no checkpoint, no counting. */
  noBudget: bool = false;
  /** The block of one mov that the block being emitted jumps over as a select (see selected), else -1. */
  selectMov: i32 = -1;
  /** Header of the loop whose copy counts the budget a trip at a time (see versioned), else -1. */
  tripHead: i32 = -1;
  tripLen: i32 = 0;
  tripRest: StaticArray<i32> = new StaticArray<i32>(0); // per block of that loop (cfg.ts: tripRests)
  /** Inside how many versioned loops' unchecked copies. */
  versionDepth: i32 = 0;
  /** The or32 that ends a rotate of a product whose rsh32 was emitted as the rotate (see rotateOr), else -1. */
  rotated: i32 = -1;
  /** The arsh of a shift pair emitted with its lsh as one sign extension (see signExtension). */
  extended: i32 = -1;
  /** The lsh of a shift pair emitted with the load before it as one sign-extending load (signed-loads.ts). */
  loadExtended: i32 = -1;
  /** The block's byte loads not emitted yet (bytes.ts). */
  bytes: ByteLoads = new ByteLoads();
  /** The current block's accesses checked as groups (groups.ts). */
  groups: Groups;
  /** The map value pointers (values.ts) before the instruction being emitted, and after it. */
  valuesNow: i32 = 0;
  valuesNext: i32 = 0;
  /** Per block of the current function: the value pointers it starts with (values.ts). */
  valuesInto: StaticArray<i32> = new StaticArray<i32>(0);

  constructor(code: usize, count: i32) {
    statFunctions = 0;
    statDispatched = 0;
    this.code = code;
    this.count = count;
    this.funcOf = new StaticArray<i32>(count);
    this.scratch = new CfgScratch(count);
    this.proven = new StaticArray<u8>(count);
    this.groups = new Groups(count);
    for (let i = 0; i < count; i++) this.funcOf[i] = -1;
    this.addEntry(0);
    const half = new StaticArray<u8>(count); // second halves of lddw: never an entry
    for (let pc = 0; pc < count; pc++) if (opAt(code, pc) == <u32>OP_LDDW && pc + 1 < count) half[++pc] = 1;
    for (let pc = 0; pc < count; pc++) {
      const op = opAt(code, pc);
      if (op == 0x85 && (<u32>load<u8>(code + (<usize>pc << 3), 1) >> 4) == <u32>CALL_LOCAL) {
        this.addEntry(pc + 1 + immAt(code, pc));
      } else if (op == <u32>OP_LDDW && pc + 1 < count) {
        // A linked function handle (PSEUDO_FUNC resolved by the runtime): tag above, instruction below.
        const target = immAt(code, pc);
        if (<u32>immAt(code, pc + 1) == <u32>FUNC_HANDLE_TAG && target >= 0 && target < count && half[target] == 0) {
          this.addEntry(target);
        }
        pc++;
      }
    }
  }

  private addEntry(pc: i32): void {
    if (pc < 0 || pc >= this.count || this.funcOf[pc] >= 0) return;
    this.funcOf[pc] = this.entries.length;
    this.entries.push(pc);
  }

  /** The whole module. */
  module(): Buf {
    const m = new Buf(1024 + <u32>this.count * 24);
    m.bytes(HEAD);

    const nf = this.entries.length;
    const funcs = new Buf(64 + <u32>nf * 2);
    funcs.u32(<u32>(F_FIRST - F_FAULT) + <u32>nf * 2);
    funcs.u32(TY_FAULT); funcs.u32(TY_BUDGET);
    funcs.u32(TY_RUN); funcs.u32(TY_CALLBACK); funcs.u32(TY_TAIL_ENTRY); funcs.u32(TY_GETTER);
    funcs.u32(TY_CHECK);
    for (let i = 0; i < nf * 2; i++) funcs.u32(TY_FUNC); // each function, then its exact copy
    m.section(3, funcs);

    m.bytes(GLOBALS_EXPORTS);

    const codes = new Buf(1024 + <u32>this.count * 24);
    codes.u32(<u32>(F_FIRST - F_FAULT) + <u32>nf * 2);
    addBody(codes, faultBody());
    addBody(codes, budgetBody());
    addBody(codes, runBody());
    addBody(codes, this.callbackBody());
    addBody(codes, tailEntryBody());
    addBody(codes, remainingBody());
    addBody(codes, checkBody());
    const cfgs = new Array<Cfg>();
    for (let i = 0; i < nf; i++) {
      const g = reducibleCfg(this.code, buildCfg(this.code, this.count, this.entries[i], this.scratch));
      cfgs.push(g);
      markFrameIndexed(this.code, g, this.proven);
      statFunctions++;
      if (!g.reducible) statDispatched++;
      addBody(codes, this.func(g, i, false));
    }
    for (let i = 0; i < nf; i++) addBody(codes, this.func(cfgs[i], i, true));
    m.section(10, codes);
    return m;
  }

  // ---- the exported entry points that depend on the program ----

  private callbackBody(): Buf {
    // params: handle (0), r1..r4 (1..4); locals: fp (5, i32), r0 (6), r1..r5 (7..11) (i64)
    // The callback starts with r5, r0 and r6-r9 as REGS holds them (the helper's caller stored them) and leaves
    // r0-r5 there, as the interpreter, whose registers are REGS, does.
    const b = new Buf(256);
    b.u32(2); b.u32(1); b.byte(T_I32); b.u32(6); b.byte(T_I64);
    b.get(0); b.i64c(32); b.op(W_I64_SHR_U); b.i64c(<i64><u32>FUNC_HANDLE_TAG); b.op(W_I64_NE);
    b.if_(); faultCall(b, FAULT_BAD_MAP, 0, 0, 0); b.i64c(0); b.op(W_RETURN); b.end();
    b.i32c(0); b.mem(W_I32_LOAD, 2, REGIONS + 4); b.tee(5); b.i32c(STACK_END); b.op(W_I32_GE_U);
    b.if_(); depthFault(b, 0, 5); b.i64c(0); b.op(W_RETURN); b.end();
    b.get(5); b.i32c(STACK_SIZE); b.op(W_I32_ADD); b.set(5);
    setStackTop(b, 5);
    b.block();
    for (let i = 0; i < this.entries.length; i++) {
      b.get(0); b.op(W_I32_WRAP_I64); b.i32c(this.entries[i]); b.op(W_I32_EQ);
      b.if_();
      b.get(1); b.get(2); b.get(3); b.get(4); b.i32c(0); b.mem(W_I64_LOAD, 3, REGS + 40); b.get(5);
      for (let r: u32 = 0; r <= 9; r++) if (r == 0 || r >= 6) { b.i32c(0); b.mem(W_I64_LOAD, 3, REGS + r * 8); }
      b.call(F_FIRST + <u32>i);
      for (let l: u32 = 11; l >= 6; l--) b.set(l); // r5..r1, r0
      for (let r: u32 = 0; r <= 5; r++) { b.i32c(0); b.get(6 + r); b.mem(W_I64_STORE, 3, REGS + r * 8); }
      b.br(1);
      b.end();
    }
    faultCall(b, FAULT_BAD_MAP, 0, 0, 0);
    b.end();
    // An LD_ABS stop ends only the callback (r0 = 0); a helper's stop returns the helper's r0.
    b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_STOPPED); b.i32c(STOP_PACKET); b.op(W_I32_EQ);
    b.if_();
    b.i32c(0); b.i32c(0); b.mem(W_I32_STORE, 2, STATE + ST_STOPPED); b.i64c(0); b.set(6);
    b.i32c(0); b.i64c(0); b.mem(W_I64_STORE, 3, REGS);
    b.else_();
    b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_STOPPED);
    b.if_(); b.i32c(0); b.mem(W_I64_LOAD, 3, REGS); b.set(6); b.end();
    b.end();
    b.get(5); b.i32c(STACK_SIZE); b.op(W_I32_SUB); b.set(5);
    setStackTop(b, 5);
    b.get(6);
    b.end();
    return b;
  }

  // ---- one eBPF function ----

  /**
   * Function `index` (its graph `g`). The fast version checks the budget only at checkpoints, for the longest run
   * to the next one; when that much is not left, it continues in the exact copy (`exact`), which checks every
   * segment and, being a dispatcher, can start at any block. V8 compiles the copy only if it is ever called.
   * A function whose control flow stays irreducible (too large to copy, split.ts) is a dispatcher with exact checks
   * in both versions.
   */
  private func(g: Cfg, index: i32, exact: bool): Buf {
    this.g = g;
    this.funcIndex = index;
    const b = this.out;
    b.len = 0;
    // params 0..10, locals 11..13 i64, 14..16 i32, 17..18 i64, 19 i32, 20 i64, 21 i32, 22..28 i32 (table-ops.ts),
    // 29 i32 (L_VALUE)
    b.u32(6); b.u32(3); b.byte(T_I64); b.u32(3); b.byte(T_I32); b.u32(2); b.byte(T_I64); b.u32(1); b.byte(T_I32);
    b.u32(1); b.byte(T_I64); b.u32(9); b.byte(T_I32);
    this.valuesInto = new StaticArray<i32>(g.n);
    b.gget(G_REMAINING); b.set(L_CNT);
    this.forgetRegions();
    b.get(L_FP); b.i32c(STACK_SIZE); b.op(W_I32_SUB); b.set(L_FB);
    this.ctx = [CTX_BAIL, CTX_IF]; // the exit block, then the budget exit block
    this.pending = 0;
    this.dispatch = exact || !g.reducible;
    this.fast = !this.dispatch;
    this.startGlobal = exact;
    // block $exit { block $budget { body } budget fault at (ti, next) } return r0-r5
    b.block();
    b.block();
    if (this.dispatch) this.dispatcher();
    else this.doTree(0);
    b.br(1);
    b.end();
    b.get(L_TI); b.get(L_NEXT); b.i32c(0x7fffffff); b.op(W_I32_AND); b.get(L_NEXT); b.i32c(31); b.op(W_I32_SHR_U);
    b.call(F_BUDGET);
    b.end();
    this.returnRegs();
    b.end();
    return b;
  }

  /**
   * Structured translation of the subtree at `x`: its merge children become enclosing blocks (the latest in
   * reverse postorder outermost), each followed by its own subtree; a loop header wraps itself and the merge
   * children inside its loop in a Wasm loop, and its loop exits (hoisted children) in blocks around that loop.
   * The last of those subtrees ends the sequence, so it is taken by iteration, not recursion: a long chain of
   * if-diamonds costs no stack.
   */
  private doTree(x: i32): void {
    const g = this.g;
    const b = this.out;
    while (true) {
      const kids = g.children[x];
      const inside = new Array<i32>();
      const after = new Array<i32>(); // loop exits: their code follows the loop
      for (let i = 0; i < kids.length; i++) {
        const k = kids[i];
        if (g.merge[k]) { if (g.hoisted[k]) after.push(k); else inside.push(k); }
      }
      const header = g.loopHeader[x];
      const seq = header ? after : inside;
      for (let i = after.length - 1; i >= 0; i--) {
        b.block();
        this.ctx.push((after[i] << 2) | CTX_BLOCK);
      }
      if (header) {
        let plan = this.fast && this.noVersion == 0 ? planAt(this.code, g, x) : null;
        // a nest's test proved its accesses: versioned only for the budget of a loop of one path that cannot leave
        // early (a search's trips are mostly fewer than it counts: its test on every entry would not pay)
        if (plan && plan.len == 0 && (plan.path == 0 || plan.ways || plan.early) && this.allProven(plan)) plan = null;
        if (plan) this.versioned(x, inside, plan);
        else this.loopCode(x, inside);
      } else {
        for (let i = inside.length - 1; i >= 0; i--) {
          b.block();
          this.ctx.push((inside[i] << 2) | CTX_BLOCK);
        }
        const next = this.blockCode(x, inside.length == 0 && after.length == 0);
        if (next >= 0) { x = next; continue; }
      }
      const last = seq.length - 1;
      if (last < 0) return;
      for (let i = 0; i < last; i++) {
        this.ctx.pop();
        b.end();
        this.doTree(seq[i]);
      }
      this.ctx.pop();
      b.end();
      x = seq[last];
    }
  }

  /**
   * The Wasm loop of the eBPF loop headed by x, with its merge children `inside`. In the fast version, the budget
   * checkpoint at x leaves the loop for a handler after it that calls the exact copy: a loop without a call
   * (V8 unrolls small ones, and keeps values in registers that a call would need on the stack).
   */
  private loopCode(x: i32, inside: Array<i32>, trips: bool = false): void {
    const b = this.out;
    const handler = this.fast && !this.noBudget && this.tripHead < 0;
    if (handler) { // block $done { block $budget { loop } br $done } handler }
      b.block(); this.ctx.push(CTX_IF);
      b.block(); this.ctx.push(-1 - x);
    }
    b.loop();
    this.ctx.push((x << 2) | CTX_LOOP);
    if (trips) { b.get(L_TRIPS); b.i32c(1); b.op(W_I32_ADD); b.set(L_TRIPS); }
    if (this.tripHead == x) { b.get(L_CNT); b.i64c(<i64>this.tripLen); b.op(W_I64_SUB); b.set(L_CNT); }
    for (let i = inside.length - 1; i >= 0; i--) {
      b.block();
      this.ctx.push((inside[i] << 2) | CTX_BLOCK);
    }
    this.blockCode(x);
    for (let i = 0; i < inside.length; i++) {
      this.ctx.pop();
      b.end();
      this.doTree(inside[i]);
    }
    this.ctx.pop();
    b.end();
    if (handler) {
      b.br(1);
      this.close();
      this.toExact(x);
      this.close();
    }
  }

  /**
   * A loop whose accesses hoist.ts describes, twice: without their checks when the region table allows every
   * range they can reach (tested here, on entry, a search like lookup's), else with them. Nothing the loop does
   * changes the region table (it makes no calls), so the test holds for the whole loop.
   */
  private versioned(x: i32, inside: Array<i32>, p: LoopPlan): void {
    const b = this.out;
    b.i32c(0); b.set(L_OK);
    b.i64c(0); b.set(L_D);
    b.i64c(0); b.set(L_N);
    b.block(); // leaving early: OK stays 0
    if (p.early) { // L_TRIPS = max(L_TRIPS - TOLL, -TRIPS_FLOOR); below -SKIP_BELOW the searches were short: no test
      b.get(L_TRIPS); b.i32c(TOLL); b.op(W_I32_SUB); b.tee(L_TRIPS); b.i32c(-TRIPS_FLOOR);
      b.get(L_TRIPS); b.i32c(-TRIPS_FLOOR); b.op(W_I32_GT_S); b.op(W_SELECT); b.tee(L_TRIPS);
      b.i32c(-SKIP_BELOW); b.op(W_I32_LT_S); b.brIf(0);
    }
    if (p.counted) this.countedTrips(p);
    else if (p.nest) this.nestSpans(p);
    else if (p.iv >= 0) {
      // iv0, bound and step below 2^32: nothing wraps around (tested as x >> 32 != 0: a constant 0xffffffff is one
      // more value that V8 keeps in a register, or rematerialises, in a loop around this one)
      this.getReg(p.iv);
      if (p.boundReg >= 0) { this.getReg(p.boundReg); b.op(W_I64_OR); }
      if (p.stepReg >= 0) { this.getReg(p.stepReg); b.op(W_I64_OR); }
      b.i64c(32); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); b.brIf(0);
      // N = (bound - 1 - iv0) / step, D = N * step when iv0 < bound and step > 0
      this.getReg(p.iv); this.planValue(p.boundReg, p.boundImm); b.op(W_I64_LT_U);
      if (p.stepReg >= 0) { this.getReg(p.stepReg); b.i64c(0); b.op(W_I64_NE); b.op(W_I32_AND); }
      b.if_();
      this.planValue(p.boundReg, p.boundImm); b.i64c(1); b.op(W_I64_SUB); this.getReg(p.iv); b.op(W_I64_SUB);
      this.planValue(p.stepReg, p.stepImm); b.op(W_I64_DIV_U); b.tee(L_N);
      this.planValue(p.stepReg, p.stepImm); b.op(W_I64_MUL);
      b.set(L_D);
      b.end();
    }
    if (p.factBounds != 0) this.factChecks(p);
    const acc = p.accesses;
    for (let i = 0; i < p.count; i++) {
      if (this.proven[<i32>acc[i]] != 0) continue; // a loop around this one tested it
      // lo: the address at iv0, below 2^32; the range [lo, lo + D + size) in one region's readable (writable) part
      const sum = <u32>(acc[i] >> 41) & 0x3fff;
      const moves = (sum & (1 << 11)) != 0;
      const iv = p.counted && moves ? p.accRoot[i] : p.iv;
      if ((acc[i] & FACT) != 0) { this.factSpan(p.accStepReg[i], p.accRoot[i], p.accStep[i]); b.set(L_D); }
      else if (p.counted) this.countedSpan(moves ? p.accStep[i] : 0, moves ? p.accStepReg[i] : -1, (acc[i] & POST) != 0);
      if (p.nest) this.nestSpan(moves, (sum & NEST_QIV) != 0);
      b.i64c(p.consts[i]);
      for (let r: u32 = 0; r <= 11; r++) {
        if ((sum & (1 << r)) != 0) { this.getReg(r == 11 ? <u32>iv : r); b.op(W_I64_ADD); }
      }
      if ((sum & SUM_SLOT) != 0) { // a frame slot's value on entry (counted.ts: SLOTS)
        b.get(L_FB); b.mem(W_I64_LOAD, 0, <u32>(p.accSlot[i] + STACK_SIZE)); b.op(W_I64_ADD);
      }
      if (p.counted && moves && p.accStep[i] < 0) { b.get(L_D); b.op(W_I64_SUB); } // counting down: from the top
      b.tee(L_T);
      b.i64c(32); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); b.brIf(0);
      // block $found { the cache of the access's kind holds the range (an inner loop of few trips then costs
      // two compares, not a search): br $found; the search }
      const write = ((acc[i] >> 40) & 1) != 0;
      const size = <i32>(acc[i] >> 32) & 0xf;
      const cl = write ? C_WL : C_RL;
      b.block();
      b.get(L_T); b.i32c(0); b.mem(W_I64_LOAD, 3, write ? C_WB : C_RB); b.op(W_I64_SUB); b.tee(L_T2);
      b.i32c(0); b.mem(W_I64_LOAD, 3, cl); b.op(W_I64_LE_U);
      b.get(L_T2); b.get(L_D); b.op(W_I64_ADD); b.i64c(<i64>(size - 8)); b.op(W_I64_ADD);
      b.i32c(0); b.mem(W_I64_LOAD, 3, cl); b.op(W_I64_LE_S); b.op(W_I32_AND); b.brIf(0);
      this.searchStart(3);
      this.regionFits(write, size, true);
      b.brIf(1);
      b.get(L_TI); b.i32c(REGION_SIZE); b.op(W_I32_ADD); b.set(L_TI);
      b.br(0);
      b.end();
      b.end();
      b.end();
    }
    // OK = 2 when the loop's trips are known (it ends: step > 0, or iv0 >= bound) and the budget lasts them and
    // the path after them to the next checkpoint: N * len + maxLen (the first trip and the rest); else 1. Another
    // loop runs at most N + 1 trips (N as above, or K from countedTrips) of at most `path` instructions (its
    // longest way): N * path + maxLen bounds what it runs to the next checkpoint.
    const per = p.len > 0 ? p.len : p.path;
    b.i32c(1);
    if (per > 0) {
      b.get(L_N); b.i64c(<i64>per); b.op(W_I64_MUL); b.tee(L_N); b.i64c(<i64>this.g.maxLen[x]); b.op(W_I64_ADD);
      b.get(L_CNT); b.op(W_I64_LE_S);
      if (p.stepReg >= 0) {
        this.getReg(p.stepReg); b.i64c(0); b.op(W_I64_NE);
        this.getReg(p.iv); this.planValue(p.boundReg, p.boundImm); b.op(W_I64_GE_U); b.op(W_I32_OR); b.op(W_I32_AND);
      }
      b.op(W_I32_ADD);
    }
    b.set(L_OK);
    b.end();
    // Two copies: unchecked (its budget counted here when OK is 2, len > 0), or checked. Inside another versioned
    // loop the budget stays counted per iteration: measured with V8, that outer loop's code got slower.
    // A loop whose trips are bounded but not counted here (it can leave early, has branches, or lies inside
    // another versioned loop) needs no checkpoint when OK is 2: each trip counts its longest way at the header,
    // and an edge off that way gives back what the trip will not run (see leaveTrip).
    const counted = p.len > 0 && this.versionDepth == 0;
    const bounded = per > 0 && !counted;
    for (let i = 0; i < p.count; i++) this.proven[<i32>acc[i]]++;
    b.get(L_OK);
    if (counted || bounded) { b.i32c(2); b.op(W_I32_EQ); }
    this.open();
    if (counted) { // N * len, and the first trip's instructions but those past the exit test in the last trip
      b.get(L_CNT); b.get(L_N); b.op(W_I64_SUB); b.i64c(<i64>(p.len - p.lenTail)); b.op(W_I64_SUB); b.set(L_CNT);
    }
    this.noBudget = counted;
    if (bounded) { this.tripHead = x; this.tripLen = per; this.tripRest = tripRests(this.code, this.g, x); }
    // (a loop of facts.ts INNER counts its budget per trip in both copies: its inner loops may count theirs on entry)
    const depth = p.inner ? 0 : 1;
    this.versionDepth += depth;
    this.loopCode(x, inside);
    this.versionDepth -= depth;
    this.noBudget = false;
    this.tripHead = -1;
    b.else_();
    for (let i = 0; i < p.count; i++) this.proven[<i32>acc[i]]--;
    // a nest's checked copy keeps its inner loop's own test: when the test of all trips fails (the last ones fault,
    // or reach past a region that the inner loop's early exits never touch), most entries may still pass theirs
    const linear = p.nest || p.inner ? 0 : 1;
    this.noVersion += linear;
    this.loopCode(x, inside, p.early);
    this.noVersion -= linear;
    this.close();
  }

  /**
   * The block's segment of grouped accesses (groups.ts), versioned by copying its instructions: per group, one
   * compare of its span with the region cache of its kind, then the copy without the group's checks when every
   * span is in the cache's region, else the ordinary copy, whose checks fault at the same instruction, after the
   * same side effects, as without groups (and refill the cache for the next time). Copies, not an `if` around each
   * access: one test then covers the accesses, and bytes.ts joins the bytes of a word in the copy without checks.
   * Both copies count the budget alike (the second starts from the count before the segment) and end with no
   * deferred byte loads. The copy without checks marks the group's accesses in `proven` as a loop's copy does;
   * narrow cannot take that for its own: no instruction in the segment writes a grouped base before its access.
   */
  private grouped(): void {
    const b = this.out;
    const gp = this.groups;
    this.emitBytes(this.bytes.all());
    b.block(); this.ctx.push(CTX_IF); // done
    b.block(); this.ctx.push(CTX_IF); // checked
    for (let k = 0; k < KEYS; k++) {
      if (gp.count[k] < 2) continue;
      // t - B <= L holds [t, t + 8) (the cache holds [B, B + L + 8)); a longer span also needs t - B + len - 8 <= L
      const cb = C_RB + <u32>(k & 1) * 16;
      const len = gp.end[k] - gp.lo[k];
      this.getReg(<u32>k >> 1); b.i64c(<i64>gp.lo[k]); b.op(W_I64_ADD);
      b.i32c(0); b.mem(W_I64_LOAD, 3, cb); b.op(W_I64_SUB); b.tee(L_T2);
      b.i32c(0); b.mem(W_I64_LOAD, 3, cb + 8); b.op(W_I64_GT_U); b.brIf(0);
      if (len > 8) {
        b.get(L_T2); b.i64c(<i64>(len - 8)); b.op(W_I64_ADD); b.i32c(0); b.mem(W_I64_LOAD, 3, cb + 8);
        b.op(W_I64_GT_S); b.brIf(0);
      }
    }
    const pending = this.pending, segStart = this.segStart, segLddw = this.segLddw, values = this.valuesNext;
    for (let copy = 0; copy < 2; copy++) {
      if (copy == 1) {
        b.br(1);
        this.close();
        this.pending = pending; this.segStart = segStart; this.segLddw = segLddw; this.valuesNext = values;
      }
      for (let pc = gp.first; pc <= gp.last; pc += insnLen(this.code, pc)) {
        const k = <i32>gp.member[pc];
        if (k >= 0 && gp.count[k] > 1) this.proven[pc] += <u8>(1 - 2 * copy);
      }
      for (let pc = gp.first; pc <= gp.last; pc += insnLen(this.code, pc)) this.insn(pc);
      this.emitBytes(this.bytes.all());
    }
    this.close();
  }

  /**
   * The test before a loop of counted.ts, in the block that leaves with OK = 0: on entry iv, the bound
   * B and A = iv + testConst (+ testReg's value, counted.ts: SUMMED) lie in [0, 2^32) ([0, 2^31) for a signed test on a family with 32-bit operations: no
   * value the loop compares then wraps, and signed and unsigned compares agree) and every member of the family holds iv + its delta. Then the loop leaves in trip K (0: the
   * first), L_N = K, from A, B and the step t: "continue while A_k < B" (le: B + 1) leaves at
   * K = ceil((B - A) / t) when A < B, else 0; counting down "A_k > B" (ge: B - 1) at ceil((A - B) / t), and
   * unsigned only when A_K = A - K * t >= 0 (below, it would wrap around and go on); "!=" when the distance is a
   * multiple of t. Then narrowTrips.
   */
  private countedTrips(p: LoopPlan): void {
    const b = this.out;
    const step = p.stepImm - p.boundStep; // what A gains on B a trip (counted.ts: CONVERGING)
    const t = step < 0 ? -step : step;
    if (p.boundSlot <= 0) { b.get(L_FB); b.mem(W_I64_LOAD, 0, <u32>(p.boundSlot + STACK_SIZE)); }
    else if (p.boundReg >= 0) this.getReg(p.boundReg);
    else b.i64c(0);
    b.i64c(p.boundImm); b.op(W_I64_ADD);
    b.tee(L_T2);
    this.getReg(p.iv); b.op(W_I64_OR);
    this.getReg(p.iv); b.i64c(p.testConst); b.op(W_I64_ADD);
    if (p.testReg >= 0) { this.getReg(p.testReg); b.op(W_I64_ADD); }
    b.tee(L_T); b.op(W_I64_OR);
    b.i64c(p.signed && p.narrowLo <= p.narrowHi ? 31 : 32); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); b.brIf(0);
    for (let i = 0; i < p.famCount; i++) {
      this.getReg(p.famRegs[i]); this.getReg(p.famRoots[i]); b.op(W_I64_SUB); b.i64c(p.famDelta[i]); b.op(W_I64_NE);
      b.brIf(0);
    }
    if (p.cont == CONT_NE) {
      if (step > 0) { b.get(L_T2); b.get(L_T); } else { b.get(L_T); b.get(L_T2); }
      b.op(W_I64_SUB); b.tee(L_N); b.i64c(0); b.op(W_I64_LT_S); b.brIf(0);
      b.get(L_N); b.i64c(t); b.op(W_I64_REM_U); b.i64c(0); b.op(W_I64_NE); b.brIf(0);
      b.get(L_N); b.i64c(t); b.op(W_I64_DIV_U); b.set(L_N);
      this.convergingEnds(p);
      this.narrowTrips(p, t);
      return;
    }
    if (step > 0) {
      if (p.cont == CONT_LE) { b.get(L_T2); b.i64c(1); b.op(W_I64_ADD); b.set(L_T2); }
      b.get(L_T); b.get(L_T2); b.op(W_I64_LT_S);
      b.if_(T_I64);
      b.get(L_T2); b.get(L_T); b.op(W_I64_SUB);
    } else {
      if (p.cont == CONT_GE) { b.get(L_T2); b.i64c(1); b.op(W_I64_SUB); b.set(L_T2); }
      b.get(L_T); b.get(L_T2); b.op(W_I64_GT_S);
      b.if_(T_I64);
      b.get(L_T); b.get(L_T2); b.op(W_I64_SUB);
    }
    b.i64c(t - 1); b.op(W_I64_ADD); b.i64c(t); b.op(W_I64_DIV_U);
    b.else_(); b.i64c(0); b.end();
    b.tee(L_N);
    if (p.boundStep == 0 && p.stepImm < 0 && !p.signed) { // unsigned, the value that ends the loop must not wrap below 0
      b.i64c(t); b.op(W_I64_MUL); b.get(L_T); b.op(W_I64_GT_S); b.brIf(0);
    } else b.op(W_DROP);
    this.convergingEnds(p);
    this.narrowTrips(p, t);
  }

  /**
   * A bound that moves too (counted.ts: CONVERGING), unsigned: each side that steps down must not wrap below 0 by
   * trip K (A + K * stepImm, B + K * boundStep; each moves one way, so its ends bound it), else a branch out of the
   * test's block. The trips then are those of A + k * (stepImm - boundStep) against B, computed above.
   */
  private convergingEnds(p: LoopPlan): void {
    if (p.boundStep == 0 || p.signed) return;
    const b = this.out;
    if (p.stepImm < 0) { b.get(L_N); b.i64c(-p.stepImm); b.op(W_I64_MUL); b.get(L_T); b.op(W_I64_GT_S); b.brIf(0); }
    if (p.boundStep < 0) {
      b.get(L_N); b.i64c(-p.boundStep); b.op(W_I64_MUL);
      this.getReg(p.boundReg); b.i64c(p.boundImm); b.op(W_I64_ADD); b.op(W_I64_GT_S); b.brIf(0);
    }
  }

  /**
   * A family with 32-bit adds or movs (counted.ts: NARROW): iv's lowest value over trips 0 to K (iv0, or iv0 - K t
   * counting down) + narrowLo to its highest + narrowHi in [0, 2^32) ([0, 2^31) with a signed test: countedTrips
   * tested the bound there too), else a branch out of the test's block.
   * Each such operation then computes what the 64-bit one does, and the loop runs the trips computed above.
   */
  private narrowTrips(p: LoopPlan, t: i64): void {
    if (p.narrowLo > p.narrowHi) return;
    const b = this.out;
    for (let k = 0; k < 2; k++) {
      this.getReg(p.iv);
      if ((k == 0) == (p.stepImm < 0)) { b.get(L_N); b.i64c(t); b.op(W_I64_MUL); b.op(k == 0 ? W_I64_SUB : W_I64_ADD); }
      b.i64c(k == 0 ? p.narrowLo : p.narrowHi); b.op(W_I64_ADD);
    }
    b.op(W_I64_OR); b.i64c(p.signed ? 31 : 32); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); b.brIf(0);
  }

  /**
   * L_D = the span of the register an access of a counted.ts loop moves with, by `step` a trip: K * |step|
   * before the exit test, (K - 1) * |step| after it (nothing runs there when K = 0: the span stays 0), 0 when its
   * address does not move (step 0). A step in register `reg` (>= 0) is its value on entry, which must be below
   * 2^31 (else a branch out of the test's block): with K below 2^32 the span stays below 2^63.
   */
  private countedSpan(step: i64, reg: i32, post: bool): void {
    const b = this.out;
    if (reg >= 0) { this.getReg(<u32>reg); b.i64c(31); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); b.brIf(0); }
    else if (step == 0) { b.i64c(0); b.set(L_D); return; }
    b.get(L_N);
    if (post) { b.i64c(1); b.op(W_I64_SUB); b.get(L_N); b.op(W_I64_EQZ); b.op(W_I64_EXTEND_I32_U); b.op(W_I64_ADD); }
    if (reg >= 0) this.getReg(<u32>reg); else b.i64c(step < 0 ? -step : step);
    b.op(W_I64_MUL); b.set(L_D);
  }

  /**
   * A nest's spans (nests.ts), or a branch out of the test's block when a value is 2^32 or more: L_N = Dk, the
   * outer iv's, max(0, E - iv0) with E = B - R - testConst; L_SAVED = Dq, the inner iv's, max(0, qB - 1 - c0)
   * (its last value may lie below that when the step is not 1). No deferred byte load reads L_SAVED at a loop's entry.
   */
  private nestSpans(p: LoopPlan): void {
    const b = this.out;
    this.getReg(p.iv);
    for (let k = 0; k < 3; k++) {
      const r = k == 0 ? p.boundReg : k == 1 ? p.subReg : p.innerBoundReg;
      if (r >= 0) { this.getReg(r); b.op(W_I64_OR); }
    }
    b.i64c(32); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); b.brIf(0);
    this.planValue(p.boundReg, p.boundImm);
    if (p.subReg >= 0) { this.getReg(p.subReg); b.op(W_I64_SUB); }
    b.i64c(p.testConst); b.op(W_I64_SUB);
    this.getReg(p.iv); b.op(W_I64_SUB);
    if (p.outerNe) { b.tee(L_N); b.i64c(0); b.op(W_I64_LT_S); b.brIf(0); b.get(L_N); } // else it would wrap around
    this.atLeastZero(L_N);
    this.planValue(p.innerBoundReg, p.innerBoundImm); b.i64c(1 + p.innerStart); b.op(W_I64_SUB);
    this.atLeastZero(L_SAVED);
  }

  /**
   * What the accesses facts.ts bounded rely on, or a branch out of the test's block: their bound registers below
   * 2^32 (an interval's top, B << s plus a constant, is then that of the 64-bit value) and each assumed register
   * r in T + [lo, lo + span]: r - T - lo, unsigned, at most span.
   */
  private factChecks(p: LoopPlan): void {
    const b = this.out;
    b.i64c(0);
    for (let r: u32 = 0; r < 10; r++) if ((p.factBounds >> r & 1) != 0) { this.getReg(r); b.op(W_I64_OR); }
    b.i64c(32); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); b.brIf(0);
    for (let r: u32 = 0; r < 10; r++) {
      if ((p.assumed >> r & 1) == 0) continue;
      const head = <StaticArray<i64>>p.head, m = assumption(head, r, 0), l = assumption(head, r, 1);
      this.getReg(r);
      for (let t: u32 = 0; t <= 10; t++) if ((<i32>m >> t & 1) != 0) { this.getReg(t); b.op(W_I64_SUB); }
      b.i64c(l); b.op(W_I64_SUB);
      this.factSpan((<i32>(m >> 11) & 15) - 1, <i32>(m >> 15), assumption(head, r, 2) - l);
      b.op(W_I64_GT_U); b.brIf(0);
    }
  }

  /** (reg << shift) + c, or c when reg < 0: an interval's span (facts.ts). */
  private factSpan(reg: i32, shift: i32, c: i64): void {
    const b = this.out;
    b.i64c(c);
    if (reg < 0) return;
    this.getReg(<u32>reg);
    if (shift != 0) { b.i64c(shift); b.op(W_I64_SHL); }
    b.op(W_I64_ADD);
  }

  /** local = max(0, the value on the stack), signed. */
  private atLeastZero(local: u32): void {
    const b = this.out;
    b.tee(local); b.i64c(0); b.get(local); b.i64c(0); b.op(W_I64_GT_S); b.op(W_SELECT); b.set(local);
  }

  /** L_D = a lifted access's span: Dk when it sums the outer iv, plus Dq when it sums the inner one (see nestSpans). */
  private nestSpan(outer: bool, inner: bool): void {
    const b = this.out;
    if (outer) b.get(L_N); else b.i64c(0);
    if (inner) { b.get(L_SAVED); b.op(W_I64_ADD); }
    b.set(L_D);
  }

  /** Whether every access of the plan needs no check already: a loop around it proved them. */
  private allProven(p: LoopPlan): bool {
    for (let i = 0; i < p.count; i++) if (this.proven[<i32>p.accesses[i]] == 0) return false;
    return true;
  }

  /** Register `r`, or the constant `imm` when r < 0. */
  private planValue(r: i32, imm: i64): void {
    if (r >= 0) this.getReg(<u32>r); else this.out.i64c(imm);
  }

  private doBranch(x: i32, y: i32): void {
    if (y <= x) this.out.br(this.label((y << 2) | CTX_LOOP));
    else if (this.g.merge[y]) this.out.br(this.label((y << 2) | CTX_BLOCK));
    else this.doTree(y);
  }

  private label(entry: i32): u32 {
    const c = this.ctx;
    for (let i = c.length - 1; i >= 0; i--) if (c[i] == entry) return <u32>(c.length - 1 - i);
    this.failed = true; // not reached: every target of a reducible graph is in scope
    return 0;
  }

  /** Fallback for irreducible control flow: loop { block^n { br_table } code_0 ... code_n-1 }. */
  private dispatcher(): void {
    const b = this.out;
    const n = this.g.n;
    if (this.startGlobal) b.gget(G_START); else b.i32c(0);
    b.set(L_NEXT);
    b.loop();
    this.ctx.push(CTX_IF);
    for (let i = 0; i < n; i++) { b.block(); this.ctx.push(CTX_IF); }
    b.get(L_NEXT);
    b.op(W_BR_TABLE); b.u32(<u32>n);
    for (let i = 0; i < n; i++) b.u32(<u32>i);
    b.u32(<u32>(n - 1));
    for (let x = 0; x < n; x++) {
      this.close();
      this.blockCode(x);
    }
    this.close();
  }

  /** Transfer to block `y` from block `x` in dispatcher mode (`extra`: enclosing ifs). */
  private dispatchTo(x: i32, y: i32, extra: u32): void {
    this.out.i32c(y);
    this.out.set(L_NEXT);
    this.out.br(<u32>(this.g.n - 1 - x) + extra);
  }

  /**
   * A basic block's instructions and its ending. With `tailOk` (nothing follows in the caller's sequence), a
   * successor to inline is returned instead of translated here (-1 otherwise), so that chains cost no stack.
   */
  private blockCode(x: i32, tailOk: bool = false): i32 {
    const g = this.g;
    const b = this.out;
    const last = g.last[x];
    const kind = g.kind[x];
    if (this.fast && g.checkpoint[x] && !this.noBudget && this.tripHead < 0) this.checkpoint(x);
    let pc = g.start[x];
    this.valuesNext = this.valuesInto[x];
    // Accesses checked as groups (see grouped): in the fast version, in loops only. A block outside loops runs
    // once a call, and its copies are code V8 compiles for little (measured with bench/wasm-ab.mjs: grouping the
    // kernels' entry blocks too made no kernel faster, and memsearch 2-6% slower, its search loop's code changed).
    const gp = this.groups;
    gp.first = -1;
    if (this.fast && g.loopOf[x] >= 0) planGroups(gp, this.code, pc, kind != END_FALL ? last : last + 1, this.proven);
    while (pc <= last) {
      if (pc == last && kind != END_FALL) break;
      if (pc == gp.first) {
        this.grouped();
        pc = gp.last;
      } else this.insn(pc);
      pc += insnLen(this.code, pc);
    }
    this.emitBytes(this.bytes.all());
    if (kind != END_FALL) this.count1(last, false);
    leaveBlock(this.code, g, x, this.valuesNext, this.valuesInto);
    // a select's mov counted with the block, given back when the jump is taken (see selected)
    this.selectMov = kind == END_COND && this.fast && !this.dispatch ? selectBlock(this.code, g, x) : -1;
    if (this.selectMov >= 0) this.pending += g.last[this.selectMov] - g.start[this.selectMov] + 1;
    this.flush();
    if (kind == END_EXIT) {
      this.exit();
      return -1;
    }
    if (kind == END_COND) {
      this.condition(last);
      if (this.selected(x)) return -1;
      b.if_();
      if (this.dispatch) {
        this.dispatchTo(x, g.succ0[x], 1);
        b.else_();
        this.dispatchTo(x, g.succ1[x], 1);
      } else {
        this.ctx.push(CTX_IF);
        this.leaveTrip(x, g.succ0[x]);
        this.doBranch(x, g.succ0[x]);
        b.else_();
        this.leaveTrip(x, g.succ1[x]);
        this.doBranch(x, g.succ1[x]);
        this.ctx.pop();
      }
      b.end();
      return -1;
    }
    const y = g.succ0[x];
    if (y < 0) { // falls off the program (the validator refuses this)
      faultCall(b, FAULT_BAD_INSN, last, 0, 0);
      this.bail();
      return -1;
    }
    if (this.dispatch) this.dispatchTo(x, y, 0);
    else if (tailOk && y > x && !g.merge[y]) return y;
    else this.doBranch(x, y);
    return -1;
  }

  /**
   * A jump of block x over a block m of one mov (selects.ts) as a Wasm select of the condition on the stack, when
   * it returns true (false: nothing emitted). Fast version only. The budget changes as the two ways would change
   * it, by the same condition (kept in L_TI: the select may change a register it reads) as 0 or 1: m's
   * instructions are counted with x's (blockCode) and given back when the jump is taken; in a copy that counts
   * whole trips at the header (tripHead), what each way gives back (leaveTrip) instead; nothing in a loop counted
   * before it (noBudget). An add of the condition, not a select of two counts, which V8 makes a test and a move.
   */
  private selected(x: i32): bool {
    const g = this.g;
    const b = this.out;
    const m = this.selectMov;
    this.selectMov = -1;
    if (m < 0) return false;
    const t = g.succ0[x];
    const p = this.code + (<usize>g.start[m] << 3);
    const op = <u32>load<u8>(p);
    const dst = <u32>load<u8>(p, 1) & 0xf, src = <u32>load<u8>(p, 1) >> 4;
    b.set(L_TI); // the condition (no checked access between, which would use L_TI)
    // the count as notTaken + c * (taken - notTaken), c the condition as 0 or 1: an add, not a second select
    let taken: i64 = 0, notTaken: i64 = 0;
    if (this.tripHead >= 0) {
      taken = <i64>this.tripBack(x, t);
      notTaken = <i64>(this.tripBack(x, m) + this.tripBack(m, t));
    } else if (!this.noBudget) taken = <i64>(g.last[m] - g.start[m] + 1); // m was counted with x (blockCode)
    if (taken != notTaken) {
      b.get(L_CNT); b.get(L_TI);
      if ((opAt(this.code, g.last[x]) & 0xf7) == (CLS_JMP32 | 0x40)) { b.i32c(0); b.op(W_I32_NE); } // jset32: a mask
      b.op(W_I64_EXTEND_I32_U);
      if (taken - notTaken != 1) { b.i64c(taken - notTaken); b.op(W_I64_MUL); }
      b.op(W_I64_ADD); b.set(L_CNT);
    }
    if (notTaken != 0) { b.get(L_CNT); b.i64c(notTaken); b.op(W_I64_ADD); b.set(L_CNT); }
    this.getReg(dst);
    if ((op & 8) == 0) b.i64c(op == 0xb7 ? <i64>load<i32>(p, 4) : <i64>load<u32>(p, 4));
    else {
      this.getReg(src);
      if (op == 0xbc) { b.op(W_I32_WRAP_I64); b.op(W_I64_EXTEND_I32_U); }
    }
    b.get(L_TI);
    b.op(W_SELECT);
    this.setReg(dst);
    this.doBranch(x, g.succ0[x]);
    return true;
  }

  /**
   * On the edge from block x to y in a copy that counts whole trips (tripHead): gives back what the header counted
   * for the longest way on from x (tripRest[x], cfg.ts: tripRests) beyond x's own instructions and the longest
   * way on from y (none when y leaves the loop or goes back to its header). Then on every way, what was counted
   * is what ran plus the longest way on from where it is, and a trip that ends has counted what it ran.
   */
  private leaveTrip(x: i32, y: i32): void {
    const back = this.tripBack(x, y);
    const b = this.out;
    if (back > 0) { b.get(L_CNT); b.i64c(<i64>back); b.op(W_I64_ADD); b.set(L_CNT); }
  }

  /** What leaveTrip gives back on the edge from block x to y (0 outside a copy that counts whole trips). */
  private tripBack(x: i32, y: i32): i32 {
    const h = this.tripHead;
    const g = this.g;
    if (h < 0) return 0;
    let back = this.tripRest[x];
    for (let pc = g.start[x]; pc <= g.last[x]; pc += insnLen(this.code, pc)) back--;
    if (y != h && inLoop(g.loopOf, g.loopParent, h, y)) back -= this.tripRest[y];
    return back;
  }

  /** Budget checkpoint at block x: when less is left than its longest run, the exact copy goes on from x. */
  private checkpoint(x: i32): void {
    const b = this.out;
    b.get(L_CNT); b.i64c(<i64>this.g.maxLen[x]); b.op(W_I64_LT_S);
    if (this.g.loopHeader[x]) { b.brIf(this.label(-1 - x)); return; } // to the handler after the loop (loopCode)
    b.if_();
    this.toExact(x);
    b.end();
  }

  /** Continues in the exact copy from block x, and returns what it returns. */
  private toExact(x: i32): void {
    const b = this.out;
    b.get(L_CNT); b.gset(G_REMAINING);
    b.i32c(x); b.gset(G_START);
    this.getRegs(1, 5);
    b.get(L_FP);
    b.get(L_R0);
    this.getRegs(6, 9);
    b.call(F_FIRST + <u32>(this.entries.length + this.funcIndex));
    b.op(W_RETURN);
  }

  // ---- budget ----

  private count1(pc: i32, lddw: bool): void {
    if (this.pending > 0 && lddw) this.flush();
    if (this.pending == 0) { this.segStart = pc; this.segLddw = lddw; }
    this.pending++;
  }

  private flush(): void {
    const n = this.pending;
    if (n == 0) return;
    const b = this.out;
    if (this.fast) { // the checkpoint made sure that this much is left (noBudget: counted before the loop)
      if (!this.noBudget && this.tripHead < 0) { b.get(L_CNT); b.i64c(n); b.op(W_I64_SUB); b.set(L_CNT); }
      this.pending = 0;
      return;
    }
    b.get(L_CNT); b.i64c(n); b.op(W_I64_SUB); b.tee(L_CNT); b.i64c(0); b.op(W_I64_LT_S);
    // Out of budget: k = cnt + n instructions of the segment could run; the function's budget exit reports it.
    this.open();
    b.get(L_CNT); b.op(W_I32_WRAP_I64); b.i32c(n); b.op(W_I32_ADD); b.set(L_TI);
    b.i32c(this.segStart | (this.segLddw ? 0x80000000 : 0)); b.set(L_NEXT);
    b.br(<u32>(this.ctx.length - 2));
    this.close();
    this.pending = 0;
  }

  /**
   * Before a checked access: the exact version ends the segment there (a budget fault comes before the access's
   * own). The fast one needs no count in between: its checkpoint made sure that the budget lasts, and the count is
   * read only at exits, calls, packet loads and checkpoints (a fault ends the run, and its count is not reported).
   */
  private flushExact(): void {
    if (!this.fast) this.flush();
  }

  // ---- instructions ----

  /** Pushes the locals of eBPF registers from..to (not r10). */
  private getRegs(from: u32, to: u32): void {
    for (let r = from; r <= to; r++) this.out.get(regLocal(r));
  }

  private getReg(r: u32): void {
    if (r == 10) { this.out.get(L_FP); this.out.op(W_I64_EXTEND_I32_U); }
    else this.out.get(regLocal(r));
  }

  private setReg(r: u32): void {
    if (r == 10) this.out.op(W_DROP); // r10 is read-only (the validator refuses writes)
    else this.out.set(regLocal(r));
  }

  private exit(): void {
    const b = this.out;
    b.get(L_CNT); b.gset(G_REMAINING);
    this.returnRegs();
  }

  /** Returns r0..r5: the caller takes r0 and, like the interpreter's shared registers, r1-r5 as left here. */
  private returnRegs(): void {
    const b = this.out;
    b.get(L_R0);
    this.getRegs(1, 5);
    b.op(W_RETURN);
  }

  /** Leaves the function after a fault or a stop (the caller checks the state and leaves too): a branch to the
   * function's exit block, which returns r0-r5 (the interpreter's registers at that point). */
  private bail(): void {
    this.out.br(<u32>(this.ctx.length - 1));
  }

  /** An `if` around code that may bail: it counts in the branch depth. */
  private open(): void {
    this.out.if_();
    this.ctx.push(CTX_IF);
  }

  private close(): void {
    this.ctx.pop();
    this.out.end();
  }

  /** Stores r0-r9 in REGS (helpers, tail calls and callbacks see the interpreter's register file). */
  private storeRegs(): void {
    const b = this.out;
    for (let r: u32 = 0; r <= 9; r++) { b.i32c(0); b.get(regLocal(r)); b.mem(W_I64_STORE, 3, REGS + r * 8); }
  }

  /** Loads r0-r5 from REGS. */
  private loadRegs(): void {
    const b = this.out;
    for (let r: u32 = 0; r <= 5; r++) { b.i32c(0); b.mem(W_I64_LOAD, 3, REGS + r * 8); b.set(regLocal(r)); }
  }

  /** One instruction that does not end its block. */
  private insn(pc: i32): void {
    const code = this.code;
    const p = code + (<usize>pc << 3);
    const op = <u32>load<u8>(p);
    const regs = <u32>load<u8>(p, 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = <i32>load<i16>(p, 2);
    const imm = load<i32>(p, 4);
    const cls = op & 7;
    const b = this.out;
    this.valuesNow = this.valuesNext;
    this.valuesNext = step(code, pc, this.valuesNow);
    if (this.fast && this.defer(pc, op, dst, src, off, imm)) { this.count1(pc, false); return; }
    if (cls == CLS_ALU || cls == CLS_ALU64) {
      this.count1(pc, false);
      if (pc == this.rotated || pc == this.extended || pc == this.loadExtended) return; // see rotateOr, signExtension
      if (this.signExtension(pc, op, dst, imm)) return;
      const rotate = op == 0x74 && this.rotateOr(pc);
      if (rotate || (op == 0x07 || op == 0x0f) && this.versionDepth > 0 && this.narrow(pc, dst)) {
        // dst + x is a proven address below 2^32 (see narrow): the same value in 32 bits, which V8 zero-extends
        // for free, and whose wrap for the access is then free too; or the rotate of a product (see rotateOr)
        this.getReg(dst); b.op(W_I32_WRAP_I64);
        if (op == 0x0f) { this.getReg(src); b.op(W_I32_WRAP_I64); } else b.i32c(rotate ? 32 - imm : imm);
        b.op(rotate ? W_I32_ROTL : W_I32_ADD); b.op(W_I64_EXTEND_I32_U);
        this.setReg(dst);
        return;
      }
      this.alu(op, dst, src, off, imm, cls == CLS_ALU64);
      return;
    }
    if (cls == CLS_LDX) {
      const size = sizeBytes(op);
      const sx = (op & 0xe0) == MODE_MEMSX;
      let lop = size == 1 ? (sx ? W_I64_LOAD8_S : W_I64_LOAD8_U) : size == 2 ? (sx ? W_I64_LOAD16_S : W_I64_LOAD16_U)
        : size == 4 ? (sx ? W_I64_LOAD32_S : W_I64_LOAD32_U) : W_I64_LOAD;
      const signed = sx || size == 8 ? 0 : signedLoad(code, this.scratch.leader, this.count, pc, dst, size);
      if (signed != 0) { lop = signed & 0xff; this.loadExtended = pc + 1; this.extended = pc + 2; }
      this.count1(pc, false);
      if (src == 10 && inFrame(off, size)) {
        b.get(L_FB); b.mem(lop, 0, <u32>(off + STACK_SIZE));
      } else {
        this.flushExact();
        const mo = this.checked(src, off, size, false, pc, true);
        b.get(L_T); b.op(W_I32_WRAP_I64); b.mem(lop, 0, mo);
      }
      if (signed > 0xff) b.op(W_I64_EXTEND_I32_U);
      this.setReg(dst);
      return;
    }
    if (cls == CLS_ST || cls == CLS_STX) {
      const size = sizeBytes(op);
      const mode = op & 0xe0;
      this.count1(pc, false);
      if (mode == MODE_ATOMIC) {
        this.flushExact();
        this.atomic(pc, size, dst, src, off, imm);
        return;
      }
      const sop = size == 1 ? W_I64_STORE8 : size == 2 ? W_I64_STORE16 : size == 4 ? W_I64_STORE32 : W_I64_STORE;
      if (dst == 10 && inFrame(off, size)) {
        b.get(L_FB);
        if (cls == CLS_ST) b.i64c(<i64>imm); else this.getReg(src);
        b.mem(sop, 0, <u32>(off + STACK_SIZE));
      } else {
        this.flushExact();
        const mo = this.checked(dst, off, size, true, pc, true);
        b.get(L_T); b.op(W_I32_WRAP_I64);
        if (cls == CLS_ST) b.i64c(<i64>imm); else this.getReg(src);
        b.mem(sop, 0, mo);
      }
      return;
    }
    if (cls == CLS_JMP) { // a call (the other jumps end blocks)
      this.count1(pc, false);
      this.flush();
      this.call(pc, op, dst, src, imm);
      return;
    }
    if (cls == CLS_LD) {
      const mode = op & 0xe0;
      if (op == <u32>OP_LDDW) {
        this.count1(pc, true);
        const hi = <u64><u32>load<i32>(p, 12);
        b.i64c(<i64>((hi << 32) | <u64><u32>imm));
        this.setReg(dst);
        return;
      }
      if (mode == MODE_ABS || mode == MODE_IND) {
        this.count1(pc, false);
        this.flush();
        this.packetLoad(mode == MODE_IND, src, imm, sizeBytes(op));
        return;
      }
    }
    // Anything else was refused by the validator; behave like the interpreter.
    this.count1(pc, false);
    this.flush();
    faultCall(b, FAULT_BAD_INSN, pc, <i64>op, 0);
    this.bail();
  }

  /**
   * Byte-assembled loads (bytes.ts): true when the instruction at `pc` only builds a deferred value (a byte load
   * that needs no check, a shift by a constant, an or of two deferred values), and emits nothing. Else the
   * deferred values it needs are emitted first: the registers it reads, those built on a register it writes, and
   * all of them before anything that writes memory, calls or leaves.
   */
  private defer(pc: i32, op: u32, dst: u32, src: u32, off: i32, imm: i32): bool {
    const d = this.bytes;
    const cls = op & 7;
    const bits = cls == CLS_ALU ? 32 : 64;
    const deferred = d.all();
    if (op == 0x71 && this.proven[pc] != 0 && src < 10 && (deferred & (1 << src)) == 0) { // ldxb
      if (dst == src) { // the last byte of a word often lands in its base: the base's old value is kept
        const on = d.uses(dst);
        if (d.uses(SAVED) != 0) { this.emitBytes(on); return false; }
        this.out.get(regLocal(src)); this.out.set(L_SAVED);
        for (let r = 0; r < 10; r++) if ((on & (1 << r)) != 0) d.base[r] = SAVED;
        return d.byteLoad(dst, SAVED, off);
      }
      this.release(dst);
      return d.byteLoad(dst, src, off);
    }
    if (cls == CLS_ALU || cls == CLS_ALU64) {
      const aop = op & 0xf0;
      const x = (op & 8) != 0;
      if (aop == 0x60 && !x && (deferred & (1 << dst)) != 0 && d.shift(dst, imm, bits)) return true; // lsh
      const both = (deferred & (1 << dst)) != 0 && (deferred & (1 << src)) != 0;
      if (aop == 0x40 && x && both && d.or(dst, src, bits)) return true;
      let reads = x ? 1 << src : 0;
      if (aop != 0xb0) reads |= 1 << dst;
      this.emitBytes(deferred & reads);
      this.release(dst);
      if (dst < 10) d.base[dst] = -1;
      return false;
    }
    if (cls == CLS_LDX || (cls == CLS_LD && op == <u32>OP_LDDW)) {
      if (cls == CLS_LDX) this.emitBytes(deferred & (1 << src));
      this.release(dst);
      if (dst < 10) d.base[dst] = -1;
      return false;
    }
    this.emitBytes(deferred);
    return false;
  }

  /**
   * Before register `dst` is written: the deferred values of other registers built on it keep its old value,
   * moved to L_SAVED (one copy, which V8 folds away) while no deferred value reads L_SAVED yet, else emitted.
   * True when none of them is emitted.
   */
  private release(dst: u32): bool {
    const d = this.bytes;
    const on = d.uses(dst) & ~(1 << dst);
    if (on == 0) return true;
    if (d.uses(SAVED) != 0) { this.emitBytes(on); return false; }
    this.out.get(regLocal(dst)); this.out.set(L_SAVED);
    for (let r = 0; r < 10; r++) if ((on & (1 << r)) != 0) d.base[r] = SAVED;
    return true;
  }

  /** Emits the deferred values of the registers in `mask` into their locals. */
  private emitBytes(mask: i32): void {
    for (let r: u32 = 0; r < 10; r++) {
      const base = this.bytes.base[r];
      if ((mask & (1 << r)) == 0 || base < 0) continue;
      this.bytes.emit(this.out, r, base == SAVED ? L_SAVED : regLocal(<u32>base));
      this.setReg(r);
    }
  }

  /**
   * clang's rotate of a product in 32 bits, rotl(x * c, r) (hashes: murmur3's k): eBPF has no rotate, and LLVM folds
   * (x * c) << r into x * (c << r), so it comes as
   *   mov32 t, x; mul32 t, c << r; mul32 x, c; rsh32 x, 32 - r; or32 x, t
   * in one block. Whether the rsh32 at pc is such (`rotated` is then the or32): the rsh32 makes x = rotl(x, r) (x is
   * x * c there), one rotate that V8 emits as one instruction, and the or32 adds nothing (t still gets its product,
   * which V8 drops when nothing reads it). Other orders of the five are left as they are.
   */
  private rotateOr(pc: i32): bool {
    // whole instructions compared: op, registers (src << 4 | dst), offset 0, immediate
    const code = this.code + (<usize>pc << 3);
    if (pc < 3 || pc + 1 >= this.count) return false;
    const d = load<u64>(code), c = load<u64>(code - 8), ai = load<u64>(code - 24);
    const x = d >> 8 & 0xf, t = ai >> 8 & 0xf, s = d >> 32;
    const r = (c >> 32) << (32 - s) & 0xffffffff; // c << r, in 32 bits
    if (<u32>d != (0x74 | x << 8) || s - 1 >= 31 || <u32>c != (0x24 | x << 8) || t == x
      || ai != (0xbc | (x << 4 | t) << 8) || load<u64>(code - 16) != (0x24 | t << 8 | r << 32)
      || load<u64>(code + 8) != (0x4c | (t << 4 | x) << 8)) return false;
    for (let q = pc - 2; q <= pc + 1; q++) if (this.scratch.leader[q] != 0) return false;
    this.rotated = pc + 1;
    return true;
  }

  /**
   * clang's sign extension of a register's low 8, 16 or 32 bits by a shift pair (`lsh32 x, 16; arsh32 x, 16`, or
   * lsh and arsh by 32, 48 or 56), as one Wasm sign extension, which V8 makes one MOVSX: when the lsh at pc (op,
   * dst, imm) is followed in its block by the arsh of the same register by the same amount, emits both and
   * returns true (`extended` is then the arsh).
   */
  private signExtension(pc: i32, op: u32, dst: u32, imm: i32): bool {
    let ext: u32;
    if (op == 0x64) ext = imm == 16 ? W_I32_EXTEND16_S : imm == 24 ? W_I32_EXTEND8_S : 0;
    else if (op == 0x67) ext = imm == 32 ? W_I64_EXTEND32_S : imm == 48 ? W_I64_EXTEND16_S : imm == 56 ? W_I64_EXTEND8_S : 0;
    else return false;
    if (ext == 0 || pc + 1 >= this.count || this.scratch.leader[pc + 1] != 0) return false;
    const next = load<u64>(this.code + (<usize>(pc + 1) << 3));
    if (next != ((op == 0x64 ? 0xc4 : 0xc7) | <u64>dst << 8 | <u64><u32>imm << 32)) return false; // arsh, offset 0
    const b = this.out;
    this.getReg(dst);
    if (op == 0x64) { b.op(W_I32_WRAP_I64); b.op(ext); b.op(W_I64_EXTEND_I32_U); } else b.op(ext);
    this.setReg(dst);
    this.extended = pc + 1;
    return true;
  }

  /**
   * Whether the add at `pc` computes the base of an access through `dst` (offset 0, or one in the memarg: see
   * memOffset) that needs no check here (see versioned), on the straight path after it with no write to dst
   * between: that address lies in the range the test before the loop allowed in every iteration, whether the
   * access runs or not (it is below 2^32, and so is the base).
   */
  private narrow(pc: i32, dst: u32): bool {
    const code = this.code;
    for (let q = pc + 1; q < this.count; q++) {
      const p = code + (<usize>q << 3);
      const op = <u32>load<u8>(p);
      const cls = op & 7;
      if (cls == CLS_JMP || cls == CLS_JMP32) return false;
      const base = cls == CLS_LDX ? <u32>load<u8>(p, 1) >> 4 : <u32>load<u8>(p, 1) & 0xf;
      if ((cls == CLS_LDX || cls == CLS_ST || cls == CLS_STX) && base == dst) {
        return this.proven[q] != 0 && (load<i16>(p, 2) == 0 || memOffset(<i32>load<i16>(p, 2)));
      }
      if ((written(code, q) & (1 << dst)) != 0) return false;
    }
    return false;
  }

  private alu(op: u32, dst: u32, src: u32, off: i32, imm: i32, is64: bool): void {
    const b = this.out;
    const aop = op & 0xf0;
    const x = (op & 8) != 0;
    if (aop == 0x30 || aop == 0x90) {
      if (is64) this.div64(dst, src, imm, x, off != 0, aop == 0x90);
      else this.div32(dst, src, imm, x, off != 0, aop == 0x90);
      return;
    }
    if (is64) {
      if (aop == 0xb0) { // mov, movsx
        if (x) {
          this.getReg(src);
          if (off == 8) b.op(W_I64_EXTEND8_S);
          else if (off == 16) b.op(W_I64_EXTEND16_S);
          else if (off == 32) b.op(W_I64_EXTEND32_S);
        } else b.i64c(<i64>imm);
      } else if (aop == 0x80) {
        b.i64c(0); this.getReg(dst); b.op(W_I64_SUB);
      } else if (aop == 0xd0) { // bswap
        this.getReg(dst);
        this.bswap(imm);
      } else {
        this.getReg(dst);
        if (x) this.getReg(src); else b.i64c(<i64>imm);
        b.op(<u32>ARITH64[aop >> 4]);
      }
      this.setReg(dst);
      return;
    }
    if (aop == 0xd0) { // le (truncate) / be (swap)
      if ((op & 8) != 0) {
        this.getReg(dst);
        this.bswap(imm);
      } else {
        if (imm == 64) return;
        this.getReg(dst); b.i64c(imm == 16 ? 0xffff : 0xffffffff); b.op(W_I64_AND);
      }
      this.setReg(dst);
      return;
    }
    if (aop == 0xb0) {
      if (x) {
        this.getReg(src); b.op(W_I32_WRAP_I64);
        if (off == 8) b.op(W_I32_EXTEND8_S);
        else if (off == 16) b.op(W_I32_EXTEND16_S);
        b.op(W_I64_EXTEND_I32_U);
      } else b.i64c(<i64><u32>imm);
    } else if (aop == 0x80) {
      b.i32c(0); this.getReg(dst); b.op(W_I32_WRAP_I64); b.op(W_I32_SUB); b.op(W_I64_EXTEND_I32_U);
    } else {
      this.getReg(dst); b.op(W_I32_WRAP_I64);
      if (x) { this.getReg(src); b.op(W_I32_WRAP_I64); } else b.i32c(imm);
      b.op(<u32>ARITH64[aop >> 4] - W_ARITH_I64_TO_I32);
      b.op(W_I64_EXTEND_I32_U);
    }
    this.setReg(dst);
  }

  /**
   * Swaps the bytes of the low `bits` bits of the i64 on the stack; the result's upper bits are 0. Inline, not a
   * call: a call in a loop makes V8 spill the values live across it, the eBPF registers, in every iteration.
   */
  private bswap(bits: i32): void {
    const b = this.out;
    if (bits == 16) {
      b.tee(L_T2); b.i64c(0xff); b.op(W_I64_AND); b.i64c(8); b.op(W_I64_SHL);
      b.get(L_T2); b.i64c(8); b.op(W_I64_SHR_U); b.i64c(0xff); b.op(W_I64_AND);
      b.op(W_I64_OR);
    } else if (bits == 32) {
      b.op(W_I32_WRAP_I64); b.tee(L_TI); b.i32c(8); b.op(W_I32_SHR_U); b.i32c(0x00ff00ff); b.op(W_I32_AND);
      b.get(L_TI); b.i32c(0x00ff00ff); b.op(W_I32_AND); b.i32c(8); b.op(W_I32_SHL);
      b.op(W_I32_OR); b.i32c(16); b.op(W_I32_ROTL); b.op(W_I64_EXTEND_I32_U);
    } else {
      b.tee(L_T2); b.i64c(8); b.op(W_I64_SHR_U); b.i64c(0x00ff00ff00ff00ff); b.op(W_I64_AND);
      b.get(L_T2); b.i64c(0x00ff00ff00ff00ff); b.op(W_I64_AND); b.i64c(8); b.op(W_I64_SHL);
      b.op(W_I64_OR); b.tee(L_T2);
      b.i64c(16); b.op(W_I64_SHR_U); b.i64c(0x0000ffff0000ffff); b.op(W_I64_AND);
      b.get(L_T2); b.i64c(0x0000ffff0000ffff); b.op(W_I64_AND); b.i64c(16); b.op(W_I64_SHL);
      b.op(W_I64_OR); b.i64c(32); b.op(W_I64_ROTL);
    }
  }

  // Division follows RFC 9669 like the interpreter: x / 0 = 0, x % 0 = x, MIN / -1 wraps, MIN % -1 = 0.
  // A 64-bit division by a constant stays i64.div_u / i64.div_s: V8 (11.3, x64) reduces it to its own 128-bit
  // multiply-high, and a multiply-high built here from 32-bit halves (four i64.mul) measured 2-3 times slower
  // (about 1.4-2.0 ns against 0.6-0.8 ns per division, unsigned and signed, divisors 3 to 2^31 - 1). A signed
  // 32-bit one stays i32.div_s / i32.rem_s: one i64 multiply by Hacker's Delight's magic number measured the same
  // for most divisors, and 0.07-0.14 ns less only where V8 adds the dividend back (7, -7): not worth its 470
  // bytes in a translator with a size budget.
  private div64(dst: u32, src: u32, imm: i32, x: bool, signed: bool, mod: bool): void {
    const b = this.out;
    const opc = signed ? (mod ? W_I64_REM_S : W_I64_DIV_S) : (mod ? W_I64_REM_U : W_I64_DIV_U);
    if (!x) {
      if (imm == 0) { if (!mod) { b.i64c(0); this.setReg(dst); } return; }
      if (signed && imm == -1) this.byMinus1_64(dst, mod);
      else { this.getReg(dst); b.i64c(<i64>imm); b.op(opc); }
      this.setReg(dst);
      return;
    }
    this.getReg(src); b.tee(L_T2); b.op(W_I64_EQZ);
    b.if_(T_I64);
    if (mod) this.getReg(dst); else b.i64c(0);
    b.else_();
    if (signed) {
      b.get(L_T2); b.i64c(-1); b.op(W_I64_EQ);
      b.if_(T_I64);
      this.byMinus1_64(dst, mod);
      b.else_();
    }
    this.getReg(dst); b.get(L_T2); b.op(opc);
    if (signed) b.end();
    b.end();
    this.setReg(dst);
  }

  /** x / -1 = -x (MIN wraps), x % -1 = 0 (64-bit, signed), on the stack. */
  private byMinus1_64(dst: u32, mod: bool): void {
    const b = this.out;
    b.i64c(0);
    if (!mod) { this.getReg(dst); b.op(W_I64_SUB); }
  }

  /** x / 0 = 0, x % 0 = x (32-bit), as an i64 on the stack. */
  private byZero32(dst: u32, mod: bool): void {
    const b = this.out;
    if (mod) { this.getReg(dst); b.i64c(0xffffffff); b.op(W_I64_AND); } else b.i64c(0);
  }

  /** x / -1 = -x (MIN wraps), x % -1 = 0 (32-bit, signed), as an i64 on the stack. */
  private byMinus1_32(dst: u32, mod: bool): void {
    const b = this.out;
    if (mod) b.i64c(0);
    else { b.i32c(0); this.getReg(dst); b.op(W_I32_WRAP_I64); b.op(W_I32_SUB); b.op(W_I64_EXTEND_I32_U); }
  }

  private div32(dst: u32, src: u32, imm: i32, x: bool, signed: bool, mod: bool): void {
    const b = this.out;
    const opc = (signed ? (mod ? W_I64_REM_S : W_I64_DIV_S) : (mod ? W_I64_REM_U : W_I64_DIV_U)) - W_ARITH_I64_TO_I32;
    if (!x) {
      if (imm == 0) {
        this.byZero32(dst, mod);
      } else if (signed && imm == -1) {
        this.byMinus1_32(dst, mod);
      } else {
        this.getReg(dst); b.op(W_I32_WRAP_I64);
        const done = !signed && this.divByReciprocal(<u32>imm, mod);
        if (!done) { b.i32c(imm); b.op(opc); b.op(W_I64_EXTEND_I32_U); }
      }
      this.setReg(dst);
      return;
    }
    this.getReg(src); b.op(W_I32_WRAP_I64); b.tee(L_TI); b.op(W_I32_EQZ);
    b.if_(T_I64);
    this.byZero32(dst, mod);
    b.else_();
    if (signed) {
      b.get(L_TI); b.i32c(-1); b.op(W_I32_EQ);
      b.if_(T_I64);
      this.byMinus1_32(dst, mod);
      b.else_();
    }
    this.getReg(dst); b.op(W_I32_WRAP_I64); b.get(L_TI); b.op(opc); b.op(W_I64_EXTEND_I32_U);
    if (signed) b.end();
    b.end();
    this.setReg(dst);
  }

  /**
   * With x (i32) on the stack, leaves x / d (or x % d) as an i64, by one 64-bit multiply: q = (x * m) >> s with
   * m = ceil(2^s / d) < 2^32, exact for every 32-bit x when m * d - 2^s <= 2^(s - 32); s is the largest with such
   * an m (the bound is then the loosest). Divisors without such an m (7, for one) take the 33-bit multiplier
   * 2^32 + ml = ceil(2^(32 + l) / d), l = ceil(log2 d), whose error is below d <= 2^l:
   * q = (((x * ml) >> 32) + x) >> l, the sum below 2^33. V8 reduces i32.div_u and i32.rem_u by a constant too,
   * but to longer sequences (measured: about 0.8 ns less per remainder on x64, and 0.15-0.2 ns less per division
   * where V8 needs its own add-and-shift fix-up, as for 7 or 2^31 - 1). False, emitting nothing, for powers of two
   * (V8's shift and mask are best) and for divisors of 2^31 and more without the 32-bit m (a quotient of 0 or 1).
   */
  private divByReciprocal(d: u32, mod: bool): bool {
    if ((d & (d - 1)) == 0) return false;
    const b = this.out;
    const sh: u64 = 63 - <u64>clz<u32>(d);
    const m = ((<u64>1 << sh) + <u64>d - 1) / <u64>d;
    const exact = m * <u64>d - (<u64>1 << sh) <= (<u64>1 << (sh - 32));
    if (!exact && d >= 0x80000000) return false; // the quotient is 0 or 1: V8's compare
    if (exact) {
      if (mod) { b.tee(L_TI); b.get(L_TI); }
      b.op(W_I64_EXTEND_I32_U); b.i64c(<i64>m); b.op(W_I64_MUL); b.i64c(<i64>sh); b.op(W_I64_SHR_U);
    } else {
      const l: u64 = 32 - <u64>clz<u32>(d - 1);
      const ml = ((<u64>1 << (32 + l)) + <u64>d - 1) / <u64>d - (<u64>1 << 32);
      b.tee(L_TI);
      if (mod) b.get(L_TI);
      b.op(W_I64_EXTEND_I32_U); b.i64c(<i64>ml); b.op(W_I64_MUL); b.i64c(32); b.op(W_I64_SHR_U);
      b.get(L_TI); b.op(W_I64_EXTEND_I32_U); b.op(W_I64_ADD); b.i64c(<i64>l); b.op(W_I64_SHR_U);
    }
    if (mod) { b.op(W_I32_WRAP_I64); b.i32c(<i32>d); b.op(W_I32_MUL); b.op(W_I32_SUB); b.op(W_I64_EXTEND_I32_U); }
    return true;
  }

  /** Leaves the condition of the jump at `pc` on the stack (i32). */
  private condition(pc: i32): void {
    const b = this.out;
    const p = this.code + (<usize>pc << 3);
    const op = <u32>load<u8>(p);
    const regs = <u32>load<u8>(p, 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const imm = load<i32>(p, 4);
    const jop = op & 0xf0;
    const x = (op & 8) != 0;
    // a select's `x s< 0` as x's sign bit: V8 moves on it as it is, where a compare makes a flag into 0 or 1 first
    if (this.selectMov >= 0 && jop == 0xc0 && !x && imm == 0) {
      this.getReg(dst);
      if ((op & 7) == CLS_JMP) { b.i64c(63); b.op(W_I64_SHR_U); b.op(W_I32_WRAP_I64); }
      else { b.op(W_I32_WRAP_I64); b.i32c(31); b.op(W_I32_SHR_U); }
      return;
    }
    if ((op & 7) == CLS_JMP) {
      this.getReg(dst);
      if (x) this.getReg(src); else b.i64c(<i64>imm);
      if (jop == 0x40) { b.op(W_I64_AND); b.i64c(0); b.op(W_I64_NE); }
      else b.op(<u32>CMP64[jop >> 4]);
    } else {
      this.getReg(dst); b.op(W_I32_WRAP_I64);
      if (x) { this.getReg(src); b.op(W_I32_WRAP_I64); } else b.i32c(imm);
      if (jop == 0x40) b.op(W_I32_AND);
      else b.op(<u32>CMP64[jop >> 4] - W_CMP_I64_TO_I32);
    }
  }

  /**
   * Address reg(base) + off in local t, checked for `size` bytes like the core's accessAllowed, fastest first:
   * the region cache of the access's kind (loads or stores) with one compare, then a search of the region table
   * (lookup), which refills the cache with the region it found. The cache holds [B, B + L + 8): the hot compare,
   * t - B <= L, is exact for 8-byte accesses and misses the last 8 - size bytes of the region for smaller ones,
   * which the cold path's exact compare then takes. The exact copy of a function, which runs only when the budget
   * is nearly out, asks the core after the hot compare (less code) and leaves the cache as it is.
   * Returns the offset for the access's memarg, 0 but for an access that needs no check here (in a versioned
   * loop's or a group's copy, see versioned) with an offset off >= 0 when `fold`: t is then reg(base) alone, and
   * the access adds off (see memOffset).
   */
  private checked(base: u32, off: i32, size: i32, write: bool, pc: i32, fold: bool): u32 {
    const b = this.out;
    const cb = write ? C_WB : C_RB;
    const cl = write ? C_WL : C_RL;
    this.getReg(base);
    if (this.proven[pc] != 0 && fold && memOffset(off)) { b.set(L_T); return <u32>off; }
    if (off != 0) { b.i64c(<i64>off); b.op(W_I64_ADD); }
    if (this.proven[pc] != 0) { b.set(L_T); return 0; } // in a versioned loop (see versioned)
    // A map value pointer (values.ts): the check only when the access may reach beyond the value
    const value = off >= 0 && (this.valuesNow & NOT_NULL) != 0 && (this.valuesNow >> base & 1) != 0;
    if (value) {
      b.set(L_T);
      b.get(L_VALUE); b.i32c(off + size); b.op(W_I32_LT_U); this.open();
      b.get(L_T);
    } else b.tee(L_T);
    b.i32c(0); b.mem(W_I64_LOAD, 3, cb); b.op(W_I64_SUB); b.i32c(0); b.mem(W_I64_LOAD, 3, cl); b.op(W_I64_GT_U);
    this.open();
    if (this.startGlobal) { // the exact copy, which runs little (see func): the cache stays the frames in use
      b.get(L_T); b.i32c(size); b.i32c(write ? 1 : 0); b.i32c(pc); b.call(F_CHECK);
      b.op(W_I32_EQZ);
      this.open(); this.bail(); this.close();
      this.close();
      if (value) this.close();
      return 0;
    }
    if (size < 8) {
      b.get(L_T); b.i32c(0); b.mem(W_I64_LOAD, 3, cb); b.op(W_I64_SUB);
      b.i32c(0); b.mem(W_I64_LOAD, 3, cl); b.i64c(<i64>(8 - size)); b.op(W_I64_ADD); b.op(W_I64_GT_U);
      this.open();
    }
    this.lookup(cb, cl, size, write, pc);
    if (size < 8) this.close();
    this.close();
    if (value) this.close();
    return 0;
  }

  /**
   * The cold path of a checked access at t: a search of the region table, in order, with the core's
   * test (accessAllowed: some region's readable, or writable, part holds [t, t + size)). Found: the region goes
   * to the cache when it has at least 8 bytes, and the access goes on. Not found: the fault is recorded as the
   * interpreter records it, and the function bails. Neither path calls: a value live across a call is spilled
   * (V8 then stores it at every definition, in the loop too), and the eBPF registers r0-r5 are live on the way
   * out (the function returns them).
   */
  private lookup(cb: u32, cl: u32, size: i32, write: bool, pc: i32): void {
    const b = this.out;
    const s = <u32>REGIONS + (write ? 8 : 0); // the readable (writable) part: start here, end 4 bytes on
    b.block(); this.ctx.push(CTX_IF); // found
    this.searchStart(1); // not found
    this.ctx.push(CTX_IF); this.ctx.push(CTX_IF);
    this.regionFits(write, size, false);
    this.open();
    b.get(L_T2); b.i64c(<i64>(size - 8)); b.op(W_I64_ADD); b.tee(L_T2); b.i64c(0); b.op(W_I64_GE_S);
    this.open();
    b.i32c(0); b.get(L_TI); b.mem(W_I64_LOAD32_U, 2, s); b.mem(W_I64_STORE, 3, cb);
    b.i32c(0); b.get(L_T2); b.mem(W_I64_STORE, 3, cl);
    this.close();
    b.br(3); // found
    this.close();
    b.get(L_TI); b.i32c(REGION_SIZE); b.op(W_I32_ADD); b.set(L_TI);
    b.br(0);
    this.ctx.pop(); b.end(); // loop
    this.ctx.pop(); b.end(); // not found
    b.i32c(0); b.i32c(write ? FAULT_WRITE : FAULT_READ); b.mem(W_I32_STORE, 2, STATE + ST_FAULT);
    b.i32c(0); b.i32c(pc); b.mem(W_I32_STORE, 2, STATE + ST_FAULT_PC);
    b.i32c(0); b.get(L_T); b.mem(W_I64_STORE, 3, STATE + ST_FAULT_ADDR);
    b.i32c(0); b.i32c(size); b.mem(W_I32_STORE, 2, STATE + ST_FAULT_SIZE);
    this.bail();
    this.ctx.pop(); b.end(); // found
  }

  /** ti = 0; block { loop { leaves to depth `out` (from the loop) after the last region; the loop goes on. */
  private searchStart(out: u32): void {
    const b = this.out;
    b.i32c(0); b.set(L_TI);
    b.block();
    b.loop();
    b.get(L_TI); b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_REGION_COUNT); b.i32c(REGION_SIZE); b.op(W_I32_MUL);
    b.op(W_I32_GE_U);
    b.brIf(out);
  }

  /**
   * Leaves on the stack whether the readable (writable) part of the region at table offset ti holds
   * [t, t + size), or with `span` [t, t + D + size), and in t2 its length less that (negative: too short).
   */
  private regionFits(write: bool, size: i32, span: bool): void {
    const b = this.out;
    const s = <u32>REGIONS + (write ? 8 : 0); // the part's start; its end 4 bytes on
    b.get(L_TI); b.mem(W_I64_LOAD32_U, 2, s + 4); b.get(L_TI); b.mem(W_I64_LOAD32_U, 2, s); b.op(W_I64_SUB);
    if (span) { b.get(L_D); b.op(W_I64_SUB); }
    b.i64c(<i64>size); b.op(W_I64_SUB); b.tee(L_T2);
    b.i64c(0); b.op(W_I64_GE_S);
    b.get(L_T); b.get(L_TI); b.mem(W_I64_LOAD32_U, 2, s); b.op(W_I64_SUB); b.get(L_T2); b.op(W_I64_LE_U);
    b.op(W_I32_AND);
  }

  /**
   * Resets the region caches to the frames in use, [STACK_BASE, fp) (region 0 of the table): at entry, and after
   * calls (a helper may change the region table, a callee or a callback filled the caches with regions that held
   * while it ran: its own deeper frames).
   */
  private forgetRegions(): void {
    const b = this.out;
    b.i32c(0); b.i64c(STACK_BASE); b.mem(W_I64_STORE, 3, C_RB);
    b.i32c(0); b.i64c(STACK_BASE); b.mem(W_I64_STORE, 3, C_WB);
    b.get(L_FP); b.i32c(STACK_BASE + 8); b.op(W_I32_SUB); b.op(W_I64_EXTEND_I32_U); b.set(L_T2);
    b.i32c(0); b.get(L_T2); b.mem(W_I64_STORE, 3, C_RL);
    b.i32c(0); b.get(L_T2); b.mem(W_I64_STORE, 3, C_WL);
  }

  private atomic(pc: i32, size: i32, dst: u32, src: u32, off: i32, imm: i32): void {
    const b = this.out;
    const op = <u32>imm;
    const lop = size == 8 ? W_I64_LOAD : W_I64_LOAD32_U;
    const sop = size == 8 ? W_I64_STORE : W_I64_STORE32;
    if (dst == 10 && inFrame(off, size)) {
      b.get(L_FP); b.op(W_I64_EXTEND_I32_U); b.i64c(<i64>off); b.op(W_I64_ADD); b.set(L_T);
    } else {
      this.checked(dst, off, size, true, pc, false);
    }
    // old value in t2
    b.get(L_T); b.op(W_I32_WRAP_I64); b.mem(lop, 0, 0); b.set(L_T2);
    if (op == <u32>ATOMIC_CMPXCHG) {
      b.get(L_T2); b.get(L_R0);
      if (size != 8) { b.i64c(0xffffffff); b.op(W_I64_AND); }
      b.op(W_I64_EQ);
      b.if_();
      b.get(L_T); b.op(W_I32_WRAP_I64); this.getReg(src); b.mem(sop, 0, 0);
      b.end();
      b.get(L_T2); b.set(L_R0);
      return;
    }
    b.get(L_T); b.op(W_I32_WRAP_I64);
    if (op == <u32>ATOMIC_XCHG) {
      this.getReg(src);
    } else {
      const base = op & ~(<u32>ATOMIC_FETCH);
      b.get(L_T2); this.getReg(src);
      b.op(base == <u32>ATOMIC_ADD ? W_I64_ADD : base == <u32>ATOMIC_OR ? W_I64_OR
        : base == <u32>ATOMIC_AND ? W_I64_AND : W_I64_XOR);
    }
    b.mem(sop, 0, 0);
    if ((op & <u32>ATOMIC_FETCH) != 0) { b.get(L_T2); this.setReg(src); }
  }

  /** LD_ABS / LD_IND: r0 = big-endian packet bytes; outside the packet the program ends with r0 = 0. */
  private packetLoad(ind: bool, src: u32, imm: i32, size: i32): void {
    const b = this.out;
    b.i64c(<i64>imm);
    if (ind) { this.getReg(src); b.op(W_I32_WRAP_I64); b.op(W_I64_EXTEND_I32_S); b.op(W_I64_ADD); }
    b.tee(L_T); b.i64c(0); b.op(W_I64_LT_S);
    b.get(L_T); b.i64c(<i64>size); b.op(W_I64_ADD);
    b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_PKT_LEN); b.op(W_I64_EXTEND_I32_U); b.op(W_I64_GT_U);
    b.op(W_I32_OR);
    this.open();
    b.i32c(0); b.i64c(0); b.mem(W_I64_STORE, 3, REGS);
    b.i32c(0); b.i32c(STOP_PACKET); b.mem(W_I32_STORE, 2, STATE + ST_STOPPED);
    b.get(L_CNT); b.gset(G_REMAINING);
    b.i64c(0); b.set(L_R0);
    this.bail();
    this.close();
    b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_PKT); b.get(L_T); b.op(W_I32_WRAP_I64); b.op(W_I32_ADD);
    if (size == 1) b.mem(W_I64_LOAD8_U, 0, 0);
    else if (size == 2) { b.mem(W_I64_LOAD16_U, 0, 0); this.bswap(16); }
    else { b.mem(W_I64_LOAD32_U, 0, 0); this.bswap(32); }
    b.set(L_R0);
  }

  private call(pc: i32, op: u32, dst: u32, src: u32, imm: i32): void {
    const b = this.out;
    if ((op & 8) == 0) {
      if (src == <u32>CALL_LOCAL) { this.localCall(pc, pc + 1 + imm); return; }
      if (src != <u32>CALL_HELPER) {
        faultCall(b, FAULT_BAD_INSN, pc, <i64>op, 0);
        this.bail();
        return;
      }
      if (imm == HELPER_TAIL_CALL) { this.tailCall(pc); return; }
      this.helperCall(pc, imm, false);
      return;
    }
    // callx: the helper id is in dst
    this.getReg(dst); b.op(W_I32_WRAP_I64); b.tee(L_TI); b.i32c(HELPER_TAIL_CALL); b.op(W_I32_EQ);
    this.open();
    this.tailCall(pc);
    b.else_();
    this.helperCall(pc, 0, true);
    this.close();
  }

  /** Helpers read r1-r5 from REGS and write r0 there; a callback they run starts from REGS and leaves r0-r5 in it. */
  private helperCall(pc: i32, id: i32, dynamic: bool): void {
    const b = this.out;
    // map_lookup_elem, map_update_elem, map_delete_elem: block $done { block $slow { inline } the core's helper }
    if (!dynamic && id >= HELPER_LOOKUP_ELEM && id <= HELPER_DELETE_ELEM) {
      if (id == HELPER_LOOKUP_ELEM) { b.i32c(0); b.set(L_VALUE); } // the inline lookup may set it (values.ts)
      b.block(); this.ctx.push(CTX_IF);
      b.block(); this.ctx.push(CTX_IF);
      inlineMapCall(b, id);
      this.close();
      this.coreHelper(pc, id, false);
      this.close();
      return;
    }
    this.coreHelper(pc, id, dynamic);
  }

  /** The core's helperCall, with the registers in REGS. */
  private coreHelper(pc: i32, id: i32, dynamic: bool): void {
    const b = this.out;
    this.storeRegs();
    b.get(L_CNT); b.gset(G_REMAINING);
    if (dynamic) b.get(L_TI); else b.i32c(id);
    b.i32c(pc); b.call(F_HELPER);
    this.loadRegs();
    b.op(W_I32_EQZ);
    this.open(); this.bail(); this.close();
    b.gget(G_REMAINING); b.set(L_CNT);
    this.forgetRegions();
  }

  /** bpf_tail_call: the target program continues with every register; its exit returns from this function. */
  private tailCall(pc: i32): void {
    const b = this.out;
    this.storeRegs();
    b.i32c(pc); b.call(F_TAIL); b.tee(L_TI); b.i32c(0); b.op(W_I32_GE_S);
    this.open();
    b.i32c(0); b.get(L_CNT); b.mem(W_I64_STORE, 3, STATE + ST_EXECUTED);
    b.get(L_TI);
    this.getRegs(1, 5);
    b.get(L_FP);
    b.get(L_R0);
    this.getRegs(6, 9);
    b.call(F_TAIL_RUN); b.set(L_R0);
    for (let r: u32 = 1; r <= 5; r++) { b.i32c(0); b.mem(W_I64_LOAD, 3, REGS + r * 8); b.set(regLocal(r)); }
    b.i32c(0); b.mem(W_I64_LOAD, 3, STATE + ST_EXECUTED); b.gset(G_REMAINING);
    this.returnRegs();
    this.close();
    b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_FAULT);
    this.open(); this.bail(); this.close();
  }

  /** A bpf-to-bpf call: a Wasm call with a new frame; the callee starts with the caller's r0-r9. */
  private localCall(pc: i32, target: i32): void {
    const b = this.out;
    const f = target >= 0 && target < this.count ? this.funcOf[target] : -1;
    if (f < 0) { faultCall(b, FAULT_BAD_INSN, pc, 0x85, 0); this.bail(); return; }
    b.get(L_FP); b.i32c(STACK_END); b.op(W_I32_GE_U);
    this.open(); depthFault(b, pc, L_FP); this.bail(); this.close();
    b.get(L_FP); b.i32c(STACK_SIZE); b.op(W_I32_ADD); b.set(L_TI);
    setStackTop(b, L_TI);
    b.get(L_CNT); b.gset(G_REMAINING);
    this.getRegs(1, 5);
    b.get(L_TI);
    b.get(L_R0);
    this.getRegs(6, 9);
    b.call(F_FIRST + <u32>f);
    for (let r: u32 = 5; r >= 1; r--) b.set(regLocal(r));
    b.set(L_R0);
    b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_FAULT);
    b.i32c(0); b.mem(W_I32_LOAD, 2, STATE + ST_STOPPED); b.op(W_I32_OR);
    this.open(); this.bail(); this.close();
    b.gget(G_REMAINING); b.set(L_CNT);
    setStackTop(b, L_FP);
    this.forgetRegions();
  }
}

@inline function inFrame(off: i32, size: i32): bool { return off >= -STACK_SIZE && off + size <= 0; }

/**
 * Whether an access that needs no check (its bytes lie in a region) can take its offset `off` in the memarg, the
 * base wrapped to 32 bits alone: every region lies at or above STACK_BASE, above any offset >= 0 (at most 0x7fff),
 * so base = address - off is below 2^32 and Wasm's base + off (which does not wrap) is the address. V8 then folds
 * the offset into the access instead of adding and zero-extending.
 */
@inline function memOffset(off: i32): bool { return off >= 0 && STACK_BASE > 0x7fff; }
