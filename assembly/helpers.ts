// The BPF helpers that live in the core (Linux helper ids). A helper reads r1..r5 from REGS and leaves its
// result in r0. It returns 0, or a FAULT_* code after storing the faulting address and size: every pointer
// argument is checked against the region table, every map argument against the map table and the helper's
// allowed map types (what the kernel's verifier would have proved before the program ran).
import {
  STATE, REGS, ST_FAULT, ST_FAULT_ADDR, ST_FAULT_SIZE, ST_PID_TGID, ST_UID_GID, ST_COMM, ST_PRANDOM, ST_PKT,
  ST_PKT_LEN, REGIONS, REGION_SIZE, ST_REGION_COUNT, FAULT_READ, FAULT_WRITE, FAULT_HELPER, FAULT_BAD_MAP, FAULT_BAD_RECORD,
  HELPER_KINDS, HELPER_CORE, MAP_HANDLE_TAG, FUNC_HANDLE_TAG,
} from "./layout";
import { accessAllowed } from "./memory";
import { HELPER_FOR_EACH_MAP_ELEM, HELPER_LOOP } from "./isa";
import {
  MD_KEY_SIZE, MD_VALUE_SIZE, MD_FLAGS, MD_NCPUS, BPF_F_RDONLY_PROG,
  MAP_TYPE_HASH, MAP_TYPE_ARRAY, MAP_TYPE_PERF_EVENT_ARRAY, MAP_TYPE_PERCPU_HASH, MAP_TYPE_PERCPU_ARRAY,
  MAP_TYPE_LRU_HASH, MAP_TYPE_LRU_PERCPU_HASH, MAP_TYPE_LPM_TRIE,
  MAP_TYPE_QUEUE, MAP_TYPE_STACK, MAP_TYPE_RINGBUF, LOOKUP_MAP_TYPES,
} from "./maps/desc";
import { EFAULT, EINVAL, E2BIG, ERANGE } from "./maps/errno";
import { field, mapCount, mapType } from "./maps/common";
import {
  mapLookup, mapLookupCpu, mapUpdateFromProgram, mapDelete, mapPush, mapPop, mapPeek, ringbufOutput,
  ringbufReserve, ringbufQuery, perfOutput,
} from "./maps/index";
import { ringbufCommit } from "./maps/ringbuf";
import { forEachElem } from "./maps/foreach";
import { invokeCallback } from "./callback";
import { hostTimeNs, CLOCK_MONOTONIC, CLOCK_BOOTTIME } from "./host";

// Helper ids (Linux enum bpf_func_id)
const MAP_LOOKUP_ELEM = 1;
const MAP_UPDATE_ELEM = 2;
const MAP_DELETE_ELEM = 3;
const PROBE_READ = 4;
const KTIME_GET_NS = 5;
const GET_PRANDOM_U32 = 7;
const GET_SMP_PROCESSOR_ID = 8;
const GET_CURRENT_PID_TGID = 14;
const GET_CURRENT_UID_GID = 15;
const GET_CURRENT_COMM = 16;
const PERF_EVENT_OUTPUT = 25;
const SKB_LOAD_BYTES = 26;
const GET_NUMA_NODE_ID = 42;
const PROBE_READ_STR = 45;
const MAP_PUSH_ELEM = 87;
const MAP_POP_ELEM = 88;
const MAP_PEEK_ELEM = 89;
const STRTOL = 105;
const STRTOUL = 106;
const PROBE_READ_USER = 112;
const PROBE_READ_KERNEL = 113;
const PROBE_READ_USER_STR = 114;
const PROBE_READ_KERNEL_STR = 115;
const JIFFIES64 = 118;
const KTIME_GET_BOOT_NS = 125;
const RINGBUF_OUTPUT = 130;
const RINGBUF_RESERVE = 131;
const RINGBUF_SUBMIT = 132;
const RINGBUF_DISCARD = 133;
const RINGBUF_QUERY = 134;
const KTIME_GET_COARSE_NS = 160;
const FOR_EACH_MAP_ELEM = HELPER_FOR_EACH_MAP_ELEM;
const LOOP = HELPER_LOOP;
const MAP_LOOKUP_PERCPU_ELEM = 195;


