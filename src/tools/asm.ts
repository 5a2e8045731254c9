// Assembler for the eBPF text dialect of the bpf_conformance suite (the dialect of its `-- asm` sections).
//
// One instruction per line, `#` starts a comment, labels are written `name:` (alone or before an instruction).
// Registers are `%r0`..`%r15` (r11-r15 do not exist, but encoding them lets tests feed the validator bad programs).
// Numbers are decimal or 0x hex, with an optional sign. Forms accepted:
//
//   add %r0, 1 / add %r0, %r1          ALU64 (also sub mul div sdiv or and lsh rsh mod smod xor mov arsh)
//   add32 %r0, 1                       ALU (32-bit); sdiv/smod set offset 1
//   neg %r0 / neg32 %r0
//   movsx864 %r0, %r1                  sign-extending move: movsx{8,16,32}64 (ALU64), movsx{8,16}32 (ALU)
//   le16 %r0 / be32 %r0                byte order (ALU class), bswap16/32/64 = swap16/32/64 (ALU64 class)
//   lddw %r0, 0x1122334455667788       two slots
//   ldxw %r0, [%r1+4]                  ldx{b,h,w,dw}; ldxs{b,h,w} sign-extending (MEMSX)
//   stw [%r10-4], 1 / stxdw [%r10-8], %r1
//   ldabsw 12 / ldindh %r1, 12         legacy packet loads (ubpf/rbpf spelling): imm, and the src register for IND
//   jeq %r1, 2, +3 / jne32 %r1, %r2, label
//   ja label / ja +N                   16-bit offset; ja32 (alias gotol) puts the 32-bit offset in imm
//   call 5 / call helper 5             helper by id; call local label (src 1); call runtime 5 (src 2)
//   call %r2                           callx: opcode 0x8d, register in dst, imm 0
//   exit                               the first exit is also the label `exit` unless a label of that name exists
//   lock add [%r10-8], %r1             atomics: lock [fetch] {add,or,and,xor}[32], lock {xchg,cmpxchg}[32]
//   .insn 0x00000001000000b7           a raw 64-bit instruction word: opcode bits 0-7, dst 8-11, src 12-15,
//                                      offset 16-31, imm 32-63 (what the disassembler prints for odd encodings)
//
// Jump targets are labels or `+N`/`-N` slots relative to the next instruction (as in the offset field).

import {
  ALU_ADD,
  ALU_AND,
  ALU_ARSH,
  ALU_DIV,
  ALU_END,
  ALU_LSH,
  ALU_MOD,
  ALU_MOV,
  ALU_MUL,
  ALU_NEG,
  ALU_OR,
  ALU_RSH,
  ALU_SUB,
  ALU_XOR,
  ATOMIC_ADD,
  ATOMIC_AND,
  ATOMIC_CMPXCHG,
  ATOMIC_FETCH,
  ATOMIC_OR,
  ATOMIC_XCHG,
  ATOMIC_XOR,
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
  CLS_STX,
  END_TO_BE,
  END_TO_LE,
  INSN_SIZE,
  JMP_JEQ,
  JMP_JGE,
  JMP_JGT,
  JMP_JLE,
  JMP_JLT,
  JMP_JNE,
  JMP_JSET,
  JMP_JSGE,
  JMP_JSGT,
  JMP_JSLE,
  JMP_JSLT,
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
  SRC_K,
  SRC_X,
  SZ_B,
  SZ_DW,
  SZ_H,
  SZ_W,
} from "../../assembly/isa.js";

// ---- Mnemonic tables, shared with the disassembler so that both speak the same dialect ----

/** Two-operand ALU operations by mnemonic (without the `32` suffix). sdiv/smod are div/mod with offset 1. */
export const ALU_BINARY: Readonly<Record<string, number>> = {
  add: ALU_ADD,
  sub: ALU_SUB,
  mul: ALU_MUL,
  div: ALU_DIV,
  or: ALU_OR,
  and: ALU_AND,
  lsh: ALU_LSH,
  rsh: ALU_RSH,
  mod: ALU_MOD,
  xor: ALU_XOR,
  mov: ALU_MOV,
  arsh: ALU_ARSH,
};

/** Signed variants: same operation code, offset field 1 (RFC 9669 section 4.1). */
export const ALU_SIGNED: Readonly<Record<string, number>> = { sdiv: ALU_DIV, smod: ALU_MOD };

