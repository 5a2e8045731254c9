// Where a faulting access was, in words that do not depend on where an engine keeps its memory: the region it was
// nearest to and the offset from that region's start ("stack+0x1f8", "context+0xd", `map "counts"-0x4`; a ring
// buffer's data area counts as its map's region: `map "events"+0x18`), so that the interpreter, the Wasm engine and ARM32 executables (whose driver applies the same
// rule in targets/arm32/driver/where.ts) print the same fault line for the same program. An address farther than
// NEAR bytes from every region is no region's: it is printed as it is ("0x1234"), which is the same everywhere for
// an address that did not come from a pointer.

/** A region as the fault report names it: [start, end). */
export interface NamedRegion {
  name: string;
  start: number;
  end: number;
}

/** Addresses at most this many bytes from a region's nearest byte are named after it. */
export const NEAR = 4096;

/**
 * The access at `addr`, relative to the nearest non-empty region (the first in table order on a tie), or
 * undefined when none is within NEAR bytes. Only the low 32 bits decide (regions lie below 4 GiB), and the offset
 * is the whole 64-bit difference, so that a pointer with garbage in its high word is named after its region
 * ("context+0xc00000000005") the same way wherever the region lies.
 */
export function locate(regions: NamedRegion[], addr: bigint): string | undefined {
  const a = Number(addr & 0xffffffffn);
  let best: NamedRegion | undefined;
  let bestGap = NEAR + 1;
  for (const r of regions) {
    if (r.end === r.start) continue;
    const gap = a < r.start ? r.start - a : a >= r.end ? a - r.end + 1 : 0;
    if (gap < bestGap) {
      best = r;
      bestGap = gap;
    }
  }
  if (!best) return undefined;
  const off = BigInt.asIntN(64, addr - BigInt(best.start));
  return `${best.name}${off < 0n ? "-" : "+"}0x${(off < 0n ? -off : off).toString(16)}`;
}