// Map types each kind of map helper accepts, one bit per type (the verifier's check_map_func_compatibility)
const ELEM_MAPS: u32 = (1 << MAP_TYPE_HASH) | (1 << MAP_TYPE_ARRAY) | (1 << MAP_TYPE_PERCPU_HASH) |
  (1 << MAP_TYPE_PERCPU_ARRAY) | (1 << MAP_TYPE_LRU_HASH) | (1 << MAP_TYPE_LRU_PERCPU_HASH) | (1 << MAP_TYPE_LPM_TRIE);
const LOOKUP_MAPS: u32 = LOOKUP_MAP_TYPES;
const PERCPU_MAPS: u32 = (1 << MAP_TYPE_PERCPU_HASH) | (1 << MAP_TYPE_PERCPU_ARRAY) | (1 << MAP_TYPE_LRU_PERCPU_HASH);
const ITERABLE_MAPS: u32 = ELEM_MAPS & ~(1 << MAP_TYPE_LPM_TRIE);
const QUEUE_MAPS: u32 = (1 << MAP_TYPE_QUEUE) | (1 << MAP_TYPE_STACK);
const RINGBUF_MAPS: u32 = 1 << MAP_TYPE_RINGBUF;
const PERF_MAPS: u32 = 1 << MAP_TYPE_PERF_EVENT_ARRAY;

const MAX_LOOPS: u32 = 1 << 23; // BPF_MAX_LOOPS
const JIFFY_NS: u64 = 10000000; // CONFIG_HZ=100, the common choice on 32-bit ARM boards
const PRANDOM_SEED: u64 = 0x9e3779b97f4a7c15; // any nonzero state: xorshift never leaves zero
const STRTOX_BASE_MASK: u64 = 0x1f;
const COMM_LEN: u32 = 16;

/** Runs core helper `id`; 0 on success, else a FAULT_* code (ST_FAULT_ADDR / ST_FAULT_SIZE say what). */
export function callCoreHelper(id: u32): i32 {
  switch (id) {
    case MAP_LOOKUP_ELEM: return mapLookupElem();
    case MAP_UPDATE_ELEM: return mapUpdateElem();
    case MAP_DELETE_ELEM: return mapDeleteElem();
    case MAP_LOOKUP_PERCPU_ELEM: return mapLookupPercpuElem();
    case PROBE_READ: case PROBE_READ_USER: case PROBE_READ_KERNEL: return probeRead();
    case PROBE_READ_STR: case PROBE_READ_USER_STR: case PROBE_READ_KERNEL_STR: return probeReadStr();
    case KTIME_GET_NS: case KTIME_GET_COARSE_NS: return result(hostTimeNs(CLOCK_MONOTONIC));
    case KTIME_GET_BOOT_NS: return result(hostTimeNs(CLOCK_BOOTTIME));
    case JIFFIES64: return result(hostTimeNs(CLOCK_BOOTTIME) / JIFFY_NS);
    case GET_PRANDOM_U32: return result(prandomU32());
    case GET_SMP_PROCESSOR_ID: case GET_NUMA_NODE_ID: return result(0);
    case GET_CURRENT_PID_TGID: return result(load<u64>(STATE + ST_PID_TGID));
    case GET_CURRENT_UID_GID: return result(load<u64>(STATE + ST_UID_GID));
    case GET_CURRENT_COMM: return getCurrentComm();
    case SKB_LOAD_BYTES: return skbLoadBytes();
    case PERF_EVENT_OUTPUT: return perfEventOutput();
    case MAP_PUSH_ELEM: return mapPushElem();
    case MAP_POP_ELEM: return mapTakeElem(true);
    case MAP_PEEK_ELEM: return mapTakeElem(false);
    case STRTOL: return strtoHelper(true);
    case STRTOUL: return strtoHelper(false);
    case RINGBUF_OUTPUT: return ringbufOutputHelper();
    case RINGBUF_RESERVE: return ringbufReserveHelper();
    case RINGBUF_SUBMIT: return ringbufCommitHelper(false);
    case RINGBUF_DISCARD: return ringbufCommitHelper(true);
    case RINGBUF_QUERY: return ringbufQueryHelper();
    case FOR_EACH_MAP_ELEM: return forEachMapElem();
    case LOOP: return loop();
  }
  return fault(FAULT_HELPER, id, 0);
}

