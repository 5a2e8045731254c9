// Map descriptors, map types and map flags, shared by the core (AssemblyScript) and the host (TypeScript).
// Like layout.ts this file holds only untyped integer constants, so that both compilers accept it.
//
// Map `id` has its descriptor at MAPS + id * MAP_DESC_SIZE (layout.ts). Every family keeps its values in one
// contiguous arena (slot i at MD_VALUES + i * slot bytes) registered as one region when programs may touch the
// values; keys, buckets and list links live in separate memory that is never a region.

// Descriptor fields (u32 each, byte offsets)
export const MD_TYPE = 0; // MAP_TYPE_*
export const MD_KEY_SIZE = 4;
export const MD_VALUE_SIZE = 8;
export const MD_MAX_ENTRIES = 12; // the ring buffer's byte size for RINGBUF
export const MD_FLAGS = 16; // map_flags as created (BPF_F_*)
export const MD_INNER = 20; // maps of maps: the template inner map's id
export const MD_STRIDE = 24; // roundUp8(value size): bytes between two CPUs' copies of one value
export const MD_NCPUS = 28; // CPUs modelled by this map (1 unless per-CPU), fixed when created
export const MD_VALUES = 32; // value arena (ring buffer: its data area)
export const MD_KEYS = 36; // hash: element records; LPM: keys; unused elsewhere
export const MD_BUCKETS = 40; // hash: bucket heads; perf: the record buffer
export const MD_COUNT = 44; // elements in use (hash, LPM, queue/stack); perf: records dropped; ring: samples open
export const MD_FREE = 48; // hash: free-list head (element index + 1); queue/stack: head; ring: consumer pos
export const MD_FRESH = 52; // hash: elements never used yet; queue/stack: tail; ring/perf: producer pos
export const MD_LRU_HEAD = 56; // LRU: most recently used (index + 1); perf: read position
export const MD_LRU_TAIL = 60; // LRU: least recently used (index + 1)

// Linux enum bpf_map_type
export const MAP_TYPE_HASH = 1;
export const MAP_TYPE_ARRAY = 2;
export const MAP_TYPE_PROG_ARRAY = 3;
export const MAP_TYPE_PERF_EVENT_ARRAY = 4;
export const MAP_TYPE_PERCPU_HASH = 5;
export const MAP_TYPE_PERCPU_ARRAY = 6;
export const MAP_TYPE_LRU_HASH = 9;
export const MAP_TYPE_LRU_PERCPU_HASH = 10;
export const MAP_TYPE_LPM_TRIE = 11;
export const MAP_TYPE_ARRAY_OF_MAPS = 12;
export const MAP_TYPE_HASH_OF_MAPS = 13;
export const MAP_TYPE_QUEUE = 22;
export const MAP_TYPE_STACK = 23;
export const MAP_TYPE_RINGBUF = 27;

// The map types map_lookup_elem accepts, one bit per type (the verifier's check_map_func_compatibility): the
// core's helper and the Wasm engine's direct lookup both check it
export const LOOKUP_MAP_TYPES = (1 << MAP_TYPE_HASH) | (1 << MAP_TYPE_ARRAY) | (1 << MAP_TYPE_PERCPU_HASH) |
  (1 << MAP_TYPE_PERCPU_ARRAY) | (1 << MAP_TYPE_LRU_HASH) | (1 << MAP_TYPE_LRU_PERCPU_HASH) |
  (1 << MAP_TYPE_LPM_TRIE) | (1 << MAP_TYPE_ARRAY_OF_MAPS) | (1 << MAP_TYPE_HASH_OF_MAPS);

// map_flags (Linux uapi)
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7; // programs may read the values but not write them (.rodata)
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;

// Element update flags (map_update_elem, map_push_elem)
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

// Ring buffer: record header bits, submit flags and bpf_ringbuf_query selectors
export const RINGBUF_HDR_SIZE = 8; // u32 length (+ BUSY/DISCARD bits), u32 owning map id
export const RINGBUF_BUSY_BIT = 1 << 31;
export const RINGBUF_DISCARD_BIT = 1 << 30;
// Samples a ring may have reserved and not yet submitted or discarded (each is a region until then); a
// reservation beyond this gets NULL, as one that finds no room. Programs hold one or two; the bound keeps the
// region table, which map values share, from filling up.
export const RINGBUF_MAX_OPEN = 32;
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;

// perf_event_output: records wait in one buffer per map until the host drains them
export const PERF_BUFFER_SIZE = 16384;
export const PERF_HDR_SIZE = 8; // u32 data length, u32 CPU index the program chose
export const BPF_F_CURRENT_CPU = 0xffffffff;

// What ringbufNext and perfNext return when the next record's header claims more bytes than were written after
// it (or, in a ring, than fit before the ring's end): the record is not consumed, and nothing after it is.
export const RECORD_BAD = -1;

// Values stored in PROG_ARRAY and ARRAY_OF_MAPS slots that hold nothing
export const EMPTY_SLOT = -1;

// Maps that for_each_map_elem walks keep a read-only "key window" of roundUp8(key size) bytes right before their
// value arena, inside the same region: the callback's key pointer points there, never at the stored keys.
