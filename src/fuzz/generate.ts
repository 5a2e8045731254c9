// The fuzzer's program generator: seeded, reproducible random programs that pass the validator (known opcodes
// only, every jump inside the program and on an instruction boundary, every function ending in exit).
//
// Shape of a program: a main function and up to three subprograms reached with bpf-to-bpf calls (a subprogram
// only calls later ones, so calls nest but never recurse - except the deliberate recursion fault). Each function
// is a block of "macros" (one or a few instructions that belong together); forward jumps land only on macro
// boundaries inside the same block, loops count a register down from at most 8 or up to a limit at most 8 away,
// and index loops step r8 up to a bound in at most 12 rounds, so every program ends unless it faults on purpose.
// Index loops are the counted loops the translators version (one range test before the loop, then a copy without
// checks): r8 = start; body; r8 += step; jlt r8, bound (64-bit, a register or a non-negative immediate), the body
// reading and writing the input or the stack through base + r8 (+ a register the loop does not write) + offset,
// with r8 sometimes starting near 2^31 or 2^32 or above, and accesses that reach the region's last byte exactly.
// Shaped loops (loops.ts) are the forms clang -O2 emits, with up to a few hundred rounds: any data register
// counting up or down in 32 or 64 bits to a bound tested with any comparison, bumped pointers, a second counter,
// nests, searches left early, table loads, rotates, products and divisions by constants, u64 counters on the stack,
// with most of r0-r8 live across the loop; one in five (by the input's length) is an index stepped by 1 or 2 as a
// byte read says, bounded only by the loop's own compares (factloops.ts). A quarter of the inputs are 97-512 bytes
// long to give them room.
// Selects are clang's conditional jumps over one to three ALU macros, some followed by one more and the same
// comparison again. A quarter of the programs without a budget planted run with none (0: no limit), those that end
// within the default one.
// Register use:
//   r9  the input pointer (copied from r1 on entry to every function: a caller passes it in r1)
//   r10 the frame pointer
//   r0-r8 data: random values, never pointers, so results do not depend on where memory lives - except a scratch
//       register holding an address computed from data between the instructions that build it and the access
//       through it, after which it is overwritten, and a shaped loop's bumped and end pointers, overwritten
//       right after the loop (an exit from its middle included); the arithmetic never reads them
//   r8  also the loop counter inside a loop body (the body does not write it)
// Each function first fills the 64 bytes below its r10 so that no stack read sees stale memory, and gives every
// register it may read a value: by default programs read only what the kernel's verifier would consider set
// (a subprogram's r2-r5 arguments, never its caller's r0/r6-r9; a caller's r0 after a call, never r1-r5).
//
// Deliberate faults (a few percent of programs): out-of-bounds reads and writes on the input and the stack, a
// random data value used as an address, unbounded recursion, an endless loop under a small budget, and index loops
// whose accesses leave the region on the last round or the first, or whose address has a high word that 32-bit
// arithmetic would drop, or that run under a budget ending in or near them; shaped loops with an access one byte
// (or a few) past the region's end on the last round or before the input, or under a budget ending in them. Some
// of the programs that fault where planted run under a budget that runs out a few instructions before or after
// the fault (a charge per block must not hide the access's fault, nor skip the stores before it).
import { Random } from "./random.js";
import {
  SIZE_BITS,
  alu,
  mov64x,
  lddw,
  st,
  stx,
  exit,
  assembleItems,
  type Label,
  type Insn,
  type Item,
  type Macro,
} from "./insns.js";
import { shapedLoop } from "./loops.js";
import { factLoop, matchLoop, minLoop } from "./factloops.js";
import { evaluate } from "./reference.js";
import { STACK_BASE } from "../../assembly/layout.js";

/**
 * Whether the program ends (its exit, or a fault) within `budget` instructions on the reference evaluator. Where
 * the input lies does not matter: every engine puts it somewhere else, and the programs agree on all of them.
 */
function endsWithin(code: Uint8Array, input: Uint8Array, budget: number): boolean {
  const { error } = evaluate(code, input, { inputAddr: 0x30000, stackBase: STACK_BASE, budget });
  return !error?.startsWith("instruction budget");
}

export interface FuzzProgram {
  seed: number;
  code: Uint8Array;
  input: Uint8Array;
  /** Instruction budget to run with (small when the program is meant to exhaust it). */
  budget: number;
  /** The deliberate fault planted in the program, if any (it may be skipped by a jump). */
  planted?: string;
}

export interface GenerateOptions {
  /** Chance that a program plants a deliberate fault. Default 0.15. */
  faultRate?: number;
  /** Chance that a memory access is unaligned. Default 0.03. */
  unalignedRate?: number;
  /**
   * Let subprograms read r0 and r6-r8 as their caller left them, and callers read r1-r5 as the callee left them
   * (tinybpf's interpreter passes every register through; the kernel's verifier refuses such programs). Default
   * false: only what the kernel defines.
   */
  inheritRegisters?: boolean;
}

