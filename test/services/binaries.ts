import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Finds a service binary on PATH (and the sbin folders Debian uses). When it is missing, test files
 * that need it are skipped with one loud line naming the Debian package, or fail when
 * SHUGAI_REQUIRE_SERVICES=1 (as in CI), so a missing install is never reported as passing.
 */
export interface Binary {
  name: string;
  path: string | undefined;
  available: boolean;
}

const SEARCH_DIRS = [
  ...(process.env.PATH ?? '').split(path.delimiter),
  '/usr/sbin',
  '/usr/local/sbin',
  '/sbin',
];
const warned = new Set<string>();

export function findBinary(name: string): string | undefined {
  if (path.isAbsolute(name)) return isExecutable(name) ? name : undefined;
  for (const dir of SEARCH_DIRS) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function requireBinary(name: string, debianPackage: string): Binary {
  const found = findBinary(name);
  if (found) return { name, path: found, available: true };
  const line = `${name} not found: install the Debian package '${debianPackage}' (apt-get install -y ${debianPackage})`;
  if (process.env.SHUGAI_REQUIRE_SERVICES === '1') {
    throw new Error(`SHUGAI_REQUIRE_SERVICES=1 and ${line}`);
  }
  if (!warned.has(name)) {
    warned.add(name);
    console.warn(`\n!!!!! SKIPPING tests that need ${line} !!!!!\n`);
  }
  return { name, path: undefined, available: false };
}
