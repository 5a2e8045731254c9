// Host glue for the eBPF -> ARM32 translator: builds standalone ARM Linux executables (build/arm32.wasm does the
// translation, targets/arm32/elf32.ts the file format) and runs them under qemu-arm on a workstation.

import { writeFileSync, mkdtempSync, rmSync, existsSync, chmodSync } from "node:fs";
import { spawnSync, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeElf32, imageAddress } from "../../../targets/arm32/elf32.js";
import { INSN_SIZE, MAX_INSNS } from "../../../assembly/isa.js";
import { FUNC_HANDLE_TAG } from "../../../assembly/layout.js";
import {
  OPT_IDIV,
  OPT_ARMV6,
  ARMV6_IMAGE_END,
  OPT_CONFORMANCE,
  OPT_SKB,
  OPT_XDP,
  OPT_BPFTRACE,
  OPT_TRACE_EXIT,
  OPT_TRACE_PRINTK,
  OPT_SNAPSHOT,
  OPT_SPARSE_DATA,
  ERR_OPCODE,
  ERR_PSEUDO,
  ERR_TARGET,
  ERR_TAIL_CALL,
  ERR_LABEL,
  ERR_MEMORY,
  DATA_BASE,
  DESC_OFFSET,
  DESC_SIZE,
  MAX_MAPS,
  SECTIONS,
} from "../../../targets/arm32/abi.js";
import { disassembleInsn } from "../../tools/disasm.js";
import { packageRoot } from "../../runtime/core.js";
import { readWasmFile } from "../../runtime/build-files.js";

export interface Arm32Options {
  /** Executed-instruction budget per run; 0 = unlimited. Default 1,000,000. */
  budget?: number;
  /** Emit UDIV/SDIV (Cortex-A7/A15 and later); default false: division by runtime routine, runs on every ARMv7-A. */
  idiv?: boolean;
  /** ARMv6 code (ARM1176: Raspberry Pi Zero and 1): no MOVW/MOVT, MLS or SBFX; never with idiv. Default false. */
  armv6?: boolean;
  /** Helper 5 is the conformance suite's "unwind" helper. */
  conformance?: boolean;
  /** Add section headers so that disassemblers can read the file (used by the listing). */
  sections?: boolean;
  /** Inputs (--mem's bytes, each --pcap packet) are packets the program sees through a struct __sk_buff. */
  skb?: boolean;
  /** Inputs (--mem's bytes, each --pcap packet) are packets an XDP program sees through a struct xdp_md. */
  xdp?: boolean;
  /**
   * At exit, print the maps as bpftrace does (targets/arm32/driver/bpftrace-print.ts), following the description
   * whose address the map area holds at TRACE_DESC_AT, instead of r0 and the raw entries (--json is unchanged).
   */
  bpftrace?: boolean;
  /** With `bpftrace`: the parts of the printer the script's maps need (abi.ts OPT_BT_*). */
  bpftraceParts?: number;
  /** With `skb`: the live capture's --snapshots MS (the --json report every MS milliseconds, until a signal). */
  snapshots?: boolean;
  /**
   * A trace script's packet probe (abi.ts OPT_TRACE_PRINTK, OPT_TRACE_EXIT): its printf lines (trace_printk) go
   * to standard output, and its exit() (a ring buffer record) ends the input.
   */
  trace?: number;
  /** Maps compiled in (engine.ts lays them out): count, the area's initial bytes and its whole size. */
  maps?: Arm32Maps;
  /**
   * Tail calls: `insns` holds several programs one after the other. Three entries per program id k: the
   * instruction where it starts (-1: not in the executable), the address of its name in the executable and the
   * name's length (fault reports name the program that was running). With it, bpf_tail_call (helper 12) is
   * compiled in.
   */
  programs?: Int32Array;
}

export interface Arm32Maps {
  count: number;
  init: Uint8Array; // copied to DATA_BASE at start-up
  size: number; // bytes of the zero-filled map segment at DATA_BASE
}

/** Where the map segment of an executable starts (targets/arm32/abi.ts). */
export const ARM32_DATA_BASE = DATA_BASE;
/** Maps an executable holds: one memory region each in the driver's region table (targets/arm32/abi.ts). */
export const ARM32_MAX_MAPS = MAX_MAPS;

