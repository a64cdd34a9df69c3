// The one-site compose files, checked by real tools (no Docker engine here): dclint validates
// compose.yaml against the Compose Specification's JSON Schema and its rules; make-secrets.sh makes
// real certificates and password files; the site's Mosquitto config runs in a real Mosquitto with
// those secrets (TLS and passwords on), and the site's gateway config reads a device through it;
// VictoriaMetrics checks its scrape config. Container paths (/run/secrets/…) are mapped to the files.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireBinary } from '../../test/services/binaries.ts';
import { mosquittoBinary } from '../../test/services/mosquitto.ts';
import { freePort, waitForPort } from '../../test/services/ports.ts';
import { ServiceProcess } from '../../test/services/process.ts';
import { victoriaBinary } from '../../test/services/victoriametrics.ts';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(DIR, '../..');
const COMPOSE = readFileSync(path.join(DIR, 'compose.yaml'), 'utf8');
const openssl = requireBinary('openssl', 'openssl');
const mosquittoPasswd = requireBinary('mosquitto_passwd', 'mosquitto');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: 120_000, cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** make-secrets.sh for the site name plant.example.cn, into `dir`. */
const makeSecrets = (dir: string) =>
  run('bash', [path.join(DIR, 'make-secrets.sh'), '--hostname', 'plant.example.cn', '--dir', dir]);

const dclint = (file: string) => run(path.join(REPO, 'node_modules/.bin/dclint'), ['--color=false', file]);

describe('compose.yaml', () => {
  it('passes dclint: the Compose Specification schema and its rules, no error and no warning', async () => {
    const result = await dclint(path.join(DIR, 'compose.yaml'));
    expect(result.stdout.trim()).toBe('');
    expect(result.code).toBe(0);
  });

  it('dclint refuses a file the schema does not allow (the check can fail)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shugai-compose-'));
    try {
      const broken = path.join(dir, 'compose.yaml');
      await writeFile(
        broken,
        COMPOSE.replace('    restart: unless-stopped\n', '    restart: sometimes\n    colour: red\n'),
      );
      const result = await dclint(broken);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toMatch(
        /must NOT have additional properties|must be equal to one of the allowed values/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes every secret from a file, and no service has a password in its environment', () => {
    const compose = parse(COMPOSE) as {
      services: Record<string, { environment?: Record<string, string>; secrets?: string[] }>;
      secrets: Record<string, { file: string }>;
    };
    for (const [name, secret] of Object.entries(compose.secrets))
      expect(secret.file, name).toMatch(/^\.\/secrets\//);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const secret of service.secrets ?? [])
        expect(compose.secrets, `${name}: ${secret}`).toHaveProperty(secret);
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|TOKEN|SECRET/.test(key))
          expect(`${key}=${value}`).toMatch(/(_FILE|__FILE)=\/run\/secrets\//);
      }
    }
  });
});

