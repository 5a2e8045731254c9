// The bench kernels in C, the native baseline: the same algorithms as kernels/*.s, compiled with gcc -O2 by
// bench/run.mjs. Usage: native KERNEL INPUT_FILE MIN_MS
// Runs the kernel once to warm up, then repeatedly on a fresh copy of the input (as the runtime copies the input
// before every run) until MIN_MS have passed, and prints "r0 ns_per_run runs" (r0 as unsigned decimal).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint64_t prime(uint8_t *m) {
  uint64_t n = rd64(m);
  for (uint64_t i = 2; i < n; i++)
    if (n % i == 0) return 0;
  return 1;
}

static uint64_t fletcher32(uint8_t *m) {
  uint32_t words = rd32(m);
  uint64_t s1 = 0, s2 = 0;
  for (uint32_t i = 0; i < words; i++) {
    uint16_t w;
    memcpy(&w, m + 8 + 2 * i, 2);
    s1 = (s1 + w) % 65535;
    s2 = (s2 + s1) % 65535;
  }
  return s2 << 16 | s1;
}

static uint64_t copy(uint8_t *m) {
  uint32_t n = rd32(m), rounds = rd32(m + 4);
  uint8_t *src = m + 8, *dst = m + 8 + n;
  uint64_t sum = 0;
  for (uint32_t r = 0; r < rounds; r++)
    for (uint32_t i = 0; i < n; i += 8) {
      uint64_t v = rd64(src + i);
      memcpy(dst + i, &v, 8);
      sum += v;
    }
  return sum;
}

static uint64_t crc32(uint8_t *m) {
  uint32_t len = rd32(m), crc = 0xffffffffu;
  for (uint32_t i = 0; i < len; i++) {
    crc ^= m[8 + i];
    for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
  }
  return crc ^ 0xffffffffu;
}

static uint64_t sieve(uint8_t *m) {
  uint64_t n = rd32(m), count = 0;
  uint8_t *a = m + 8;
  for (uint64_t i = 2; i < n; i++) {
    if (a[i]) continue;
    count++;
    for (uint64_t j = i * i; j < n; j += i) a[j] = 1;
  }
  return count;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: native KERNEL INPUT_FILE MIN_MS\n"); return 2; }
  uint64_t (*kernel)(uint8_t *) =
    !strcmp(argv[1], "prime") ? prime : !strcmp(argv[1], "fletcher32") ? fletcher32 :
    !strcmp(argv[1], "memcpy") ? copy : !strcmp(argv[1], "crc32") ? crc32 : !strcmp(argv[1], "sieve") ? sieve : 0;
  if (!kernel) { fprintf(stderr, "unknown kernel %s\n", argv[1]); return 2; }
  FILE *f = fopen(argv[2], "rb");
  if (!f) { perror(argv[2]); return 2; }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *input = malloc(size), *work = malloc(size);
  if (fread(input, 1, size, f) != (size_t)size) { perror("read"); return 2; }
  fclose(f);
  double min_ns = atof(argv[3]) * 1e6;

  memcpy(work, input, size);
  uint64_t r0 = kernel(work); // warm-up
  long runs = 0;
  double start = now_ns(), elapsed;
  do {
    memcpy(work, input, size);
    __asm__ volatile("" : : "r"(work) : "memory"); // the compiler may not assume anything about the input
    uint64_t r = kernel(work);
    __asm__ volatile("" : : "r"(r) : "memory");
    if (r != r0) { fprintf(stderr, "result changed between runs\n"); return 1; }
    runs++;
    elapsed = now_ns() - start;
  } while (elapsed < min_ns || runs < 3);
  printf("%llu %.0f %ld\n", (unsigned long long)r0, elapsed / runs, runs);
  return 0;
}