/** Marks every helper above as HELPER_CORE in HELPER_KINDS. */
export function registerCoreHelpers(): void {
  mark(MAP_LOOKUP_ELEM); mark(MAP_UPDATE_ELEM); mark(MAP_DELETE_ELEM); mark(PROBE_READ); mark(KTIME_GET_NS);
  mark(GET_PRANDOM_U32); mark(GET_SMP_PROCESSOR_ID); mark(GET_CURRENT_PID_TGID); mark(GET_CURRENT_UID_GID);
  mark(GET_CURRENT_COMM); mark(PERF_EVENT_OUTPUT); mark(SKB_LOAD_BYTES); mark(GET_NUMA_NODE_ID);
  mark(PROBE_READ_STR); mark(MAP_PUSH_ELEM); mark(MAP_POP_ELEM); mark(MAP_PEEK_ELEM); mark(STRTOL); mark(STRTOUL);
  mark(PROBE_READ_USER); mark(PROBE_READ_KERNEL); mark(PROBE_READ_USER_STR); mark(PROBE_READ_KERNEL_STR);
  mark(JIFFIES64); mark(KTIME_GET_BOOT_NS); mark(RINGBUF_OUTPUT); mark(RINGBUF_RESERVE); mark(RINGBUF_SUBMIT);
  mark(RINGBUF_DISCARD); mark(RINGBUF_QUERY); mark(KTIME_GET_COARSE_NS); mark(FOR_EACH_MAP_ELEM); mark(LOOP);
  mark(MAP_LOOKUP_PERCPU_ELEM);
}

@inline function mark(id: u32): void {
  store<u8>(HELPER_KINDS + id, HELPER_CORE);
}

// ---- argument access and faults

@inline function arg(n: u32): u64 {
  return load<u64>(REGS + 8 * n);
}

@inline function result(value: u64): i32 {
  store<u64>(REGS, value);
  return 0;
}

function fault(code: i32, addr: u64, size: u32): i32 {
  store<u64>(STATE + ST_FAULT_ADDR, addr);
  store<u32>(STATE + ST_FAULT_SIZE, size);
  return code;
}

/** 0 when the program may read (or write) [addr, addr + size); else the fault naming the address. */
function checkAccess(addr: u64, size: u32, write: bool): i32 {
  if (size == 0 || accessAllowed(addr, size, write)) return 0;
  return fault(write ? FAULT_WRITE : FAULT_READ, addr, size);
}

let argMap: u32 = 0; // the map id mapArg accepted

/**
 * 0 when `handle` is a map handle naming an existing map whose type is in `types` (one bit per type), and that
 * programs may write when `write`; the id is left in argMap. Else FAULT_BAD_MAP naming the handle.
 */
function mapArg(handle: u64, types: u32, write: bool): i32 {
  const id = <u32>handle;
  if (<u32>(handle >> 32) != <u32>MAP_HANDLE_TAG || id >= mapCount()) return fault(FAULT_BAD_MAP, handle, 0);
  const type = mapType(id);
  if (type >= 32 || ((<u32>1 << type) & types) == 0) return fault(FAULT_BAD_MAP, handle, 0);
  if (write && (field(id, MD_FLAGS) & BPF_F_RDONLY_PROG) != 0) return fault(FAULT_BAD_MAP, handle, 0);
  argMap = id;
  return 0;
}

// ---- maps

function mapLookupElem(): i32 {
  const key = arg(2);
  let f = mapArg(arg(1), LOOKUP_MAPS, false);
  if (f == 0) f = checkAccess(key, field(argMap, MD_KEY_SIZE), false);
  if (f != 0) return f;
  return result(mapLookup(argMap, <u32>key));
}

function mapLookupPercpuElem(): i32 {
  const key = arg(2);
  const cpu = arg(3);
  let f = mapArg(arg(1), PERCPU_MAPS, false);
  if (f == 0) f = checkAccess(key, field(argMap, MD_KEY_SIZE), false);
  if (f != 0) return f;
  if (cpu >= <u64>field(argMap, MD_NCPUS)) return result(0);
  return result(mapLookupCpu(argMap, <u32>key, <u32>cpu));
}

