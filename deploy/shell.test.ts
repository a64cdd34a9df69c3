// The shell scripts an installer runs as root, checked by shellcheck (every severity, style included).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../test/services/binaries.ts';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const SCRIPTS = ['install.sh', 'compose/make-secrets.sh'];
const shellcheck = requireBinary('shellcheck', 'shellcheck');

function check(...files: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(shellcheck.path as string, ['--severity=style', ...files], (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe.skipIf(!shellcheck.available)('deploy shell scripts', () => {
  for (const script of SCRIPTS) {
    it(`${script}: shellcheck has nothing to say`, async () => {
      expect(await check(path.join(DIR, script))).toEqual({ code: 0, output: '' });
    });
  }

  it('shellcheck does speak up (the check can fail)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-shellcheck-'));
    try {
      await writeFile(path.join(dir, 'bad.sh'), '#!/usr/bin/env bash\nrm -rf $1/data\n');
      const result = await check(path.join(dir, 'bad.sh'));
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('SC2086');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
