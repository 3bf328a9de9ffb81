import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const shared = fileURLToPath(new URL('./shared/', import.meta.url));

export default defineConfig({
  resolve: {
    // web/ has its own package.json (no "imports"), so the web's `#shared/…` imports — SvelteKit's
    // kit.alias when building — resolve here by the same rule as package.json's.
    alias: [{ find: /^#shared\/(.*)\.js$/, replacement: `${shared}$1.ts` }],
  },
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
