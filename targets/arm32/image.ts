// The layout of an output image and its labels, shared by the driver, the runtime routines and the translator.
//
// Image (one read-only executable segment, loaded at `base`):
//   driver (_start)  runtime routines  program prologue + translated code  instruction-offset table  strings
// followed, on the next page and outside the file (bss), by the state block that r11 points to while a program
// runs: registers, fault report, memory regions and the eBPF stack frames. Maps live in a third segment at a
// fixed address (DATA_BASE, see maps.ts), so that the host can resolve map references before translating.
//
// Everything is emitted twice: the first pass records label positions, the second writes the words with those
// positions. Label-dependent constants therefore always take the same number of words (MOVW+MOVT).

import { R11 } from "../../assembly/arm32/a32/encoder";
import { Labels } from "../../assembly/arm32/a32/labels";
import { MAX_MAPS } from "./abi";

// State block offsets (from r11)
export const S_REGS = 0; // eBPF r0..r10 as 64-bit little-endian pairs, for registers not kept in ARM registers
export const S_BUDGET = 88; // instructions the program may still execute
export const S_DEPTH = 92; // bpf-to-bpf call depth, 0 = entry frame
export const S_SAVED_SP = 96; // native sp at program entry: faults and early exits unwind to it
export const S_FAULT = 100; // FAULT_* code, 0 = none
export const S_FAULT_PC = 104; // eBPF instruction index
export const S_FAULT_ADDR = 108; // u64: address, budget, helper id
export const S_FAULT_SIZE = 116;
export const S_PKT = 120; // packet start and length for LD_ABS / LD_IND
export const S_PKT_LEN = 124;
export const S_NREGIONS = 128;
export const S_BUDGET_INIT = 132;
export const S_REPEAT = 136; // driver: runs left
export const S_MEM = 140; // driver: input memory address and length
export const S_LEN = 144;
export const S_FD = 148;
export const S_HELPER_LR = 152; // return address of the helper call in progress (0 outside helpers): faults name it
export const S_RUNS = 156; // driver: runs done (u32)
export const S_PCAP = 160; // driver: capture bytes, end, byte-swapped flag, nanosecond flag
export const S_PCAP_END = 164;
export const S_PCAP_SWAP = 168;
export const S_JSON = 172; // driver: --json given
export const S_REPEAT_ALL = 176; // driver: --repeat N as given
export const S_HAVE_PCAP = 180; // driver: --pcap given
export const S_IFACE = 184; // driver: --iface name (pointer), --seconds N
export const S_SECONDS = 188;
export const S_DEADLINE = 192; // driver: end of a live capture (CLOCK_MONOTONIC seconds, nanoseconds)
export const S_PKT_TYPE = 216; // driver: skb->pkt_type, ifindex and protocol (bit 16: set) of the next run
export const S_IFINDEX = 220;
export const S_PROTO = 224;
export const S_LIVE_BUF = 228; // driver: the live capture's packet buffer
// The region of the last memory check that passed, for the inline check in front of the runtime's: reads at
// +0 (start, span = end - 7 - start: an access of up to 8 bytes at start + k fits when k < span), writes at +8.
// A span of 0 matches nothing. Reset at every program entry and after
// every bpf-to-bpf return (the stack region shrinks); regions change nowhere else while a program runs.
export const S_RCACHE = 232;
export const S_TAIL_CALLS = 248; // tail calls taken in this run (at most MAX_TAIL_CALLS)
export const S_XDP_BUF = 252; // driver: the private copy of each input or packet a run may write (not socket filters)
export const S_LAST_R0 = 200; // driver: r0 of the last run (u64)
export const S_OUTPOS = 208; // driver: output buffer position and its file descriptor
export const S_OUT_FD = 212;
export const S_BUF = 256; // 64-byte buffer for printing numbers
export const S_SKB = 320; // struct __sk_buff built by the driver for socket filters (192 bytes)
export const SKB_BYTES = 192;
export const S_REGIONS = 512; // memory regions a program may access: start, end, writable start, writable end
export const REGION_BYTES = 16;
export const FIRST_MAP_REGION = 3; // the stack, the input (context), the packet, then one per map
export const MAX_REGIONS = FIRST_MAP_REGION + MAX_MAPS;
export const S_STACK = 1152; // 8 frames of 512 bytes; frame 0 (the entry frame) is the lowest
export const S_OUT = 1152 + 8 * 512; // driver: output buffer
export const OUT_SIZE = 4096;
export const S_HELPER_STATE = S_OUT + OUT_SIZE; // helpers-*.ts: their own state (64 bytes, see there)
export const HELPER_STATE_BYTES = 64;
export const STATE_SIZE = S_HELPER_STATE + HELPER_STATE_BYTES;

