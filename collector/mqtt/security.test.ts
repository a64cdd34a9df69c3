// TLS against a real Mosquitto with a test CA made by openssl: a trusted broker certificate
// connects, an untrusted one is refused (and logged), mutual TLS needs the client certificate,
// and an unreadable CA file is a clear start error. Credentials work and never reach the log.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../test/services/binaries.ts';
import { type Mosquitto, mosquittoBinary, startMosquitto } from '../../test/services/mosquitto.ts';
import { freePort } from '../../test/services/ports.ts';
import { MqttCollector } from './mqtt.ts';
import { mqttConfigSchema } from './schema.ts';
import { recordingContext, waitUntil } from './testing.ts';

const run = promisify(execFile);
const openssl = requireBinary('openssl', 'openssl');

/** A CA, and a certificate for CN `name` (localhost, 127.0.0.1) signed by it, as PEM files in dir. */
async function issue(dir: string, ca: string, names: string[]): Promise<void> {
  const bin = openssl.path as string;
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const file = (name: string) => path.join(dir, name);
  await run(bin, [
    'req',
    '-x509',
    ...key,
    '-keyout',
    file(`${ca}.key`),
    '-out',
    file(`${ca}.pem`),
    '-days',
    '1',
    '-subj',
    `/CN=${ca}`,
  ]);
  await writeFile(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const name of names) {
    await run(bin, [
      'req',
      ...key,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    ]);
    await run(bin, [
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${ca}.pem`),
      '-CAkey',
      file(`${ca}.key`),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      '1',
      '-extfile',
      file('san.ext'),
    ]);
  }
}

describe.skipIf(!mosquittoBinary.available || !openssl.available)('MQTT collector over TLS', () => {
  let dir: string;
  let broker: Mosquitto;
  let mtlsPort: number;
  const pem = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-tls-'));
    await issue(dir, 'test-ca', ['server', 'client']);
    await issue(dir, 'other-ca', []);
    mtlsPort = await freePort();
    const tls = [
      `cafile ${pem('test-ca.pem')}`,
      `certfile ${pem('server.pem')}`,
      `keyfile ${pem('server.key')}`,
    ];
    broker = await startMosquitto([
      ...tls,
      `listener ${mtlsPort} 127.0.0.1`,
      ...tls,
      'require_certificate true',
    ]);
  });
  afterAll(async () => {
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const config = (port: number, tls: Record<string, unknown>) =>
    mqttConfigSchema.parse({
      id: 'tls',
      protocol: 'mqtt',
      url: `mqtts://127.0.0.1:${port}`,
      clientId: `tls-${Math.random().toString(16).slice(2)}`,
      tls,
      reconnect: { initialDelayMs: 200, maxDelayMs: 400 },
      subscriptions: [{ topic: 'x/{device}/{tag}', format: 'plain' }],
      devices: [
        { id: 'd1', production: true, businessLinks: ['生产管控'], tags: [{ id: 't', type: 'number' }] },
      ],
    });

  async function connects(port: number, tls: Record<string, unknown>) {
    const rec = recordingContext();
    const collector = new MqttCollector(config(port, tls), rec.context);
    await collector.start();
    try {
      await waitUntil(
        async () =>
          (await rec.metrics.count(rec.metrics.errors, { device: 'd1', kind: 'disconnected' })) > 0 ||
          (await rec.metrics.connected.get()).values.some((v) => v.value === 1),
        5000,
      );
      const connected = (await rec.metrics.connected.get()).values.some((v) => v.value === 1);
      return { connected, logs: rec.logs };
    } finally {
      await collector.stop();
    }
  }

  it('connects to a broker whose certificate chains to the configured CA', async () => {
    expect((await connects(broker.port, { ca: pem('test-ca.pem') })).connected).toBe(true);
  });

  it('refuses a broker certificate from another CA, and says why in the log', async () => {
    const { connected, logs } = await connects(broker.port, { ca: pem('other-ca.pem') });
    expect(connected).toBe(false);
    const failure = logs.find((l) => l.condition === 'disconnected' && typeof l.error === 'string');
    expect(failure?.error).toMatch(/certificate/i);
  });

  it('connects to an untrusted broker only with rejectUnauthorized false, and warns about it', async () => {
    const { connected, logs } = await connects(broker.port, {
      ca: pem('other-ca.pem'),
      rejectUnauthorized: false,
    });
    expect(connected).toBe(true);
    expect(
      logs.some((l) => l.msg === 'TLS certificate verification is OFF (tls.rejectUnauthorized: false)'),
    ).toBe(true);
  });

  it('passes mutual TLS with the client certificate and is refused without it', async () => {
    const ca = pem('test-ca.pem');
    expect(
      (await connects(mtlsPort, { ca, cert: pem('client.pem'), key: pem('client.key') })).connected,
    ).toBe(true);
    expect((await connects(mtlsPort, { ca })).connected).toBe(false);
  });

  it('fails start with the name of an unreadable TLS file', async () => {
    const collector = new MqttCollector(
      config(broker.port, { ca: pem('missing.pem') }),
      recordingContext().context,
    );
    await expect(collector.start()).rejects.toThrow(
      `MQTT connection "tls": cannot read tls.ca ${pem('missing.pem')}`,
    );
  });
});

describe.skipIf(!mosquittoBinary.available)('MQTT collector with a user name and password', () => {
  const passwd = requireBinary('mosquitto_passwd', 'mosquitto');
  let dir: string;
  let broker: Mosquitto;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-passwd-'));
    await run(passwd.path as string, ['-c', '-b', path.join(dir, 'passwd'), 'gw01', 's3cret-Pw']);
    broker = await startMosquitto(['allow_anonymous false', `password_file ${path.join(dir, 'passwd')}`]);
  });
  afterAll(async () => {
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects with the right password, is refused with a wrong one, and logs neither', async () => {
    const attempt = async (label: string, password: string) => {
      const rec = recordingContext();
      const collector = new MqttCollector(
        mqttConfigSchema.parse({
          id: 'auth',
          protocol: 'mqtt',
          url: broker.url,
          clientId: `auth-${label}`,
          username: 'gw01',
          password,
          reconnect: { initialDelayMs: 200, maxDelayMs: 400 },
          subscriptions: [{ topic: 'x/{device}/{tag}', format: 'plain' }],
          devices: [
            { id: 'd1', production: true, businessLinks: ['生产管控'], tags: [{ id: 't', type: 'number' }] },
          ],
        }),
        rec.context,
      );
      await collector.start();
      await waitUntil(
        async () => rec.logs.length > 0 || (await rec.metrics.connected.get()).values.length > 0,
      );
      await new Promise((r) => setTimeout(r, 100));
      const connected = (await rec.metrics.connected.get()).values.some((v) => v.value === 1);
      await collector.stop();
      return { connected, log: JSON.stringify(rec.logs) };
    };
    const good = await attempt('good', 's3cret-Pw');
    expect(good.connected).toBe(true);
    const bad = await attempt('bad', 'wrong-Pw');
    expect(bad.connected).toBe(false);
    expect(bad.log).toMatch(/Not authorized|Bad User Name or Password/i);
    for (const log of [good.log, bad.log]) {
      expect(log).not.toContain('s3cret-Pw');
      expect(log).not.toContain('wrong-Pw');
    }
  });
});