export const DEFAULT_BUDGET = 100_000;
const STACK_USED = 64; // bytes below r10 that each function initialises and uses
const INPUT_PTR = 9;
const LOOP_REG = 8;

const SIZES = [1, 2, 4, 8];
const JUMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const ATOMIC_IMMS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
const INTERESTING32 = [
  0, 1, -1, 2, 3, 7, 8, 16, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, -0x80000000, -2,
  -0x8000, 0x10000, 0x12345678,
];
const INTERESTING64 = [
  0n,
  1n,
  0xffffffffffffffffn,
  0x8000000000000000n,
  0x7fffffffffffffffn,
  0xffffffffn,
  0x80000000n,
  0x100000000n,
  0xffffffff00000000n,
  0x0123456789abcdefn,
  0xfedcba9876543210n,
];

export function generate(seed: number, options: GenerateOptions = {}): FuzzProgram {
  return new Generator(seed >>> 0, options).program();
}

class Generator {
  private rng: Random;
  private labelCount = 0;
  private inputLen: number;
  private input = new Uint8Array();
  private funcLabels: Label[] = [];
  private funcCount: number;
  private recursive?: Label;
  private planted?: string;
  private budget = DEFAULT_BUDGET;
  private faultRate: number;
  private unalignedRate: number;
  private inheritRegisters: boolean;

  constructor(
    private seed: number,
    options: GenerateOptions,
  ) {
    this.rng = new Random(seed);
    this.faultRate = options.faultRate ?? 0.15;
    this.unalignedRate = options.unalignedRate ?? 0.03;
    this.inheritRegisters = options.inheritRegisters ?? false;
    // Mostly small inputs; some long enough for a shaped loop's few hundred rounds.
    this.inputLen = this.rng.chance(0.25) ? this.rng.between(97, 512) : this.rng.between(8, 96);
    this.funcCount = 1 + this.rng.below(4);
  }

  program(): FuzzProgram {
    const rng = this.rng;
    const input = (this.input = new Uint8Array(this.inputLen));
    for (let i = 0; i < input.length; i++) input[i] = rng.below(256);
    for (let f = 0; f < this.funcCount; f++) this.funcLabels.push(this.label());

    // Choose the deliberate fault now; it is planted at a random place in some function.
    let faultFunc = -1;
    let faultMacro: Macro | undefined;
    let faultFirst = false; // the fault macro opens main's body (a budget counted from the program's start)
    if (rng.chance(this.faultRate)) {
      const kind = rng.below(8);
      faultFunc = rng.below(this.funcCount);
      if (kind === 7) {
        faultFirst = rng.chance(0.3);
        if (faultFirst) faultFunc = 0;
        faultMacro = this.shapedLoop(faultFirst ? "budget" : "memory");
      } else if (kind === 6) {
        faultFirst = rng.chance(0.25);
        if (faultFirst) faultFunc = 0;
        faultMacro = this.indexLoop(faultFirst ? "budget" : "memory");
      } else if (kind === 4) {
        this.recursive = this.label();
        faultMacro = this.callMacro(this.recursive);
        this.planted = "recursion past the call-depth limit";
      } else if (kind === 5) {
        this.budget = rng.between(3, 300);
        faultMacro = this.endlessLoop();
        this.planted = `endless loop under a budget of ${this.budget}`;
      } else {
        faultMacro = this.badAccess(kind);
      }
    }

    const funcs: Item[][] = [];
    for (let f = 0; f < this.funcCount; f++) {
      const macros: Macro[] = [];
      // Main: r1 is the input. A subprogram gets the input pointer in r1 from its caller and, under the kernel's
      // rules, must not read r0 or r6-r9 before it sets them; r2-r5 are its arguments.
      const keep = f === 0 ? [] : this.inheritRegisters ? [0, 2, 3, 4, 5, 6, 7, 8] : [2, 3, 4, 5];
      macros.push([mov64x(INPUT_PTR, 1)], ...this.registerInit(keep));
      macros.push(...this.stackInit());
      const body = this.block(f, rng.between(3, 14), true, new Set());
      if (f === faultFunc && faultMacro) body.splice(faultFirst ? 0 : rng.below(body.length + 1), 0, faultMacro);
      macros.push(...body, [exit()]);
      funcs.push([this.funcLabels[f], ...this.linkBlock(macros, false)]);
    }
    if (this.recursive) {
      // Each level counts itself into the input, so the depth reached shows in the input afterwards.
      // r2 counts the levels (an argument, so defined in every frame).
      const counter = this.rng.below(Math.floor(this.inputLen / 8)) * 8;
      funcs.push([
        this.recursive,
        mov64x(INPUT_PTR, 1),
        ...this.stackInit().flat(),
        alu(0x07, 0x00, 2, 0, 0, 1),
        stx(8, INPUT_PTR, counter, 2),
        ...this.callMacro(this.recursive),
        exit(),
      ]);
    }
    // A budget hit anywhere; not for the index loop's, which is chosen to run out in or near it.
    if (this.budget !== DEFAULT_BUDGET && !faultFirst && rng.chance(0.5)) this.budget = rng.between(1, 40);
    // Some without a budget (0: no limit): the ARM32 translator charges none per block, and converts jumps over a
    // few instructions only then (jit/select.ts). Only a program the reference evaluator sees end within the default
    // budget: a shaped loop's bound may keep it running for years, every engine with it.
    const code = assembleItems(funcs.flat());
    if (this.budget === DEFAULT_BUDGET && rng.chance(0.25) && endsWithin(code, input, DEFAULT_BUDGET)) this.budget = 0;
    if (this.budget === DEFAULT_BUDGET && this.planted) this.budget = this.budgetNearFault(code, input);
    return { seed: this.seed, code, input, budget: this.budget, planted: this.planted };
  }

