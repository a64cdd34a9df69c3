// deploy/install.sh for real, into a temporary root (--root): a first install, the same install again
// (nothing changes), an upgrade that keeps the buffer, identity, PKI and config, and upgrades that
// fail their check and leave the running release in place.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initIdentity } from '../gateway/attest/identity.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(REPO, 'deploy', 'install.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: 120_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const install = (root: string, from: string, ...args: string[]) =>
  run('bash', [SCRIPT, '--from', from, '--root', root, ...args]);

/** Every path under dir with its type, mode, owner and content digest (or link target). */
function snapshot(dir: string, under = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(path.join(dir, under)).sort()) {
    const rel = path.join(under, name);
    const file = path.join(dir, rel);
    const s = lstatSync(file);
    const head = `${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid}`;
    if (s.isSymbolicLink()) out[rel] = `link ${readlinkSync(file)}`;
    else if (s.isDirectory()) {
      out[rel] = `dir ${head}`;
      Object.assign(out, snapshot(dir, rel));
    } else out[rel] = `file ${head} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
  }
  return out;
}

/** A source tree like a checkout after `npm ci && npm run build`: this worktree's files, its node_modules and dist/ linked. */
async function sourceTree(
  base: string,
  name: string,
  nodeModules = path.join(REPO, 'node_modules'),
): Promise<string> {
  const dir = path.join(base, name);
  const listed = await run('git', [
    '-C',
    REPO,
    'ls-files',
    '-z',
    '--cached',
    '--others',
    '--exclude-standard',
  ]);
  for (const rel of listed.stdout.split('\0').filter(Boolean)) {
    try {
      lstatSync(path.join(REPO, rel));
    } catch {
      continue; // deleted in the worktree, still in the index
    }
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    copyFileSync(path.join(REPO, rel), path.join(dir, rel));
  }
  symlinkSync(nodeModules, path.join(dir, 'node_modules'));
  symlinkSync(path.join(REPO, 'dist'), path.join(dir, 'dist'));
  return dir;
}

const uidOf = (root: string, user: string) => {
  const entry = readFileSync(path.join(root, 'etc', 'passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  return entry === undefined ? undefined : Number(entry.split(':')[2]);
};

describe('deploy/install.sh', { timeout: 300_000 }, () => {
  let base: string;
  let root: string;
  let v1: string;
  let first: Run;
  let firstRelease: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'shugai-install-'));
    root = path.join(base, 'root');
    // The root's own user database, as on a fresh Debian: root and the dialout group.
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\ndialout:x:20:\n');
    writeFileSync(path.join(root, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(path.join(root, 'etc', 'gshadow'), 'root:*::\ndialout:*::\n', { mode: 0o640 });
    v1 = await sourceTree(base, 'v1');
    first = await install(root, v1);
    firstRelease = readlinkSync(path.join(root, 'opt', 'shugai', 'current'));
  }, 180_000);

  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('installs a release, the user, the state folder, a config to edit and the unit; starts nothing', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(firstRelease).toMatch(/^releases\/0\.1\.0-[0-9a-f]{12}$/);
    expect(first.stdout).toContain(`current -> ${firstRelease}`);
    expect(first.stdout).toContain('first install: when');
    const uid = uidOf(root, 'shugai') as number;
    expect(uid).toBeGreaterThan(0);
    expect(uid).toBeLessThan(1000); // a system user
    expect(readFileSync(path.join(root, 'etc', 'group'), 'utf8')).toMatch(/^dialout:x:20:shugai$/m);
    const snap = snapshot(root);
    expect(snap['var/lib/shugai']).toBe(`dir 700 ${uid}:${uid}`);
    expect(snap['etc/shugai']).toBe('dir 755 0:0');
    const sample = createHash('sha256')
      .update(readFileSync(path.join(REPO, 'gateway', 'sample.yaml')))
      .digest('hex');
    expect(snap['etc/shugai/plant.yaml']).toBe(`file 640 0:${uid} ${sample}`);
    expect(snap['etc/shugai/gateway.env']).toMatch(new RegExp(`^file 640 0:${uid} `));
    expect(readFileSync(path.join(root, 'etc/systemd/system/shugai-gateway.service'), 'utf8')).toBe(
      readFileSync(path.join(REPO, 'deploy/systemd/shugai-gateway.service'), 'utf8'),
    );
    expect(readFileSync(path.join(root, 'etc/systemd/journald.conf.d/60-shugai.conf'), 'utf8')).toBe(
      readFileSync(path.join(REPO, 'deploy/systemd/journald-shugai.conf'), 'utf8'),
    );
    expect(readFileSync(path.join(root, 'usr/local/bin/shugai'), 'utf8')).toBe(
      '#!/bin/sh\nexec /usr/bin/node /opt/shugai/current/bin/shugai.mjs "$@"\n',
    );
    // The release belongs to root and nobody else may change it.
    const release = Object.entries(snap).filter(([p]) => p.startsWith(`opt/shugai/${firstRelease}/`));
    expect(release.length).toBeGreaterThan(100);
    for (const [p, entry] of release) {
      if (entry.startsWith('link')) continue;
      expect(entry, p).toMatch(/^(file|dir) [0-7]*[0145][0145] 0:0/);
    }
  });

  it('installs a release that runs: the installed shugai checks the installed config', async () => {
    const checked = await run(
      process.execPath,
      [
        path.join(root, 'opt/shugai/current/bin/shugai.mjs'),
        'config',
        'check',
        path.join(root, 'etc/shugai/plant.yaml'),
      ],
      { INFLUX_PASSWORD: 'secret' },
    );
    expect(checked.stdout).toContain(
      'ok — gateway yk-cups-gw01, 1 connections, 1 devices, 4 tags, sinks: influx, local',
    );
    expect(checked.code).toBe(0);
  });

  it('installing the same tree again changes nothing', async () => {
    const before = snapshot(root);
    const again = await install(root, v1);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`release ${firstRelease.slice('releases/'.length)} is already on disk`);
    expect(again.stdout).toContain('is already the current one');
    expect(snapshot(root)).toEqual(before);
  });

  describe('upgrades', () => {
    let kept: Record<string, string>;
    const keptPaths = (snap: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(snap).filter(([p]) => p.startsWith('var/lib/shugai') || p.startsWith('etc/shugai')),
      );

    beforeAll(() => {
      // A box that has run: buffer segments, its identity, an OPC UA client key, an edited config.
      const state = path.join(root, 'var/lib/shugai');
      mkdirSync(path.join(state, 'buffer/segments'), { recursive: true, mode: 0o700 });
      writeFileSync(
        path.join(state, 'buffer/segments/00000000000000000000.seg'),
        createHash('sha256').update('data').digest(),
      );
      mkdirSync(path.join(state, 'buffer/positions'), { recursive: true, mode: 0o700 });
      writeFileSync(path.join(state, 'buffer/positions/influx.json'), '{"acked":12}');
      initIdentity(state);
      mkdirSync(path.join(state, 'pki/own/private'), { recursive: true, mode: 0o700 });
      writeFileSync(path.join(state, 'pki/own/private/private_key.pem'), 'not a real key\n', { mode: 0o600 });
      writeFileSync(path.join(state, 'samples.db'), 'embedded store\n', { mode: 0o600 });
      appendFileSync(path.join(root, 'etc/shugai/plant.yaml'), '# edited on the box\n');
      writeFileSync(path.join(root, 'etc/shugai/gateway.env'), 'INFLUX_PASSWORD=secret\n');
      kept = keptPaths(snapshot(root));
    });

    it('a new release keeps the buffer, identity, PKI, store and config; the old one stays to go back to', async () => {
      const v2 = await sourceTree(base, 'v2');
      appendFileSync(path.join(v2, 'README.md'), '\nA change in the new release.\n');
      const upgrade = await install(root, v2);
      expect(upgrade.stderr).toBe('');
      expect(upgrade.code).toBe(0);
      const current = readlinkSync(path.join(root, 'opt/shugai/current'));
      expect(current).not.toBe(firstRelease);
      expect(upgrade.stdout).toContain(
        `current -> ${current} (was ${firstRelease.slice('releases/'.length)})`,
      );
      expect(readFileSync(path.join(root, 'opt/shugai', current, 'README.md'), 'utf8')).toContain(
        'A change in the new release.',
      );
      expect(readdirSync(path.join(root, 'opt/shugai/releases')).sort()).toEqual(
        [firstRelease, current].map((r) => r.slice('releases/'.length)).sort(),
      );
      expect(keptPaths(snapshot(root))).toEqual(kept);
    });

    it('a release that does not start is refused: nothing changes', async () => {
      const before = snapshot(root);
      // A build that lost a dependency: every package but commander.
      const broken = path.join(base, 'broken-node-modules');
      mkdirSync(broken);
      for (const name of readdirSync(path.join(REPO, 'node_modules'))) {
        if (name !== 'commander') symlinkSync(path.join(REPO, 'node_modules', name), path.join(broken, name));
      }
      const v3 = await sourceTree(base, 'v3', broken);
      appendFileSync(path.join(v3, 'README.md'), '\nA broken build.\n');
      const upgrade = await install(root, v3);
      expect(upgrade.code).toBe(1);
      expect(upgrade.stderr).toMatch(
        /install: release 0\.1\.0-[0-9a-f]{12} failed its check \(above\); nothing changed, 0\.1\.0-[0-9a-f]{12} stays/,
      );
      expect(upgrade.stderr).toContain("Cannot find package 'commander'");
      expect(snapshot(root)).toEqual(before);
    });

    it('a release that refuses the installed config is refused: nothing changes', async () => {
      writeFileSync(path.join(root, 'etc/shugai/gateway.env'), '# INFLUX_PASSWORD lost\n');
      try {
        const before = snapshot(root);
        const v4 = await sourceTree(base, 'v4');
        appendFileSync(path.join(v4, 'README.md'), '\nAnother release.\n');
        const upgrade = await install(root, v4);
        expect(upgrade.code).toBe(1);
        expect(upgrade.stderr).toContain('INFLUX_PASSWORD');
        expect(upgrade.stderr).toContain('failed its check (above); nothing changed');
        expect(snapshot(root)).toEqual(before);
      } finally {
        writeFileSync(path.join(root, 'etc/shugai/gateway.env'), 'INFLUX_PASSWORD=secret\n');
      }
    });

    it('keeps the newest releases only (--keep), never the current or previous one', async () => {
      const v5 = await sourceTree(base, 'v5');
      appendFileSync(path.join(v5, 'README.md'), '\nThe fifth.\n');
      const previous = readlinkSync(path.join(root, 'opt/shugai/current'));
      const upgrade = await install(root, v5, '--keep', '2');
      expect(upgrade.code).toBe(0);
      const current = readlinkSync(path.join(root, 'opt/shugai/current'));
      expect(upgrade.stdout).toContain(`removed old release ${firstRelease.slice('releases/'.length)}`);
      expect(readdirSync(path.join(root, 'opt/shugai/releases')).sort()).toEqual(
        [previous, current].map((r) => r.slice('releases/'.length)).sort(),
      );
      expect(keptPaths(snapshot(root))).toEqual(kept);
    });
  });

  it('installs the platform beside it (--role serve): its own user, env file and unit', async () => {
    const serve = await install(root, v1, '--role', 'serve');
    expect(serve.code).toBe(0);
    const uid = uidOf(root, 'shugai-serve') as number;
    const snap = snapshot(root);
    expect(snap['var/lib/shugai-serve']).toBe(`dir 700 ${uid}:${uid}`);
    expect(snap['etc/shugai/serve']).toBe(`dir 750 0:${uid}`);
    expect(readFileSync(path.join(root, 'etc/shugai/serve.env'), 'utf8')).toBe(
      readFileSync(path.join(REPO, 'deploy/systemd/serve.env'), 'utf8'),
    );
    expect(readFileSync(path.join(root, 'etc/systemd/system/shugai-serve.service'), 'utf8')).toBe(
      readFileSync(path.join(REPO, 'deploy/systemd/shugai-serve.service'), 'utf8'),
    );
  });

  it('refuses a tree without production dependencies, naming the command to run', async () => {
    const bare = path.join(base, 'bare');
    mkdirSync(path.join(bare, 'bin'), { recursive: true });
    copyFileSync(path.join(REPO, 'package.json'), path.join(bare, 'package.json'));
    copyFileSync(path.join(REPO, 'bin/shugai.mjs'), path.join(bare, 'bin/shugai.mjs'));
    const refused = await install(root, bare);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "has no production dependencies: run 'npm ci && npm run build && npm prune --omit=dev' there first",
    );
  });
});
