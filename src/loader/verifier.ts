// The load-time validator: refuses what no engine should ever have to decide at run time. It checks structure, not
// safety: memory accesses are checked when they happen, by every engine, against the region table.
import {
  INSN_SIZE,
  MAX_INSNS,
  CLS_LD,
  CLS_LDX,
  CLS_ST,
  CLS_STX,
  CLS_ALU,
  CLS_JMP,
  CLS_JMP32,
  CLS_ALU64,
  MODE_ABS,
  MODE_IND,
  MODE_MEM,
  MODE_MEMSX,
  MODE_ATOMIC,
  SZ_DW,
  SZ_W,
  ALU_DIV,
  ALU_MOD,
  ALU_MOV,
  ALU_NEG,
  ALU_END,
  JMP_JA,
  JMP_CALL,
  JMP_EXIT,
  ATOMIC_ADD,
  ATOMIC_OR,
  ATOMIC_AND,
  ATOMIC_XOR,
  ATOMIC_FETCH,
  ATOMIC_XCHG,
  ATOMIC_CMPXCHG,
  CALL_HELPER,
  CALL_LOCAL,
  PSEUDO_IMM64,
  PSEUDO_MAP_FD,
  PSEUDO_MAP_VALUE,
  PSEUDO_FUNC,
  OP_LDDW,
} from "../../assembly/isa.js";

export class VerifierError extends Error {
  constructor(
    message: string,
    readonly pc?: number,
  ) {
    super(message);
    this.name = "VerifierError";
  }
}

export interface VerifyOptions {
  /** Is helper `id` available? Unknown helpers are refused at load time. Default: every id is accepted. */
  knownHelper?: (id: number) => boolean;
  /** Accept lddw pseudo sources that name maps (before the runtime resolves them). Default true. */
  allowMapPseudo?: boolean;
}

const ATOMIC_OPS = new Set([
  ATOMIC_ADD,
  ATOMIC_OR,
  ATOMIC_AND,
  ATOMIC_XOR,
  ATOMIC_ADD | ATOMIC_FETCH,
  ATOMIC_OR | ATOMIC_FETCH,
  ATOMIC_AND | ATOMIC_FETCH,
  ATOMIC_XOR | ATOMIC_FETCH,
  ATOMIC_XCHG,
  ATOMIC_CMPXCHG,
]);

