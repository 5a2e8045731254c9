// `tinybpf trace`'s lines of `tinybpf --help`, for the workstation's CLI and for a device bundle made with
// `bundle --trace`.
export const TRACE_USAGE_LINES = `  trace (-e 'SCRIPT' | FILE.bt) [--pcap FILE|- | --mem FILE] [--engine NAME] [-o prog.o]
                                                compile and run a bpftrace-style script (no LLVM)
`;