/** Conditional jumps by mnemonic (without the `32` suffix). */
export const JUMP_CONDITIONS: Readonly<Record<string, number>> = {
  jeq: JMP_JEQ,
  jgt: JMP_JGT,
  jge: JMP_JGE,
  jset: JMP_JSET,
  jne: JMP_JNE,
  jsgt: JMP_JSGT,
  jsge: JMP_JSGE,
  jlt: JMP_JLT,
  jle: JMP_JLE,
  jslt: JMP_JSLT,
  jsle: JMP_JSLE,
};

/** Load/store sizes by mnemonic suffix. */
export const SIZE_SUFFIXES: Readonly<Record<string, number>> = { b: SZ_B, h: SZ_H, w: SZ_W, dw: SZ_DW };

/** Atomic read-modify-write operations (imm of STX | ATOMIC) by their `lock` spelling, fetch bit excluded. */
export const ATOMIC_OPS: Readonly<Record<string, number>> = {
  add: ATOMIC_ADD,
  or: ATOMIC_OR,
  and: ATOMIC_AND,
  xor: ATOMIC_XOR,
};

/** Atomics that always fetch: their imm is written whole. */
export const ATOMIC_EXCHANGES: Readonly<Record<string, number>> = { xchg: ATOMIC_XCHG, cmpxchg: ATOMIC_CMPXCHG };

/** Legal offsets of a sign-extending move, per class. */
export const MOVSX_WIDTHS: Readonly<Record<number, readonly number[]>> = {
  [CLS_ALU]: [8, 16],
  [CLS_ALU64]: [8, 16, 32],
};

// ---- Errors ----

/** A problem in the assembler source; the message starts with `line N:` (1-based). */
export class AsmError extends Error {
  constructor(
    readonly line: number,
    what: string,
  ) {
    super(`line ${line}: ${what}`);
    this.name = "AsmError";
  }
}

// ---- Encoding ----

interface Slot {
  opcode: number;
  dst: number;
  src: number;
  offset: number; // signed 16-bit
  imm: number; // signed 32-bit
  raw?: bigint; // `.insn`: the whole word, fields above unused
}

/** A label reference waiting for the label's slot to be known. */
interface Fixup {
  slot: number;
  line: number;
  label: string;
  field: "offset" | "imm";
}

const INT16_MIN = -0x8000n;
const INT16_MAX = 0x7fffn;
const INT32_MIN = -0x80000000n;
const UINT32_MAX = 0xffffffffn;
const INT64_MIN = -0x8000000000000000n;
const UINT64_MAX = 0xffffffffffffffffn;

function slot(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Slot {
  return { opcode, dst, src, offset, imm };
}

/** Assembles a program; throws AsmError naming the line of the first problem. */
export function assemble(source: string): Uint8Array {
  const slots: Slot[] = [];
  const fixups: Fixup[] = [];
  const labels = new Map<string, { slot: number; line: number }>();
  let firstExit: number | undefined;

  const lines = source.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let text = stripComment(lines[i]).trim();
    const label = /^([A-Za-z_.$][\w.$]*)\s*:(.*)$/.exec(text);
    if (label) {
      const previous = labels.get(label[1]);
      if (previous) {
        throw new AsmError(lineNo, `duplicate label '${label[1]}' (first defined on line ${previous.line})`);
      }
      labels.set(label[1], { slot: slots.length, line: lineNo });
      text = label[2].trim();
    }
    if (text === "") continue;

    const line = new Line(text, lineNo);
    if (line.mnemonic === "exit" && firstExit === undefined) firstExit = slots.length;
    for (const s of encodeLine(line, slots.length, fixups)) slots.push(s);
  }

  if (!labels.has("exit") && firstExit !== undefined) labels.set("exit", { slot: firstExit, line: 0 });
  for (const fix of fixups) {
    const target = labels.get(fix.label);
    if (!target) throw new AsmError(fix.line, `unknown label '${fix.label}'`);
    const distance = target.slot - fix.slot - 1;
    const s = slots[fix.slot];
    if (fix.field === "offset") {
      if (distance < -0x8000 || distance > 0x7fff) {
        throw new AsmError(fix.line, `label '${fix.label}' is ${distance} slots away, beyond a 16-bit offset`);
      }
      s.offset = distance;
    } else {
      s.imm = distance;
    }
  }
  return toBytes(slots);
}

