// The C loops bench/throughput.mjs compares the eBPF programs with: the count each fixture program keeps, done by
// plain C over every packet of a classic pcap capture (little-endian, as the bench writes it). Built with gcc -O2
// for this machine and with arm-linux-gnueabihf-gcc for qemu-arm.
//   sockex1   bytes[frame[23]] += frame length           (test/fixtures/src/sockex1.c, every packet outgoing)
//   bitehist  hist[bits(size)] += 1 for each of the frame's first 16 little-endian u32 (a size of 0 counts as 1
//             bit), as test/fixtures/src/bitehist.c does when each packet's bytes are its input
//   throughput-native KIND PCAP N           N passes over the capture; prints the last pass's counters
//   throughput-native KIND PCAP 0           reads the capture only, prints nothing counted (start-up to subtract)
//   throughput-native KIND PCAP time REPS   prints the counters, then "ns=" the fastest of REPS passes
// Counters print as "INDEX=COUNT" for every non-zero one, on one line.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t counters[256];

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void pass(int kind, const uint8_t *cap, long size) {
  memset(counters, 0, sizeof counters);
  for (long at = 24; at + 16 <= size;) {
    uint32_t len = le32(cap + at + 8);
    const uint8_t *frame = cap + at + 16;
    at += 16 + len;
    if (at > size) break;
    if (kind == 0) {
      if (len > 23) counters[frame[23]] += len;
    } else {
      for (uint32_t i = 0; i < 16 && (i + 1) * 4 <= len; i++) {
        uint32_t v = le32(frame + 4 * i);
        counters[v ? 32 - __builtin_clz(v) : 1]++;
      }
    }
    __asm__ volatile("" : : : "memory");
  }
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: throughput-native sockex1|bitehist PCAP N | KIND PCAP time REPS\n"); return 2; }
  int kind = !strcmp(argv[1], "sockex1") ? 0 : !strcmp(argv[1], "bitehist") ? 1 : -1;
  if (kind < 0) { fprintf(stderr, "throughput-native: unknown kind %s\n", argv[1]); return 2; }
  FILE *f = fopen(argv[2], "rb");
  if (!f) { perror(argv[2]); return 2; }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *cap = malloc(size);
  if (!cap || fread(cap, 1, size, f) != (size_t)size) { perror("read"); return 2; }
  fclose(f);
  double best = 0;
  if (!strcmp(argv[3], "time") && argc == 5) {
    best = 1e300;
    for (int rep = atoi(argv[4]); rep > 0; rep--) {
      double start = now_ns();
      pass(kind, cap, size);
      double t = now_ns() - start;
      if (t < best) best = t;
    }
  } else {
    long n = atol(argv[3]);
    if (n == 0) return 0;
    while (n-- > 0) pass(kind, cap, size);
  }
  const char *sep = "";
  for (int i = 0; i < 256; i++)
    if (counters[i]) { printf("%s%d=%llu", sep, i, (unsigned long long)counters[i]); sep = " "; }
  if (best > 0) printf(" ns=%.0f", best);
  printf("\n");
  return 0;
}
