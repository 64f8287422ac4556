import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/crash/**/*.long.test.ts", "node_modules/**"],
    allowOnly: !process.env.CI,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: run files in parallel but keep the heavy suites from starving each other.
    maxWorkers: 2,
  },
});