function toBytes(slots: Slot[]): Uint8Array {
  const bytes = new Uint8Array(slots.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  slots.forEach((s, k) => {
    const at = k * INSN_SIZE;
    if (s.raw !== undefined) {
      view.setBigUint64(at, s.raw, true);
      return;
    }
    view.setUint8(at, s.opcode);
    view.setUint8(at + 1, (s.src << 4) | s.dst);
    view.setInt16(at + 2, s.offset, true);
    view.setInt32(at + 4, s.imm, true);
  });
  return bytes;
}

/** Own-property lookup, so that names like 'constructor' are not mistaken for mnemonics. */
function has(table: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}

function stripComment(line: string): string {
  const hash = line.indexOf("#");
  return hash < 0 ? line : line.slice(0, hash);
}

/** One source line split into mnemonic, leading words (`lock fetch add`, `call local`) and comma operands. */
class Line {
  readonly mnemonic: string;
  readonly words: string[]; // words after the mnemonic and before the first comma-separated operand
  readonly operands: string[];

  constructor(
    readonly text: string,
    readonly lineNo: number,
  ) {
    const space = text.search(/\s/);
    this.mnemonic = (space < 0 ? text : text.slice(0, space)).toLowerCase();
    const rest = space < 0 ? "" : text.slice(space).trim();
    // Modifier words (fetch, local, runtime, helper, the atomic operation) come before the operands proper.
    const words: string[] = [];
    let operandText = rest;
    if (this.mnemonic === "lock" || this.mnemonic === "call") {
      const parts = rest.split(/\s+/);
      while (parts.length > 1 && /^[a-z][a-z0-9]*$/i.test(parts[0]) && !parts[0].includes(",")) {
        words.push(parts.shift()!.toLowerCase());
      }
      operandText = parts.join(" ");
    }
    this.words = words;
    this.operands = operandText === "" ? [] : operandText.split(",").map((o) => o.trim());
  }

  fail(what: string): never {
    throw new AsmError(this.lineNo, what);
  }

  expectOperands(count: number): void {
    if (this.operands.length !== count || this.operands.some((o) => o === "")) {
      this.fail(`'${this.mnemonic}' takes ${count} operand${count === 1 ? "" : "s"}: ${this.text}`);
    }
  }

  register(operand: string): number {
    const m = /^%r(\d+)$/i.exec(operand);
    if (!m || Number(m[1]) > 15)
      this.fail(`expected a register %r0..%r10 (or %r11..%r15 to encode invalid programs), got '${operand}'`);
    return Number(m[1]);
  }

  isRegister(operand: string): boolean {
    return operand.startsWith("%");
  }

  number(operand: string, min: bigint, max: bigint, what: string): bigint {
    const value = parseNumber(operand);
    if (value === undefined) this.fail(`expected a number for the ${what}, got '${operand}'`);
    if (value < min || value > max) this.fail(`${what} ${operand} does not fit in its field`);
    return value;
  }

  /** A 32-bit immediate, written signed or unsigned. */
  imm32(operand: string): number {
    return Number(BigInt.asIntN(32, this.number(operand, INT32_MIN, UINT32_MAX, "immediate")));
  }

  /** `[%rN]`, `[%rN+off]` or `[%rN-off]`. */
  memory(operand: string): { reg: number; offset: number } {
    const m = /^\[\s*(%r\d+)\s*(?:([+-])\s*(\w+))?\s*\]$/i.exec(operand);
    if (!m) this.fail(`expected a memory operand like [%r1+8], got '${operand}'`);
    const reg = this.register(m[1]);
    if (m[3] === undefined) return { reg, offset: 0 };
    const offset = this.number(m[2] + m[3], INT16_MIN, INT16_MAX, "offset");
    return { reg, offset: Number(offset) };
  }

  /** A jump target: `+N`/`-N` is taken as is, a name becomes a fixup resolved once all labels are known. */
  target(operand: string, slotIndex: number, fixups: Fixup[], field: "offset" | "imm"): number {
    if (/^[+-]/.test(operand)) {
      const [min, max] = field === "offset" ? [INT16_MIN, INT16_MAX] : [INT32_MIN, 0x7fffffffn];
      return Number(this.number(operand, min, max, "jump offset"));
    }
    if (!/^[A-Za-z_.$][\w.$]*$/.test(operand)) this.fail(`expected a label or +N/-N, got '${operand}'`);
    fixups.push({ slot: slotIndex, line: this.lineNo, label: operand, field });
    return 0;
  }
}

/** Parses `[+-]digits` or `[+-]0xhex`; undefined when the text is not a number. */
export function parseNumber(text: string): bigint | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|[0-9]+)$/i.exec(text.trim());
  if (!m) return undefined;
  const magnitude = BigInt(m[2]);
  return m[1] === "-" ? -magnitude : magnitude;
}

