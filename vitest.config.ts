import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    // Integration tests start real services; the machine has two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    // A CLI a test spawns (bin/shugai.mjs) runs the sources, never a dist/ built before the last edit.
    env: { SHUGAI_FROM_SOURCE: '1' },
    hookTimeout: 60_000,
    // A poll waits on real peers (a login's scrypt, a browser's fetch) on a loaded two-core
    // machine: vitest's 1 s default failed a clean-clone CI on a login that took longer.
    expect: { poll: { timeout: 15_000 } },
  },
});
