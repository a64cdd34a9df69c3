import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A small real filesystem for full-disk tests: a tmpfs of a given size, mounted on a temp folder.
 * Mounting needs root (CAP_SYS_ADMIN), which CI has; elsewhere the tests that need it are skipped
 * with one loud line, or fail under SHUGAI_REQUIRE_SERVICES=1, as for a missing service.
 */
export interface SmallDisk {
  dir: string;
  unmount(): Promise<void>;
}

function probe(): boolean {
  const dir = path.join(tmpdir(), `shugai-mount-probe-${process.pid}`);
  spawnSync('mkdir', ['-p', dir]);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status === 0;
  if (mounted) spawnSync('umount', [dir]);
  spawnSync('rmdir', [dir]);
  if (mounted) return true;
  const line = 'cannot mount a tmpfs (run the tests as root, as CI does)';
  if (process.env.SHUGAI_REQUIRE_SERVICES === '1') throw new Error(`SHUGAI_REQUIRE_SERVICES=1 and ${line}`);
  console.warn(`\n!!!!! SKIPPING full-disk tests: ${line} !!!!!\n`);
  return false;
}

export const smallDisksAvailable = probe();

export async function mountSmallDisk(bytes: number): Promise<SmallDisk> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-disk-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (mount.status !== 0) throw new Error(`mount tmpfs on ${dir}: ${mount.stderr.trim()}`);
  return {
    dir,
    async unmount() {
      // Lazily: a test that failed may still hold a file open there.
      spawnSync('umount', ['-l', dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the filesystem under `dir` to the last page; returns the big file's path (delete it to free most). */
export function fillDisk(dir: string, name = 'filler'): string {
  const file = path.join(dir, name);
  // dd stops at ENOSPC with status 1: that is the point. Large blocks first, then pages.
  spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=64k']);
  spawnSync('dd', ['if=/dev/zero', `of=${file}.pages`, 'bs=4k']);
  return file;
}