export interface Arm32Translation {
  image: Uint8Array;
  address: number; // load address of image[0]
  entry: number; // offsets in the image: the driver's entry point,
  prologue: number; // the program's entry routine (called by the driver),
  code: number; // the first translated instruction,
  table: number; // end of the translated code
  state: number;
  stateSize: number;
  offsets: Uint32Array; // per eBPF instruction: code offset from `code`; bit 31: second slot of lddw
  /**
   * Counted loops emitted twice (assembly/arm32/versioned.ts): the image offset of the head's ordinary code, and
   * the inner loop (an index into this list, or -1) whose accesses this loop's test proves for its copy; for a
   * loop entered by a jump from outside it (its test after that jump's code), the jump and the test's offset.
   */
  loops: { head: number; last: number; body: number; nestInner: number; entryJump: number; testAt: number }[];
  /** Their unchecked copies: image offsets of the copied instructions head..last (nested copies each apart). */
  copies: { head: number; last: number; positions: Int32Array }[];
  /** Where each part of the image ends (abi.ts SEC_*), for measuring what an executable is made of. */
  sectionEnds: number[];
}

export class Arm32Error extends Error {
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.name = "Arm32Error";
  }
}

const TRANSLATE_ERRORS: Record<number, string> = {
  [ERR_OPCODE]: "unsupported instruction",
  [ERR_PSEUDO]: "lddw of a map or function is not supported yet",
  [ERR_TARGET]: "jump or call outside the program",
  [ERR_TAIL_CALL]: "bpf_tail_call inside a bpf-to-bpf function is not supported by the arm32 target",
  [ERR_LABEL]: "internal error in the arm32 translator: a label bound twice or the label table full",
  [ERR_MEMORY]: "internal error in the arm32 translator: its objects reach its fixed tables",
};

interface Arm32Exports {
  memory: WebAssembly.Memory;
  prepare(n: number): number;
  prepareData(maps: number, length: number): number;
  prepareProgs(ids: number): number;
  translate(opts: number, budget: number, base: number): number;
  output(): number;
  offsetTable(): number;
  codeOffset(): number;
  tableOffset(): number;
  entryOffset(): number;
  programOffset(): number;
  stateOffset(): number;
  stateSize(): number;
  errorCode(): number;
  errorIndex(): number;
  sectionEnd(k: number): number;
  labelBlockName(id: number): number;
  labelBlockOffset(id: number): number;
  loopCount(): number;
  nestInner(k: number): number;
  entryJump(k: number): number;
  testAt(k: number): number;
  loopTable(): number;
  copyCount(): number;
  copyTable(): number;
  copyPositions(): number;
  passesHeapGrowth(): number;
}

let module: WebAssembly.Module | undefined;
let heapGrowth = 0;

/**
 * Bytes the translator's heap grew by during the last translation's passes. Its heap is never freed and each
 * instruction is emitted several times, so anything allocated while emitting would grow it towards the label table
 * (assembly/arm32/index.ts heapBelowLabels): 0 when nothing does.
 */
export function lastTranslationHeapGrowth(): number {
  return heapGrowth;
}

/** The translator's bytes: build/arm32.wasm, or as a device bundle stores it, brotli-compressed (.br). */
export function translatorBytes(): Uint8Array {
  return readWasmFile(join(packageRoot(), "build", "arm32.wasm"), "run 'npm run build' first");
}

function instance(): Arm32Exports {
  module ??= new WebAssembly.Module(new Uint8Array(translatorBytes()));
  // A fresh instance per translation: the module keeps its state in globals and linear memory.
  return new WebAssembly.Instance(module, {}).exports as unknown as Arm32Exports;
}

