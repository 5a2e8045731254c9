// RINGBUF: one ring of max_entries bytes (a power of two, page aligned) shared by every CPU. Records are framed
// like the kernel's: an 8-byte header (u32 length with BUSY/DISCARD bits, u32 owning map id where the kernel keeps
// a page offset) and the data, padded to 8. Positions only grow and are reduced modulo the size. The kernel maps
// the data twice so a record may wrap; here a record that would cross the end is preceded by a discarded padding
// record that fills the rest of the ring, so every record is contiguous. The host drains committed records with
// ringbufNext.
//
// The data area is not a region. As the kernel's verifier confines a program to the sample it reserved, a
// reserved sample is a region of exactly its bytes (never its header, never the rest of the ring) from
// ringbufReserve until ringbufCommit drops it; MD_COUNT counts those open samples, at most RINGBUF_MAX_OPEN.
// Since programs cannot write headers, commit trusts them; the consumer still checks every length it reads.
import {
  MD_TYPE, MD_KEY_SIZE, MD_VALUE_SIZE, MD_MAX_ENTRIES, MD_FLAGS, MD_VALUES, MD_FREE, MD_FRESH,
  MD_COUNT, MAP_TYPE_RINGBUF, BPF_F_NUMA_NODE, RINGBUF_HDR_SIZE, RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT,
  RINGBUF_MAX_OPEN, RECORD_BAD, BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP, BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE,
  BPF_RB_CONS_POS, BPF_RB_PROD_POS,
} from "./desc";
import { EAGAIN, EINVAL, ENOMEM } from "./errno";
import { field, setField, allocArena, roundUp8, mapCount } from "./common";
import { regionAdd, regionFind, regionRemove } from "../memory";
import { STATE, ST_REGION_COUNT, MAX_REGIONS } from "../layout";

const PAGE_SIZE: u32 = 4096;
const MAX_RECORD: u32 = 0x3fffffff; // RINGBUF_MAX_RECORD_SZ: the length field keeps two bits for BUSY/DISCARD
const LEN_MASK: u32 = ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);

let lastLen: u32 = 0;

/** Checks the attributes like ringbuf_map_alloc and allocates the data area (not a region). */
export function ringbufCreate(id: u32): i32 {
  const size = field(id, MD_MAX_ENTRIES);
  if ((field(id, MD_FLAGS) & ~BPF_F_NUMA_NODE) != 0 || field(id, MD_KEY_SIZE) != 0 ||
    field(id, MD_VALUE_SIZE) != 0 || size == 0 || (size & (size - 1)) != 0 || (size & (PAGE_SIZE - 1)) != 0) {
    return -EINVAL;
  }
  if (size > 0x40000000) return -ENOMEM;
  return allocArena(id, size, 0, false) ? 0 : -ENOMEM;
}

/**
 * bpf_ringbuf_reserve: returns the sample's address, now a region of its `size` bytes, or 0 when flags are set,
 * the ring is full, or RINGBUF_MAX_OPEN samples (or the region table) are taken.
 */
export function ringbufReserve(id: u32, size: u32, flags: u64): u32 {
  const open = field(id, MD_COUNT);
  const full = open >= <u32>RINGBUF_MAX_OPEN || load<u32>(STATE + ST_REGION_COUNT) >= <u32>MAX_REGIONS;
  if (flags != 0 || full) return 0;
  const rec = reserveRecord(id, size);
  if (rec != 0) {
    regionAdd(rec, rec + size, rec, rec + size);
    setField(id, MD_COUNT, open + 1);
  }
  return rec;
}

/** Frames a BUSY record for `size` bytes: returns its data address, or 0 when it does not fit. */
function reserveRecord(id: u32, size: u32): u32 {
  if (size > MAX_RECORD) return 0;
  const ringSize = field(id, MD_MAX_ENTRIES);
  const data = field(id, MD_VALUES);
  const prod = field(id, MD_FRESH);
  const len = roundUp8(size + RINGBUF_HDR_SIZE);
  const off = prod & (ringSize - 1);
  const pad = off + len > ringSize ? ringSize - off : 0;
  // Like the kernel, never let the producer run ringSize - 1 or more bytes ahead of the consumer.
  const used = prod - field(id, MD_FREE);
  if (pad + len > ringSize - 1 - used) return 0;
  if (pad != 0) writeHeader(data + off, (pad - RINGBUF_HDR_SIZE) | RINGBUF_DISCARD_BIT, id);
  const hdr = data + ((prod + pad) & (ringSize - 1));
  writeHeader(hdr, size | RINGBUF_BUSY_BIT, id);
  setField(id, MD_FRESH, prod + pad + len);
  return hdr + RINGBUF_HDR_SIZE;
}

