// Functions the core imports from its host.

// Clocks that host_time_ns reads
export const CLOCK_MONOTONIC = 0; // bpf_ktime_get_ns
export const CLOCK_BOOTTIME = 1; // bpf_ktime_get_boot_ns: like MONOTONIC but counting suspend

/** Nanoseconds on the host clock `which` (CLOCK_*). */
@external("env", "host_time_ns") export declare function hostTimeNs(which: u32): u64;
