import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The device suite (test/device) uses node:test: it runs on the device's own Node, not under vitest.
    exclude: ["test/device/**", "node_modules/**"],
    globalSetup: ["test/support/conformance-notice.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
