// BPF Type Format: parses the `.BTF` section (header, type section, string section) into a table of types, and
// converts map keys and values between raw bytes and plain JavaScript values using those types, so a front end
// can print `{pid: 42, comm: "sh"}` instead of hex, the way BCC does.
//
// Layout reference: Linux Documentation/bpf/btf.rst. All values are little-endian (the objects come from
// `clang -target bpf`, which is little-endian).

import { ElfError } from "./elf.js";

export const BTF_MAGIC = 0xeb9f;
const HEADER_SIZE = 24;
const TYPE_HEADER_SIZE = 12;
/** libbpf's limit on typedef/const/... chains and nesting; deeper chains are treated as cycles. */
const MAX_RESOLVE_DEPTH = 32;

export const KIND_NAMES = [
  "void",
  "int",
  "ptr",
  "array",
  "struct",
  "union",
  "enum",
  "fwd",
  "typedef",
  "volatile",
  "const",
  "restrict",
  "func",
  "func_proto",
  "var",
  "datasec",
  "float",
  "decl_tag",
  "type_tag",
  "enum64",
] as const;
export type BtfKind = (typeof KIND_NAMES)[number];

export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield in bits; 0 when the member is not a bitfield. */
  bitSize: number;
}

export interface BtfEnumValue {
  name: string;
  value: bigint;
}

export interface BtfType {
  id: number;
  kind: BtfKind;
  name: string;
  /** Byte size: int, struct, union, enum, enum64, float, datasec. */
  size: number;
  /** Referenced type: ptr, typedef, modifiers, func, var, decl_tag, type_tag; return type of func_proto. */
  type: number;
  /** int: encoding bits (signed 1, char 2, bool 4), bit offset and bit count. */
  intEncoding: number;
  intOffset: number;
  intBits: number;
  /** array */
  elemType: number;
  indexType: number;
  nelems: number;
  /** struct, union */
  members: BtfMember[];
  /** enum, enum64 (signed when kindFlag is set) */
  values: BtfEnumValue[];
  /** func_proto parameters */
  params: { name: string; type: number }[];
  /** datasec variables */
  vars: { type: number; offset: number; size: number }[];
  /** var and func linkage, decl_tag component index */
  linkage: number;
  componentIdx: number;
  kindFlag: boolean;
}

export const INT_SIGNED = 1;
export const INT_CHAR = 2;
export const INT_BOOL = 4;

const MODIFIERS = new Set<BtfKind>(["typedef", "volatile", "const", "restrict", "type_tag"]);

export class Btf {
  /** Indexed by type id; entry 0 is void. */
  readonly types: BtfType[];

  constructor(
    readonly fileName: string,
    types: BtfType[],
  ) {
    this.types = types;
  }

  fail(problem: string): never {
    throw new ElfError(this.fileName, `.BTF: ${problem}`);
  }

  get(id: number): BtfType {
    const t = this.types[id];
    if (!Number.isInteger(id) || t === undefined) {
      this.fail(`type id ${id} is out of range (${this.types.length - 1} types)`);
    }
    return t;
  }

  /** The first type with this name (and kind, if given). */
  findByName(name: string, kind?: BtfKind): BtfType | undefined {
    return this.types.find((t) => t.id > 0 && t.name === name && (kind === undefined || t.kind === kind));
  }

