import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['agent/**/*.test.ts', 'server/**/*.test.ts', 'common/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts', 'dashboards/**/*.test.ts'],
    // Integration tests share the machine's network namespaces and ports; one file at a time keeps them honest.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
