import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { requireBinary } from './binaries.ts';
import { freePort } from './ports.ts';
import { ServiceProcess } from './process.ts';

const run = promisify(execFile);

/** Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin: the newest wins. */
function serverBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return path.join(root, majors[0] ?? 'none', 'bin');
}

export const postgresBinary = requireBinary(path.join(serverBinDir(), 'postgres'), 'postgresql');

/** PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user. */
const SYSTEM_USER = 'postgres';

export interface Postgres {
  port: number;
  /** The superuser's URL of the `postgres` database. */
  url: string;
  dir: string;
  process: ServiceProcess;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** `setpriv` runs the command as `postgres` when we are root; otherwise as ourselves. */
async function asServerUser(): Promise<{ prefix: string[]; uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return { prefix: [] };
  const { stdout } = await run('id', ['-u', SYSTEM_USER]).catch(() => {
    throw new Error(
      `running as root, PostgreSQL needs the system user "${SYSTEM_USER}" (the Debian package postgresql creates it)`,
    );
  });
  const gid = Number((await run('id', ['-g', SYSTEM_USER])).stdout.trim());
  return {
    prefix: ['/usr/bin/setpriv', `--reuid=${SYSTEM_USER}`, `--regid=${gid}`, '--init-groups', '--'],
    uid: Number(stdout.trim()),
    gid,
  };
}

/**
 * Starts a real PostgreSQL on a free loopback port, with a fresh cluster in a temporary folder (no
 * fsync: a test cluster is thrown away), a password-protected superuser, and no Unix socket.
 */
export async function startPostgres(): Promise<Postgres> {
  if (!postgresBinary.path) throw new Error('postgres is not installed');
  const bin = path.dirname(postgresBinary.path);
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-postgres-'));
  const user = await asServerUser();
  const data = path.join(dir, 'data');
  const password = randomBytes(16).toString('hex');
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined && user.gid !== undefined) {
    chownSync(dir, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  chmodSync(dir, 0o700);
  const initdb = [
    ...user.prefix,
    path.join(bin, 'initdb'),
    ...['-D', data, '-U', 'shugai', `--pwfile=${pwfile}`, '--auth=scram-sha-256'],
    ...['--encoding=UTF8', '--locale=C', '--no-sync'],
  ];
  await run(initdb[0] as string, initdb.slice(1), { cwd: dir }).catch(
    (error: Error & { stderr?: string }) => {
      throw new Error(`initdb failed: ${error.stderr ?? error.message}`);
    },
  );
  const port = await freePort();
  const settings = [
    `port=${port}`,
    'listen_addresses=127.0.0.1',
    'unix_socket_directories=',
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
    'max_connections=100',
    'log_min_messages=warning',
  ].flatMap((s) => ['-c', s]);
  const server = [path.join(bin, 'postgres'), '-D', data, ...settings];
  const command = [...user.prefix, ...server];
  const proc = new ServiceProcess('postgres', command[0] as string, command.slice(1), { cwd: dir });
  const url = `postgres://shugai:${password}@127.0.0.1:${port}/postgres`;
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await proc.waitUntil(async () => {
    await query('SELECT 1');
    return true;
  }, 30_000);
  // A test worker that ends without stop() (a timed-out hook) must not leave a server behind.
  const orphaned = () => {
    proc.signal('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', orphaned);
  let databases = 0;
  return {
    port,
    url,
    dir,
    process: proc,
    async createDatabase(name = `test_${++databases}_${randomBytes(3).toString('hex')}`) {
      await query(`CREATE DATABASE "${name}"`);
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      process.off('exit', orphaned);
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