  /**
   * A budget running out near the fault a program makes where planted (three in ten of those that fault but not
   * on a budget): from three instructions before it to two after, so that the budget runs out in the middle of
   * the faulting access's block, or just before the access, or the access faults just before it would. Drawn
   * from a source of its own: the programs of every seed stay what they were, only some budgets change.
   */
  private budgetNearFault(code: Uint8Array, input: Uint8Array): number {
    const { error, executed } = evaluate(code, input, {
      inputAddr: 0x30000,
      stackBase: STACK_BASE,
      budget: this.budget,
    });
    const near = new Random((this.seed ^ 0x6b75d1e3) >>> 0);
    if (!error || error.startsWith("instruction budget") || !near.chance(0.3)) return this.budget;
    this.planted += ` under a budget near it`;
    return near.between(Math.max(1, executed - 3), executed + 2);
  }

  private label(): Label {
    return { id: this.labelCount++ };
  }

  private dataReg(avoid: Set<number>): number {
    for (;;) {
      const r = this.rng.below(9);
      if (!avoid.has(r)) return r;
    }
  }

  private imm32(): number {
    const rng = this.rng;
    const k = rng.below(20);
    if (k < 3) return 0;
    if (k < 10) return rng.pick(INTERESTING32);
    if (k < 15) return rng.between(-4, 8);
    return rng.u32() | 0;
  }

  private value64(): bigint {
    return this.rng.chance(0.5) ? this.rng.pick(INTERESTING64) : this.rng.u64();
  }

  /** Sets a data register to a constant: mov (sign-extended), mov32 (zero-extended) or lddw. */
  private constant(dst: number): Macro {
    const k = this.rng.below(3);
    if (k === 0) return [alu(0x07, 0xb0, dst, 0, 0, this.imm32())];
    if (k === 1) return [alu(0x04, 0xb0, dst, 0, 0, this.imm32())];
    return [lddw(dst, this.value64())];
  }

  private registerInit(keep: number[]): Macro[] {
    const out: Macro[] = [];
    for (let r = 0; r <= 8; r++) if (!keep.includes(r)) out.push(this.constant(r));
    return out;
  }

  private stackInit(): Macro[] {
    const out: Macro[] = [];
    for (let at = 8; at <= STACK_USED; at += 8) {
      if (this.rng.chance(0.5)) out.push([st(8, 10, -at, this.imm32())]);
      else out.push([stx(8, 10, -at, this.rng.below(9))]);
    }
    return out;
  }

  /** A block of macros; forward jumps in it land on its own macro boundaries (or just past its end). */
  private block(func: number, n: number, loopsAllowed: boolean, avoid: Set<number>): Macro[] {
    const rng = this.rng;
    const macros: Macro[] = [];
    for (let i = 0; i < n; i++) {
      const w = rng.below(104);
      if (w < 30) macros.push(this.aluMacro(avoid));
      else if (w < 34) macros.push(this.selectMacro(avoid));
      else if (w < 38) macros.push(this.constant(this.dataReg(avoid)));
      else if (w < 48) macros.push(this.stackAccess(avoid));
      else if (w < 58) macros.push(this.inputAccess(avoid));
      else if (w < 61) macros.push(this.indexedAccess(avoid));
      else if (w < 67) macros.push(this.atomicMacro(avoid));
      else if (w < 82) macros.push(this.jumpMacro(avoid));
      else if (w < 87 && loopsAllowed) macros.push(...this.loop(func));
      else if (w < 93 && func + 1 < this.funcCount)
        macros.push(this.callMacro(this.funcLabels[rng.between(func + 1, this.funcCount - 1)]));
      else if (w < 95) macros.push(this.earlyExit(avoid));
      else if (w < 97 && loopsAllowed) macros.push(this.indexLoop());
      else if (w >= 100 && loopsAllowed) macros.push(this.shapedLoop());
      else macros.push(this.aluMacro(avoid));
    }
    return macros;
  }