function encodeLine(line: Line, slotIndex: number, fixups: Fixup[]): Slot[] {
  const mn = line.mnemonic;
  let m: RegExpExecArray | null;

  if ((m = /^([a-z]+?)(32)?$/.exec(mn)) && (has(ALU_BINARY, m[1]) || has(ALU_SIGNED, m[1]))) {
    const cls = m[2] ? CLS_ALU : CLS_ALU64;
    const signed = has(ALU_SIGNED, m[1]);
    const op = signed ? ALU_SIGNED[m[1]] : ALU_BINARY[m[1]];
    line.expectOperands(2);
    const dst = line.register(line.operands[0]);
    const offset = signed ? 1 : 0;
    if (line.isRegister(line.operands[1])) {
      return [slot(cls | op | SRC_X, dst, line.register(line.operands[1]), offset)];
    }
    return [slot(cls | op | SRC_K, dst, 0, offset, line.imm32(line.operands[1]))];
  }
  if ((m = /^neg(32)?$/.exec(mn))) {
    line.expectOperands(1);
    return [slot((m[1] ? CLS_ALU : CLS_ALU64) | ALU_NEG | SRC_K, line.register(line.operands[0]))];
  }
  if ((m = /^movsx(8|16|32)(32|64)$/.exec(mn))) {
    const cls = m[2] === "32" ? CLS_ALU : CLS_ALU64;
    const width = Number(m[1]);
    if (!MOVSX_WIDTHS[cls].includes(width)) line.fail(`'${mn}' is not a sign-extending move (no 32-bit movsx32)`);
    line.expectOperands(2);
    return [slot(cls | ALU_MOV | SRC_X, line.register(line.operands[0]), line.register(line.operands[1]), width)];
  }
  if ((m = /^(le|be|bswap|swap)(16|32|64)$/.exec(mn))) {
    line.expectOperands(1);
    const opcode =
      m[1] === "le"
        ? CLS_ALU | ALU_END | END_TO_LE
        : m[1] === "be"
          ? CLS_ALU | ALU_END | END_TO_BE
          : CLS_ALU64 | ALU_END;
    return [slot(opcode, line.register(line.operands[0]), 0, 0, Number(m[2]))];
  }
  if (mn === "lddw") {
    line.expectOperands(2);
    const dst = line.register(line.operands[0]);
    const value = BigInt.asUintN(64, line.number(line.operands[1], INT64_MIN, UINT64_MAX, "64-bit immediate"));
    const low = Number(BigInt.asIntN(32, value));
    const high = Number(BigInt.asIntN(32, value >> 32n));
    return [slot(OP_LDDW, dst, 0, 0, low), slot(0, 0, 0, 0, high)];
  }
  if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(mn))) {
    if (m[1] && m[2] === "dw") line.fail(`'ldxsdw' does not exist: a 64-bit load has nothing to sign-extend`);
    line.expectOperands(2);
    const dst = line.register(line.operands[0]);
    const { reg, offset } = line.memory(line.operands[1]);
    return [slot(CLS_LDX | (m[1] ? MODE_MEMSX : MODE_MEM) | SIZE_SUFFIXES[m[2]], dst, reg, offset)];
  }
  if ((m = /^st(x?)(b|h|w|dw)$/.exec(mn))) {
    line.expectOperands(2);
    const { reg, offset } = line.memory(line.operands[0]);
    const size = SIZE_SUFFIXES[m[2]];
    if (m[1]) return [slot(CLS_STX | MODE_MEM | size, reg, line.register(line.operands[1]), offset)];
    return [slot(CLS_ST | MODE_MEM | size, reg, 0, offset, line.imm32(line.operands[1]))];
  }
  if ((m = /^ld(abs|ind)(b|h|w)$/.exec(mn))) {
    const size = SIZE_SUFFIXES[m[2]];
    if (m[1] === "abs") {
      line.expectOperands(1);
      return [slot(CLS_LD | MODE_ABS | size, 0, 0, 0, line.imm32(line.operands[0]))];
    }
    line.expectOperands(2);
    return [slot(CLS_LD | MODE_IND | size, 0, line.register(line.operands[0]), 0, line.imm32(line.operands[1]))];
  }
  if ((m = /^(j[a-z]+?)(32)?$/.exec(mn)) && has(JUMP_CONDITIONS, m[1])) {
    line.expectOperands(3);
    const cls = m[2] ? CLS_JMP32 : CLS_JMP;
    const dst = line.register(line.operands[0]);
    const offset = line.target(line.operands[2], slotIndex, fixups, "offset");
    if (line.isRegister(line.operands[1])) {
      return [slot(cls | JUMP_CONDITIONS[m[1]] | SRC_X, dst, line.register(line.operands[1]), offset)];
    }
    return [slot(cls | JUMP_CONDITIONS[m[1]] | SRC_K, dst, 0, offset, line.imm32(line.operands[1]))];
  }
  if (mn === "ja") {
    line.expectOperands(1);
    return [slot(OP_JA, 0, 0, line.target(line.operands[0], slotIndex, fixups, "offset"))];
  }
  if (mn === "ja32" || mn === "gotol") {
    line.expectOperands(1);
    return [slot(OP_GOTOL, 0, 0, 0, line.target(line.operands[0], slotIndex, fixups, "imm"))];
  }
  if (mn === "call") return [encodeCall(line, slotIndex, fixups)];
  if (mn === "exit") {
    line.expectOperands(0);
    return [slot(OP_EXIT)];
  }
  if (mn === "lock") return [encodeAtomic(line)];
  if (mn === ".insn") {
    line.expectOperands(1);
    const word = line.number(line.operands[0], 0n, UINT64_MAX, "instruction word");
    return [{ ...slot(0), raw: word }];
  }
  return line.fail(`unknown mnemonic '${mn}'`);
}

