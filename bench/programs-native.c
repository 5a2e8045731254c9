// The native side of bench/programs.mjs: one bench kernel (bench/kernels/c/NAME.c, compiled alongside with
// -DKERNEL_FN=NAME, by gcc -O2 for this machine or by arm-linux-gnueabihf-gcc for qemu-arm) driven like the eBPF
// version is: every run gets a fresh copy of the input, as the runtime and the ARM32 executable's driver give it.
//   programs-native INPUT N            N runs; prints the last result (unsigned decimal)
//   programs-native INPUT 0 R0 [C]     copies the input C times (default 1), runs nothing, prints R0 (the process
//                                      that does everything but the kernel, whose cost is subtracted: with C = N,
//                                      the copies of N runs)
//   programs-native INPUT time REPS MS REPS batches of at least MS ms each; prints "RESULT NS_PER_RUN" with the
//                                      fastest batch's time per run
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef unsigned char u8;
typedef unsigned long long u64;

u64 KERNEL_FN(u8 *data, u64 len);

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: programs-native INPUT N | INPUT 0 R0 [C] | INPUT time REPS MS\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  u8 *input = malloc(size + 1), *work = malloc(size + 1);
  if (!input || !work || fread(input, 1, size, f) != (size_t)size) { perror("read"); return 2; }
  fclose(f);
  u64 r0 = 0;
  if (!strcmp(argv[2], "time") && argc == 5) {
    int reps = atoi(argv[3]);
    double min_ns = atof(argv[4]) * 1e6, best = 1e300;
    for (int rep = 0; rep < reps; rep++) {
      long runs = 0;
      double start = now_ns(), elapsed;
      do {
        memcpy(work, input, size);
        __asm__ volatile("" : : "r"(work) : "memory"); // the compiler may not assume anything about the input
        r0 = KERNEL_FN(work, size);
        __asm__ volatile("" : : "r"(r0) : "memory");
        runs++;
      } while ((elapsed = now_ns() - start) < min_ns || runs < 2);
      if (elapsed / runs < best) best = elapsed / runs;
    }
    printf("%llu %.1f\n", r0, best);
    return 0;
  }
  long n = atol(argv[2]);
  if (n == 0) {
    if (argc < 4) { fprintf(stderr, "programs-native: N = 0 needs R0\n"); return 2; }
    r0 = strtoull(argv[3], 0, 10);
    for (long copies = argc > 4 ? atol(argv[4]) : 1; copies > 0; copies--) {
      memcpy(work, input, size);
      __asm__ volatile("" : : "r"(work) : "memory");
    }
  }
  for (; n > 0; n--) {
    memcpy(work, input, size);
    __asm__ volatile("" : : "r"(work) : "memory");
    r0 = KERNEL_FN(work, size);
    __asm__ volatile("" : : "r"(r0) : "memory");
  }
  printf("%llu\n", r0);
  return 0;
}