  /** Resolves a block's pending forward jumps: each `forward` marker gets a label at a later boundary. */
  private linkBlock(macros: Macro[], endAllowed: boolean): Item[] {
    const last = endAllowed ? macros.length : macros.length - 1;
    const out: Item[] = [];
    const pending: { label: Label; at: number }[] = [];
    macros.forEach((m, i) => {
      for (const p of pending) if (p.at === i) out.push(p.label);
      for (const item of m) {
        out.push(item);
        if ("op" in item && item.target === FORWARD) {
          const label = this.label();
          item.target = label;
          pending.push({ label, at: this.rng.between(i + 1, Math.max(i + 1, last)) });
        }
      }
    });
    for (const p of pending) if (p.at === macros.length) out.push(p.label);
    return out;
  }

  private aluMacro(avoid: Set<number>): Macro {
    const rng = this.rng;
    const cls = rng.chance(0.5) ? 0x07 : 0x04;
    const dst = this.dataReg(avoid);
    const kind = rng.below(16);
    const fromReg = rng.chance(0.5);
    const src = this.dataReg(new Set());
    switch (kind) {
      case 8:
        return [alu(cls, 0x80, dst, 0, 0, 0)]; // neg
      case 13: {
        // movsx
        const widths = cls === 0x07 ? [8, 16, 32] : [8, 16];
        return [{ op: cls | 0xb8, dst, src, off: rng.pick(widths), imm: 0 }];
      }
      case 14: {
        // byte order: le/be (ALU) or bswap (ALU64)
        const width = rng.pick([16, 32, 64]);
        if (cls === 0x07) return [{ op: 0xd7, dst, src: 0, off: 0, imm: width }];
        return [{ op: rng.chance(0.5) ? 0xd4 : 0xdc, dst, src: 0, off: 0, imm: width }];
      }
      case 15: {
        // sdiv / smod (offset 1)
        const aop = rng.chance(0.5) ? 0x30 : 0x90;
        return [fromReg ? { op: cls | aop | 8, dst, src, off: 1, imm: 0 } : alu(cls, aop, dst, 0, 1, this.imm32())];
      }
      default: {
        // add sub mul div or and lsh rsh (neg) mod xor mov arsh
        const aop = kind << 4;
        if (fromReg) return [{ op: cls | aop | 8, dst, src, off: 0, imm: 0 }];
        const shift = aop === 0x60 || aop === 0x70 || aop === 0xc0;
        return [alu(cls, aop, dst, 0, 0, shift && rng.chance(0.8) ? rng.between(0, 70) : this.imm32())];
      }
    }
  }

  private offsetFor(size: number, room: number): number {
    if (this.rng.chance(this.unalignedRate)) return this.rng.between(0, room - size);
    return this.rng.below(Math.floor((room - size) / size) + 1) * size;
  }

  private load(size: number, dst: number, base: number, off: number): Insn {
    if (size < 8 && this.rng.chance(0.3)) return { op: 0x81 | SIZE_BITS[size], dst, src: base, off, imm: 0 }; // ldxs*
    return { op: 0x61 | SIZE_BITS[size], dst, src: base, off, imm: 0 };
  }

  private store(size: number, base: number, off: number, avoid: Set<number>): Insn {
    void avoid;
    if (this.rng.chance(0.3)) return st(size, base, off, this.imm32());
    // Never store the address register itself: values must not depend on where memory lives, or engines that
    // keep memory elsewhere (the ARM32 executable) could not be compared.
    return stx(size, base, off, this.dataReg(new Set([base])));
  }

  private stackAccess(avoid: Set<number>): Macro {
    const size = this.rng.pick(SIZES);
    const off = this.offsetFor(size, STACK_USED) - STACK_USED;
    return [this.rng.chance(0.5) ? this.load(size, this.dataReg(avoid), 10, off) : this.store(size, 10, off, avoid)];
  }

  private inputAccess(avoid: Set<number>): Macro {
    const size = this.rng.pick(SIZES.filter((s) => s <= this.inputLen));
    const off = this.offsetFor(size, this.inputLen);
    return [
      this.rng.chance(0.5)
        ? this.load(size, this.dataReg(avoid), INPUT_PTR, off)
        : this.store(size, INPUT_PTR, off, avoid),
    ];
  }