function encodeCall(line: Line, slotIndex: number, fixups: Fixup[]): Slot {
  const kind = line.words.length === 0 ? "helper" : line.words[0];
  if (line.words.length > 1) line.fail(`expected 'call [helper|local|runtime] target', got '${line.text}'`);
  line.expectOperands(1);
  const target = line.operands[0];
  switch (kind) {
    case "helper":
      if (line.isRegister(target)) return slot(OP_CALLX, line.register(target));
      return slot(OP_CALL, 0, CALL_HELPER, 0, line.imm32(target));
    case "local":
      return slot(OP_CALL, 0, CALL_LOCAL, 0, line.target(target, slotIndex, fixups, "imm"));
    case "runtime":
      return slot(OP_CALL, 0, CALL_KFUNC, 0, line.imm32(target));
    default:
      return line.fail(`unknown call kind '${kind}' (expected helper, local or runtime)`);
  }
}

function encodeAtomic(line: Line): Slot {
  const words = [...line.words];
  const fetch = words[0] === "fetch";
  if (fetch) words.shift();
  const m = words.length === 1 ? /^([a-z]+?)(32)?$/.exec(words[0]) : null;
  if (!m || !(has(ATOMIC_OPS, m[1]) || has(ATOMIC_EXCHANGES, m[1]))) {
    line.fail(`expected 'lock [fetch] add|or|and|xor|xchg|cmpxchg[32] [%rN+off], %rM', got '${line.text}'`);
  }
  let imm: number;
  if (has(ATOMIC_EXCHANGES, m[1])) {
    if (fetch) line.fail(`'${m[1]}' always fetches: write 'lock ${m[1]}' without 'fetch'`);
    imm = ATOMIC_EXCHANGES[m[1]];
  } else {
    imm = ATOMIC_OPS[m[1]] | (fetch ? ATOMIC_FETCH : 0);
  }
  line.expectOperands(2);
  const { reg, offset } = line.memory(line.operands[0]);
  const size = m[2] ? SZ_W : SZ_DW;
  return slot(CLS_STX | MODE_ATOMIC | size, reg, line.register(line.operands[1]), offset, imm);
}
