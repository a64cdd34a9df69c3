#!/usr/bin/env node
// Builds what production runs: the TypeScript compiled to dist/ (tsconfig.build.json), and beside it
// the data files the code reads next to itself (policy documents, the indicator catalogue, the
// industry table, sample configs). `npm ci` runs this through `prepare`; bin/shugai.mjs then runs
// dist/ without a TypeScript loader in memory.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--out DIR` builds elsewhere (the test of the build does, beside a running dist/).
const out = process.argv.indexOf('--out');
const dist = out > 0 ? path.resolve(process.argv[out + 1]) : path.join(root, 'dist');
const config = JSON.parse(
  (await import('node:fs')).readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'),
);

const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
// A production install (npm ci --omit=dev) has no compiler: dist/ comes from where it was built.
if (!existsSync(tsc)) {
  console.error('shugai build: no TypeScript compiler (a production install); dist/ is not built here');
  process.exit(0);
}
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dist], {
  cwd: root,
  stdio: 'inherit',
});

/** Every file that is not TypeScript, outside test case folders and native sources. */
function copyData(dir) {
  for (const name of readdirSync(path.join(root, dir))) {
    const relative = path.join(dir, name);
    if (statSync(path.join(root, relative)).isDirectory()) {
      if (name !== 'testcases' && name !== 'node_modules' && name !== 'native') copyData(relative);
    } else if (!name.endsWith('.ts') && !name.endsWith('.md')) {
      cpSync(path.join(root, relative), path.join(dist, relative));
    }
  }
}
for (const folder of config.include) copyData(folder);

/*
 * The point digests' native SHA-256 (gateway/attest/native, N-API against Node's own OpenSSL),
 * built with the node-gyp npm carries and Node's installed headers, then copied into dist/. Without
 * a compiler the gateway hashes in JavaScript (the same digests, slower): a warning, not a failure.
 */
const native = path.join(root, 'gateway/attest/native');
const addon = path.join(native, 'build/Release/sha256_batch.node');
const built = () =>
  existsSync(addon) &&
  ['sha256-batch.c', 'binding.gyp'].every(
    (f) => statSync(path.join(native, f)).mtimeMs <= statSync(addon).mtimeMs,
  );
if (!built()) {
  const nodeGyp =
    process.env.npm_config_node_gyp ??
    path.join(
      path.dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    );
  // Node's headers where this Node is installed (no download); node-gyp's own cache otherwise.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const nodedir = existsSync(path.join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : [];
  try {
    execFileSync(process.execPath, [nodeGyp, 'rebuild', ...nodedir], { cwd: native, stdio: 'pipe' });
  } catch (error) {
    const why = /ERR! stack Error: (.*)/.exec(`${error.stderr ?? ''}`)?.[1] ?? error.message;
    console.error(`shugai build: native SHA-256 not built (${why}); point digests use JavaScript`);
  }
}
if (built()) cpSync(addon, path.join(dist, 'gateway/attest/native/sha256_batch.node'));