  /** An address computed from data: r9 + (rX & mask), used at once, then the pointer is overwritten. */
  private indexedAccess(avoid: Set<number>): Macro {
    const rng = this.rng;
    const size = rng.pick(SIZES.filter((s) => s <= this.inputLen));
    let mask = 1;
    while (mask * 2 <= this.inputLen - size + 1) mask *= 2;
    const tmp = this.dataReg(new Set([...avoid, LOOP_REG]));
    const index = this.dataReg(new Set());
    const out: Macro = [
      { op: 0xbf, dst: tmp, src: index, off: 0, imm: 0 },
      alu(0x07, 0x50, tmp, 0, 0, (mask - 1) & ~(size - 1)),
      { op: 0x0f, dst: tmp, src: INPUT_PTR, off: 0, imm: 0 },
    ];
    if (rng.chance(0.5)) {
      const dst = this.dataReg(avoid);
      out.push(this.load(size, dst, tmp, 0));
      if (dst !== tmp) out.push(...this.constant(tmp));
    } else {
      out.push(this.store(size, tmp, 0, avoid), ...this.constant(tmp));
    }
    return out;
  }

  private atomicMacro(avoid: Set<number>): Macro {
    const rng = this.rng;
    const size = rng.chance(0.5) ? 8 : 4;
    const imm = rng.pick(ATOMIC_IMMS);
    const onStack = rng.chance(0.5) || this.inputLen < size;
    const base = onStack ? 10 : INPUT_PTR;
    const room = onStack ? STACK_USED : this.inputLen;
    const off = rng.below(Math.floor(room / size)) * size - (onStack ? STACK_USED : 0);
    // Fetching forms write the source register (cmpxchg writes r0): keep those out of the loop counter.
    const srcAvoid = imm & 1 ? avoid : new Set<number>();
    if (imm === 0xf1 && avoid.has(0)) return this.aluMacro(avoid);
    return [{ op: 0xc3 | SIZE_BITS[size], dst: base, src: this.dataReg(srcAvoid), off, imm }];
  }

  private jumpMacro(avoid: Set<number>): Macro {
    const rng = this.rng;
    const k = rng.below(20);
    if (k === 0) return [{ op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: FORWARD, targetIn: "off" }];
    if (k === 1) return [{ op: 0x06, dst: 0, src: 0, off: 0, imm: 0, target: FORWARD, targetIn: "imm" }]; // gotol
    void avoid;
    const cls = rng.chance(0.5) ? 0x05 : 0x06;
    const jop = rng.pick(JUMP_OPS);
    const dst = this.dataReg(new Set());
    if (rng.chance(0.5)) {
      const src = rng.chance(0.2) ? dst : this.dataReg(new Set()); // a register against itself: always equal
      return [{ op: cls | jop | 8, dst, src, off: 0, imm: 0, target: FORWARD, targetIn: "off" }];
    }
    return [{ op: cls | jop, dst, src: 0, off: 0, imm: this.imm32(), target: FORWARD, targetIn: "off" }];
  }

  /**
   * clang's select (`x = c ? a : b`, `if (c) n++`): a conditional jump over one to three ALU macros, which the
   * ARM32 translator runs under a condition instead (jit/select.ts); sometimes one more macro and the same
   * comparison again, whose flags it may reuse.
   */
  private selectMacro(avoid: Set<number>): Macro {
    const rng = this.rng;
    const op = (rng.chance(0.5) ? 0x05 : 0x06) | rng.pick(JUMP_OPS) | (rng.chance(0.5) ? 8 : 0);
    const dst = this.dataReg(new Set());
    const src = op & 8 ? this.dataReg(new Set()) : 0;
    const imm = op & 8 ? 0 : this.imm32();
    const out: Macro = [];
    const rounds = rng.chance(0.3) ? 2 : 1;
    for (let r = 0; r < rounds; r++) {
      const join = this.label();
      out.push({ op, dst, src, off: 0, imm, target: join, targetIn: "off" });
      for (let k = rng.between(1, 3); k > 0; k--) out.push(...this.aluMacro(avoid));
      out.push(join);
      if (r + 1 < rounds) out.push(...this.aluMacro(avoid));
    }
    return out;
  }

  private earlyExit(avoid: Set<number>): Macro {
    const skip = this.label();
    const jop = this.rng.pick(JUMP_OPS);
    return [
      { op: 0x05 | jop, dst: this.dataReg(avoid), src: 0, off: 0, imm: this.imm32(), target: skip, targetIn: "off" },
      exit(),
      skip,
    ];
  }

