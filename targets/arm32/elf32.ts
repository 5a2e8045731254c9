// ELF32 writer for static ARM Linux executables: a read-only executable segment holding the headers and the
// image, a zero-filled read-write segment (bss) on a page boundary after it, and optionally a second zero-filled
// read-write segment at a fixed address (the maps). No interpreter, no dynamic section, no libc: the kernel
// maps the segment and jumps to the entry point. Section headers are optional (only disassemblers want them).

export const ELF_HEADER_SIZE = 52;
export const PROGRAM_HEADER_SIZE = 32;
const SECTION_HEADER_SIZE = 40;
/** Where the segment is mapped; the image starts right after the headers. */
export const LOAD_ADDRESS = 0x10000;
const PROGRAM_HEADERS = 3;
export const IMAGE_OFFSET = ELF_HEADER_SIZE + PROGRAM_HEADERS * PROGRAM_HEADER_SIZE;

const EM_ARM = 40;
const ET_EXEC = 2;
const PT_LOAD = 1;
const PF_RX = 5;
const PF_RW = 6;
const PAGE = 0x1000;
const EF_ARM_EABI_VER5 = 0x05000000;
const SHT_PROGBITS = 1;
const SHT_STRTAB = 3;
const SHF_ALLOC_EXEC = 0x6;

export interface ElfImage {
  image: Uint8Array; // bytes loaded at LOAD_ADDRESS + IMAGE_OFFSET
  entry: number; // offset of the entry point in the image
  bssOffset: number; // where the zero-filled memory starts, from the image's start; must land on a page
  bssSize: number;
  textSize?: number; // with section headers: bytes of code at the image's start (a .text section for disassemblers)
  /** A zero-filled read-write segment at a fixed address (the maps); without it the third header is PT_NULL. */
  data?: { address: number; size: number };
}

/** The image's load address (its first byte). */
export function imageAddress(): number {
  return LOAD_ADDRESS + IMAGE_OFFSET;
}

export function writeElf32(e: ElfImage): Uint8Array {
  const withSections = e.textSize !== undefined;
  const names = "\0.text\0.shstrtab\0";
  const fileSize = IMAGE_OFFSET + e.image.length;
  const shstrOffset = fileSize;
  const shOffset = (shstrOffset + names.length + 3) & ~3;
  const total = withSections ? shOffset + 3 * SECTION_HEADER_SIZE : fileSize;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]); // ELF, 32-bit, little-endian, version 1, System V ABI
  v.setUint16(16, ET_EXEC, true);
  v.setUint16(18, EM_ARM, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, imageAddress() + e.entry, true);
  v.setUint32(28, ELF_HEADER_SIZE, true); // program headers
  v.setUint32(32, withSections ? shOffset : 0, true);
  v.setUint32(36, EF_ARM_EABI_VER5, true);
  v.setUint16(40, ELF_HEADER_SIZE, true);
  v.setUint16(42, PROGRAM_HEADER_SIZE, true);
  v.setUint16(44, PROGRAM_HEADERS, true);
  v.setUint16(46, SECTION_HEADER_SIZE, true);
  v.setUint16(48, withSections ? 3 : 0, true);
  v.setUint16(50, withSections ? 2 : 0, true);

  const ph = ELF_HEADER_SIZE;
  v.setUint32(ph, PT_LOAD, true);
  v.setUint32(ph + 4, 0, true); // offset: the headers are mapped too
  v.setUint32(ph + 8, LOAD_ADDRESS, true);
  v.setUint32(ph + 12, LOAD_ADDRESS, true);
  v.setUint32(ph + 16, fileSize, true);
  v.setUint32(ph + 20, fileSize, true);
  v.setUint32(ph + 24, PF_RX, true);
  v.setUint32(ph + 28, PAGE, true);
  const bss = imageAddress() + e.bssOffset;
  if (bss % PAGE !== 0 || e.bssOffset < e.image.length) throw new Error("bss must start on a page after the image");
  const ph2 = ph + PROGRAM_HEADER_SIZE;
  v.setUint32(ph2, PT_LOAD, true);
  v.setUint32(ph2 + 4, 0, true); // nothing from the file
  v.setUint32(ph2 + 8, bss, true);
  v.setUint32(ph2 + 12, bss, true);
  v.setUint32(ph2 + 16, 0, true);
  v.setUint32(ph2 + 20, e.bssSize, true);
  v.setUint32(ph2 + 24, PF_RW, true);
  v.setUint32(ph2 + 28, PAGE, true);
  if (e.data && e.data.size > 0) {
    const ph3 = ph2 + PROGRAM_HEADER_SIZE;
    if (e.data.address % PAGE !== 0 || e.data.address < bss + e.bssSize)
      throw new Error("the data segment must lie on a page after the state");
    v.setUint32(ph3, PT_LOAD, true);
    v.setUint32(ph3 + 8, e.data.address, true);
    v.setUint32(ph3 + 12, e.data.address, true);
    v.setUint32(ph3 + 20, e.data.size, true);
    v.setUint32(ph3 + 24, PF_RW, true);
    v.setUint32(ph3 + 28, PAGE, true);
  }
  out.set(e.image, IMAGE_OFFSET);

  if (withSections) {
    for (let i = 0; i < names.length; i++) out[shstrOffset + i] = names.charCodeAt(i);
    const text = shOffset + SECTION_HEADER_SIZE;
    v.setUint32(text, 1, true); // ".text"
    v.setUint32(text + 4, SHT_PROGBITS, true);
    v.setUint32(text + 8, SHF_ALLOC_EXEC, true);
    v.setUint32(text + 12, imageAddress(), true);
    v.setUint32(text + 16, IMAGE_OFFSET, true);
    v.setUint32(text + 20, e.textSize!, true);
    v.setUint32(text + 32, 4, true);
    const str = text + SECTION_HEADER_SIZE;
    v.setUint32(str, 7, true); // ".shstrtab"
    v.setUint32(str + 4, SHT_STRTAB, true);
    v.setUint32(str + 16, shstrOffset, true);
    v.setUint32(str + 20, names.length, true);
    v.setUint32(str + 32, 1, true);
  }
  return out;
}
