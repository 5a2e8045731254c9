// Disassembler into the assembler's dialect (see asm.ts), one instruction per line.
//
// The output is exact: assemble(disassemble(code)) gives back the same bytes for any input. An instruction is
// printed by name only when its name says everything about its encoding (fields the form does not show must be
// zero); anything else - unknown opcodes, stray bits in unused fields, a lddw without its second slot - becomes
// `.insn 0x<64-bit word>`, which the assembler takes back verbatim. Jumps print their raw `+N`/`-N` offsets.

import {
  ALU_END,
  ATOMIC_FETCH,
  ALU_MOV,
  ALU_NEG,
  CALL_HELPER,
  CALL_KFUNC,
  CALL_LOCAL,
  CLS_ALU,
  CLS_ALU64,
  CLS_JMP,
  CLS_JMP32,
  CLS_LD,
  CLS_LDX,
  CLS_ST,
  INSN_SIZE,
  MODE_ABS,
  MODE_ATOMIC,
  MODE_IND,
  MODE_MEM,
  MODE_MEMSX,
  OP_CALL,
  OP_CALLX,
  OP_EXIT,
  OP_GOTOL,
  OP_JA,
  OP_LDDW,
  SRC_X,
  SZ_DW,
  SZ_W,
} from "../../assembly/isa.js";
import {
  ALU_BINARY,
  ALU_SIGNED,
  ATOMIC_EXCHANGES,
  ATOMIC_OPS,
  JUMP_CONDITIONS,
  MOVSX_WIDTHS,
  SIZE_SUFFIXES,
} from "./asm.js";

/** The fields of one 8-byte instruction slot. */
export interface RawInsn {
  opcode: number;
  dst: number;
  src: number;
  offset: number; // signed 16-bit
  imm: number; // signed 32-bit
}

const invert = (table: Readonly<Record<string, number>>): Map<number, string> =>
  new Map(Object.entries(table).map(([name, code]) => [code, name]));

const ALU_NAMES = invert(ALU_BINARY);
const SIGNED_ALU_NAMES = invert(ALU_SIGNED);
const JUMP_NAMES = invert(JUMP_CONDITIONS);
const SIZE_NAMES = invert(SIZE_SUFFIXES);
const ATOMIC_NAMES = invert(ATOMIC_OPS);
const EXCHANGE_NAMES = invert(ATOMIC_EXCHANGES);

/** Reads slot `index` of a program. */
export function readInsn(code: Uint8Array, index: number): RawInsn {
  const view = new DataView(code.buffer, code.byteOffset + index * INSN_SIZE, INSN_SIZE);
  const regs = view.getUint8(1);
  return {
    opcode: view.getUint8(0),
    dst: regs & 0x0f,
    src: regs >> 4,
    offset: view.getInt16(2, true),
    imm: view.getInt32(4, true),
  };
}

/**
 * The mnemonic family of an opcode byte, or undefined when no valid eBPF instruction has this opcode.
 * Forms chosen by other fields share a name here: `div` covers sdiv (offset 1), `mov` covers movsx, `le`/`be`/
 * `bswap` leave the width to imm, `call` is any CALL|K (helper, local or runtime), atomics are `lock`/`lock32`.
 */
export function describeOpcode(op: number): string | undefined {
  const cls = op & 0x07;
  const code = op & 0xf0;
  const fromRegister = (op & SRC_X) !== 0;
  switch (cls) {
    case CLS_ALU:
    case CLS_ALU64: {
      const suffix = cls === CLS_ALU ? "32" : "";
      if (code === ALU_END) {
        if (cls === CLS_ALU) return fromRegister ? "be" : "le";
        return fromRegister ? undefined : "bswap";
      }
      if (code === ALU_NEG) return fromRegister ? undefined : `neg${suffix}`;
      const name = ALU_NAMES.get(code);
      return name === undefined ? undefined : name + suffix;
    }
    case CLS_JMP:
    case CLS_JMP32: {
      const suffix = cls === CLS_JMP32 ? "32" : "";
      if (op === OP_JA) return "ja";
      if (op === OP_GOTOL) return "ja32";
      if (op === OP_CALL) return "call";
      if (op === OP_CALLX) return "callx";
      if (op === OP_EXIT) return "exit";
      const name = JUMP_NAMES.get(code);
      return name === undefined ? undefined : name + suffix;
    }
    case CLS_LD: {
      if (op === OP_LDDW) return "lddw";
      const size = SIZE_NAMES.get(op & 0x18);
      const mode = op & 0xe0;
      if (size === "dw" || (mode !== MODE_ABS && mode !== MODE_IND)) return undefined;
      return (mode === MODE_ABS ? "ldabs" : "ldind") + size;
    }
    case CLS_LDX: {
      const size = SIZE_NAMES.get(op & 0x18)!;
      const mode = op & 0xe0;
      if (mode === MODE_MEM) return `ldx${size}`;
      if (mode === MODE_MEMSX && size !== "dw") return `ldxs${size}`;
      return undefined;
    }
    case CLS_ST:
      return (op & 0xe0) === MODE_MEM ? `st${SIZE_NAMES.get(op & 0x18)}` : undefined;
    default: {
      // CLS_STX
      const mode = op & 0xe0;
      if (mode === MODE_MEM) return `stx${SIZE_NAMES.get(op & 0x18)}`;
      if (mode === MODE_ATOMIC && (op & 0x18) === SZ_W) return "lock32";
      if (mode === MODE_ATOMIC && (op & 0x18) === SZ_DW) return "lock";
      return undefined;
    }
  }
}