  /**
   * mov r8, n; body; r8 -= 1; if r8 != 0 goto body - or a loop counting r8 up to a limit at a boundary where a
   * carry or a high word matters (2^31 - 1, 2^32 - 1 in 32 or 64 bits, 2^64 - 1). Either way at most 8 rounds.
   * The body neither writes r8 nor loops itself.
   */
  private loop(func: number): Macro[] {
    const rng = this.rng;
    const top = this.label();
    const avoid = new Set([LOOP_REG]);
    const body = this.linkBlock(this.block(func, rng.between(1, 6), false, avoid), true);
    const n = rng.between(1, 8);
    if (rng.chance(0.5)) {
      const back: Insn = rng.chance(0.5)
        ? { op: 0x55, dst: LOOP_REG, src: 0, off: 0, imm: 0, target: top, targetIn: "off" }
        : { op: 0x56, dst: LOOP_REG, src: 0, off: 0, imm: 0, target: top, targetIn: "off" }; // jne32
      return [[alu(0x07, 0xb0, LOOP_REG, 0, 0, n), top, ...body, alu(0x07, 0x00, LOOP_REG, 0, 0, -1), back]];
    }
    // [first value, jump opcode, immediate]: r8 counts up by one while r8 < limit (jlt, jlt32, jslt32)
    const ups: [bigint, number, number][] = [
      [0xffffffffn - BigInt(n), 0xa6, -1], // jlt32 against 0xffffffff, high word 0
      [0x1ffffffffn - BigInt(n), 0xa6, -1], // the same low words with a high word: the 32-bit test bounds nothing
      [(1n << 64n) - 1n - BigInt(n), 0xa5, -1], // jlt against 2^64 - 1
      [0x7fffffffn - BigInt(n), 0xa5, 0x7fffffff],
      [0x7fffffffn - BigInt(n), 0xc6, 0x7fffffff], // jslt32
    ];
    const [first, op, imm] = rng.pick(ups);
    const back: Insn = { op, dst: LOOP_REG, src: 0, off: 0, imm, target: top, targetIn: "off" };
    return [[lddw(LOOP_REG, first), top, ...body, alu(0x07, 0x00, LOOP_REG, 0, 0, 1), back]];
  }