@inline function writeHeader(hdr: u32, lenWord: u32, id: u32): void {
  store<u32>(hdr, lenWord);
  store<u32>(hdr, id, 4);
}

/**
 * Commits (or with `discard`, drops) the sample at `addr` and its region. Returns 0, or -EINVAL when `addr` is
 * not a sample that ringbufReserve handed out and that is still open.
 */
export function ringbufCommit(addr: u32, discard: bool): i32 {
  if (addr < <u32>RINGBUF_HDR_SIZE || addr > (<u32>memory.size() << 16)) return -EINVAL;
  const hdr = addr - RINGBUF_HDR_SIZE;
  const id = load<u32>(hdr, 4);
  if (id >= mapCount() || field(id, MD_TYPE) != MAP_TYPE_RINGBUF) return -EINVAL;
  const data = field(id, MD_VALUES);
  if (hdr < data || hdr - data >= field(id, MD_MAX_ENTRIES) || ((hdr - data) & 7) != 0) return -EINVAL;
  const lenWord = load<u32>(hdr);
  if ((lenWord & RINGBUF_BUSY_BIT) == 0) return -EINVAL;
  // The open sample's region: what a pointer into the middle of a sample, or to a record already committed, lacks.
  const region = regionFind(addr, addr + (lenWord & LEN_MASK));
  if (region < 0) return -EINVAL;
  regionRemove(<u32>region);
  setField(id, MD_COUNT, field(id, MD_COUNT) - 1);
  store<u32>(hdr, (lenWord & LEN_MASK) | (discard ? RINGBUF_DISCARD_BIT : 0));
  return 0;
}

export function ringbufSubmit(addr: u32, flags: u64): i32 {
  return ringbufCommit(addr, false);
}

export function ringbufDiscard(addr: u32, flags: u64): i32 {
  return ringbufCommit(addr, true);
}

/** bpf_ringbuf_output: reserve, copy, submit. -EINVAL for unknown flags, -EAGAIN when the ring is full. */
export function ringbufOutput(id: u32, dataAddr: u32, size: u32, flags: u64): i64 {
  if ((flags & ~(<u64>(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))) != 0) return -EINVAL;
  const rec = reserveRecord(id, size);
  if (rec == 0) return -EAGAIN;
  memory.copy(rec, dataAddr, size);
  store<u32>(rec - RINGBUF_HDR_SIZE, size);
  return 0;
}

/** bpf_ringbuf_query: available bytes, ring size, consumer or producer position; 0 for other selectors. */
export function ringbufQuery(id: u32, flags: u64): u64 {
  const cons = field(id, MD_FREE);
  const prod = field(id, MD_FRESH);
  if (flags == BPF_RB_AVAIL_DATA) return <u64>(prod - cons);
  if (flags == BPF_RB_RING_SIZE) return <u64>field(id, MD_MAX_ENTRIES);
  if (flags == BPF_RB_CONS_POS) return <u64>cons;
  if (flags == BPF_RB_PROD_POS) return <u64>prod;
  return 0;
}

/**
 * For the host: consumes the next committed record and returns its data address (0 when none is ready: the ring
 * is empty or the oldest record is still reserved). Discarded records are skipped. The data stays intact until a
 * program reserves ring space again; its length is ringbufNextLen(). A record whose length runs past the
 * producer position or the ring's end is not consumed: RECORD_BAD, now and at every later call.
 */
export function ringbufNext(id: u32): i32 {
  const ringSize = field(id, MD_MAX_ENTRIES);
  const data = field(id, MD_VALUES);
  const prod = field(id, MD_FRESH);
  let cons = field(id, MD_FREE);
  lastLen = 0;
  while (cons != prod) {
    const off = cons & (ringSize - 1);
    const lenWord = load<u32>(data + off);
    if ((lenWord & RINGBUF_BUSY_BIT) != 0) break;
    const len = lenWord & LEN_MASK;
    const step = roundUp8(len + RINGBUF_HDR_SIZE);
    if (step > prod - cons || step > ringSize - off) return RECORD_BAD;
    cons += step;
    setField(id, MD_FREE, cons);
    if ((lenWord & RINGBUF_DISCARD_BIT) == 0) {
      lastLen = len;
      return <i32>(data + off + RINGBUF_HDR_SIZE);
    }
  }
  return 0;
}

/** Length of the record ringbufNext returned last. */
export function ringbufNextLen(): u32 {
  return lastLen;
}
