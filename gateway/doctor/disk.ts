/**
 * Disk space for the buffer: the log may grow to `maxBytes`, but never into the last `minFree` of its
 * filesystem (gateway/buffer/disk.ts). The check computes the bound the gateway will use at start.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DiskSpace, type ReadDisk, readDisk } from '../buffer/disk.ts';
import type { GatewayConfig } from '../config/schema.ts';
import { type Finding, fail, formatBytes, ok, warn } from './findings.ts';

const CHECK = 'disk';

/** The nearest folder that exists: a dataDir not created yet lives on its parent's filesystem. */
function existingAncestor(dir: string): string {
  let current = dir;
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

async function bufferBytes(dataDir: string): Promise<number> {
  const dir = path.join(dataDir, 'buffer', 'segments');
  const names = await readdir(dir).catch(() => [] as string[]);
  let total = 0;
  for (const name of names) total += (await stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

export async function checkDisk(
  config: GatewayConfig,
  dataDir: string,
  read: ReadDisk = readDisk,
): Promise<Finding> {
  const { maxBytes, minFree } = config.buffer;
  const where = existingAncestor(dataDir);
  let disk: Awaited<ReturnType<ReadDisk>>;
  try {
    disk = await read(where);
  } catch (error) {
    return fail(CHECK, `cannot read the filesystem of ${where}: ${(error as Error).message}`);
  }
  const reserve = new DiskSpace(where, minFree, read).reserve(disk.size);
  const held = await bufferBytes(dataDir);
  const capacity = Math.min(maxBytes, held + disk.free - reserve);
  const facts = `${formatBytes(disk.free)} free of ${formatBytes(disk.size)} under ${dataDir}, minFree ${formatBytes(reserve)}, buffer holds ${formatBytes(held)}`;
  if (disk.free <= reserve)
    return fail(
      CHECK,
      `${facts}: the buffer cannot take a sample (free space is at or below minFree); free space or move gateway.dataDir`,
    );
  if (capacity < maxBytes)
    return warn(
      CHECK,
      `${facts}: the buffer can grow to ${formatBytes(capacity)}, less than maxBytes ${formatBytes(maxBytes)}; the disk is its bound`,
    );
  return ok(CHECK, `${facts}: room for maxBytes ${formatBytes(maxBytes)}`);
}
