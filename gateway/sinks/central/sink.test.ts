// The central sink against the real central service on a free loopback port: only attestations are
// sent, in chunks within the item limit, and each answer maps to the outcome the core acts on;
// over HTTPS it trusts a private CA only when named.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGINS } from '../../../collector/registry.ts';
import { type Item, signedChain, T0, testGateway } from '../../../dashboards/central/testing.ts';
import { type RunningPlatform, startPlatformServer } from '../../../dashboards/platform/server.ts';
import { databaseWithGateways } from '../../../dashboards/platform/testing.ts';
import { requireBinary } from '../../../test/services/binaries.ts';
import { freePort } from '../../../test/services/ports.ts';
import { attestationSample } from '../../attest/attestation.ts';
import { loadGatewayConfig } from '../../config/schema.ts';
import type { StoredSample } from '../sink.ts';
import { centralSinkSchema } from './schema.ts';
import { CentralSink, chunks } from './sink.ts';

const TOKEN = 'sink-test-token-0123456789';
const gw = testGateway('gw-sink');
const data = (t: number): StoredSample => ({
  device: 'press-1',
  tag: 'r0',
  type: 'integer',
  value: 101,
  quality: 'good',
  statusCode: 0,
  sourceTime: t,
  receivedAt: t,
});
const carried = (items: Item[]) => items.map((i) => attestationSample(i.attestation, i.stamp));

const sinkFor = (
  url: string,
  extra: Record<string, unknown> = {},
  limits?: { maxItems: number; maxBytes: number },
) =>
  new CentralSink(centralSinkSchema.parse({ type: 'central', url, timeoutMs: 5000, ...extra }), dir, limits);

let dir: string;
let central: RunningPlatform;
let requests = 0;

async function chain() {
  const response = await fetch(`${central.url}/api/v1/gateways/${gw.id}/chain`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await response.json()) as { count: number; missing: unknown[]; lastSeq: number };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shugai-central-sink-'));
  const db = path.join(dir, 'central.db');
  await databaseWithGateways(db, [gw]);
  central = await startPlatformServer({
    db,
    host: '127.0.0.1',
    port: 0,
    centralReadToken: TOKEN,
    writeRate: { max: 1000, windowMs: 60_000 },
  });
  central.app.server.on('request', (request: { method?: string }) => {
    if (request.method === 'POST') requests++;
  });
});

