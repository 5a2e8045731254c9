// Preloaded by node-arm (`node -r`). Under qemu-arm, process.execPath is the
// ARM node binary in the sysroot, which the host cannot execute directly: make
// child processes that start "this node" go through the launcher instead.
"use strict";
if (process.env.TINYBPF_ARMHF_LAUNCHER && process.arch === "arm") {
  process.execPath = process.env.TINYBPF_ARMHF_LAUNCHER;
}
