import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "tools/**/*.test.ts"],
    globalSetup: ["tools/test/global-setup.ts"],
    reporters: ["default", "./tools/test/summary-reporter.ts"],
    // Tests share one database server; each file works in its own database.
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