export function translateArm32(insns: Uint8Array, opts: Arm32Options = {}): Arm32Translation {
  const n = Math.floor(insns.length / INSN_SIZE);
  if (n === 0 || insns.length % INSN_SIZE !== 0)
    throw new Arm32Error("program must be a non-empty multiple of 8 bytes");
  if (n > MAX_INSNS) throw new Arm32Error(`program has more than ${MAX_INSNS} instructions`);
  insns = withCallbackEntries(insns, opts.programs);
  const w = instance();
  const at = w.prepare(insns.length / INSN_SIZE);
  new Uint8Array(w.memory.buffer, at, insns.length).set(insns);
  let sparseData = false;
  if (opts.maps && opts.maps.count > 0) {
    if (opts.maps.count > ARM32_MAX_MAPS) throw new Arm32Error(`more than ${ARM32_MAX_MAPS} maps`);
    const dense = carriedInit(opts.maps);
    const sparse = opts.bpftrace ? sparseInit(dense, DESC_OFFSET + DESC_SIZE * opts.maps.count) : undefined;
    // the segments' copy loop costs a few words more than the plain one: worth it when BEGIN left entries
    sparseData = sparse !== undefined && sparse.length + 64 < dense.length;
    const init = sparseData ? sparse! : dense;
    const d = w.prepareData(opts.maps.count, init.length);
    new Uint8Array(w.memory.buffer, d, init.length).set(init);
  }
  if (opts.programs && opts.programs.length > 0) {
    if (opts.programs.length % 3 !== 0) throw new Arm32Error("programs: three entries per program id");
    const p = w.prepareProgs(opts.programs.length / 3);
    new Int32Array(w.memory.buffer, p, opts.programs.length).set(opts.programs);
  }
  if (opts.skb && opts.xdp) throw new Arm32Error("a program sees struct __sk_buff or struct xdp_md, not both");
  if (opts.armv6 && opts.idiv) throw new Arm32Error("ARMv6 has no UDIV/SDIV: armv6 cannot be combined with idiv");
  const flags =
    (opts.idiv ? OPT_IDIV : 0) |
    (opts.armv6 ? OPT_ARMV6 : 0) |
    (opts.conformance ? OPT_CONFORMANCE : 0) |
    (opts.skb ? OPT_SKB : 0) |
    (opts.xdp ? OPT_XDP : 0) |
    (opts.snapshots ? OPT_SNAPSHOT : 0) |
    (opts.bpftrace ? OPT_BPFTRACE | (opts.bpftraceParts ?? 0) : 0) |
    (sparseData ? OPT_SPARSE_DATA : 0) |
    ((opts.trace ?? 0) & (OPT_TRACE_PRINTK | OPT_TRACE_EXIT));
  const budget = opts.budget ?? 1_000_000;
  if (!Number.isInteger(budget) || budget < 0 || budget > 0xffffffff) throw new Arm32Error(`bad budget ${budget}`);
  const length = w.translate(flags, budget, imageAddress());
  heapGrowth = w.passesHeapGrowth();
  if (length < 0) {
    const code = w.errorCode();
    const index = w.errorIndex();
    if (code === ERR_LABEL) {
      // the block's name: an AssemblyScript string (UTF-16, its byte length in the word before it)
      const at = w.labelBlockName(index) >>> 0;
      const bytes = new DataView(w.memory.buffer).getUint32(at - 4, true);
      const name = Buffer.from(w.memory.buffer, at, bytes).toString("utf16le");
      throw new Arm32Error(`${TRANSLATE_ERRORS[code]} (label ${w.labelBlockOffset(index)} of "${name}")`);
    }
    if (code === ERR_MEMORY) throw new Arm32Error(TRANSLATE_ERRORS[code]);
    throw new Arm32Error(`${TRANSLATE_ERRORS[code] ?? "translation failed"} (instruction ${index})`, index);
  }
  if (opts.armv6 && imageAddress() + w.stateOffset() + w.stateSize() > ARMV6_IMAGE_END)
    throw new Arm32Error("program too large for an ARMv6 executable (code and state must end below 16 MB)");
  const memory = new DataView(w.memory.buffer);
  const loops = Array.from({ length: w.loopCount() }, (_, k) => {
    const at = w.loopTable() + 64 * k;
    return {
      head: memory.getInt32(at, true),
      last: memory.getInt32(at + 4, true),
      body: memory.getInt32(at + 44, true),
      nestInner: w.nestInner(k),
      entryJump: w.entryJump(k),
      testAt: w.testAt(k),
    };
  });
  const copies = Array.from({ length: w.copyCount() }, (_, c) => {
    const loop = loops[memory.getInt32(w.copyTable() + 8 * c, true)];
    const first = w.copyPositions() + 4 * memory.getInt32(w.copyTable() + 8 * c + 4, true);
    const positions = new Int32Array(w.memory.buffer.slice(first, first + 4 * (loop.last - loop.head + 1)));
    return { head: loop.head, last: loop.last, positions };
  });
  return {
    image: new Uint8Array(w.memory.buffer, w.output(), length).slice(),
    address: imageAddress(),
    entry: w.entryOffset(),
    prologue: w.programOffset(),
    code: w.codeOffset(),
    table: w.tableOffset(),
    state: w.stateOffset(),
    stateSize: w.stateSize(),
    offsets: new Uint32Array(w.memory.buffer.slice(w.offsetTable(), w.offsetTable() + 4 * n)),
    loops,
    copies,
    sectionEnds: Array.from({ length: SECTIONS }, (_, k) => w.sectionEnd(k)),
  };
}