describe.skipIf(!openssl.available || !mosquittoPasswd.available)('make-secrets.sh', () => {
  let dir: string;
  let first: Run;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-secrets-'));
    first = await makeSecrets(dir);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes every file compose.yaml names, each owned by the user of the container that reads it', async () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const compose = parse(COMPOSE) as { secrets: Record<string, { file: string }> };
    const listing = await run(
      'stat',
      ['-c', '%n %a %u', ...Object.values(compose.secrets).map((s) => path.basename(s.file))],
      {
        cwd: dir,
      },
    );
    expect(listing.stdout.trim().split('\n').sort()).toEqual([
      'grafana-admin-password 400 472',
      'influx-admin-password 400 0',
      'influx-read-password 400 472',
      'influx-write-password 400 10001',
      'mosquitto-passwd 600 1883',
      'mqtt-cert.pem 444 0',
      'mqtt-gateway-password 400 10001',
      'mqtt-key.pem 400 1883',
      'pgpass 600 10001',
      'postgres-password 400 0',
      'read-token 400 10001',
      'serve-cert.pem 444 0',
      'serve-key.pem 400 10001',
      'site-ca.pem 444 0',
    ]);
    const pgpass = readFileSync(path.join(dir, 'pgpass'), 'utf8');
    expect(pgpass).toBe(
      `postgres:5432:shugai:shugai:${readFileSync(path.join(dir, 'postgres-password'), 'utf8')}\n`,
    );
    expect(readFileSync(path.join(dir, 'mosquitto-passwd'), 'utf8')).toMatch(
      /^gateway:\$7\$.+\ndevices:\$7\$.+\n$/,
    );
  });

  it('signs certificates for the site name and the compose service, that verify against the site CA', async () => {
    for (const [name, service] of [
      ['mqtt', 'mosquitto'],
      ['serve', 'serve'],
    ]) {
      const verified = await run(
        openssl.path as string,
        ['verify', '-CAfile', 'site-ca.pem', `${name}-cert.pem`],
        { cwd: dir },
      );
      expect(verified.stdout.trim()).toBe(`${name}-cert.pem: OK`);
      const san = await run(
        openssl.path as string,
        ['x509', '-in', `${name}-cert.pem`, '-noout', '-ext', 'subjectAltName'],
        {
          cwd: dir,
        },
      );
      expect(san.stdout).toContain(
        `DNS:plant.example.cn, DNS:${service}, DNS:localhost, IP Address:127.0.0.1`,
      );
    }
  });

  it('keeps what exists when run again', async () => {
    const before = await run('sha256sum', ['site-ca.pem', 'mqtt-cert.pem', 'pgpass', 'read-token'], {
      cwd: dir,
    });
    const again = await makeSecrets(dir);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('made ');
    expect(
      (await run('sha256sum', ['site-ca.pem', 'mqtt-cert.pem', 'pgpass', 'read-token'], { cwd: dir })).stdout,
    ).toBe(before.stdout);
  });
});