  /**
   * An index loop, as compilers emit `for (i = s; i < bound; i += step) ... p[i + c] ...`: r8 = s; body;
   * r8 += step; if r8 < bound goto body (64-bit jlt against a register or a non-negative immediate; step a
   * constant, or a register set before the loop), at most 12 rounds. These are the loops both translators version
   * (one test of the whole range before the loop, then a copy without checks), so each round makes 1-3 accesses
   * through base + r8 (+ an invariant register) + offset, base being r9 or r10 - k. The address is built in a
   * scratch register right before the access and overwritten right after it (by a load into it or a constant),
   * so no pointer reaches anything a result depends on. Most loops stay inside the input or the 64 initialised
   * stack bytes, some reach the region's last byte exactly. r8 may start near 2^31 or 2^32 or with a high word,
   * an invariant register bringing the address back into the region: the copy without checks computes in 32 bits
   * and must be refused where that would wrap. The body's other macros leave r8, the step, the bound and the
   * invariant register alone and make no calls.
   *
   * `fault`: "memory" plants an access past the region's end on the last round, before the input on the first,
   * or at an address whose high word 32-bit arithmetic would drop; "budget" sets a budget that runs out around
   * the loop (which the caller puts first in main, so that the count before it is known).
   */
  private indexLoop(fault?: "memory" | "budget"): Macro {
    const rng = this.rng;
    const M64 = (1n << 64n) - 1n;
    const onStack = rng.chance(0.4);
    const room = onStack ? STACK_USED : this.inputLen;
    const sizes = Array.from({ length: rng.between(1, 3) }, () => rng.pick(SIZES.filter((z) => z <= room)));
    const step = rng.pick([1, 2, 4, 8, 3, 12]);
    const rounds = rng.between(1, Math.min(12, Math.floor((room - Math.max(...sizes)) / step) + 1));
    const span = (rounds - 1) * step; // r8's last value in the loop minus its first
    const faultKind = fault === "memory" ? rng.pick(onStack ? ["end", "high"] : ["end", "high", "before"]) : "";

    // r8's first value and the invariant register's; `sum` (r8 + inv as the address sees it) stays small.
    let start: bigint,
      inv: bigint | undefined,
      invAlways = false;
    const shape = rng.below(10);
    if (shape < 5) start = BigInt(rng.between(0, 40));
    else if (shape === 9) {
      start = BigInt(rng.between(0, 8));
      inv = BigInt(rng.between(0, 8));
    } else {
      const near = rng.pick([0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n]);
      start =
        shape < 7
          ? near - BigInt(rng.between(0, span + step + 1))
          : (BigInt(rng.between(1, 0xffff)) << 32n) + BigInt(rng.between(0, 0x1000) * (shape === 7 ? 1 : 0x10000));
      inv = (BigInt(rng.between(0, 8)) - start) & M64;
      invAlways = true;
    }
    if (faultKind === "high") {
      // the address is off by a multiple of 2^32: right in 32 bits, wrong in 64
      const high = BigInt(rng.between(1, 0xffff)) << 32n;
      if (inv === undefined) start += high;
      else {
        inv = (inv + high) & M64;
        invAlways = true;
      }
    }
    let bound: bigint;
    if (rounds === 1 && rng.chance(0.3))
      bound = start - BigInt(rng.between(0, 3)); // r8 starts at or past it: once
    else bound = start + BigInt(span + rng.between(1, step));
    if (bound < 0n) bound = 0n;

    const reserved = new Set([LOOP_REG]);
    const pickReg = (extra: number[] = []) => this.dataReg(new Set([...reserved, ...extra]));
    const setup: Insn[] = [];
    let stepReg = -1,
      boundReg = -1,
      invReg = -1;
    const invariant = (v: bigint) => {
      // a register set before the loop that nothing in it writes
      const r = pickReg();
      reserved.add(r);
      setup.push(this.setConstant(r, v));
      return r;
    };
    if (rng.chance(0.4)) stepReg = invariant(BigInt(step));
    if (bound > 0x7fffffffn || rng.chance(0.5)) boundReg = invariant(bound); // an immediate is sign-extended
    if (inv !== undefined) invReg = invariant(inv);
    setup.splice(rng.below(setup.length + 1), 0, this.setConstant(LOOP_REG, start));

    // The accesses, in groups sharing one scratch register. The planted one is chosen up front.
    const faulty = faultKind === "high" ? 0 : faultKind ? rng.below(sizes.length) : -1;
    const after = this.label();
    let breaks = false;
    const macros: Macro[] = [];
    let group: Macro = [];
    let tmp = -1;
    const close = (loadedTmp: boolean, loaded: number) => {
      if (!loadedTmp) group.push(...this.constant(tmp));
      if (loaded >= 0 && !fault && rng.chance(0.15)) {
        // leave the loop early on a value read
        const op = rng.pick([0x05, 0x06]) | rng.pick(JUMP_OPS);
        group.push({ op, dst: loaded, src: 0, off: 0, imm: this.imm32(), target: after, targetIn: "off" });
        breaks = true;
      }
      macros.push(group);
    };
    let sum = 0,
      loaded = -1,
      loadedTmp = false;
    sizes.forEach((size, i) => {
      if (i === 0 || rng.chance(0.5)) {
        if (i > 0) close(loadedTmp, loaded);
        tmp = pickReg();
        loaded = -1;
        loadedTmp = false;
        const useInv = inv !== undefined && (invAlways || rng.chance(0.5));
        // What r8 (+ inv) adds to the address on the first round, as 32-bit arithmetic would see it.
        sum = Number((start + (useInv ? inv! : 0n)) & M64 & 0xffffffffn);
        const regs = [onStack ? 10 : INPUT_PTR, LOOP_REG, ...(useInv ? [invReg] : [])];
        for (let j = regs.length - 1; j > 0; j--) {
          const x = rng.below(j + 1);
          [regs[j], regs[x]] = [regs[x], regs[j]];
        }
        group = [mov64x(tmp, regs[0]), ...regs.slice(1).map((r) => ({ op: 0x0f, dst: tmp, src: r, off: 0, imm: 0 }))];
        if (onStack) {
          // r10 - k, as an add or folded into the offsets
          const k = rng.pick([8, 16, 32, 64]);
          if (rng.chance(0.5)) {
            group.splice(rng.between(1, group.length), 0, alu(0x07, 0x00, tmp, 0, 0, -k));
            sum -= k;
          }
        }
      }
      // Where the first round's access starts, counted from the region's start.
      const last = room - size - span;
      let at = rng.chance(0.25)
        ? last
        : rng.chance(this.unalignedRate)
          ? rng.between(0, last)
          : rng.below(Math.floor(last / size) + 1) * size;
      if (i === faulty && faultKind === "end") at = last + (rng.chance(0.5) ? 1 : rng.between(1, step));
      if (i === faulty && faultKind === "before") at = -rng.between(1, 8);
      const off = at - sum - (onStack ? STACK_USED : 0);
      const write = rng.chance(0.4);
      if (i === faulty) {
        const where =
          faultKind === "end"
            ? `past the end of the ${onStack ? "stack" : "input"}`
            : faultKind === "before"
              ? "before the input"
              : "at an address with a high word";
        this.planted = `${write ? "write" : "read"} ${where} in an index loop`;
      }
      if (write) group.push(this.store(size, tmp, off, reserved));
      else {
        loadedTmp = i === sizes.length - 1 && rng.chance(0.4);
        loaded = loadedTmp ? tmp : pickReg([tmp]);
        group.push(this.load(size, loaded, tmp, off));
      }
    });
    close(loadedTmp, loaded);

    // A few other macros in between, none touching the loop's registers.
    for (let n = rng.below(3); n > 0; n--) {
      const k = rng.below(4);
      const m =
        k === 0
          ? this.aluMacro(reserved)
          : k === 1
            ? this.stackAccess(reserved)
            : k === 2
              ? this.inputAccess(reserved)
              : this.jumpMacro(reserved);
      macros.splice(rng.below(macros.length + 1), 0, m);
    }
    const top = this.label();
    const body = this.linkBlock(macros, true);
    const add =
      stepReg >= 0 ? { op: 0x0f, dst: LOOP_REG, src: stepReg, off: 0, imm: 0 } : alu(0x07, 0x00, LOOP_REG, 0, 0, step);
    const back: Insn =
      boundReg >= 0
        ? { op: 0xad, dst: LOOP_REG, src: boundReg, off: 0, imm: 0, target: top, targetIn: "off" }
        : { op: 0xa5, dst: LOOP_REG, src: 0, off: 0, imm: Number(bound), target: top, targetIn: "off" };
    if (fault === "budget") {
      const perRound = body.filter((it) => "op" in it).length + 2;
      const opening = 1 + 9 + STACK_USED / 8; // main's mov r9, r1, its register values and its stack stores
      this.budget = opening + rng.between(1, setup.length + rounds * perRound + 4);
      this.planted = `index loop under a budget of ${this.budget}`;
    }
    return [...setup, top, ...body, add, back, ...(breaks ? [after] : [])];
  }

