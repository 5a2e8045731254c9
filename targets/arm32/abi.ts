// The ABI between the host (src/engines/arm32/) and the ARM32 translator (assembly/arm32/index.ts): the options of
// translate(), its error codes, and the layout of the map area the host writes and the device code reads.
//
// This file is compiled twice, like assembly/isa.ts and assembly/layout.ts: by AssemblyScript into build/arm32.wasm
// and by TypeScript into the host. It therefore holds only untyped integer constants (i32 in AssemblyScript, number
// in TypeScript), each defined here and nowhere else.

// Translation options (the flags of translate())
export const OPT_IDIV = 1; // the core has UDIV/SDIV (Cortex-A7/A15); else division calls a runtime routine
export const OPT_CONFORMANCE = 2; // helper 5 is the conformance suite's "unwind" helper
export const OPT_SKB = 4; // inputs are packets seen through struct __sk_buff
export const OPT_XDP = 8; // inputs are packets seen through struct xdp_md (packet writable)
export const OPT_ARMV6 = 1024; // ARMv6 code (ARM1176): no MOVW/MOVT, MLS, SBFX (a32/code.ts); never with OPT_IDIV
export const ARMV6_IMAGE_END = 0x01000000; // ARMv6: the image and its state end below (addresses are three bytes)
// With OPT_SKB: the live capture's --snapshots MS (driver/snapshots.ts), for readers of the maps as they grow
export const OPT_SNAPSHOT = 2048;

// Translation errors (errorCode(); errorIndex() names the instruction, or the label for ERR_LABEL)
export const ERR_NONE = 0;
export const ERR_OPCODE = 1; // an opcode this translator does not know
export const ERR_PSEUDO = 2; // lddw of a map or function
export const ERR_TARGET = 3; // a jump or call outside the program
export const ERR_TAIL_CALL = 4; // bpf_tail_call inside a bpf-to-bpf subprogram
export const ERR_LABEL = 5; // internal: a label bound twice in one pass, or more labels than the table holds
export const ERR_MEMORY = 6; // internal: the translator's objects would overlap its fixed tables

// The map area (maps/common.ts, src/engines/arm32/engine.ts lays it out): a zero-filled segment at DATA_BASE,
// whose first bytes the driver copies from the image at start-up:
//   DATA_BASE + 0                           u32 number of maps
//   DATA_BASE + ID_TABLE_AT                 u32 address of the inner-map id table (maps of maps)
//   DATA_BASE + DESC_OFFSET + DESC_SIZE * i descriptor of map i (D_* below)
export const DATA_BASE = 0x02000000;
export const ID_TABLE_AT = 4;
export const DESC_OFFSET = 16; // the descriptors start here, after the number of maps (u32) and the inner-map id table
export const DESC_SIZE = 80;
export const MAX_MAPS = 37; // one memory region each (image.ts MAX_REGIONS), after the stack, the input and the packet
export const RECORD_HEADER = 16; // hash maps: an element record's chain, hash and 8 unused bytes, then the key

// Descriptor fields
export const D_TYPE = 0;
export const D_KEY_SIZE = 4;
export const D_VALUE_SIZE = 8;
export const D_MAX = 12;
export const D_VALUES = 16; // value arena
export const D_STRIDE = 20; // bytes per value (roundUp8(value size))
export const D_BUCKETS = 24; // hash: bucket heads (element index + 1)
export const D_RECORDS = 28; // hash: element records (chain, hash, 8 unused bytes, key)
export const D_MASK = 32; // hash: buckets - 1
export const D_FRESH = 36; // hash: elements never used yet
export const D_FREE = 40; // hash: free list head
export const D_COUNT = 44; // hash: elements in use
export const D_REGION = 48; // the arena's region: start, end, writable start, writable end (0, 0: read-only)
export const D_NAME = 64; // the name as a JSON string, and its length
export const D_NAME_LEN = 68;
export const D_REC_STRIDE = 72; // hash: bytes per element record
export const D_ZERO_SKIP = 76; // 1: the readable listing leaves out entries whose value is all zeros (arrays)

// D_TYPE: the storage kind in the low byte (the host writes it, src/engines/arm32/engine.ts), variant bits above it.
// HASH and PERCPU_HASH are K_HASH, ARRAY, PERCPU_ARRAY and global data K_ARRAY: with one CPU they behave alike.
export const K_HASH = 1;
export const K_ARRAY = 2;
export const K_PROGS = 3; // PROG_ARRAY; ARRAY_OF_MAPS is K_PROGS | V_INNER (slots of ids, 0xffffffff = empty)
export const K_LPM = 4;
export const K_QUEUE = 5;
export const K_STACK = 6;
export const K_RINGBUF = 7;
export const K_PERF = 8;
export const V_LRU = 0x100; // LRU_HASH, LRU_PERCPU_HASH
export const V_INNER = 0x200; // maps of maps: values are inner map ids, lookups give the inner map's handle

// bpftrace's printing (targets/arm32/bpftrace.ts): with OPT_BPFTRACE the driver prints the maps as `tinybpf trace`
// does instead of r0 and `NAME[KEY] = VALUE` lines (--json is unchanged); the description it follows is in the map
// area, its address at DATA_BASE + TRACE_DESC_AT.
export const OPT_BPFTRACE = 16;
export const TRACE_DESC_AT = 8;
// The parts of that printer a script's maps need (the others are left out of the image): histograms, avg and
// stats values, IPv4 addresses (ntop), strings, values in END's text
export const OPT_BT_HIST = 32;
export const OPT_BT_AVG = 64;
export const OPT_BT_INET = 128;
export const OPT_BT_STR = 256;
export const OPT_BT_END_VALUES = 512; // END prints scalar maps' values
export const OPT_BT_SIGNED = 4096; // signed numbers: values, key parts, END's %d
// The map area's initial bytes come as the descriptors, then segments of non-zero words (src/engines/arm32/build.ts
// sparseInit): a trace script's maps that its BEGIN probes filled
export const OPT_SPARSE_DATA = 8192;
// A trace script's packet probe that calls printf and exit() (src/trace/arm32-printf.ts): bpf_trace_printk writes
// to standard output, where bpftrace's printf lines go, instead of standard error; and a record in a ring buffer
// (exit() writes one) ends the input after that run: END's text and the maps are printed, exit status 0
export const OPT_TRACE_PRINTK = 16384;
export const OPT_TRACE_EXIT = 32768;

// The parts of an image, in order, for measuring what an executable is made of (index.ts sectionEnd(k): where part
// k ends; a part left out ends where the one before it does)
export const SEC_DRIVER = 0; // start-up, arguments, input, the run loop, results, run_one
export const SEC_FAULT_LINE = 1;
export const SEC_LIVE = 2; // the live capture (--iface)
export const SEC_STREAM = 3; // a trace executable's --pcap - read as it arrives
export const SEC_OUTPUT = 4; // usage and input errors, exit, strcmp, write, flush
export const SEC_MAP_PRINTER = 5; // the JSON and readable map printer
export const SEC_NUMBERS = 6; // print_dec, print_hex
export const SEC_BPFTRACE = 7; // bpftrace's printer (OPT_BPFTRACE)
export const SEC_RUNTIME = 8; // fault handling, memory checks, division, packet loads
export const SEC_MAPS = 9; // the map helpers and routines, tail calls
export const SEC_HELPERS = 10;
export const SEC_PROGRAM = 11; // the prologue, the translated code and its tables
export const SEC_STRINGS = 12;
export const SEC_DATA = 13; // the map area's initial bytes (descriptors, names, the bpftrace description)
export const SECTIONS = 14;
