import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'happy-dom' } },
      { test: { name: 'node', include: ['test/collector/**/*.test.ts', 'test/node/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 120_000 } },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // the same guarantees in Chromium, Firefox and WebKit (TP_ENGINES narrows); serial like `browser`, and in a group
        // of its own so the three browsers never run alongside the other projects on two cores
        test: {
          name: 'engines',
          sequence: { groupOrder: 1 },
          include: ['test/engines/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