  /** A loop shaped as clang emits them (loops.ts); "budget" sets a budget that runs out in or near it. */
  private shapedLoop(fault?: "memory" | "budget"): Macro {
    const ctx = { rng: this.rng, input: this.input, stackUsed: STACK_USED, label: () => this.label() };
    // three loops in ten bounded by their own compares instead (factloops.ts: a scan, a match search or a
    // selection sort's search for the least element, a third each; chosen without a random draw: the other
    // programs stay as their seeds made them)
    const shape = this.input.length % 10;
    const loop =
      shape === 2
        ? factLoop(ctx, fault)
        : shape === 7
          ? matchLoop(ctx, fault)
          : shape === 5
            ? minLoop(ctx, fault)
            : shapedLoop(ctx, fault);
    if (loop.planted) this.planted = loop.planted;
    if (fault === "budget") {
      const opening = 1 + 9 + STACK_USED / 8; // main's mov r9, r1, its register values and its stack stores
      this.budget = opening + this.rng.between(1, loop.executed + 4);
      this.planted = `shaped loop under a budget of ${this.budget}`;
    }
    return loop.items;
  }

  /** Sets a register to a 64-bit value, in whichever form fits it (and sometimes lddw when a mov would do). */
  private setConstant(dst: number, v: bigint): Insn {
    v = BigInt.asUintN(64, v);
    const signed = BigInt.asIntN(64, v);
    const fits = signed >= -0x80000000n && signed <= 0x7fffffffn;
    if (fits && this.rng.chance(0.8)) return alu(0x07, 0xb0, dst, 0, 0, Number(signed));
    if (v <= 0xffffffffn && this.rng.chance(0.5)) return alu(0x04, 0xb0, dst, 0, 0, Number(BigInt.asIntN(32, v)));
    return lddw(dst, v);
  }

  /**
   * mov r1, r9; call; then, unless registers are inherited, new values for r1-r5 (the kernel's verifier treats
   * them as unset after a call: an engine need not give back what the callee left there).
   */
  private callMacro(target: Label): Macro {
    const out: Macro = [mov64x(1, INPUT_PTR), this.call(target)];
    if (!this.inheritRegisters) for (let r = 1; r <= 5; r++) out.push(...this.constant(r));
    return out;
  }

  private call(target: Label): Insn {
    return { op: 0x85, dst: 0, src: 1, off: 0, imm: 0, target, targetIn: "imm" };
  }

  private endlessLoop(): Macro {
    const top = this.label();
    return [
      top,
      alu(0x07, 0x00, this.dataReg(new Set([LOOP_REG])), 0, 0, 1),
      { op: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: top, targetIn: "off" },
    ];
  }

  private badAccess(kind: number): Macro {
    const rng = this.rng;
    const size = rng.pick(SIZES);
    const write = rng.chance(0.5);
    let base: number, off: number;
    if (kind === 0) {
      // just past the end of the input
      base = INPUT_PTR;
      off = this.inputLen - size + rng.between(1, 8);
      this.planted = `${write ? "write" : "read"} past the end of the input`;
    } else if (kind === 1) {
      // before the input
      base = INPUT_PTR;
      off = -rng.between(1, 16);
      this.planted = `${write ? "write" : "read"} before the input`;
    } else if (kind === 2) {
      // above the current frame, or below every frame
      base = 10;
      off = rng.chance(0.5) ? rng.between(-size + 1, 16) : -(512 * 8) - rng.between(1, 64);
      this.planted = `${write ? "write" : "read"} outside the stack`;
    } else {
      // a data value as an address
      base = this.dataReg(new Set());
      off = rng.between(-8, 8);
      this.planted = `${write ? "write" : "read"} through a data value`;
    }
    return [write ? this.store(size, base, off, new Set()) : this.load(size, 0, base, off)];
  }
}

const FORWARD: Label = { id: -1 };
