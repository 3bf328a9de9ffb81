import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'services/**/*.test.ts',
      'protocol/**/*.test.ts',
      'platform/**/*.test.ts',
      'runtime/**/*.test.ts',
      'infra/**/*.test.ts',
      'workflows/**/*.test.ts',
      'test/**/*.test.ts',
      'bench/**/*.test.ts',
      'web/src/**/*.test.ts',
    ],
    exclude: ['test/e2e/**', 'node_modules/**'],
    setupFiles: ['test/support/vitest-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