/**
 * The initial bytes the file must carry: the map segment is zero-filled by the kernel, so trailing zeros (a
 * zeroed .bss, empty arenas laid out after the initialised ones) are left to it. The descriptors always stay.
 */
function carriedInit(maps: Arm32Maps): Uint8Array {
  let end = maps.init.length;
  while (end > 0 && maps.init[end - 1] === 0) end--;
  return maps.init.subarray(0, Math.max(end, Math.min(maps.init.length, DESC_OFFSET + DESC_SIZE * maps.count)));
}

/**
 * A trace executable's initial map bytes (with OPT_SPARSE_DATA): the first `head` bytes (the number of maps, the descriptors: the
 * translator reads them) as they are, then the rest as segments that targets/arm32/driver/main.ts copies: u32
 * offset from DATA_BASE, u32 length, the bytes, ..., then a length of 0; offsets and lengths multiples of 4. The
 * maps BEGIN filled hold a few entries scattered over large zeroed arenas and bucket tables: only the runs of
 * non-zero words (apart by 16 bytes or more) are carried.
 */
export function sparseInit(init: Uint8Array, head: number): Uint8Array {
  const words = new Uint8Array(Math.max(head, (init.length + 3) & ~3));
  words.set(init);
  const v = new DataView(words.buffer);
  const nonZero = (at: number) => at < words.length && v.getUint32(at, true) !== 0;
  const out: number[] = [...words.subarray(0, head)];
  const word = (x: number) => out.push(x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24);
  for (let at = head; at < words.length; ) {
    if (!nonZero(at)) {
      at += 4;
      continue;
    }
    let end = at + 4;
    while (end < words.length && [0, 4, 8, 12].some((k) => nonZero(end + k))) end += 4;
    word(at);
    word(end - at);
    out.push(...words.subarray(at, end));
    at = end;
  }
  word(0);
  word(0);
  return Uint8Array.from(out);
}

/**
 * Callbacks (bpf_loop, for_each_map_elem) are subprograms named by a function handle, FUNC_HANDLE_TAG:index (what
 * lddw PSEUDO_FUNC loads), an index inside its own program: with several programs one after the other (`programs`,
 * tail calls) it is moved to the whole image's. The translator learns where subprograms start from bpf-to-bpf
 * calls, so each callback also gets one call after the last instruction, never reached. (A hook in assembly/arm32/jit/translate.ts
 * marking lddw FUNC_HANDLE_TAG targets as subprogram starts would make that call unnecessary.)
 */
