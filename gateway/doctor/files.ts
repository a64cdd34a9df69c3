/**
 * Permissions: the gateway's state must be writable by it and private to it; the key that signs the
 * evidence must be readable by nobody else; the config may hold secrets.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { identityFiles } from '../attest/identity.ts';
import type { GatewayConfig } from '../config/schema.ts';
import { type Finding, fail, ok, warn } from './findings.ts';

const CHECK = 'permissions';
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

function can(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}

/** A private key: readable by the gateway's user, by nobody else. */
function privateKey(file: string, what: string): Finding {
  const mode = statSync(file).mode;
  if (!can(file, constants.R_OK))
    return fail(
      CHECK,
      `${what} ${file} is not readable by this user (uid ${process.getuid?.()}): run doctor as the gateway's user`,
    );
  if ((mode & 0o077) !== 0)
    return fail(
      CHECK,
      `${what} ${file} is mode ${octal(mode)}: group or others can read it; chmod 600 ${file}`,
    );
  return ok(CHECK, `${what} ${file} is mode ${octal(mode)}`);
}

/** A folder the gateway writes into. */
function writableDir(dir: string, what: string, create: string): Finding {
  if (!existsSync(dir)) return warn(CHECK, `${what} ${dir} does not exist yet; ${create}`);
  if (!statSync(dir).isDirectory()) return fail(CHECK, `${what} ${dir} is not a folder`);
  if (!can(dir, constants.W_OK | constants.X_OK))
    return fail(
      CHECK,
      `${what} ${dir} is not writable by this user (uid ${process.getuid?.()}): run doctor as the gateway's user, or chown it to that user`,
    );
  const mode = statSync(dir).mode;
  if ((mode & 0o077) !== 0)
    return warn(
      CHECK,
      `${what} ${dir} is mode ${octal(mode)}: others can look into the buffer and keys; chmod 700 ${dir}`,
    );
  return ok(CHECK, `${what} ${dir} is writable and mode ${octal(mode)}`);
}

/**
 * What the systemd unit lets the gateway write (ProtectSystem=strict): /var/lib/<StateDirectory> and
 * any ReadWritePaths. Undefined when the unit is not installed.
 */
export function unitWritablePaths(unitFile: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(unitFile, 'utf8');
  } catch {
    return undefined;
  }
  const values = (key: string) =>
    [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))]
      .flatMap((m) => (m[1] ?? '').trim().split(/\s+/))
      .filter(Boolean);
  return [
    ...values('StateDirectory').map((d) => path.join('/var/lib', d)),
    ...values('ReadWritePaths').map((p) => p.replace(/^-/, '')),
  ];
}

const inside = (file: string, roots: readonly string[]) =>
  roots.some((root) => file === root || file.startsWith(`${root.replace(/\/+$/, '')}/`));

export function checkPermissions(config: GatewayConfig, dataDir: string, unitFile?: string): Finding[] {
  const findings: Finding[] = [];
  const writable = unitFile === undefined ? undefined : unitWritablePaths(unitFile);
  const underUnit = (dir: string, what: string) => {
    if (writable !== undefined && !inside(dir, writable))
      findings.push(
        fail(
          CHECK,
          `${what} ${dir} is outside what ${path.basename(unitFile as string)} lets the gateway write (${writable.join(', ')}): move it there`,
        ),
      );
  };
  const configMode = statSync(config.file).mode;
  if ((configMode & 0o002) !== 0)
    findings.push(
      fail(
        CHECK,
        `config ${config.file} is mode ${octal(configMode)}: anyone can change what the gateway reads and where it writes; chmod 640`,
      ),
    );
  else if ((configMode & 0o004) !== 0)
    findings.push(
      warn(
        CHECK,
        `config ${config.file} is mode ${octal(configMode)}: every user can read it, and it may hold passwords; chmod 640`,
      ),
    );
  else findings.push(ok(CHECK, `config ${config.file} is mode ${octal(configMode)}`));

  underUnit(dataDir, 'dataDir');
  findings.push(
    writableDir(dataDir, 'dataDir', 'the gateway creates it at start (under systemd: StateDirectory)'),
  );
  if (config.gateway.attest) {
    const key = identityFiles(dataDir).privateKey;
    findings.push(
      existsSync(key)
        ? privateKey(key, 'gateway key')
        : warn(
            CHECK,
            `no gateway key ${key} yet: run shugai gateway init --config ${config.file} and register the key it prints`,
          ),
    );
  }
  const baseDir = path.dirname(config.file);
  for (const connection of config.connections) {
    const pkiDir = (connection as { pkiDir?: unknown }).pkiDir;
    if (typeof pkiDir !== 'string') continue;
    const dir = path.resolve(baseDir, pkiDir);
    const what = `OPC UA pkiDir of ${connection.id}`;
    underUnit(dir, what);
    findings.push(writableDir(dir, what, 'the first connection creates it'));
    const own = path.join(dir, 'own', 'private', 'private_key.pem');
    if (existsSync(own)) findings.push(privateKey(own, `OPC UA client key of ${connection.id}`));
  }
  return findings;
}