function mapUpdateElem(): i32 {
  const key = arg(2);
  const value = arg(3);
  let f = mapArg(arg(1), ELEM_MAPS, true);
  if (f == 0) f = checkAccess(key, field(argMap, MD_KEY_SIZE), false);
  if (f == 0) f = checkAccess(value, field(argMap, MD_VALUE_SIZE), false);
  if (f != 0) return f;
  return result(<u64>mapUpdateFromProgram(argMap, <u32>key, <u32>value, arg(4)));
}

function mapDeleteElem(): i32 {
  const key = arg(2);
  let f = mapArg(arg(1), ELEM_MAPS, true);
  if (f == 0) f = checkAccess(key, field(argMap, MD_KEY_SIZE), false);
  if (f != 0) return f;
  return result(<u64>mapDelete(argMap, <u32>key));
}

function mapPushElem(): i32 {
  const value = arg(2);
  let f = mapArg(arg(1), QUEUE_MAPS, true);
  if (f == 0) f = checkAccess(value, field(argMap, MD_VALUE_SIZE), false);
  if (f != 0) return f;
  return result(<u64>mapPush(argMap, <u32>value, arg(3)));
}

/** map_pop_elem (`remove`) and map_peek_elem: the value is written to the program's buffer. */
function mapTakeElem(remove: bool): i32 {
  const value = arg(2);
  let f = mapArg(arg(1), QUEUE_MAPS, remove);
  if (f == 0) f = checkAccess(value, field(argMap, MD_VALUE_SIZE), true);
  if (f != 0) return f;
  return result(<u64>(remove ? mapPop(argMap, <u32>value) : mapPeek(argMap, <u32>value)));
}

function forEachMapElem(): i32 {
  const handle = arg(1);
  const func = arg(2);
  const ctx = arg(3);
  const flags = arg(4);
  const f = mapArg(handle, ITERABLE_MAPS, false);
  if (f != 0) return f;
  if (<u32>(func >> 32) != <u32>FUNC_HANDLE_TAG) return fault(FAULT_HELPER, func, 0);
  if (flags != 0) return result(<u64>-EINVAL);
  const isArray = mapType(argMap) == MAP_TYPE_ARRAY || mapType(argMap) == MAP_TYPE_PERCPU_ARRAY;
  const visited = forEachElem(argMap, handle, func, ctx, isArray);
  const callbackFault = load<u32>(STATE + ST_FAULT);
  if (callbackFault != 0) return <i32>callbackFault;
  return result(visited);
}

/** bpf_loop: calls callback(i, ctx) for i = 0 .. nr_loops - 1 until it returns nonzero; r0 = calls made. */
function loop(): i32 {
  const count = arg(1);
  const func = arg(2);
  const ctx = arg(3);
  const flags = arg(4);
  if (<u32>(func >> 32) != <u32>FUNC_HANDLE_TAG) return fault(FAULT_HELPER, func, 0);
  if (flags != 0) return result(<u64>-EINVAL);
  const n = <u32>count;
  if (n > MAX_LOOPS) return result(<u64>-E2BIG);
  for (let i: u32 = 0; i < n; i++) {
    const stop = invokeCallback(func, i, ctx, 0, 0);
    const callbackFault = load<u32>(STATE + ST_FAULT);
    if (callbackFault != 0) return <i32>callbackFault;
    if (stop != 0) return result(i + 1);
  }
  return result(n);
}

// ---- ring buffer and perf events

function ringbufOutputHelper(): i32 {
  const data = arg(2);
  const size = <u32>arg(3);
  let f = mapArg(arg(1), RINGBUF_MAPS, false);
  if (f == 0) f = checkAccess(data, size, false);
  if (f != 0) return f;
  return result(<u64>ringbufOutput(argMap, <u32>data, size, arg(4)));
}

function ringbufReserveHelper(): i32 {
  const f = mapArg(arg(1), RINGBUF_MAPS, false);
  if (f != 0) return f;
  const size = arg(2);
  return result(size >> 32 != 0 ? 0 : ringbufReserve(argMap, <u32>size, arg(3)));
}