  /** Skips typedefs, const, volatile, restrict and type tags. */
  resolve(id: number): BtfType {
    let t = this.get(id);
    for (let depth = 0; MODIFIERS.has(t.kind); depth++) {
      if (depth >= MAX_RESOLVE_DEPTH) {
        this.fail(`type ${id}: modifier chain deeper than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
      }
      t = this.get(t.type);
    }
    return t;
  }

  /** Size in bytes of a value of this type. */
  sizeOf(id: number, depth = 0): number {
    if (depth > MAX_RESOLVE_DEPTH) this.fail(`type ${id}: nested deeper than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
    const t = this.resolve(id);
    switch (t.kind) {
      case "int":
      case "enum":
      case "enum64":
      case "struct":
      case "union":
      case "float":
      case "datasec":
        return t.size;
      case "ptr":
        return 8;
      case "var":
        return this.sizeOf(t.type, depth + 1);
      case "array": {
        const size = t.nelems * this.sizeOf(t.elemType, depth + 1);
        if (size > 0xffffffff) this.fail(`type ${t.id}: array of ${size} bytes is too large`);
        return size;
      }
      default:
        return this.fail(`type ${t.id} (${t.kind}${t.name ? " " + t.name : ""}) has no size`);
    }
  }

  /** A C-like name for messages and front ends: "struct hist_key", "u64 *", "char[16]". */
  typeName(id: number, depth = 0): string {
    if (id === 0) return "void";
    const t = this.get(id);
    if (depth > MAX_RESOLVE_DEPTH) return "...";
    switch (t.kind) {
      case "struct":
      case "union":
      case "enum":
        return `${t.kind} ${t.name || "(anon)"}`;
      case "enum64":
        return `enum ${t.name || "(anon)"}`;
      case "fwd":
        return `${t.kindFlag ? "union" : "struct"} ${t.name}`;
      case "ptr":
        return `${this.typeName(t.type, depth + 1)} *`;
      case "array":
        return `${this.typeName(t.elemType, depth + 1)}[${t.nelems}]`;
      case "const":
      case "volatile":
      case "restrict":
        return `${t.kind} ${this.typeName(t.type, depth + 1)}`;
      case "type_tag":
        return this.typeName(t.type, depth + 1);
      default:
        return t.name || t.kind;
    }
  }
}

/** Parses a `.BTF` section. Throws ElfError naming the problem and where it is. */
export function parseBtf(data: Uint8Array, fileName: string): Btf {
  const fail = (problem: string): never => {
    throw new ElfError(fileName, `.BTF: ${problem}`);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const hex = (n: number) => "0x" + n.toString(16);
  if (data.length < HEADER_SIZE) fail(`truncated header: ${data.length} bytes, need ${HEADER_SIZE}`);
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC) fail(`bad magic ${hex(magic)}, expected ${hex(BTF_MAGIC)}`);
  const version = data[2];
  if (version !== 1) fail(`unsupported version ${version}`);
  const hdrLen = view.getUint32(4, true);
  const typeOff = view.getUint32(8, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  if (hdrLen < HEADER_SIZE || hdrLen > data.length) {
    fail(`bad header length ${hdrLen} (section has ${data.length} bytes)`);
  }
  const typeStart = hdrLen + typeOff;
  const strStart = hdrLen + strOff;
  if (typeStart + typeLen > data.length) {
    fail(`type section ${hex(typeOff)} + ${hex(typeLen)} is past the end of the section (${hex(data.length)} bytes)`);
  }
  if (strStart + strLen > data.length) {
    fail(`string section ${hex(strOff)} + ${hex(strLen)} is past the end of the section (${hex(data.length)} bytes)`);
  }
  if (typeOff % 4 !== 0) fail(`type section offset ${hex(typeOff)} is not 4-byte aligned`);
  if (strLen === 0 || data[strStart] !== 0) fail("string section does not start with an empty string");
  if (data[strStart + strLen - 1] !== 0) fail("string section is not NUL-terminated");
  const strings = data.subarray(strStart, strStart + strLen);
  const str = (offset: number, what: string): string => {
    if (offset >= strLen) fail(`${what}: name offset ${hex(offset)} is outside the string section (${strLen} bytes)`);
    return utf8.decode(strings.subarray(offset, strings.indexOf(0, offset)));
  };

  const types: BtfType[] = [blankType(0, "void")];
  const end = typeStart + typeLen;
  let at = typeStart;
  while (at < end) {
    const id = types.length;
    const what = `type ${id} at ${hex(at - typeStart)}`;
    if (at + TYPE_HEADER_SIZE > end) fail(`${what}: truncated type header`);
    const info = view.getUint32(at + 4, true);
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kind = KIND_NAMES[kindNo];
    if (kindNo === 0 || kind === undefined) fail(`${what}: unknown kind ${kindNo}`);
    const t = blankType(id, kind);
    t.name = str(view.getUint32(at, true), what);
    t.kindFlag = (info & 0x80000000) !== 0;
    const sizeOrType = view.getUint32(at + 8, true);
    at += TYPE_HEADER_SIZE;
    const need = (bytes: number) => {
      if (at + bytes > end) fail(`${what}: ${kind} data (${bytes} bytes) runs past the end of the type section`);
    };
    switch (kind) {
      case "int": {
        need(4);
        const enc = view.getUint32(at, true);
        t.size = sizeOrType;
        t.intEncoding = (enc >>> 24) & 0xf;
        t.intOffset = (enc >>> 16) & 0xff;
        t.intBits = enc & 0xff;
        if (![1, 2, 4, 8, 16].includes(t.size)) fail(`${what}: int of ${t.size} bytes`);
        if (t.intBits === 0 || t.intOffset + t.intBits > t.size * 8) {
          fail(`${what}: int bits ${t.intOffset}+${t.intBits} do not fit ${t.size} bytes`);
        }
        at += 4;
        break;
      }
      case "ptr":
      case "typedef":
      case "volatile":
      case "const":
      case "restrict":
      case "func":
      case "type_tag":
        t.type = sizeOrType;
        t.linkage = kind === "func" ? vlen : 0;
        break;
      case "fwd":
        break;
      case "float":
        t.size = sizeOrType;
        break;
      case "array":
        need(12);
        t.elemType = view.getUint32(at, true);
        t.indexType = view.getUint32(at + 4, true);
        t.nelems = view.getUint32(at + 8, true);
        at += 12;
        break;
      case "struct":
      case "union":
        need(vlen * 12);
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, at += 12) {
          const offset = view.getUint32(at + 8, true);
          t.members.push({
            name: str(view.getUint32(at, true), `${what} member ${i}`),
            type: view.getUint32(at + 4, true),
            bitOffset: t.kindFlag ? offset & 0xffffff : offset,
            bitSize: t.kindFlag ? offset >>> 24 : 0,
          });
        }
        break;
      case "enum":
        need(vlen * 8);
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, at += 8) {
          const raw = t.kindFlag ? view.getInt32(at + 4, true) : view.getUint32(at + 4, true);
          t.values.push({ name: str(view.getUint32(at, true), `${what} value ${i}`), value: BigInt(raw) });
        }
        break;
      case "enum64":
        need(vlen * 12);
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, at += 12) {
          const lo = BigInt(view.getUint32(at + 4, true));
          const hi = BigInt(view.getUint32(at + 8, true));
          const raw = (hi << 32n) | lo;
          const name = str(view.getUint32(at, true), `${what} value ${i}`);
          t.values.push({ name, value: t.kindFlag ? BigInt.asIntN(64, raw) : raw });
        }
        break;
      case "func_proto":
        need(vlen * 8);
        t.type = sizeOrType;
        for (let i = 0; i < vlen; i++, at += 8) {
          t.params.push({
            name: str(view.getUint32(at, true), `${what} param ${i}`),
            type: view.getUint32(at + 4, true),
          });
        }
        break;
      case "var":
        need(4);
        t.type = sizeOrType;
        t.linkage = view.getUint32(at, true);
        at += 4;
        break;
      case "datasec":
        need(vlen * 12);
        t.size = sizeOrType;
        for (let i = 0; i < vlen; i++, at += 12) {
          t.vars.push({
            type: view.getUint32(at, true),
            offset: view.getUint32(at + 4, true),
            size: view.getUint32(at + 8, true),
          });
        }
        break;
      case "decl_tag":
        need(4);
        t.type = sizeOrType;
        t.componentIdx = view.getInt32(at, true);
        at += 4;
        break;
    }
    if ((kind === "enum" || kind === "enum64") && ![1, 2, 4, 8].includes(t.size)) {
      fail(`${what}: ${kind} of ${t.size} bytes`);
    }
    if (kind === "float" && ![2, 4, 8, 12, 16].includes(t.size)) fail(`${what}: float of ${t.size} bytes`);
    types.push(t);
  }

  // Every reference must name an existing type; checked once here so later walks can trust ids.
  const check = (from: BtfType, id: number, role: string) => {
    if (id >= types.length) {
      fail(`type ${from.id} (${from.kind}): ${role} type id ${id} is out of range (${types.length - 1} types)`);
    }
  };
  for (const t of types) {
    switch (t.kind) {
      case "ptr":
      case "typedef":
      case "volatile":
      case "const":
      case "restrict":
      case "type_tag":
      case "func_proto":
        check(t, t.type, "referenced");
        break;
      case "func":
      case "var":
      case "decl_tag":
        check(t, t.type, "referenced");
        if (t.type === 0) fail(`type ${t.id} (${t.kind}): refers to void`);
        break;
      case "array":
        check(t, t.elemType, "element");
        check(t, t.indexType, "index");
        break;
    }
    for (const m of t.members) check(t, m.type, `member ${m.name}`);
    for (const p of t.params) check(t, p.type, `parameter ${p.name}`);
    for (const v of t.vars) check(t, v.type, "variable");
  }
  return new Btf(fileName, types);
}

function blankType(id: number, kind: BtfKind): BtfType {
  return {
    id,
    kind,
    name: "",
    size: 0,
    type: 0,
    intEncoding: 0,
    intOffset: 0,
    intBits: 0,
    elemType: 0,
    indexType: 0,
    nelems: 0,
    members: [],
    values: [],
    params: [],
    vars: [],
    linkage: 0,
    componentIdx: 0,
    kindFlag: false,
  };
}

const utf8 = new TextDecoder("utf-8");

// ---- Values: bytes <-> JavaScript -------------------------------------------------------------------------
//
// decodeValue gives: ints up to 32 bits -> number, wider ints and pointers -> bigint, bool -> boolean,
// enums -> the enumerator's name (or its number when no name matches), floats -> number, structs and datasecs ->
// objects (members of anonymous inner structs and unions appear at the outer level, as C accesses them), unions
// -> an object with every member decoded from the same bytes, arrays -> arrays, and char arrays -> strings when
// the bytes before the first NUL are printable ASCII (bytes after that NUL are dropped, as C would print them).
// encodeValue accepts what decodeValue returns, plus numbers or bigints anywhere an int fits, a Uint8Array of
// the exact size for any type, and objects or arrays with members left out (they are zero).

/** Decodes `bytes` (at least sizeOf(typeId) of them) as a value of BTF type `typeId`. */
export function decodeValue(btf: Btf, typeId: number, bytes: Uint8Array): unknown {
  const size = btf.sizeOf(typeId);
  if (bytes.length < size) {
    throw new RangeError(`${btf.typeName(typeId)}: value has ${bytes.length} bytes, the type needs ${size}`);
  }
  return decodeAt(btf, typeId, bytes.subarray(0, size), 0, 0);
}

/** Encodes a JavaScript value as the bytes of BTF type `typeId` (the inverse of decodeValue). */
export function encodeValue(btf: Btf, typeId: number, value: unknown): Uint8Array {
  const size = btf.sizeOf(typeId);
  const out = new Uint8Array(size);
  if (value instanceof Uint8Array) {
    if (value.length !== size) {
      throw new RangeError(`${btf.typeName(typeId)}: got ${value.length} bytes, the type has ${size}`);
    }
    out.set(value);
    return out;
  }
  encodeAt(btf, typeId, out, 0, value, btf.typeName(typeId), 0);
  return out;
}

function decodeAt(btf: Btf, id: number, bytes: Uint8Array, offset: number, depth: number): unknown {
  if (depth > MAX_RESOLVE_DEPTH) btf.fail(`type ${id}: nested deeper than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
  const t = btf.resolve(id);
  switch (t.kind) {
    case "int":
      return decodeInt(t, readBits(bytes, offset, t.intOffset, t.intBits), t.intBits);
    case "ptr":
      return readBits(bytes, offset, 0, 64);
    case "enum":
    case "enum64":
      return decodeEnum(t, readBits(bytes, offset, 0, t.size * 8), t.size * 8);
    case "float": {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, t.size);
      if (t.size === 4) return view.getFloat32(0, true);
      if (t.size === 8) return view.getFloat64(0, true);
      return btf.fail(`type ${t.id}: cannot decode a float of ${t.size} bytes`);
    }
    case "array": {
      const elemSize = btf.sizeOf(t.elemType, depth + 1);
      if (isCharType(btf, t.elemType)) {
        const text = printableString(bytes.subarray(offset, offset + t.nelems));
        if (text !== undefined) return text;
      }
      if (elemSize === 0 && t.nelems > 0xffff) btf.fail(`type ${t.id}: ${t.nelems} elements of size 0`);
      const items: unknown[] = [];
      for (let i = 0; i < t.nelems; i++) items.push(decodeAt(btf, t.elemType, bytes, offset + i * elemSize, depth + 1));
      return items;
    }
    case "struct":
    case "union": {
      const result: Record<string, unknown> = {};
      for (const m of t.members) {
        const member = btf.resolve(m.type);
        const bits = bitfieldWidth(m, member);
        let value: unknown;
        if (bits > 0) {
          const raw = readBits(bytes, offset, m.bitOffset + (member.kind === "int" ? member.intOffset : 0), bits);
          value = member.kind === "int" ? decodeInt(member, raw, bits) : decodeEnum(member, raw, bits);
        } else {
          value = decodeAt(btf, m.type, bytes, offset + m.bitOffset / 8, depth + 1);
        }
        if (m.name) result[m.name] = value;
        else if ((member.kind === "struct" || member.kind === "union") && typeof value === "object") {
          Object.assign(result, value);
        }
      }
      return result;
    }
    case "datasec": {
      const result: Record<string, unknown> = {};
      for (const v of t.vars) {
        if (v.offset + v.size > bytes.length - offset) continue;
        result[btf.get(v.type).name] = decodeAt(btf, v.type, bytes, offset + v.offset, depth + 1);
      }
      return result;
    }
    case "var":
      return decodeAt(btf, t.type, bytes, offset, depth + 1);
    default:
      return btf.fail(`type ${t.id} (${t.kind}) has no value to decode`);
  }
}

function encodeAt(
  btf: Btf,
  id: number,
  out: Uint8Array,
  offset: number,
  value: unknown,
  path: string,
  depth: number,
): void {
  if (depth > MAX_RESOLVE_DEPTH) btf.fail(`type ${id}: nested deeper than ${MAX_RESOLVE_DEPTH} (a cycle?)`);
  const t = btf.resolve(id);
  switch (t.kind) {
    case "int":
      writeBits(out, offset, t.intOffset, t.intBits, intToBits(value, t, t.intBits, path));
      return;
    case "ptr":
      writeBits(out, offset, 0, 64, checkedInteger(value, 64, false, path));
      return;
    case "enum":
    case "enum64":
      writeBits(out, offset, 0, t.size * 8, enumToBits(btf, t, value, t.size * 8, path));
      return;
    case "float": {
      if (typeof value !== "number") throw new TypeError(`${path}: expected a number`);
      const view = new DataView(out.buffer, out.byteOffset + offset, t.size);
      if (t.size === 4) view.setFloat32(0, value, true);
      else if (t.size === 8) view.setFloat64(0, value, true);
      else btf.fail(`type ${t.id}: cannot encode a float of ${t.size} bytes`);
      return;
    }
    case "array": {
      const elemSize = btf.sizeOf(t.elemType, depth + 1);
      if (typeof value === "string" && isCharType(btf, t.elemType)) {
        const text = new TextEncoder().encode(value);
        if (text.length > t.nelems) throw new RangeError(`${path}: "${value}" is longer than ${t.nelems} bytes`);
        out.set(text, offset);
        return;
      }
      if (!Array.isArray(value)) throw new TypeError(`${path}: expected an array`);
      if (value.length > t.nelems) {
        throw new RangeError(`${path}: ${value.length} elements, the array holds ${t.nelems}`);
      }
      value.forEach((item, i) =>
        encodeAt(btf, t.elemType, out, offset + i * elemSize, item, `${path}[${i}]`, depth + 1),
      );
      return;
    }
    case "struct":
    case "union":
    case "datasec": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new TypeError(`${path}: expected an object`);
      }
      const fields = value as Record<string, unknown>;
      const known = fieldNames(btf, t, depth);
      for (const key of Object.keys(fields)) {
        if (!known.has(key)) throw new TypeError(`${path}: ${btf.typeName(t.id)} has no member "${key}"`);
      }
      if (t.kind === "union" && Object.keys(fields).length > 1) {
        throw new TypeError(`${path}: give one member of a union`);
      }
      encodeFields(btf, t, out, offset, fields, path, depth);
      return;
    }
    case "var":
      encodeAt(btf, t.type, out, offset, value, path, depth + 1);
      return;
    default:
      btf.fail(`type ${t.id} (${t.kind}) has no value to encode`);
  }
}

function encodeFields(
  btf: Btf,
  t: BtfType,
  out: Uint8Array,
  offset: number,
  fields: Record<string, unknown>,
  path: string,
  depth: number,
): void {
  if (t.kind === "datasec") {
    for (const v of t.vars) {
      const name = btf.get(v.type).name;
      if (name in fields) encodeAt(btf, v.type, out, offset + v.offset, fields[name], `${path}.${name}`, depth + 1);
    }
    return;
  }
  for (const m of t.members) {
    const member = btf.resolve(m.type);
    if (!m.name) {
      // Members of an anonymous struct or union are written as if they were the outer struct's own.
      if (member.kind === "struct" || member.kind === "union") {
        encodeFields(btf, member, out, offset + m.bitOffset / 8, fields, path, depth + 1);
      }
      continue;
    }
    if (!(m.name in fields)) continue;
    const bits = bitfieldWidth(m, member);
    const where = `${path}.${m.name}`;
    if (bits > 0) {
      const raw =
        member.kind === "int"
          ? intToBits(fields[m.name], member, bits, where)
          : enumToBits(btf, member, fields[m.name], bits, where);
      writeBits(out, offset, m.bitOffset + (member.kind === "int" ? member.intOffset : 0), bits, raw);
    } else {
      encodeAt(btf, m.type, out, offset + m.bitOffset / 8, fields[m.name], where, depth + 1);
    }
  }
}

function fieldNames(btf: Btf, t: BtfType, depth: number): Set<string> {
  const names = new Set<string>();
  if (t.kind === "datasec") for (const v of t.vars) names.add(btf.get(v.type).name);
  for (const m of t.members) {
    if (m.name) names.add(m.name);
    else if (depth < MAX_RESOLVE_DEPTH) {
      const member = btf.resolve(m.type);
      if (member.kind === "struct" || member.kind === "union") {
        for (const n of fieldNames(btf, member, depth + 1)) names.add(n);
      }
    }
  }
  return names;
}

/** Bit width when a member is a bitfield (explicitly, or through an int type narrower than its bytes), else 0. */
function bitfieldWidth(m: BtfMember, member: BtfType): number {
  if (m.bitSize > 0) return m.bitSize;
  if (
    member.kind === "int" &&
    (m.bitOffset % 8 !== 0 || member.intOffset !== 0 || member.intBits !== member.size * 8)
  ) {
    return member.intBits;
  }
  if (m.bitOffset % 8 !== 0) return member.kind === "enum" || member.kind === "enum64" ? member.size * 8 : 0;
  return 0;
}

function isCharType(btf: Btf, id: number): boolean {
  const t = btf.resolve(id);
  return t.kind === "int" && t.size === 1 && ((t.intEncoding & INT_CHAR) !== 0 || t.name === "char");
}

function printableString(bytes: Uint8Array): string | undefined {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  let text = "";
  for (let i = 0; i < end; i++) {
    const c = bytes[i];
    if ((c < 0x20 || c > 0x7e) && c !== 0x09 && c !== 0x0a && c !== 0x0d) return undefined;
    text += String.fromCharCode(c);
  }
  return text;
}

/** An enum's enumerator name, or its number when no enumerator has that value. */
function decodeEnum(t: BtfType, raw: bigint, bits: number): string | number | bigint {
  const value = t.kindFlag ? BigInt.asIntN(bits, raw) : raw;
  const named = t.values.find((v) => v.value === value);
  if (named) return named.name;
  return bits <= 32 ? Number(value) : value;
}

function enumToBits(btf: Btf, t: BtfType, value: unknown, bits: number, path: string): bigint {
  if (typeof value === "string") {
    const named = t.values.find((v) => v.name === value);
    if (!named) throw new TypeError(`${path}: "${value}" is not a value of ${btf.typeName(t.id)}`);
    return BigInt.asUintN(bits, named.value);
  }
  return BigInt.asUintN(bits, checkedInteger(value, bits, t.kindFlag, path));
}

function decodeInt(t: BtfType, raw: bigint, bits: number): number | bigint | boolean {
  if ((t.intEncoding & INT_BOOL) !== 0) return raw !== 0n;
  const value = (t.intEncoding & INT_SIGNED) !== 0 ? BigInt.asIntN(bits, raw) : raw;
  return bits <= 32 ? Number(value) : value;
}

function intToBits(value: unknown, t: BtfType, bits: number, path: string): bigint {
  if (typeof value === "boolean" && (t.intEncoding & INT_BOOL) !== 0) return value ? 1n : 0n;
  return BigInt.asUintN(bits, checkedInteger(value, bits, (t.intEncoding & INT_SIGNED) !== 0, path));
}

function checkedInteger(value: unknown, bits: number, signed: boolean, path: string): bigint {
  let big: bigint;
  if (typeof value === "bigint") big = value;
  else if (typeof value === "number" && Number.isInteger(value)) big = BigInt(value);
  else throw new TypeError(`${path}: expected an integer, got ${typeof value === "number" ? value : typeof value}`);
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (big < min || big > max) {
    throw new RangeError(`${path}: ${big} does not fit ${signed ? "a signed" : "an unsigned"} ${bits}-bit integer`);
  }
  return big;
}

/** Little-endian: `bits` bits starting `bitOffset` bits after byte `offset`. */
function readBits(bytes: Uint8Array, offset: number, bitOffset: number, bits: number): bigint {
  const first = offset + Math.floor(bitOffset / 8);
  const last = offset + Math.ceil((bitOffset + bits) / 8);
  let raw = 0n;
  for (let i = last - 1; i >= first; i--) raw = (raw << 8n) | BigInt(bytes[i] ?? 0);
  return BigInt.asUintN(bits, raw >> BigInt(bitOffset % 8));
}

function writeBits(out: Uint8Array, offset: number, bitOffset: number, bits: number, value: bigint): void {
  const first = offset + Math.floor(bitOffset / 8);
  const last = offset + Math.ceil((bitOffset + bits) / 8);
  const shift = BigInt(bitOffset % 8);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  let raw = 0n;
  for (let i = last - 1; i >= first; i--) raw = (raw << 8n) | BigInt(out[i]);
  raw = (raw & ~mask) | ((value << shift) & mask);
  for (let i = first; i < last; i++, raw >>= 8n) {
    if (i < out.length) out[i] = Number(raw & 0xffn);
  }
}