describe.skipIf(!openssl.available || !mosquittoPasswd.available || !mosquittoBinary.available)(
  "the site's Mosquitto and gateway configs, on a real Mosquitto with the site's secrets",
  { timeout: 120_000 },
  () => {
    let dir: string;
    let secrets: string;
    let port: number;
    let broker: ServiceProcess;
    /** /run/secrets/<name> → the file make-secrets.sh made for it. */
    let mapSecrets: (text: string) => string;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'shugai-site-'));
      secrets = path.join(dir, 'secrets');
      const made = await makeSecrets(secrets);
      expect(made.code).toBe(0);
      const compose = parse(COMPOSE) as { secrets: Record<string, { file: string }> };
      mapSecrets = (text) =>
        text.replace(/\/run\/secrets\/([a-z_]+)/g, (_, name: string) => {
          const file = compose.secrets[name]?.file;
          if (!file) throw new Error(`no secret ${name} in compose.yaml`);
          return path.join(secrets, path.basename(file));
        });
      port = await freePort();
      const conf = mapSecrets(readFileSync(path.join(DIR, 'mosquitto/mosquitto.conf'), 'utf8'))
        .replace('acl_file /mosquitto/config/acl', `acl_file ${path.join(DIR, 'mosquitto/acl')}`)
        .replace('persistence_location /mosquitto/data/', `persistence_location ${dir}/`)
        .replace('listener 8883', `listener ${port} 127.0.0.1`);
      expect(conf).not.toMatch(/^\w+ \/(run\/secrets|mosquitto)\//m);
      await writeFile(path.join(dir, 'mosquitto.conf'), `${conf}\nuser ${userInfo().username}\n`);
      broker = new ServiceProcess('mosquitto', mosquittoBinary.path as string, [
        '-c',
        path.join(dir, 'mosquitto.conf'),
      ]);
      await broker.waitUntil(async () => {
        await waitForPort(port, 200);
        return true;
      });
    });
    afterAll(async () => {
      await broker?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const tls = () => ({ ca: readFileSync(path.join(secrets, 'site-ca.pem')), servername: 'localhost' });
    const password = (user: string) => readFileSync(path.join(secrets, `mqtt-${user}-password`), 'utf8');

    it('refuses clients without a password, with a wrong one, and without TLS', async () => {
      const url = `mqtts://127.0.0.1:${port}`;
      const options = { ...tls(), reconnectPeriod: 0, connectTimeout: 5000 };
      await expect(connectAsync(url, options)).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
      await expect(connectAsync(url, { ...options, username: 'gateway', password: 'wrong' })).rejects.toThrow(
        /Not authorized|Bad User Name or Password/i,
      );
      await expect(
        connectAsync(`mqtt://127.0.0.1:${port}`, {
          reconnectPeriod: 0,
          connectTimeout: 3000,
          username: 'gateway',
          password: password('gateway'),
        }),
      ).rejects.toThrow();
    });

    it("passes the devices' readings to the gateway, which reads them with the site's config", async () => {
      const devices = await connectAsync(`mqtts://127.0.0.1:${port}`, {
        ...tls(),
        username: 'devices',
        password: password('devices'),
        clientId: 'oven-01',
      });
      await devices.publishAsync('plant/oven-01/zone1_temp', '181.5', { qos: 1, retain: true });
      await devices.publishAsync('plant/oven-01/door_open', 'false', { qos: 1, retain: true });
      await devices.endAsync();
      // The site's plant.yaml with the broker on this port and the secret files mapped; only oven-01 is read.
      const plant = mapSecrets(readFileSync(path.join(DIR, 'gateway/plant.yaml'), 'utf8'))
        .replace('url: mqtts://mosquitto:8883', `url: mqtts://localhost:${port}`)
        .replace('dataDir: /var/lib/shugai', `dataDir: ${path.join(dir, 'gateway-data')}`);
      const file = path.join(dir, 'plant.yaml');
      await writeFile(file, plant);
      const checked = await run(process.execPath, ['bin/shugai.mjs', 'config', 'check', file]);
      expect(checked.stdout.trim()).toBe(
        `${file}: ok — gateway site-gw01, 2 connections, 2 devices, 5 tags, sinks: influx, central`,
      );
      const read = await run(
        process.execPath,
        ['bin/shugai.mjs', 'read', '--config', file, '--device', 'oven-01', '--format', 'json'],
        {
          env: { SHUGAI_LOG_LEVEL: 'silent' },
        },
      );
      const printed = JSON.parse(read.stdout) as {
        samples: { tag: string; value: unknown; quality: string }[];
        problems: string[];
      };
      expect(printed.problems).toEqual([]);
      expect(printed.samples.map((s) => [s.tag, s.value, s.quality])).toEqual([
        ['door_open', false, 'good'],
        ['zone1_temp', 181.5, 'good'],
      ]);
      expect(read.code).toBe(0);
    });

    it('keeps the gateway from publishing (the ACL lets it read only)', async () => {
      const gateway = await connectAsync(`mqtts://127.0.0.1:${port}`, {
        ...tls(),
        username: 'gateway',
        password: password('gateway'),
        protocolVersion: 5,
      });
      try {
        const refused = await gateway.publishAsync('plant/oven-01/zone1_temp', '999', { qos: 1 }).then(
          (packet) => packet?.reasonCode,
          (error: { code?: number }) => error.code,
        );
        expect(refused).toBe(135); // 0x87 Not authorized
      } finally {
        await gateway.endAsync();
      }
    });
  },
);

describe.skipIf(!victoriaBinary.available)('VictoriaMetrics scrape config', () => {
  it('passes VictoriaMetrics -dryRun with strict parsing', async () => {
    const result = await run(victoriaBinary.path as string, [
      `-promscrape.config=${path.join(DIR, 'victoriametrics/scrape.yaml')}`,
      '-promscrape.config.strictParse',
      '-dryRun',
    ]);
    expect(result.stderr).toContain('-promscrape.config is ok');
    expect(result.code).toBe(0);
  });
});