// Labels: positions in the image, in bytes from its start
export const L_START = 0;
export const L_ENTRY = 1;
export const L_EPILOGUE = 2;
export const L_EXIT_ZERO = 3;
export const L_FAULT = 4;
export const L_FAULT_INDEX = 5;
export const L_BUDGET_FAULT = 6;
export const L_DEPTH_FAULT = 7;
export const L_HELPER_FAULT = 8;
export const L_UDIVMOD64 = 9;
export const L_SDIVMOD64 = 10;
export const L_CHECK = 11; // 8 entries: read 1/2/4/8, write 1/2/4/8
export const L_CHECK_COMMON = 19;
export const L_CHECK_PAIR = 250; // up to 24 entries: L_CHECK's 8 for an address in r4:r5, r6:r7 or r8:r9
export const L_RANGE_LOCAL = 274; // versioned.ts: L_RANGE's own labels, 274-275
export const L_LDPKT = 20; // 3 entries: sizes 1, 2, 4
export const L_HELPER_UNWIND = 23;
export const L_HELPER_LOOKUP = 27; // map helpers (maps.ts)
export const L_HELPER_UPDATE = 28;
export const L_HELPER_DELETE = 29;
export const L_DATA_INIT = 30; // the map area's initial bytes, copied to the map area at start-up
export const L_PRINT_MAPS = 31; // driver: print every map (maps.ts)
export const L_TAIL_CALL = 32; // bpf_tail_call (calls.ts)
export const L_PROGS = 33; // per program id: the address of its code, or 0 (tail-call targets)
export const L_PROG_STARTS = 34; // instruction index where each program of the image starts, ascending
export const L_RANGE = 35; // is a range in one region (versioned.ts)
export const L_CODE = 24; // first translated instruction
export const L_TABLE = 25;
export const L_STATE = 26;
export const L_LOCAL = 40; // labels local to one routine start here
// Label ranges (LABEL_COUNT in all): runtime.ts L_LOCAL + 0-15, maps.ts L_LOCAL + 16-63, the driver (allotted in
// driver-common.ts) L_LOCAL + 64 to 249, L_CHECK_PAIR 250-273, L_RANGE_LOCAL 274-275, map families 290-449 (below),
// helpers L_HELPERS (512-767).
export const L_HELPERS = 512; // labels of the helpers compiled into the image (calls.ts, helpers-*.ts): 512-767
/** r11 = the state block (its address is a label: the image's base is known only at translation). */
export function stateBase(c: Labels): void { c.addressOf(R11, L_STATE, 0); }

// Map families beyond arrays and hash maps (maps.ts and maps-*.ts): labels 290-449, between the translator's and
// the helpers' (L_HELPERS).
export const L_PRINT_ENTRY = 290; // driver: print one entry (r0 = key address, r1 = value address; see maps-print.ts)
export const L_PRINT_MORE = 291; // print a map of the families below (maps-print.ts)
export const L_HELPER_PUSH = 292; // map_push_elem (87), map_pop_elem (88), map_peek_elem (89) (maps-queue.ts)
export const L_HELPER_POP = 293;
export const L_HELPER_PEEK = 294;
export const L_HELPER_RB_OUTPUT = 295; // ringbuf_output (130) .. ringbuf_query (134) (maps-ringbuf.ts)
export const L_HELPER_RB_RESERVE = 296;
export const L_HELPER_RB_SUBMIT = 297;
export const L_HELPER_RB_DISCARD = 298;
export const L_HELPER_RB_QUERY = 299;
export const L_HELPER_PERF_OUTPUT = 300; // perf_event_output (25) (maps-ringbuf.ts)
export const L_MAPS_MORE = 310; // routines' own labels: maps.ts 310-329, maps-hash.ts 330-349, maps-lpm.ts 350-379,
// maps-queue.ts 380-399, maps-ringbuf.ts 400-429, maps-print.ts 430-449
