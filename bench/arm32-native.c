// The C kernels of bench/native.c, run a fixed number of times for bench/arm32.mjs (which builds this with
// arm-linux-gnueabihf-gcc -O2 -march=armv7-a -static and runs it under qemu-arm):
//   arm32-native KERNEL INPUT_FILE N      N runs of KERNEL on the file's bytes (the same buffer each time, as
//                                         `--repeat N` does); prints the last r0 (unsigned decimal)
//   arm32-native KERNEL INPUT_FILE 0 R0   reads the file, runs nothing, prints R0
// The difference between N = 1 and N = 0 (guest instructions, or wall time) is one run of the kernel alone: the
// same start-up, input reading and printing are in both. native.c's own main times repeated runs in-process.
#define main native_main
#include "native.c"
#undef main

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: arm32-native KERNEL INPUT_FILE 1 | KERNEL INPUT_FILE 0 R0\n"); return 2; }
  uint64_t (*kernel)(uint8_t *) =
    !strcmp(argv[1], "prime") ? prime : !strcmp(argv[1], "fletcher32") ? fletcher32 :
    !strcmp(argv[1], "memcpy") ? copy : !strcmp(argv[1], "crc32") ? crc32 : !strcmp(argv[1], "sieve") ? sieve : 0;
  if (!kernel) { fprintf(stderr, "unknown kernel %s\n", argv[1]); return 2; }
  FILE *f = fopen(argv[2], "rb");
  if (!f) { perror(argv[2]); return 2; }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *work = malloc(size);
  if (fread(work, 1, size, f) != (size_t)size) { perror("read"); return 2; }
  fclose(f);
  uint64_t r0 = argc > 4 ? strtoull(argv[4], 0, 10) : 0;
  __asm__ volatile("" : : "r"(work) : "memory"); // the compiler may not assume anything about the input
  for (long n = atol(argv[3]); n > 0; n--) {
    r0 = kernel(work);
    __asm__ volatile("" : : "r"(r0) : "memory");
  }
  printf("%llu\n", (unsigned long long)r0);
  return 0;
}