/** Disassembles a whole program, one line per instruction (a lddw takes one line for its two slots). */
export function disassemble(code: Uint8Array): string {
  checkLength(code);
  const lines: string[] = [];
  const count = code.length / INSN_SIZE;
  for (let index = 0; index < count; ) {
    const { text, slots } = format(code, index);
    lines.push(text);
    index += slots;
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

/** Disassembles the instruction in slot `index` (both slots for a lddw starting there). */
export function disassembleInsn(code: Uint8Array, index: number): string {
  checkLength(code);
  if (!Number.isInteger(index) || index < 0 || index >= code.length / INSN_SIZE) {
    throw new RangeError(`instruction ${index} is outside the program (${code.length / INSN_SIZE} instructions)`);
  }
  return format(code, index).text;
}

function checkLength(code: Uint8Array): void {
  if (code.length % INSN_SIZE !== 0) {
    throw new RangeError(`program length ${code.length} is not a multiple of ${INSN_SIZE} bytes`);
  }
}

/** `.insn` with the raw little-endian word of one slot. */
export function rawWord(code: Uint8Array, index: number): string {
  const word = new DataView(code.buffer, code.byteOffset + index * INSN_SIZE, INSN_SIZE).getBigUint64(0, true);
  return `.insn 0x${word.toString(16).padStart(16, "0")}`;
}

function format(code: Uint8Array, index: number): { text: string; slots: number } {
  const insn = readInsn(code, index);
  if (insn.opcode === OP_LDDW) {
    const text = formatLddw(code, index, insn);
    if (text !== undefined) return { text, slots: 2 };
  } else {
    const text = formatSingle(insn);
    if (text !== undefined) return { text, slots: 1 };
  }
  return { text: rawWord(code, index), slots: 1 };
}

const reg = (n: number): string => `%r${n}`;

/** Small immediates read best in decimal, large ones (masks, addresses) in hex; both assemble alike. */
function imm(value: number): string {
  return value >= -0xffff && value <= 0xffff ? String(value) : `0x${(value >>> 0).toString(16)}`;
}

const relative = (n: number): string => (n < 0 ? String(n) : `+${n}`);
const memory = (base: number, offset: number): string => `[${reg(base)}${relative(offset)}]`;

function formatLddw(code: Uint8Array, index: number, insn: RawInsn): string | undefined {
  if (insn.src !== 0 || insn.offset !== 0 || index + 1 >= code.length / INSN_SIZE) return undefined;
  const high = readInsn(code, index + 1);
  if (high.opcode !== 0 || high.dst !== 0 || high.src !== 0 || high.offset !== 0) return undefined;
  const value = (BigInt(high.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
  return `lddw ${reg(insn.dst)}, ${value > 0xffffn ? `0x${value.toString(16)}` : value}`;
}

/** The text of a one-slot instruction, or undefined when it has no exact textual form. */
function formatSingle(insn: RawInsn): string | undefined {
  const name = describeOpcode(insn.opcode);
  if (name === undefined) return undefined;
  const { opcode, dst, src, offset } = insn;
  const cls = opcode & 0x07;
  switch (cls) {
    case CLS_ALU:
    case CLS_ALU64:
      return formatAlu(insn, name);
    case CLS_JMP:
    case CLS_JMP32:
      return formatJump(insn, name);
    case CLS_LD: // legacy packet loads; lddw is handled by the caller
      if (dst !== 0 || offset !== 0) return undefined;
      if ((opcode & 0xe0) === MODE_ABS) return src === 0 ? `${name} ${imm(insn.imm)}` : undefined;
      return `${name} ${reg(src)}, ${imm(insn.imm)}`;
    case CLS_LDX:
      return insn.imm === 0 ? `${name} ${reg(dst)}, ${memory(src, offset)}` : undefined;
    case CLS_ST:
      return src === 0 ? `${name} ${memory(dst, offset)}, ${imm(insn.imm)}` : undefined;
    default:
      if ((opcode & 0xe0) === MODE_MEM) {
        return insn.imm === 0 ? `${name} ${memory(dst, offset)}, ${reg(src)}` : undefined;
      }
      return formatAtomic(insn);
  }
}

function formatAlu(insn: RawInsn, name: string): string | undefined {
  const { opcode, dst, src, offset } = insn;
  const cls = opcode & 0x07;
  const code = opcode & 0xf0;
  const fromRegister = (opcode & SRC_X) !== 0;
  if (code === ALU_END) {
    const ok = src === 0 && offset === 0 && (insn.imm === 16 || insn.imm === 32 || insn.imm === 64);
    return ok ? `${name}${insn.imm} ${reg(dst)}` : undefined;
  }
  if (code === ALU_NEG) {
    return src === 0 && offset === 0 && insn.imm === 0 ? `${name} ${reg(dst)}` : undefined;
  }
  const suffix = cls === CLS_ALU ? "32" : "";
  let mnemonic = name;
  if (offset !== 0) {
    if (offset === 1 && SIGNED_ALU_NAMES.has(code)) {
      mnemonic = SIGNED_ALU_NAMES.get(code)! + suffix;
    } else if (code === ALU_MOV && fromRegister && MOVSX_WIDTHS[cls].includes(offset)) {
      mnemonic = `movsx${offset}${cls === CLS_ALU ? "32" : "64"}`;
    } else {
      return undefined;
    }
  }
  if (fromRegister) return insn.imm === 0 ? `${mnemonic} ${reg(dst)}, ${reg(src)}` : undefined;
  return src === 0 ? `${mnemonic} ${reg(dst)}, ${imm(insn.imm)}` : undefined;
}

function formatJump(insn: RawInsn, name: string): string | undefined {
  const { opcode, dst, src, offset } = insn;
  switch (opcode) {
    case OP_JA:
      return dst === 0 && src === 0 && insn.imm === 0 ? `ja ${relative(offset)}` : undefined;
    case OP_GOTOL:
      return dst === 0 && src === 0 && offset === 0 ? `ja32 ${relative(insn.imm)}` : undefined;
    case OP_EXIT:
      return dst === 0 && src === 0 && offset === 0 && insn.imm === 0 ? "exit" : undefined;
    case OP_CALLX:
      return src === 0 && offset === 0 && insn.imm === 0 ? `call ${reg(dst)}` : undefined;
    case OP_CALL:
      if (dst !== 0 || offset !== 0) return undefined;
      if (src === CALL_HELPER) return `call ${imm(insn.imm)}`;
      if (src === CALL_LOCAL) return `call local ${relative(insn.imm)}`;
      if (src === CALL_KFUNC) return `call runtime ${imm(insn.imm)}`;
      return undefined;
  }
  if ((opcode & SRC_X) !== 0) {
    return insn.imm === 0 ? `${name} ${reg(dst)}, ${reg(src)}, ${relative(offset)}` : undefined;
  }
  return src === 0 ? `${name} ${reg(dst)}, ${imm(insn.imm)}, ${relative(offset)}` : undefined;
}

function formatAtomic(insn: RawInsn): string | undefined {
  const suffix = (insn.opcode & 0x18) === SZ_W ? "32" : "";
  const operands = `${memory(insn.dst, insn.offset)}, ${reg(insn.src)}`;
  const exchange = EXCHANGE_NAMES.get(insn.imm);
  if (exchange !== undefined) return `lock ${exchange}${suffix} ${operands}`;
  const op = ATOMIC_NAMES.get(insn.imm & ~ATOMIC_FETCH);
  if (op === undefined) return undefined;
  return `lock ${insn.imm & ATOMIC_FETCH ? "fetch " : ""}${op}${suffix} ${operands}`;
}
