import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The device suite (test/device) uses node:test: it runs on the device's own Node, not under vitest.
    exclude: ["test/device/**", "node_modules/**"],
    globalSetup: ["test/support/conformance-notice.ts"],
    // TINYBPF_ARM32_TARGET=armv6: the ARM32 tests build ARMv6 executables and run them under -cpu arm1176
    setupFiles: ["test/support/arm32-target.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
