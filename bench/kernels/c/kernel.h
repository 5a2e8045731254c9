/* The one header every bench kernel includes. A kernel is ordinary C written once:
 *
 *   KERNEL(name) { ... data[0 .. len) ... return result; }
 *
 * With clang -target bpf (build.sh) it becomes a "raw" eBPF program: r1 = data, r2 = len (tinybpf run --mem, or
 * Program.run(bytes)), r0 = the result. Anywhere else (gcc, native or ARM) native-shim.h supplies what the kernel
 * uses from the eBPF side (maps, their helpers), and KERNEL(name) becomes a plain function that
 * bench/programs-native.c calls, so both builds run the very same source.
 *
 * Maps are declared with HASH_MAP / ARRAY_MAP and used through the usual bpf_map_* helper names. Kernels must
 * leave their maps as they found them (empty, or zero), so that every run computes the same result. */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;
typedef long long s64;

#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_EXIST 2

#ifdef __bpf__

#define KERNEL(name) __attribute__((section("raw"), used)) u64 name(u8 *data, u64 len)

/* BTF-defined maps, as libbpf declares them. */
#define HASH_MAP(name, key_type, value_type, max)                                                                \
	struct {                                                                                                     \
		int (*type)[1];                                                                                          \
		int (*max_entries)[max];                                                                                 \
		key_type *key;                                                                                           \
		value_type *value;                                                                                       \
	} name __attribute__((section(".maps"), used))
#define ARRAY_MAP(name, value_type, max)                                                                         \
	struct {                                                                                                     \
		int (*type)[2];                                                                                          \
		int (*max_entries)[max];                                                                                 \
		u32 *key;                                                                                                \
		value_type *value;                                                                                       \
	} name __attribute__((section(".maps"), used))

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;

char _license[] __attribute__((section("license"), used)) = "GPL";

#else
#include "native-shim.h"
#endif

/* Little-endian and network-order loads from the input, byte by byte (the input need not be aligned). */
static inline u32 load_le16(const u8 *p) { return p[0] | (u32)p[1] << 8; }
static inline u32 load_le32(const u8 *p) { return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static inline u64 load_le64(const u8 *p) { return load_le32(p) | (u64)load_le32(p + 4) << 32; }
static inline u32 load_be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 load_be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

/* The packet kernels' capture format (bench/program-inputs.mjs writes it), a pcap reduced to what they read:
 * records one after the other, each a little-endian u16 length on the wire, a u16 captured length (a snap length
 * keeps the headers only, as tcpdump -s does) and the captured bytes; a record cut short ends the capture. */
#endif
