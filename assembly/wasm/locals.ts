// The locals of a translated function, by number: eBPF's r1..r5 are its first parameters, r6..r9 and r0 the
// parameters after the frame pointer; the rest are scratch locals of the translator (translate.ts declares them, in
// this order, at the start of each function). The byte tables of inline map code (table-ops.ts) name them too.
export const L_FP: u32 = 5;
export const L_R0: u32 = 6;
export const L_CNT: u32 = 11;
export const L_T: u32 = 12;
export const L_T2: u32 = 13;
export const L_NEXT: u32 = 14;
export const L_TI: u32 = 15;
export const L_FB: u32 = 16;
export const L_D: u32 = 17; // i64: the span of a versioned loop's induction register (hoist.ts)
export const L_N: u32 = 18; // i64: the versioned loop's iterations after the first, then instructions
export const L_OK: u32 = 19; // i32: which copy of the versioned loop runs
export const L_SAVED: u32 = 20; // i64: an old value of a base register that deferred byte loads still read (bytes.ts)
export const L_TRIPS: u32 = 21; // i32: searches' trips less a toll per entry (see versioned)
export const L_MAP: u32 = 22; // i32 x 7: the inline map code's scratch (inline-hash.ts, inline-lookup.ts)
export const L_VALUE: u32 = 29; // i32: the size of the map value the last lookup found inline, else 0 (values.ts)

/** eBPF register r's local. */
@inline export function regLocal(r: u32): u32 { return r == 0 ? L_R0 : r <= 5 ? r - 1 : r + 1; }