interface Insn {
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

function decode(code: Uint8Array, pc: number): Insn {
  const v = new DataView(code.buffer, code.byteOffset + pc * INSN_SIZE, INSN_SIZE);
  const regs = v.getUint8(1);
  return { op: v.getUint8(0), dst: regs & 0xf, src: regs >> 4, off: v.getInt16(2, true), imm: v.getInt32(4, true) };
}

/** Throws VerifierError naming the instruction index and the problem; returns the instruction count. */
export function verify(code: Uint8Array, options: VerifyOptions = {}): number {
  if (code.length % INSN_SIZE !== 0) {
    throw new VerifierError(`program size ${code.length} is not a multiple of ${INSN_SIZE} bytes`);
  }
  const count = code.length / INSN_SIZE;
  if (count === 0) throw new VerifierError("program is empty");
  if (count > MAX_INSNS) throw new VerifierError(`program has ${count} instructions, more than ${MAX_INSNS}`);

  // First pass: which slots are the second half of an lddw (never a jump target).
  const secondHalf = new Uint8Array(count);
  for (let pc = 0; pc < count; pc++) {
    if (code[pc * INSN_SIZE] === OP_LDDW) {
      if (pc + 1 >= count) throw new VerifierError(`instruction ${pc}: lddw is missing its second half`, pc);
      secondHalf[pc + 1] = 1;
      pc++;
    }
  }

  const fail = (pc: number, what: string): never => {
    throw new VerifierError(`instruction ${pc}: ${what}`, pc);
  };
  const checkTarget = (pc: number, target: number, what: string) => {
    if (target < 0 || target >= count) fail(pc, `${what} target ${target} is outside the program (0..${count - 1})`);
    if (secondHalf[target]) fail(pc, `${what} target ${target} is the second half of an lddw`);
  };

  for (let pc = 0; pc < count; pc++) {
    const i = decode(code, pc);
    const cls = i.op & 7;
    if (i.dst > 10) fail(pc, `bad destination register r${i.dst}`);
    if (i.src > 10) fail(pc, `bad source register r${i.src}`);
    let fallsThrough = true;
    let writesDst = false;

    switch (cls) {
      case CLS_ALU:
      case CLS_ALU64: {
        const aop = i.op & 0xf0;
        const x = (i.op & 8) !== 0;
        writesDst = true;
        if (aop > ALU_END) fail(pc, `unknown opcode 0x${hex2(i.op)}`);
        if (aop === ALU_NEG && x) fail(pc, `unknown opcode 0x${hex2(i.op)} (neg takes no source register)`);
        if (aop === ALU_END) {
          if (cls === CLS_ALU64 && x) fail(pc, `unknown opcode 0x${hex2(i.op)}`);
          if (i.imm !== 16 && i.imm !== 32 && i.imm !== 64) fail(pc, `byte swap width ${i.imm} is not 16, 32 or 64`);
        } else if (aop === ALU_DIV || aop === ALU_MOD) {
          if (i.off !== 0 && i.off !== 1) fail(pc, `bad offset ${i.off} for div/mod (0 or 1)`);
        } else if (aop === ALU_MOV) {
          const widths = cls === CLS_ALU64 ? [0, 8, 16, 32] : [0, 8, 16];
          if (!widths.includes(i.off)) fail(pc, `bad sign-extension width ${i.off} for mov`);
          if (i.off !== 0 && !x) fail(pc, "movsx needs a source register");
        } else if (i.off !== 0) {
          fail(pc, `unexpected offset ${i.off}`);
        }
        break;
      }
      case CLS_JMP:
      case CLS_JMP32: {
        const jop = i.op & 0xf0;
        const x = (i.op & 8) !== 0;
        if (jop === JMP_JA) {
          if (x) fail(pc, `unknown opcode 0x${hex2(i.op)}`);
          checkTarget(pc, pc + 1 + (cls === CLS_JMP ? i.off : i.imm), "jump");
          fallsThrough = false;
        } else if (jop === JMP_CALL) {
          if (cls === CLS_JMP32) fail(pc, `unknown opcode 0x${hex2(i.op)}`);
          if (x) break; // callx: the helper id is in a register, checked when the call happens
          if (i.src === CALL_LOCAL) checkTarget(pc, pc + 1 + i.imm, "call");
          else if (i.src === CALL_HELPER) {
            if (options.knownHelper && !options.knownHelper(i.imm)) fail(pc, `unknown helper ${i.imm}`);
          } else fail(pc, `unsupported call kind (src ${i.src}): kernel functions are not available`);
        } else if (jop === JMP_EXIT) {
          if (cls === CLS_JMP32 || x) fail(pc, `unknown opcode 0x${hex2(i.op)}`);
          fallsThrough = false;
        } else if (jop > 0xd0) {
          fail(pc, `unknown opcode 0x${hex2(i.op)}`);
        } else {
          checkTarget(pc, pc + 1 + i.off, "jump");
        }
        break;
      }
      case CLS_LD: {
        const mode = i.op & 0xe0;
        if (i.op === OP_LDDW) {
          writesDst = true;
          const next = decode(code, pc + 1);
          if (next.op !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
            fail(pc + 1, "second half of lddw must have opcode, registers and offset 0");
          }
          const allowMaps = options.allowMapPseudo ?? true;
          if (i.src === PSEUDO_FUNC) checkTarget(pc, pc + 1 + i.imm, "function");
          else if (i.src !== PSEUDO_IMM64 && !(allowMaps && (i.src === PSEUDO_MAP_FD || i.src === PSEUDO_MAP_VALUE))) {
            fail(pc, `unsupported lddw source ${i.src}`);
          }
          pc++; // the second half is not an instruction of its own
          if (pc === count - 1) fail(pc - 1, "the program can fall off its end");
          break;
        }
        if ((mode === MODE_ABS || mode === MODE_IND) && (i.op & 0x18) !== SZ_DW) break;
        fail(pc, `unknown opcode 0x${hex2(i.op)}`);
        break;
      }
      case CLS_LDX: {
        const mode = i.op & 0xe0;
        writesDst = true;
        if (mode === MODE_MEM) break;
        if (mode === MODE_MEMSX && (i.op & 0x18) !== SZ_DW) break;
        fail(pc, `unknown opcode 0x${hex2(i.op)}`);
        break;
      }
      case CLS_ST:
        if ((i.op & 0xe0) !== MODE_MEM) fail(pc, `unknown opcode 0x${hex2(i.op)}`);
        break;
      case CLS_STX: {
        const mode = i.op & 0xe0;
        if (mode === MODE_MEM) break;
        if (mode === MODE_ATOMIC) {
          const size = i.op & 0x18;
          if (size !== SZ_W && size !== SZ_DW) fail(pc, `atomic operations need a 4- or 8-byte size`);
          if (!ATOMIC_OPS.has(i.imm)) fail(pc, `unknown atomic operation 0x${(i.imm >>> 0).toString(16)}`);
          break;
        }
        fail(pc, `unknown opcode 0x${hex2(i.op)}`);
        break;
      }
      default:
        fail(pc, `unknown opcode 0x${hex2(i.op)}`);
    }
    if (writesDst && i.dst === 10) fail(pc, "r10 is read-only (the frame pointer)");
    if (fallsThrough && pc === count - 1) fail(pc, "the program can fall off its end");
  }
  return count;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
