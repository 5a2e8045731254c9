// The layout of an output image and its labels, shared by the driver, the runtime routines and the translator.
//
// Image (one read-only executable segment, loaded at `base`):
//   driver (_start)  runtime routines  program prologue + translated code  instruction-offset table  strings
// followed, on the next page and outside the file (bss), by the state block that r11 points to while a program
// runs: registers, fault report, memory regions and the eBPF stack frames. Maps live in a third segment at a
// fixed address (abi.ts DATA_BASE), so that the host can resolve map references before translating.
//
// Everything is emitted twice: the first pass records label positions, the second writes the words with those
// positions. Label-dependent constants therefore always take the same number of words (MOVW+MOVT).

import { R11 } from "../../assembly/arm32/a32/encoder";
import { Labels, block, one } from "../../assembly/arm32/a32/labels";
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
export const S_STREAM = 176; // driver: 1 while standard input is read as the runs go (a trace executable's --pcap -)
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
// A span of 0 matches nothing. It stays valid across runs: whatever shrinks or moves a region first forgets the
// windows that start where that region does (runtime/rcache.ts).
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
export const S_HELPER_STATE = S_OUT + OUT_SIZE; // helpers/*.ts: their own state (64 bytes, see there)
export const HELPER_STATE_BYTES = 64;
export const S_SNAPSHOT = S_HELPER_STATE + HELPER_STATE_BYTES; // driver/snapshots.ts: period and due time (16 bytes)
// versioned.ts: the balance of searches' trips less a toll per entry (i32), which decides whether a search loop's
// entry test runs (8 bytes: the block stays a multiple of 8)
export const S_TRIPS = S_SNAPSHOT + 16;
export const STATE_SIZE = S_TRIPS + 8;

// Labels shared by several files (a32/labels.ts: each taken by name here; a file's own labels are taken there)
export const L_START = one("start"); // the driver's entry point
export const L_ENTRY = one("program entry");
export const L_EPILOGUE = one("program epilogue");
export const L_EXIT_ZERO = one("exit with r0 = 0");
export const L_FAULT = one("fault");
export const L_FAULT_INDEX = one("fault at an instruction index");
export const L_BUDGET_FAULT = one("budget fault");
export const L_DEPTH_FAULT = one("call depth fault");
export const L_HELPER_FAULT = one("helper fault");
export const L_UDIVMOD64 = one("udivmod64");
export const L_SDIVMOD64 = one("sdivmod64");
export const L_CHECK = block("memory checks", 8); // read 1/2/4/8, write 1/2/4/8
export const L_CHECK_COMMON = one("memory check, common part");
// L_CHECK's 8 that return instead of faulting, then the same 8 for an address whose high word is known zero
export const L_RECHECK = block("memory rechecks in loop copies", 16);
export const L_CHECK_PAIR = block("memory checks from a pair", 24); // L_CHECK's 8 for an address in r4:r5, r6:r7, r8:r9
export const L_LDPKT = block("packet loads", 3); // sizes 1, 2, 4
export const L_HELPER_UNWIND = one("conformance unwind helper");
export const L_HELPER_LOOKUP = block("map helpers", 3); // map_lookup_elem, map_update_elem, map_delete_elem (maps/)
export const L_HASH_WORDS = one("hash map lookup, map and key known"); // (maps/direct.ts)
export const L_HELPER_UPDATE = L_HELPER_LOOKUP + 1;
export const L_HELPER_DELETE = L_HELPER_LOOKUP + 2;
export const L_DATA_INIT = one("map area's initial bytes"); // copied to the map area at start-up
export const L_PRINT_MAPS = one("print every map"); // driver (maps/index.ts)
export const L_TAIL_CALL = one("bpf_tail_call"); // (jit/calls.ts)
export const L_PROGS = one("program addresses"); // per program id: the address of its code, or 0 (tail-call targets)
export const L_PROG_STARTS = one("program starts"); // instruction index where each program of the image starts
export const L_RANGE = one("range check"); // is a range in one region (versioned.ts)
export const L_CODE = one("code"); // first translated instruction
export const L_TABLE = one("instruction-offset table");
export const L_STATE = one("state block");
// The helpers compiled into the image when a program calls them (jit/calls.ts, helpers/*.ts): routine k of this
// block, k < 32 (calls.ts keeps one bit per routine).
export const L_HELPERS = block("helpers", 32);
// Map families beyond arrays and hash maps (maps/*.ts)
export const L_PRINT_ENTRY = one("print a map entry"); // driver: r0 = key address, r1 = value address (maps/print.ts)
export const L_PRINT_MORE = one("print a map of the other families"); // (maps/print.ts)
export const L_HELPER_PUSH = block("queue helpers", 3); // map_push_elem (87), map_pop_elem (88), map_peek_elem (89)
export const L_HELPER_POP = L_HELPER_PUSH + 1;
export const L_HELPER_PEEK = L_HELPER_PUSH + 2;
export const L_HELPER_RB_OUTPUT = block("ring buffer helpers", 5); // ringbuf_output (130) .. ringbuf_query (134)
export const L_HELPER_RB_RESERVE = L_HELPER_RB_OUTPUT + 1;
export const L_HELPER_RB_SUBMIT = L_HELPER_RB_OUTPUT + 2;
export const L_HELPER_RB_DISCARD = L_HELPER_RB_OUTPUT + 3;
export const L_HELPER_RB_QUERY = L_HELPER_RB_OUTPUT + 4;
export const L_HELPER_PERF_OUTPUT = one("perf_event_output helper"); // (25) (maps/ringbuf.ts)

/** r11 = the state block (its address is a label: the image's base is known only at translation). */
export function stateBase(c: Labels): void { c.addressOf(R11, L_STATE, 0); }

