/** For the tests that run `shugai` as a user does: the real CLI in a child process. */
import { execFile } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/shugai.mjs …args` from the repository root, logs silenced; resolves when it exits. */
export function runShugai(args: readonly string[], timeoutMs = 150_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/shugai.mjs', ...args],
      { cwd: ROOT, timeout: timeoutMs, env: { ...process.env, SHUGAI_LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
