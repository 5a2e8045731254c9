// A qemu TCG plugin counting the guest instructions a program executes (every instruction of each translated block,
// each time the block runs; a conditional ARM instruction whose condition fails counts too). The count is the same
// on every run, unlike wall time. Used by bench/arm32.mjs, which builds it with
//   gcc -shared -fPIC -O2 -o insn-count.so bench/qemu-insn-count.c
// and runs `qemu-arm -plugin ./insn-count.so,out=FILE PROGRAM ...`: FILE gets the count (stderr without out=).
//
// Debian's qemu-user ships no qemu-plugin.h: the few declarations used are copied from its API (QEMU 7.2, plugin
// API version 1; later versions keep these functions and accept plugins built for version 1).
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                                  void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                                     uint64_t imm);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *), void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t insns; // qemu-arm (user mode) runs the guest's threads one at a time; the programs here have one
static char out_path[4096];

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, qemu_plugin_tb_n_insns(tb));
}

static void on_exit(qemu_plugin_id_t id, void *p) {
  (void)id;
  (void)p;
  FILE *f = out_path[0] ? fopen(out_path, "w") : stderr;
  if (!f) return;
  fprintf(f, "%llu\n", (unsigned long long)insns);
  if (f != stderr) fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                                              char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++)
    if (!strncmp(argv[i], "out=", 4)) snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit, NULL);
  return 0;
}
