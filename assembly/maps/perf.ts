// PERF_EVENT_ARRAY: its u32 slots behave like the other fd arrays (array.ts); bpf_perf_event_output appends
// records to one buffer per map (MD_BUCKETS, PERF_BUFFER_SIZE bytes, not a region) that the host drains with
// perfNext. Every CPU index below max_entries is open. A record is an 8-byte header (u32 length, u32 CPU index)
// and the data padded to 8. MD_FRESH is the write position and MD_LRU_HEAD the read position; both return to 0
// once the host has read everything. A record that does not fit is dropped and counted in MD_COUNT. Programs
// never see the buffer, yet perfNext checks each length against the write position before trusting it.
import {
  MD_MAX_ENTRIES, MD_BUCKETS, MD_COUNT, MD_FRESH, MD_LRU_HEAD, PERF_BUFFER_SIZE, PERF_HDR_SIZE, BPF_F_CURRENT_CPU,
  RECORD_BAD,
} from "./desc";
import { E2BIG, EINVAL, ENOMEM, ENOSPC } from "./errno";
import { field, setField, roundUp8 } from "./common";
import { alloc } from "../memory";
import { arrayCreate } from "./array";

let lastLen: u32 = 0;
let lastCpu: u32 = 0;

export function perfCreate(id: u32): i32 {
  const err = arrayCreate(id);
  if (err != 0) return err;
  const buffer = alloc(PERF_BUFFER_SIZE);
  if (buffer == 0) return -ENOMEM;
  setField(id, MD_BUCKETS, buffer);
  return 0;
}

/**
 * bpf_perf_event_output: flags select the CPU index (BPF_F_CURRENT_CPU means CPU 0); other bits are refused.
 * -E2BIG for an index beyond max_entries, -ENOSPC when the record does not fit until the host drains.
 */
export function perfOutput(id: u32, dataAddr: u32, size: u32, flags: u64): i64 {
  if ((flags >> 32) != 0) return -EINVAL;
  const index: u32 = <u32>flags == <u32>BPF_F_CURRENT_CPU ? 0 : <u32>flags;
  if (index >= field(id, MD_MAX_ENTRIES)) return -E2BIG;
  const write = field(id, MD_FRESH);
  if (size > <u32>PERF_BUFFER_SIZE || write + PERF_HDR_SIZE + roundUp8(size) > <u32>PERF_BUFFER_SIZE) {
    setField(id, MD_COUNT, field(id, MD_COUNT) + 1);
    return -ENOSPC;
  }
  const rec = field(id, MD_BUCKETS) + write;
  store<u32>(rec, size);
  store<u32>(rec, index, 4);
  memory.copy(rec + PERF_HDR_SIZE, dataAddr, size);
  setField(id, MD_FRESH, write + PERF_HDR_SIZE + roundUp8(size));
  return 0;
}

/**
 * For the host: the next record's data address (0 when drained); its length and CPU index follow. A record whose
 * length runs past the write position is not consumed: RECORD_BAD, now and at every later call.
 */
export function perfNext(id: u32): i32 {
  const read = field(id, MD_LRU_HEAD);
  const write = field(id, MD_FRESH);
  lastLen = 0;
  if (read == write) return 0;
  const rec = field(id, MD_BUCKETS) + read;
  const len = load<u32>(rec);
  if (len > write - read - PERF_HDR_SIZE || <u32>PERF_HDR_SIZE + roundUp8(len) > write - read) return RECORD_BAD;
  lastLen = len;
  lastCpu = load<u32>(rec, 4);
  const after = read + PERF_HDR_SIZE + roundUp8(len);
  const drained = after == write;
  setField(id, MD_LRU_HEAD, drained ? 0 : after);
  if (drained) setField(id, MD_FRESH, 0);
  return <i32>(rec + PERF_HDR_SIZE);
}

export function perfNextLen(): u32 {
  return lastLen;
}

export function perfNextCpu(): u32 {
  return lastCpu;
}

/** Records dropped since the map was created because the buffer was full. */
export function perfLost(id: u32): u32 {
  return field(id, MD_COUNT);
}
