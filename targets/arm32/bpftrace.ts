// The description of a bpftrace script's maps that an ARM32 executable built by `tinybpf build --trace` carries,
// so that it prints them as `tinybpf trace` does (driver/bpftrace-print.ts reads it, src/trace/arm32-describe.ts
// writes it). Compiled by both AssemblyScript and TypeScript, like abi.ts: integer constants only.
//
// The host has already worked out what is costly to do on the device: the print order (maps by name), each key
// part's type, and every histogram row's label as text. All offsets are from the description's start; u32 words.
//   +0  maps described            +4  bytes of scratch memory the printer maps for its sorting
//   +8  BEGIN's text, NUL-terminated (0: none)
//   +12 what END prints (0: nothing): END_TEXT and NUL-terminated text, or END_VALUE, a conversion ('d', 'u' or
//       'x') and a record's index (a scalar integer map: its value), ..., then END_STOP (one byte each)
//   +16 one BT_RECORD per map, in print order, then the names, key types, labels and texts they point to

export const BT_BEGIN = 8;
export const BT_END = 12;
export const BT_HEADER = 16;
export const BT_RECORD = 32;
export const END_STOP = 0;
export const END_TEXT = 1;
export const END_VALUE = 2;

// Record fields
export const BT_MAP = 0; // the map's index in the executable (its descriptor)
export const BT_KIND = 4; // VK_* below
export const BT_SIGNED = 8; // 1: values (sum, min, max, avg, stats' total) are signed
export const BT_NKEYS = 12; // key parts (a histogram's bucket not counted)
export const BT_KEYTYPES = 16; // offset of one KT_* byte per key part
export const BT_NAME = 20; // offset of "@name", NUL-terminated
export const BT_LABELS = 24; // histograms: offset of the rows' labels, NUL-terminated one after the other
export const BT_BUCKETS = 28; // histograms: number of buckets (labels)

// What a value is and how it prints
export const VK_INT = 0; // count, sum, min, max, an integer: a decimal number
export const VK_AVG = 1; // count, total: total / count
export const VK_STATS = 2; // count, total: "count N, average N, total N"
export const VK_STR = 3; // up to 16 bytes of text
export const VK_INET = 4; // an IPv4 address (ntop)
export const VK_HIST = 5; // hist and lhist: the last 8 bytes of the key are the bucket, the value its count

// The printer's scratch memory: BT_SCRATCH_FIXED bytes of its own, then 32 bytes per entry of the largest map and
// 8 per bucket of the largest histogram (the description's +4 says how much in all)
export const BT_SCRATCH_FIXED = 128;

// Key part types (8 bytes each, strings 16)
export const KT_UINT = 0;
export const KT_INT = 1;
export const KT_INET = 2;
export const KT_STR = 3;