afterAll(async () => {
  await central?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const items = signedChain(gw, 9);

describe('central sink', () => {
  it('has the documented defaults', () => {
    expect(centralSinkSchema.parse({ type: 'central', url: 'https://central.example:8787' })).toEqual({
      name: 'central',
      type: 'central',
      url: 'https://central.example:8787',
      timeoutMs: 10_000,
    });
    expect(
      centralSinkSchema.safeParse({ type: 'central', url: 'http://x:1', ca: 'ca.pem' }).error?.issues,
    ).toEqual([expect.objectContaining({ path: ['ca'], message: 'ca is only used with an https:// url' })]);
    expect(centralSinkSchema.safeParse({ type: 'central', url: 'ftp://x' }).success).toBe(false);
  });

  it('is documented in gateway/sample.yaml by a block that is valid once uncommented', () => {
    const sample = readFileSync(path.resolve(import.meta.dirname, '../../sample.yaml'), 'utf8');
    const uncommented = sample.replace(/^ {2}# ( {2}|- )(name|type|url|ca|timeoutMs):/gm, '  $1$2:');
    expect(uncommented).not.toBe(sample);
    const file = path.join(dir, 'sample-with-central.yaml');
    writeFileSync(file, uncommented);
    const config = loadGatewayConfig(file, PLUGINS, { INFLUX_PASSWORD: 'pw' });
    expect(config.sinks.find((s) => s.type === 'central')).toEqual({
      name: 'central',
      type: 'central',
      url: 'https://central.bureau.example:8787',
      ca: 'pki/bureau-ca.pem',
      timeoutMs: 10_000,
    });
  });

  it('answers ok without a request when a batch holds no attestation', async () => {
    const port = await freePort(); // nothing listens there
    expect(await sinkFor(`http://127.0.0.1:${port}`).write([data(T0), data(T0 + 1)])).toEqual({ kind: 'ok' });
  });

  it('posts only the attestations of a batch, in chunks of at most maxItems, and a resend changes nothing', async () => {
    const before = requests;
    const sink = sinkFor(central.url, {}, { maxItems: 2, maxBytes: 1 << 20 });
    const batch = [data(T0), ...carried(items.slice(0, 5)), data(T0 + 1)];
    expect(await sink.write(batch)).toEqual({ kind: 'ok' });
    expect(requests - before).toBe(3);
    expect(await chain()).toMatchObject({ count: 5, lastSeq: 5, missing: [] });
    expect(await sink.write(batch)).toEqual({ kind: 'ok' });
    expect(await chain()).toMatchObject({ count: 5 });
    await sink.close();
  });

  it('chunks by bytes too, and never sends an empty chunk', () => {
    const item = (n: number) => ({ json: 'x'.repeat(n) });
    const sizes = [...chunks([item(40), item(40), item(40), item(200), item(10)], 10, 100)].map((c) =>
      c.map((i) => i.json.length),
    );
    expect(sizes).toEqual([[40, 40], [40], [200], [10]]);
    expect([...chunks([], 10, 100)]).toEqual([]);
  });

  it('maps 403 (unregistered) to auth, 400 (bad signature) to drop with the count, no service to retry', async () => {
    const sink = sinkFor(central.url);
    const stranger = carried(signedChain(testGateway('gw-unknown'), 2));
    expect(await sink.write(stranger)).toMatchObject({
      kind: 'auth',
      reason: expect.stringContaining('HTTP 403: {"error":"gateway gw-unknown is not registered'),
    });
    const forged = carried(signedChain({ ...testGateway('x'), id: gw.id }, 3));
    expect(await sink.write([data(T0), ...forged])).toMatchObject({ kind: 'drop', rejected: 3 });
    const unreadable = { ...(carried(items.slice(5, 6))[0] as StoredSample), value: '{not json' };
    expect(await sink.write([unreadable, ...carried(items.slice(5, 6))])).toEqual({
      kind: 'drop',
      reason: '1 attestation samples are not JSON',
      rejected: 1,
    });
    expect(await chain()).toMatchObject({ count: 6 });
    const port = await freePort();
    expect(await sinkFor(`http://127.0.0.1:${port}`).write(carried(items))).toEqual({
      kind: 'retry',
      reason: 'network: ECONNREFUSED',
    });
  });

  it('maps 429 to retry after the time the service asks for', async () => {
    const db = path.join(dir, 'limited.db');
    await databaseWithGateways(db, [gw]);
    const limited = await startPlatformServer({
      db,
      host: '127.0.0.1',
      port: 0,
      writeRate: { max: 1, windowMs: 60_000 },
    });
    try {
      const sink = sinkFor(limited.url);
      expect(await sink.write(carried(items.slice(0, 1)))).toEqual({ kind: 'ok' });
      const outcome = await sink.write(carried(items.slice(1, 2)));
      expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringContaining('HTTP 429') });
      expect((outcome as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(59_000);
    } finally {
      await limited.close();
    }
  });
});

const openssl = requireBinary('openssl', 'openssl');
const run = promisify(execFile);

describe.skipIf(!openssl.available)('central sink over HTTPS', () => {
  let tls: RunningPlatform;
  beforeAll(async () => {
    const bin = openssl.path as string;
    const file = (name: string) => path.join(dir, name);
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run(bin, [
      'req',
      '-x509',
      ...key,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
    ]);
    writeFileSync(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await run(bin, [
      'req',
      ...key,
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=central',
    ]);
    await run(bin, [
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.pem'),
      '-days',
      '1',
      '-extfile',
      file('san.ext'),
    ]);
    tls = await startPlatformServer({
      db: path.join(dir, 'central.db'),
      host: '127.0.0.1',
      port: 0,
      tls: { cert: file('server.pem'), key: file('server.key') },
    });
  });
  afterAll(async () => {
    await tls?.close();
  });

  it('trusts the private CA named by ca (relative to the config folder), and refuses the service without it', async () => {
    expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const trusted = sinkFor(tls.url, { ca: 'ca.pem' });
    expect(await trusted.write(carried(items.slice(6, 9)))).toEqual({ kind: 'ok' });
    await trusted.close();
    const untrusted = sinkFor(tls.url);
    expect(await untrusted.write(carried(items.slice(6, 9)))).toEqual({
      kind: 'retry',
      reason: 'network: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    await untrusted.close();
    expect(() => sinkFor(tls.url, { ca: 'missing.pem' })).toThrow(
      `sink "central": cannot read ca ${path.join(dir, 'missing.pem')}: ENOENT`,
    );
  });
});