function withCallbackEntries(insns: Uint8Array, programs?: Int32Array): Uint8Array {
  const n = insns.length / INSN_SIZE;
  const starts = programs ? [...programs].filter((_, k) => k % 3 === 0 && programs[k] >= 0).sort((a, b) => a - b) : [0];
  let out: Uint8Array | undefined;
  const targets = new Set<number>();
  for (let i = 0; i + 1 < n; i++) {
    if (insns[i * INSN_SIZE] !== 0x18) continue;
    const v = new DataView(insns.buffer, insns.byteOffset + i * INSN_SIZE, 2 * INSN_SIZE);
    if (v.getUint32(12, true) === FUNC_HANDLE_TAG && insns[i * INSN_SIZE + 1] >> 4 === 0) {
      const base = starts.filter((s) => s <= i).pop() ?? 0;
      const end = starts.find((s) => s > i) ?? n;
      const target = v.getUint32(4, true) + base;
      // a callback is a subprogram: after its program's first exit, before the next program. Anything else is
      // a plain constant that happens to carry the tag.
      if (target <= firstExit(insns, base) || target >= end) {
        i++;
        continue;
      }
      if (base !== 0) {
        out ??= insns.slice();
        new DataView(out.buffer).setUint32(i * INSN_SIZE + 4, target, true);
      }
      targets.add(target);
    }
    i++;
  }
  if (targets.size === 0) return insns;
  const code = new Uint8Array(insns.length + (targets.size + 1) * INSN_SIZE);
  code.set(out ?? insns);
  const v = new DataView(code.buffer);
  let at = n;
  for (const t of targets) {
    code[at * INSN_SIZE] = 0x85; // call, src = 1: a bpf-to-bpf call
    code[at * INSN_SIZE + 1] = 0x10;
    v.setInt32(at * INSN_SIZE + 4, t - (at + 1), true);
    at++;
  }
  code[at * INSN_SIZE] = 0x95; // exit
  return code;
}

function firstExit(insns: Uint8Array, from: number): number {
  for (let i = from; i < insns.length / INSN_SIZE; i++) {
    if (insns[i * INSN_SIZE] === 0x95) return i;
    if (insns[i * INSN_SIZE] === 0x18) i++;
  }
  return insns.length / INSN_SIZE;
}

/**
 * A static ARM Linux executable (ELF32, ARMv7-A, no libc) running `insns`:
 *   PROGRAM [--mem FILE | --pcap FILE] [--repeat N] [--json]
 *   PROGRAM --iface IFNAME [--seconds N] [--json]          (with `skb`: a live capture on a packet socket)
 * r1 = address of FILE's bytes, r2 = their length; prints r0 as an unsigned decimal line and exits 0, or prints
 * the fault line on stderr and exits 1 (targets/arm32/README.md has the details).
 */
export function buildArm32Executable(insns: Uint8Array, opts: Arm32Options = {}): Uint8Array {
  return elfOf(translateArm32(insns, opts), opts.sections ?? false, opts.maps);
}

function elfOf(t: Arm32Translation, sections: boolean, maps?: Arm32Maps): Uint8Array {
  if (t.address + t.state + t.stateSize > ARM32_DATA_BASE)
    throw new Arm32Error("program too large for the memory layout");
  return writeElf32({
    image: t.image,
    entry: t.entry,
    bssOffset: t.state,
    bssSize: t.stateSize,
    textSize: sections ? t.table : undefined,
    data: maps && maps.count > 0 ? { address: ARM32_DATA_BASE, size: (maps.size + 4095) & ~4095 } : undefined,
  });
}

export interface RunOptions extends Arm32Options {
  /** qemu-arm -cpu value; default cortex-a8 (no hardware divide), cortex-a7 with idiv, arm1176 with armv6. */
  cpu?: string;
  repeat?: number;
  /** Milliseconds before the emulator is killed and the run fails; default 60,000. */
  timeout?: number;
}

const DEFAULT_TIMEOUT = 60_000;

export class Arm32Timeout extends Error {
  constructor(ms: number) {
    super(`qemu-arm did not finish within ${ms} ms (killed)`);
    this.name = "Arm32Timeout";
  }
}

export type Arm32Result = { r0: bigint } | { fault: string };

/** The qemu-arm -cpu value for executables built with `opts` (RunOptions.cpu when given). */
export function qemuCpu(opts: RunOptions = {}): string {
  return opts.cpu ?? (opts.armv6 ? "arm1176" : opts.idiv ? "cortex-a7" : "cortex-a8");
}

export function qemu(): string {
  for (const p of ["/usr/bin/qemu-arm", "/usr/local/bin/qemu-arm", "/usr/bin/qemu-arm-static"])
    if (existsSync(p)) return p;
  throw new Error("qemu-arm not found: install it with `apt-get install qemu-user`");
}

