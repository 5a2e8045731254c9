// A vitest setup file: with TINYBPF_ARM32_TARGET=armv6 every ARM32 executable the tests build through
// src/engines/arm32/build.ts (directly, or through engine.ts and the arm32 engine) is ARMv6 code run under
// qemu-arm -cpu arm1176, so the whole ARM32 suite checks the ARMv6 target without a copy of each test:
//
//   TINYBPF_ARM32_TARGET=armv6 npx vitest run test/engines/arm32
//
// Without the variable nothing is changed. With it, a test's own cpu and idiv are overridden (ARMv6 has no
// hardware divide), and tests that start qemu-arm themselves still pass their own -cpu.
import { vi } from "vitest";

const BUILD = "../../src/engines/arm32/build.js";

if (process.env.TINYBPF_ARM32_TARGET === "armv6") {
  vi.doMock(BUILD, async (importOriginal) => {
    const real = await importOriginal<typeof import("../../src/engines/arm32/build.js")>();
    const v6 = <T extends object | undefined>(opts: T) => ({ ...opts, armv6: true, idiv: false, cpu: "arm1176" });
    return {
      ...real,
      translateArm32: (insns: Uint8Array, opts?: object) => real.translateArm32(insns, v6(opts)),
      buildArm32Executable: (insns: Uint8Array, opts?: object) => real.buildArm32Executable(insns, v6(opts)),
      arm32Listing: (insns: Uint8Array, opts?: object) => real.arm32Listing(insns, v6(opts)),
      runArm32: (insns: Uint8Array, mem: Uint8Array, opts?: object) => real.runArm32(insns, mem, v6(opts)),
      runArm32Async: (insns: Uint8Array, mem: Uint8Array, opts?: object) => real.runArm32Async(insns, mem, v6(opts)),
      qemuCpu: () => "arm1176",
    };
  });
} else if (process.env.TINYBPF_ARM32_TARGET !== undefined && process.env.TINYBPF_ARM32_TARGET !== "arm32") {
  throw new Error(`TINYBPF_ARM32_TARGET=${process.env.TINYBPF_ARM32_TARGET}: expected arm32 or armv6`);
}