/** ringbuf_submit / ringbuf_discard: the pointer must be a record that ringbuf_reserve handed out. */
function ringbufCommitHelper(discard: bool): i32 {
  const data = arg(1);
  if (data >> 32 != 0 || ringbufCommit(<u32>data, discard) != 0) return fault(FAULT_BAD_RECORD, data, 0);
  return result(0);
}

function ringbufQueryHelper(): i32 {
  const f = mapArg(arg(1), RINGBUF_MAPS, false);
  if (f != 0) return f;
  return result(ringbufQuery(argMap, arg(2)));
}

/** perf_event_output(ctx, map, flags, data, size). */
function perfEventOutput(): i32 {
  const data = arg(4);
  const size = <u32>arg(5);
  let f = mapArg(arg(2), PERF_MAPS, false);
  if (f == 0) f = checkAccess(data, size, false);
  if (f != 0) return f;
  return result(<u64>perfOutput(argMap, <u32>data, size, arg(3)));
}

// ---- memory

/** probe_read*(dst, size, src): copies when the source is readable, else zeroes dst and returns -EFAULT. */
function probeRead(): i32 {
  const dst = arg(1);
  const size = <u32>arg(2);
  const src = arg(3);
  const f = checkAccess(dst, size, true);
  if (f != 0) return f;
  if (size == 0) return result(0);
  if (!accessAllowed(src, size, false)) {
    memory.fill(<u32>dst, 0, size);
    return result(<u64>-EFAULT);
  }
  memory.copy(<u32>dst, <u32>src, size);
  return result(0);
}

/**
 * probe_read*_str(dst, size, src): copies up to size - 1 bytes and a NUL, stopping after the source's NUL;
 * returns the length copied including the NUL. A source that runs out of readable memory first zeroes dst
 * and returns -EFAULT, like strncpy_from_kernel_nofault.
 */
function probeReadStr(): i32 {
  const dst = arg(1);
  const size = <u32>arg(2);
  const src = arg(3);
  const f = checkAccess(dst, size, true);
  if (f != 0) return f;
  if (size == 0) return result(0);
  let end: u32 = 0;
  for (let n: u32 = 0; n < size - 1; n++) {
    const at = src + n;
    if (at >= <u64>end) {
      end = readableEnd(at);
      if (end == 0) {
        memory.fill(<u32>dst, 0, size);
        return result(<u64>-EFAULT);
      }
    }
    const c = load<u8>(<u32>at);
    store<u8>(<u32>dst + n, c);
    if (c == 0) return result(n + 1);
  }
  store<u8>(<u32>dst + size - 1, 0);
  return result(size);
}

/** End of the readable region that holds `addr`, or 0 when none does. */
function readableEnd(addr: u64): u32 {
  if (addr >> 32 != 0) return 0;
  const a = <u32>addr;
  const n = load<u32>(STATE + ST_REGION_COUNT);
  for (let i: u32 = 0; i < n; i++) {
    const r = REGIONS + i * REGION_SIZE;
    if (a >= load<u32>(r) && a < load<u32>(r, 4)) return load<u32>(r, 4);
  }
  return 0;
}

/** get_current_comm(buf, size): the task name, NUL-terminated and zero-padded to size (strscpy_pad). */
function getCurrentComm(): i32 {
  const buf = arg(1);
  const size = <u32>arg(2);
  const f = checkAccess(buf, size, true);
  if (f != 0) return f;
  if (size == 0) return result(0);
  const dst = <u32>buf;
  memory.fill(dst, 0, size);
  const limit = min(size - 1, COMM_LEN - 1);
  for (let i: u32 = 0; i < limit; i++) {
    const c = load<u8>(STATE + ST_COMM + i);
    if (c == 0) break;
    store<u8>(dst + i, c);
  }
  return result(0);
}

/** skb_load_bytes(skb, offset, to, len): copies from the packet; out of range zeroes `to` and gives -EFAULT. */
function skbLoadBytes(): i32 {
  const offset = <u32>arg(2);
  const to = arg(3);
  const len = <u32>arg(4);
  const f = checkAccess(to, len, true);
  if (f != 0) return f;
  if (offset > 0x7fffffff || <u64>offset + len > <u64>load<u32>(STATE + ST_PKT_LEN)) {
    memory.fill(<u32>to, 0, len);
    return result(<u64>-EFAULT);
  }
  memory.copy(<u32>to, load<u32>(STATE + ST_PKT) + offset, len);
  return result(0);
}

