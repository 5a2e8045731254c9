// Times uBPF's interpreter on one bench kernel, for bench/ubpf.mjs (built against a uBPF checkout's vm/ sources,
// which are not part of tinybpf). Usage: ubpf-driver PROGRAM.bin INPUT_FILE MIN_MS
// Loads the raw eBPF bytecode, runs it once to warm up, then repeatedly on a fresh copy of the input (as tinybpf's
// runtime copies the input before every run) until MIN_MS have passed, and prints "r0 ns_per_run runs" like
// bench/native.c. uBPF keeps its defaults (bounds checks on), as tinybpf checks every access too.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ubpf.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static uint8_t *slurp(const char *path, long *size) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(*size ? *size : 1);
  if (fread(buf, 1, *size, f) != (size_t)*size) { perror(path); exit(2); }
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: ubpf-driver PROGRAM.bin INPUT_FILE MIN_MS\n"); return 2; }
  long code_size, size;
  uint8_t *code = slurp(argv[1], &code_size);
  uint8_t *input = slurp(argv[2], &size);
  uint8_t *work = malloc(size);
  double min_ns = atof(argv[3]) * 1e6;

  struct ubpf_vm *vm = ubpf_create();
  char *err = NULL;
  if (!vm || ubpf_load(vm, code, (uint32_t)code_size, &err) < 0) {
    fprintf(stderr, "ubpf_load: %s\n", err ? err : "failed");
    return 1;
  }
  uint64_t r0 = 0, r = 0;
  memcpy(work, input, size);
  if (ubpf_exec(vm, work, size, &r0) < 0) { fprintf(stderr, "ubpf_exec failed\n"); return 1; }
  long runs = 0;
  double start = now_ns(), elapsed;
  do {
    memcpy(work, input, size);
    if (ubpf_exec(vm, work, size, &r) < 0 || r != r0) { fprintf(stderr, "result changed between runs\n"); return 1; }
    runs++;
    elapsed = now_ns() - start;
  } while (elapsed < min_ns || runs < 3);
  printf("%llu %.0f %ld\n", (unsigned long long)r0, elapsed / runs, runs);
  ubpf_destroy(vm);
  return 0;
}
