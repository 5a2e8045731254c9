// Runs raw eBPF bytecode on uBPF's interpreter (iovisor/ubpf, built separately; bench/ubpf.mjs compiles this
// against it when UBPF_DIR names a build) the way bench/programs-native.c runs a C kernel: r1 = a fresh copy of
// the input, r2 = its length, uBPF's default bounds checks on.
//   ubpf-run CODE INPUT N              N runs; prints the last r0 (unsigned decimal)
//   ubpf-run CODE INPUT time REPS MS   prints "R0 NS_PER_RUN", the fastest of REPS batches of at least MS ms
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ubpf.h>

static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *p = malloc(*size + 1);
  if (!p || fread(p, 1, *size, f) != *size) { perror(path); exit(2); }
  fclose(f);
  return p;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static uint64_t run(struct ubpf_vm *vm, void *work, const void *input, size_t size) {
  uint64_t r0;
  memcpy(work, input, size);
  if (ubpf_exec(vm, work, size, &r0) != 0) { fprintf(stderr, "ubpf-run: ubpf_exec failed\n"); exit(1); }
  return r0;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: ubpf-run CODE INPUT N | CODE INPUT time REPS MS\n"); return 2; }
  size_t code_size, size;
  void *code = read_file(argv[1], &code_size), *input = read_file(argv[2], &size), *work = malloc(size + 1);
  struct ubpf_vm *vm = ubpf_create();
  char *err = NULL;
  if (!vm || ubpf_load(vm, code, code_size, &err) < 0) { fprintf(stderr, "ubpf-run: %s\n", err ? err : "ubpf_create"); return 1; }
  uint64_t r0 = 0;
  if (!strcmp(argv[3], "time") && argc == 6) {
    int reps = atoi(argv[4]);
    double min_ns = atof(argv[5]) * 1e6, best = 1e300;
    for (int i = 0; i < 3; i++) r0 = run(vm, work, input, size);
    for (int rep = 0; rep < reps; rep++) {
      long runs = 0;
      double start = now_ns(), elapsed;
      do {
        r0 = run(vm, work, input, size);
        runs++;
      } while ((elapsed = now_ns() - start) < min_ns || runs < 2);
      if (elapsed / runs < best) best = elapsed / runs;
    }
    printf("%" PRIu64 " %.1f\n", r0, best);
    return 0;
  }
  for (long n = atol(argv[3]); n > 0; n--) r0 = run(vm, work, input, size);
  printf("%" PRIu64 "\n", r0);
  return 0;
}
