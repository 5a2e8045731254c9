// Program type from a section name, following libbpf's section_defs table (tools/lib/bpf/libbpf.c).
//
// A pattern matches as libbpf matches it:
//   "name+"  the section is "name" or starts with "name/" (kprobe/do_sys_open, tracepoint/syscalls/x);
//   "name/"  the section starts with "name/";
//   "name"   the section is exactly "name".
// Sections that match none of these but start with a pattern marked `sloppy` get that type too, as libbpf did
// before 1.0 (SEC("socket1") of the kernel samples is a socket filter). Anything else is 'unspec': still
// loadable, and run with raw input memory.
//
// Type names are libbpf's (libbpf_bpf_prog_type_str): 'socket_filter', 'kprobe', 'sched_cls', ...
// One is tinybpf's own: SEC("raw") (and "raw/NAME"), the programs that take raw memory (r1 = bytes, r2 = their
// length), are 'raw', the type the runtime gives raw bytecode too; libbpf would call them 'unspec'.

interface SectionDef {
  pattern: string;
  type: string;
  sloppy?: boolean;
}

const SECTION_DEFS: SectionDef[] = [
  { pattern: "raw+", type: "raw" },
  { pattern: "socket", type: "socket_filter", sloppy: true },
  { pattern: "sk_reuseport/migrate", type: "sk_reuseport" },
  { pattern: "sk_reuseport", type: "sk_reuseport", sloppy: true },
  { pattern: "kprobe+", type: "kprobe" },
  { pattern: "uprobe+", type: "kprobe" },
  { pattern: "uprobe.s+", type: "kprobe" },
  { pattern: "kretprobe+", type: "kprobe" },
  { pattern: "uretprobe+", type: "kprobe" },
  { pattern: "uretprobe.s+", type: "kprobe" },
  { pattern: "kprobe.multi+", type: "kprobe" },
  { pattern: "kretprobe.multi+", type: "kprobe" },
  { pattern: "kprobe.session+", type: "kprobe" },
  { pattern: "uprobe.multi+", type: "kprobe" },
  { pattern: "uretprobe.multi+", type: "kprobe" },
  { pattern: "uprobe.session+", type: "kprobe" },
  { pattern: "uprobe.multi.s+", type: "kprobe" },
  { pattern: "uretprobe.multi.s+", type: "kprobe" },
  { pattern: "uprobe.session.s+", type: "kprobe" },
  { pattern: "ksyscall+", type: "kprobe" },
  { pattern: "kretsyscall+", type: "kprobe" },
  { pattern: "usdt+", type: "kprobe" },
  { pattern: "usdt.s+", type: "kprobe" },
  { pattern: "tc/ingress", type: "sched_cls" },
  { pattern: "tc/egress", type: "sched_cls" },
  { pattern: "tcx/ingress", type: "sched_cls" },
  { pattern: "tcx/egress", type: "sched_cls" },
  { pattern: "tc", type: "sched_cls", sloppy: true },
  { pattern: "classifier", type: "sched_cls", sloppy: true },
  { pattern: "action", type: "sched_act", sloppy: true },
  { pattern: "netkit/primary", type: "sched_cls" },
  { pattern: "netkit/peer", type: "sched_cls" },
  { pattern: "tracepoint+", type: "tracepoint" },
  { pattern: "tp+", type: "tracepoint" },
  { pattern: "raw_tracepoint+", type: "raw_tracepoint" },
  { pattern: "raw_tp+", type: "raw_tracepoint" },
  { pattern: "raw_tracepoint.w+", type: "raw_tracepoint_writable" },
  { pattern: "raw_tp.w+", type: "raw_tracepoint_writable" },
  { pattern: "tp_btf+", type: "tracing" },
  { pattern: "fentry+", type: "tracing" },
  { pattern: "fmod_ret+", type: "tracing" },
  { pattern: "fexit+", type: "tracing" },
  { pattern: "fentry.s+", type: "tracing" },
  { pattern: "fmod_ret.s+", type: "tracing" },
  { pattern: "fexit.s+", type: "tracing" },
  { pattern: "freplace+", type: "ext" },
  { pattern: "lsm+", type: "lsm" },
  { pattern: "lsm.s+", type: "lsm" },
  { pattern: "lsm_cgroup+", type: "lsm" },
  { pattern: "iter+", type: "tracing" },
  { pattern: "iter.s+", type: "tracing" },
  { pattern: "syscall", type: "syscall" },
  { pattern: "xdp.frags/devmap", type: "xdp" },
  { pattern: "xdp/devmap", type: "xdp" },
  { pattern: "xdp.frags/cpumap", type: "xdp" },
  { pattern: "xdp/cpumap", type: "xdp" },
  { pattern: "xdp.frags", type: "xdp" },
  { pattern: "xdp", type: "xdp", sloppy: true },
  { pattern: "perf_event", type: "perf_event", sloppy: true },
  { pattern: "lwt_in", type: "lwt_in", sloppy: true },
  { pattern: "lwt_out", type: "lwt_out", sloppy: true },
  { pattern: "lwt_xmit", type: "lwt_xmit", sloppy: true },
  { pattern: "lwt_seg6local", type: "lwt_seg6local", sloppy: true },
  { pattern: "sockops", type: "sock_ops", sloppy: true },
  { pattern: "sk_skb/stream_parser", type: "sk_skb" },
  { pattern: "sk_skb/stream_verdict", type: "sk_skb" },
  { pattern: "sk_skb/verdict", type: "sk_skb" },
  { pattern: "sk_skb", type: "sk_skb", sloppy: true },
  { pattern: "sk_msg", type: "sk_msg", sloppy: true },
  { pattern: "lirc_mode2", type: "lirc_mode2", sloppy: true },
  { pattern: "flow_dissector", type: "flow_dissector", sloppy: true },
  { pattern: "cgroup_skb/ingress", type: "cgroup_skb" },
  { pattern: "cgroup_skb/egress", type: "cgroup_skb" },
  { pattern: "cgroup/skb", type: "cgroup_skb" },
  { pattern: "cgroup/sock_create", type: "cgroup_sock" },
  { pattern: "cgroup/sock_release", type: "cgroup_sock" },
  { pattern: "cgroup/sock", type: "cgroup_sock" },
  { pattern: "cgroup/post_bind4", type: "cgroup_sock" },
  { pattern: "cgroup/post_bind6", type: "cgroup_sock" },
  { pattern: "cgroup/bind4", type: "cgroup_sock_addr" },
  { pattern: "cgroup/bind6", type: "cgroup_sock_addr" },
  { pattern: "cgroup/connect4", type: "cgroup_sock_addr" },
  { pattern: "cgroup/connect6", type: "cgroup_sock_addr" },
  { pattern: "cgroup/connect_unix", type: "cgroup_sock_addr" },
  { pattern: "cgroup/sendmsg4", type: "cgroup_sock_addr" },
  { pattern: "cgroup/sendmsg6", type: "cgroup_sock_addr" },
  { pattern: "cgroup/sendmsg_unix", type: "cgroup_sock_addr" },
  { pattern: "cgroup/recvmsg4", type: "cgroup_sock_addr" },
  { pattern: "cgroup/recvmsg6", type: "cgroup_sock_addr" },
  { pattern: "cgroup/recvmsg_unix", type: "cgroup_sock_addr" },
  { pattern: "cgroup/getpeername4", type: "cgroup_sock_addr" },
  { pattern: "cgroup/getpeername6", type: "cgroup_sock_addr" },
  { pattern: "cgroup/getpeername_unix", type: "cgroup_sock_addr" },
  { pattern: "cgroup/getsockname4", type: "cgroup_sock_addr" },
  { pattern: "cgroup/getsockname6", type: "cgroup_sock_addr" },
  { pattern: "cgroup/getsockname_unix", type: "cgroup_sock_addr" },
  { pattern: "cgroup/sysctl", type: "cgroup_sysctl" },
  { pattern: "cgroup/getsockopt", type: "cgroup_sockopt" },
  { pattern: "cgroup/setsockopt", type: "cgroup_sockopt" },
  { pattern: "cgroup/dev", type: "cgroup_device" },
  { pattern: "struct_ops+", type: "struct_ops" },
  { pattern: "struct_ops.s+", type: "struct_ops" },
  { pattern: "sk_lookup", type: "sk_lookup" },
  { pattern: "netfilter", type: "netfilter" },
];

export const UNSPEC = "unspec";

/** libbpf's program type name for a section name; 'unspec' when libbpf would not know it either. */
export function programTypeForSection(section: string): string {
  for (const def of SECTION_DEFS) {
    if (matches(def.pattern, section)) return def.type;
  }
  for (const def of SECTION_DEFS) {
    if (def.sloppy && section.startsWith(def.pattern)) return def.type;
  }
  return UNSPEC;
}

function matches(pattern: string, section: string): boolean {
  if (pattern.endsWith("+")) {
    const base = pattern.slice(0, -1);
    return section === base || section.startsWith(base + "/");
  }
  if (pattern.endsWith("/")) return section.startsWith(pattern);
  return section === pattern;
}