function qemuArgs(exe: string, memFile: string | undefined, opts: RunOptions): string[] {
  const args = ["-cpu", qemuCpu(opts), exe];
  if (memFile) args.push("--mem", memFile);
  if (opts.repeat !== undefined) args.push("--repeat", String(opts.repeat));
  return args;
}

function resultOf(status: number | null, stdout: string, stderr: string): Arm32Result {
  if (status === 0) {
    if (stderr) process.stderr.write(stderr); // bpf_trace_printk's text, where the interpreter prints it
    return { r0: BigInt(stdout.trim()) };
  }
  if (status === 1 && stderr.trim()) return { fault: stderr.trim() };
  throw new Error(`ARM executable failed (status ${status}): ${stderr.trim() || stdout.trim()}`);
}

/** Build `insns`, run it once under qemu-arm with `mem` as its input memory (none when empty). */
export function runArm32(insns: Uint8Array, mem: Uint8Array, opts: RunOptions = {}): Arm32Result {
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-"));
  try {
    const exe = join(dir, "prog");
    writeFileSync(exe, buildArm32Executable(insns, opts));
    chmodSync(exe, 0o755);
    let memFile: string | undefined;
    if (mem.length > 0) writeFileSync((memFile = join(dir, "mem")), mem);
    const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
    const r = spawnSync(qemu(), qemuArgs(exe, memFile, opts), { encoding: "utf8", timeout, killSignal: "SIGKILL" });
    if (r.error && (r.error as { code?: string }).code === "ETIMEDOUT") throw new Arm32Timeout(timeout);
    if (r.error) throw r.error;
    return resultOf(r.status, r.stdout, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like runArm32, without blocking: lets a caller keep a few qemu processes busy at once. */
export async function runArm32Async(insns: Uint8Array, mem: Uint8Array, opts: RunOptions = {}): Promise<Arm32Result> {
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-"));
  try {
    const exe = join(dir, "prog");
    writeFileSync(exe, buildArm32Executable(insns, opts));
    chmodSync(exe, 0o755);
    let memFile: string | undefined;
    if (mem.length > 0) writeFileSync((memFile = join(dir, "mem")), mem);
    const child = spawn(qemu(), qemuArgs(exe, memFile, opts));
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeout);
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    }).finally(() => clearTimeout(timer));
    if (timedOut) throw new Arm32Timeout(timeout);
    return resultOf(status, stdout, stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The parts of the image (abi.ts SEC_*, in order) and their sizes in bytes. */
export const ARM32_SECTION_NAMES = [
  "driver",
  "fault line",
  "live capture",
  "--pcap - as it arrives",
  "output",
  "map printer (JSON, readable)",
  "numbers",
  "bpftrace printer",
  "runtime routines",
  "maps code",
  "helpers",
  "program",
  "strings",
  "map data",
];

export function arm32Sections(insns: Uint8Array, opts: Arm32Options = {}): { name: string; bytes: number }[] {
  const ends = translateArm32(insns, opts).sectionEnds;
  return ends.map((end, k) => ({ name: ARM32_SECTION_NAMES[k], bytes: end - (k > 0 ? ends[k - 1] : 0) }));
}

/**
 * A debug listing: each eBPF instruction followed by the ARM code generated for it (disassembled by
 * llvm-objdump, which must be installed: `apt-get install llvm`; LLVM_OBJDUMP overrides the command).
 */
export function arm32Listing(insns: Uint8Array, opts: Arm32Options = {}): string {
  const t = translateArm32(insns, opts);
  const dir = mkdtempSync(join(tmpdir(), "tinybpf-arm32-"));
  let dump: string;
  try {
    const exe = join(dir, "prog");
    writeFileSync(exe, elfOf(t, true));
    const tool = process.env.LLVM_OBJDUMP ?? objdump();
    const r = spawnSync(tool, ["-d", "--triple=armv7a", exe], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.error || r.status !== 0) throw new Error(`${tool} failed: ${r.error?.message ?? r.stderr}`);
    dump = r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const arm = new Map<number, string>();
  for (const line of dump.split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/.exec(line);
    if (m) arm.set(parseInt(m[1], 16), `${m[2]}  ${m[3].replace(/\s+/g, " ").trim()}`);
  }
  // Headings by image offset, in the order they are added: each instruction where its ordinary code starts, a
  // versioned loop's test and the instructions of its copies (the copy of an inner loop's instructions inside an
  // outer copy is the inner loop's own copy).
  const headings = new Map<number, string[]>();
  const heading = (at: number, text: string) => {
    const list = headings.get(at) ?? [];
    list.push(text);
    headings.set(at, list);
  };
  const n = t.offsets.length;
  const line = (i: number) => `; ${String(i).padStart(4)}: ${disassembleInsn(insns, i)}`;
  const versioned = new Map(t.loops.filter((l) => l.entryJump < 0).map((l) => [l.head, l]));
  // a loop entered by a jump: its test after that jump's code, its ordinary code where the jump went
  for (const loop of t.loops.filter((l) => l.entryJump >= 0)) {
    heading(loop.testAt, `; loop ${loop.head}-${loop.last}: the test on entry, then the copy without checks`);
    heading(loop.body, `; loop ${loop.head}-${loop.last}: the ordinary code (checked)`);
  }
  for (let i = 0; i < n; i++) {
    if (t.offsets[i] & 0x80000000) continue;
    const loop = versioned.get(i);
    if (loop) {
      heading(
        t.code + t.offsets[i],
        `; loop ${loop.head}-${loop.last}: the test on entry, then the copy without checks`,
      );
      heading(loop.body, `; loop ${loop.head}-${loop.last}: the ordinary code (checked)`);
      heading(loop.body, line(i));
    } else heading(t.code + t.offsets[i], line(i));
  }
  for (const copy of t.copies) {
    for (let i = copy.head; i <= copy.last; i++) {
      if (t.offsets[i] & 0x80000000) continue;
      const inner =
        i > copy.head
          ? t.loops.find(
              (l) => l.head < i && i <= l.last && l.head >= copy.head && l.last <= copy.last && l.head !== copy.head,
            )
          : undefined;
      if (inner) continue;
      const loop = i > copy.head ? versioned.get(i) : undefined;
      const outer = versioned.get(copy.head);
      const proved = loop !== undefined && outer !== undefined && t.loops[outer.nestInner] === loop;
      if (loop)
        heading(
          copy.positions[i - copy.head],
          `; loop ${loop.head}-${loop.last} (in the copy of ${copy.head}-${copy.last}): ` +
            (proved ? `the copy, proved by ${copy.head}-${copy.last}'s test` : "the test, then the copy"),
        );
      else heading(copy.positions[i - copy.head], `${line(i)}    (copy of loop ${copy.head}-${copy.last})`);
    }
  }
  const lines: string[] = ["; prologue (entry, register file, regions, budget)"];
  const word = (o: number) => new DataView(t.image.buffer, t.image.byteOffset + o, 4).getUint32(0, true);
  for (let o = t.prologue; o < t.table; o += 4) {
    for (const h of headings.get(o) ?? []) lines.push(h);
    let gap = o;
    while (gap < t.table && word(gap) === NOP && !headings.has(gap + 4)) gap += 4;
    if (gap - o >= 8) {
      // the gap before a copy moved to the next page (versioned.ts)
      lines.push(
        `    ${(t.address + o).toString(16).padStart(8, "0")}: ${(gap - o) / 4} x nop (the copy starts a page)`,
      );
      o = gap - 4;
      continue;
    }
    const a = t.address + o;
    lines.push(`    ${a.toString(16).padStart(8, "0")}: ${arm.get(a) ?? "?"}`);
  }
  return lines.join("\n") + "\n";
}

const NOP = 0xe1a00000; // mov r0, r0

function objdump(): string {
  for (const p of ["/usr/bin/llvm-objdump-19", "/usr/bin/llvm-objdump"]) if (existsSync(p)) return p;
  throw new Error("llvm-objdump not found: install it with `apt-get install llvm-19` (or set LLVM_OBJDUMP)");
}
