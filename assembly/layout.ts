// The core's linear-memory layout and fault codes, shared by the core (AssemblyScript) and the host
// (TypeScript), so that both sides read the same addresses. Untyped integer constants only (see isa.ts).
//
// eBPF pointers are plain linear-memory addresses. A program may touch only the regions listed in the region
// table (its stack frames, the context and packet, map values, global data, open ring-buffer samples);
// everything below HEAP_BASE that is not a region (registers, call frames, the region table itself, the code) is
// the runtime's own state.

export const STATE = 0x10000; // scalar run state (offsets ST_*), 256 bytes
export const REGS = 0x10100; // r0..r10 as u64, 88 bytes
export const FRAMES = 0x10200; // bpf-to-bpf call frames, FRAME_SIZE bytes each, MAX_CALL_DEPTH of them
export const FRAME_SIZE = 48; // return pc (u32), pre-decoded code base (u32), r6..r9 (u64 x 4), r10 (u64)
export const REGIONS = 0x10800; // region table, REGION_SIZE bytes each, MAX_REGIONS of them
export const REGION_SIZE = 16; // start, end, writable start, writable end (u32 each; [start, end) readable)
export const MAX_REGIONS = 256;
export const PROGS = 0x11800; // program table: code address (u32), instruction count (u32), per program
export const MAX_PROGS = 256;
export const HELPER_KINDS = 0x12000; // one byte per helper id: HELPER_NONE / HELPER_CORE / HELPER_HOST
export const MAX_HELPER_ID = 1023;
export const SCRATCH = 0x12400; // exchange buffer between host and core (helper strings, keys, values)
export const SCRATCH_SIZE = 0x1000;
export const STACK_BASE = 0x14000; // MAX_CALL_DEPTH frames of 512 bytes, frame k at STACK_BASE + 512 * k
export const STACK_END = 0x15000;
export const MAPS = 0x15000; // map descriptors, MAP_DESC_SIZE bytes each
export const MAP_DESC_SIZE = 64;
export const MAX_MAPS = 256;
// Per program: the address of the interpreter's pre-decoded records (assembly/decode.ts), u32 each. The records
// themselves are allocated on the heap when the program is installed, next to its code and, like the code, inside
// no region: a program that could write them could rewrite its own jumps and calls behind the verifier's back.
export const DECODED = 0x19000;
export const HEAP_BASE = 0x20000; // bump-allocated: code, contexts, packets, map storage

// Offsets in STATE
export const ST_FAULT = 0; // u32 fault code (FAULT_*)
export const ST_FAULT_PC = 4; // u32 instruction index of the fault
export const ST_FAULT_ADDR = 8; // u64 address involved (memory faults) or helper id / target
export const ST_FAULT_SIZE = 16; // u32 access size in bytes
export const ST_BUDGET = 24; // u64 instruction budget for one run, 0 = unlimited
export const ST_EXECUTED = 32; // u64 instructions executed by the last run
export const ST_REGION_COUNT = 40; // u32 regions in use
export const ST_HEAP_TOP = 44; // u32 bump-allocator top
export const ST_STOPPED = 48; // u32 set by a helper that ends the program early (r0 already set)
export const ST_PROG = 52; // u32 current program id (tail calls change it)
export const ST_TAIL_CALLS = 56; // u32 tail calls taken in this run
export const ST_CTX = 60; // u32 address of the context (r1 at entry)
export const ST_PID_TGID = 64; // u64 value returned by get_current_pid_tgid
export const ST_UID_GID = 72; // u64 value returned by get_current_uid_gid
export const ST_COMM = 80; // 16 bytes returned by get_current_comm
export const ST_PRANDOM = 96; // u64 xorshift state for get_prandom_u32
export const ST_MAP_COUNT = 104; // u32 maps created
export const ST_PROG_COUNT = 108; // u32 programs loaded
export const ST_PKT = 112; // u32 packet start (LD_ABS / LD_IND read here)
export const ST_PKT_LEN = 116; // u32 packet length
export const ST_NCPUS = 120; // u32 CPUs that per-CPU maps model (1 unless configured)
export const ST_ENGINE = 124; // u32 engine running the program: 0 the interpreter, 1 a host engine (callbacks go through env.host_callback)
export const ST_WASM_CACHE = 128; // 4 x u64: the region caches of code translated to Wasm (assembly/wasm/translate.ts)

// Fault codes (ST_FAULT)
export const FAULT_NONE = 0;
export const FAULT_READ = 1; // out-of-bounds load
export const FAULT_WRITE = 2; // out-of-bounds or read-only store
export const FAULT_BUDGET = 3; // instruction budget exhausted
export const FAULT_CALL_DEPTH = 4; // bpf-to-bpf calls deeper than MAX_CALL_DEPTH frames
export const FAULT_HELPER = 5; // unknown helper id at run time (callx) or a helper refused its arguments
export const FAULT_BAD_INSN = 6; // an instruction the validator should have refused
export const FAULT_BAD_MAP = 7; // a helper got something that is not a map of the right kind
export const FAULT_HOST = 8; // a host-registered helper threw
export const FAULT_BAD_RECORD = 9; // ringbuf_submit / ringbuf_discard got something that is not an open reserved sample

// Helper kinds (HELPER_KINDS)
export const HELPER_NONE = 0;
export const HELPER_CORE = 1;
export const HELPER_HOST = 2;

// A map handle, as seen by a program (lddw with PSEUDO_MAP_FD): MAP_HANDLE_TAG in the upper 32 bits, the
// map id in the lower. It is not an address, so a program cannot read or write a map's bookkeeping through it.
export const MAP_HANDLE_TAG = 0x4d415000;

// A function handle (lddw with PSEUDO_FUNC, for bpf_loop and for_each_map_elem callbacks): FUNC_HANDLE_TAG in
// the upper 32 bits, the callee's absolute instruction index in the lower.
export const FUNC_HANDLE_TAG = 0x46554e00;
