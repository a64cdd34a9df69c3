#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm run build`, which `npm ci` runs through
// `prepare`), so production carries no TypeScript loader. SHUGAI_FROM_SOURCE=1, or no dist/, runs
// the TypeScript sources through tsx (a dev dependency) instead: the tests do, so they never run a
// stale build.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (process.env.SHUGAI_FROM_SOURCE !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    console.error(
      "shugai: no build (dist/) and no TypeScript loader: run 'npm ci' (or 'npm run build') first",
    );
    process.exit(1);
  }
  tsx.register();
  await import('../cli/main.ts');
}