// ---- numbers

/** xorshift64* over ST_PRANDOM; the upper half of the scrambled state. */
function prandomU32(): u64 {
  let x = load<u64>(STATE + ST_PRANDOM);
  if (x == 0) x = PRANDOM_SEED;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  store<u64>(STATE + ST_PRANDOM, x);
  return (x * 0x2545f4914f6cdd1d) >> 32;
}

/** strtol / strtoul(buf, buf_len, flags, res): see parseInteger; the result goes to the 8 bytes at res. */
function strtoHelper(signed: bool): i32 {
  const buf = arg(1);
  const len = <u32>arg(2);
  const flags = arg(3);
  const res = arg(4);
  let f = checkAccess(buf, len, false);
  if (f == 0) f = checkAccess(res, 8, true);
  if (f != 0) return f;
  const consumed = parseInteger(<u32>buf, len, flags);
  if (consumed < 0) return result(<u64>consumed);
  let value = parsedValue;
  if (signed) {
    if (parsedNegative) {
      if (<i64>(0 - value) > 0) return result(<u64>-ERANGE);
      value = 0 - value;
    } else if (<i64>value < 0) {
      return result(<u64>-ERANGE);
    }
  } else if (parsedNegative) {
    return result(<u64>-EINVAL);
  }
  store<u64>(<u32>res, value);
  return result(<u64>consumed);
}

let parsedValue: u64 = 0;
let parsedNegative = false;

/**
 * The kernel's __bpf_strtoull: skips white space, takes one '-', reads at most 63 more characters in base
 * flags & 0x1f (0 = auto: "0x" hex, "0" octal, else decimal; 16 accepts a "0x" prefix). Returns the characters
 * consumed (value in parsedValue, sign in parsedNegative), -EINVAL without digits or for bad flags, -ERANGE on
 * overflow of 64 bits.
 */
function parseInteger(buf: u32, len: u32, flags: u64): i64 {
  let base = <u32>(flags & STRTOX_BASE_MASK);
  if (len == 0 || (base != 0 && base != 8 && base != 10 && base != 16) || (flags & ~STRTOX_BASE_MASK) != 0) {
    return -EINVAL;
  }
  let i: u32 = 0;
  while (i < len && isSpace(load<u8>(buf + i))) i++;
  parsedNegative = i < len && load<u8>(buf + i) == 0x2d; // '-'
  if (parsedNegative) i++;
  if (i == len) return -EINVAL;
  const start = buf + i;
  const avail = min(len - i, 63); // the kernel parses a NUL-terminated copy of at most 63 characters
  let p: u32 = 0;
  if (base == 0) {
    if (charAt(start, avail, 0) == 0x30) {
      base = (charAt(start, avail, 1) | 0x20) == 0x78 && isHexDigit(charAt(start, avail, 2)) ? 16 : 8;
    } else {
      base = 10;
    }
  }
  if (base == 16 && charAt(start, avail, 0) == 0x30 && (charAt(start, avail, 1) | 0x20) == 0x78) p = 2;
  let value: u64 = 0;
  let overflow = false;
  let digits: u32 = 0;
  while (true) {
    const d = digitValue(charAt(start, avail, p + digits));
    if (d >= base) break;
    if ((value & (<u64>0xf << 60)) != 0 && value > (u64.MAX_VALUE - d) / base) overflow = true;
    value = value * base + d;
    digits++;
  }
  if (overflow) return -ERANGE;
  if (digits == 0) return -EINVAL;
  parsedValue = value;
  return <i64>(i + p + digits);
}

@inline function charAt(start: u32, avail: u32, k: u32): u32 {
  return k < avail ? <u32>load<u8>(start + k) : 0;
}

/** A digit's value in bases up to 16, or 99 for anything else. */
function digitValue(c: u32): u32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return 99;
}

@inline function isHexDigit(c: u32): bool {
  return digitValue(c) < 16;
}

/** The kernel's isspace: \t \n \v \f \r, space, and Latin-1 no-break space (0xa0). */
@inline function isSpace(c: u8): bool {
  return (c >= 9 && c <= 13) || c == 32 || c == 0xa0;
}
