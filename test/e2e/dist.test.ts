// What production runs: the build (tsc to JavaScript, data files beside it) from the current
// sources, run without a TypeScript loader: commands answer, and a gateway starts, stores and stops.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../services/ports.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let out: string;

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'shugai-dist-'));
  const build = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin/build.mjs'), '--out', path.join(out, 'dist')],
    {
      encoding: 'utf8',
    },
  );
  expect(build.status, build.stderr).toBe(0);
  // Packages resolve from the build's folder up, as from the repository's dist/.
  await symlink(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
}, 180_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(out, 'dist/cli/main.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, INFLUX_PASSWORD: 'from-the-environment' },
  });

describe('the build', () => {
  it('answers commands from compiled JavaScript, with its data files', () => {
    expect(cli('--help').stdout).toContain('gateway');
    const check = cli('config', 'check', path.join(ROOT, 'gateway/sample.yaml'));
    expect(check.status, check.stderr).toBe(0);
    expect(cli('policy', 'list').stdout).toContain('yongkang.light-saas');
    expect(cli('industry', 'show', '3465').stdout).toContain('风动和电动工具制造');
  });

  it('runs a gateway: ready, then stops on SIGTERM with exit 0', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-dist-gw-'));
    const port = await freePort();
    await writeFile(
      path.join(dir, 'plant.yaml'),
      [
        'gateway: { id: gw-dist, dataDir: ./data }',
        `http: { port: ${port} }`,
        'sinks: [{ type: embedded }]',
        '',
      ].join('\n'),
    );
    const child = spawn(
      process.execPath,
      [path.join(out, 'dist/cli/main.js'), 'gateway', '--config', path.join(dir, 'plant.yaml')],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 30_000;
    let ready = false;
    while (!ready && Date.now() < deadline) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
