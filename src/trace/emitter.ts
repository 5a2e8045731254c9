// An eBPF instruction buffer with named-by-object labels (each bound once) and map relocations. Opcodes come from
// the ISA table shared with every engine; nothing here knows about the script language.
import {
  CLS_ALU64,
  CLS_ALU,
  CLS_JMP,
  CLS_LDX,
  CLS_STX,
  CLS_ST,
  SRC_K,
  SRC_X,
  MODE_MEM,
  ALU_MOV,
  ALU_END,
  END_TO_BE,
  JMP_JA,
  JMP_CALL,
  JMP_EXIT,
  OP_LDDW,
  INSN_SIZE,
} from "../../assembly/isa.js";

export type Reg = number;
export const R0 = 0,
  R1 = 1,
  R2 = 2,
  R3 = 3,
  R4 = 4,
  R5 = 5,
  R6 = 6,
  R7 = 7,
  R8 = 8,
  R9 = 9,
  R10 = 10;

export class Label {
  pc = -1;
}

interface Insn {
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  target?: Label;
}

export interface Relocation {
  offset: number; // byte offset of the lddw in the program
  symbol: string;
}

const fitsI32 = (v: bigint) => v >= -(1n << 31n) && v < 1n << 31n;

export class Emitter {
  private readonly insns: Insn[] = [];
  readonly relocations: Relocation[] = [];

  get pc(): number {
    return this.insns.length;
  }

  raw(op: number, dst: number, src: number, off: number, imm: number, target?: Label): void {
    this.insns.push({ op, dst, src, off, imm, target });
  }

  bind(l: Label): void {
    if (l.pc >= 0) throw new Error("label bound twice");
    l.pc = this.pc;
  }

  alu(op: number, dst: Reg, src: Reg, off = 0): void {
    this.raw(CLS_ALU64 | op | SRC_X, dst, src, off, 0);
  }
  aluImm(op: number, dst: Reg, imm: number, off = 0): void {
    this.raw(CLS_ALU64 | op | SRC_K, dst, 0, off, imm);
  }
  mov(dst: Reg, src: Reg): void {
    if (dst !== src) this.alu(ALU_MOV, dst, src);
  }

  /** dst = value, in one instruction when it fits a sign-extended 32-bit immediate. */
  movImm(dst: Reg, value: bigint): void {
    const v = BigInt.asIntN(64, value);
    if (fitsI32(v)) {
      this.aluImm(ALU_MOV, dst, Number(v));
      return;
    }
    const u = BigInt.asUintN(64, v);
    this.raw(OP_LDDW, dst, 0, 0, Number(BigInt.asIntN(32, u)));
    this.raw(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n)));
  }

  /** lddw dst, SYMBOL: a map (or global data) address, filled in by the loader from a relocation. */
  ldSymbol(dst: Reg, symbol: string): void {
    this.relocations.push({ offset: this.pc * INSN_SIZE, symbol });
    this.raw(OP_LDDW, dst, 0, 0, 0);
    this.raw(0, 0, 0, 0, 0);
  }

  toBe(dst: Reg, bits: 16 | 32): void {
    this.raw(CLS_ALU | ALU_END | END_TO_BE, dst, 0, 0, bits);
  }
  ldx(size: number, dst: Reg, src: Reg, off: number): void {
    this.raw(CLS_LDX | MODE_MEM | size, dst, src, off, 0);
  }
  stx(size: number, dst: Reg, off: number, src: Reg): void {
    this.raw(CLS_STX | MODE_MEM | size, dst, src, off, 0);
  }
  st(size: number, dst: Reg, off: number, imm: number): void {
    this.raw(CLS_ST | MODE_MEM | size, dst, 0, off, imm);
  }
  jmp(op: number, dst: Reg, src: Reg, target: Label): void {
    this.raw(CLS_JMP | op | SRC_X, dst, src, 0, 0, target);
  }
  jmpImm(op: number, dst: Reg, imm: number, target: Label): void {
    this.raw(CLS_JMP | op | SRC_K, dst, 0, 0, imm, target);
  }
  ja(target: Label): void {
    this.raw(CLS_JMP | JMP_JA, 0, 0, 0, 0, target);
  }
  call(helper: number): void {
    this.raw(CLS_JMP | JMP_CALL, 0, 0, 0, helper);
  }
  exit(): void {
    this.raw(CLS_JMP | JMP_EXIT, 0, 0, 0, 0);
  }

  /** The bytecode, every jump resolved. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.insns.length * INSN_SIZE);
    const v = new DataView(out.buffer);
    this.insns.forEach((i, pc) => {
      let off = i.off;
      if (i.target) {
        if (i.target.pc < 0) throw new Error("jump to an unbound label");
        off = i.target.pc - pc - 1;
        if (off < -32768 || off > 32767) throw new RangeError("jump too far");
      }
      out[pc * 8] = i.op;
      out[pc * 8 + 1] = (i.src << 4) | i.dst;
      v.setInt16(pc * 8 + 2, off, true);
      v.setInt32(pc * 8 + 4, i.imm, true);
    });
    return out;
  }
}
