// The VictoriaMetrics sink and reader against a real VictoriaMetrics: every value type and every
// awkward text comes back exactly as written, a batch written twice reads as one, reads are scoped
// to a gateway, attestations are not written, and text too long for a label is refused and counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startVictoriaMetrics,
  type VictoriaMetrics,
  victoriaBinary,
} from '../../../test/services/victoriametrics.ts';
import { ATTESTATION_DEVICE, ATTESTATION_TAG } from '../../attest/attestation.ts';
import type { GatewayConfig } from '../../config/schema.ts';
import { checkSinks, retentionDays } from '../../doctor/sinks.ts';
import type { StoredSample } from '../sink.ts';
import { MAX_TEXT_BYTES } from './encoding.ts';
import { VictoriaReader } from './reader.ts';
import { victoriaSinkSchema } from './schema.ts';
import { VictoriaSink } from './sink.ts';

// Recent times: VictoriaMetrics drops points outside its retention.
const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
let n = 0;
const sample = (
  tag: string,
  type: StoredSample['type'],
  value: StoredSample['value'],
  extra: Partial<StoredSample> = {},
) =>
  ({
    device: 'press-1',
    tag,
    type,
    value,
    quality: 'good',
    statusCode: 0,
    sourceTime: t0 + 1000 * n++,
    receivedAt: t0 + 1000 * n + 7,
    ...extra,
  }) as StoredSample;

const TEXTS = [
  'running',
  'line\nbreak',
  'carriage\rreturn',
  'tab\there',
  'say "hi"',
  'back\\slash',
  '😀 emoji',
  '𠀀𪚥 CJK',
  '模具温度',
  '',
];
const SAMPLES: StoredSample[] = [
  sample('temp', 'number', 23.47),
  sample('temp', 'number', 0.1 + 0.2),
  sample('temp', 'number', 5e-324),
  sample('temp', 'number', -1.5e300),
  sample('temp', 'number', 1 / 3),
  sample('temp', 'number', Math.fround(23.47)),
  sample('temp', 'number', 123_456_789.123),
  sample('temp', 'number', 0.000123456789),
  sample('temp', 'number', 1.7976931348623157e308),
  sample('count', 'integer', 9_007_199_254_740_991),
  sample('count', 'integer', -42),
  sample('on', 'boolean', true),
  sample('on', 'boolean', false),
  ...TEXTS.map((text) => sample('state', 'string', text)),
  sample('temp', 'number', Number.NaN, { quality: 'bad', statusCode: 2_150_694_912 }),
  sample('temp', 'number', Number.POSITIVE_INFINITY, { quality: 'bad', statusCode: 1 }),
  sample('temp', 'number', Number.NEGATIVE_INFINITY, { quality: 'uncertain', statusCode: 3 }),
  sample('count', 'integer', 7, { quality: 'uncertain', statusCode: 1_083_310_080 }),
];

const byTime = (a: StoredSample, b: StoredSample) => a.sourceTime - b.sourceTime;

describe.skipIf(!victoriaBinary.available)('VictoriaMetrics sink and reader', () => {
  let vm: VictoriaMetrics;
  const sinkOf = (gateway: string, extra: { gzip?: boolean } = {}) =>
    new VictoriaSink(
      victoriaSinkSchema.parse({ name: 'vm', type: 'victoriametrics', url: vm.url, ...extra }),
      gateway,
    );
  const window = { from: t0 - 1000, to: t0 + 3_600_000 };
  const flush = () => fetch(`${vm.url}/internal/force_flush`);

  beforeAll(async () => {
    vm = await startVictoriaMetrics(['-retentionPeriod=10y']);
  }, 60_000);
  afterAll(async () => {
    await vm?.stop();
  });

  it('reads back every type and text exactly, once, though the batch was written twice', async () => {
    // Once gzipped, once as it is (the default for a store on loopback, gzip.ts).
    expect(await sinkOf('gw-a', { gzip: true }).write(SAMPLES)).toEqual({ kind: 'ok' });
    expect(await sinkOf('gw-a').write(SAMPLES)).toEqual({ kind: 'ok' });
    await flush();
    const reader = new VictoriaReader({ url: vm.url, gateway: 'gw-a' });
    const read: StoredSample[] = [];
    for await (const s of reader.samples(window)) read.push(s);
    expect(read).toEqual([...SAMPLES].sort(byTime));
    expect(Object.is(read.find((s) => s.statusCode === 2_150_694_912)?.value, Number.NaN)).toBe(true);

    const summary = await reader.summarize(window);
    const span = (tag: string) => {
      const times = SAMPLES.filter((s) => s.tag === tag).map((s) => s.sourceTime);
      return [Math.min(...times), Math.max(...times)];
    };
    expect(summary.map((s) => [s.device, s.tag, s.counts, s.first, s.last])).toEqual([
      ['press-1', 'count', { good: 2, uncertain: 1, bad: 0 }, ...span('count')],
      ['press-1', 'on', { good: 2, uncertain: 0, bad: 0 }, ...span('on')],
      ['press-1', 'state', { good: TEXTS.length, uncertain: 0, bad: 0 }, ...span('state')],
      ['press-1', 'temp', { good: 9, uncertain: 1, bad: 2 }, ...span('temp')],
    ]);
    // One device, one tag, a part of the window: only those points.
    const one: StoredSample[] = [];
    for await (const s of reader.samples({ ...window, device: 'press-1', tag: 'on' })) one.push(s);
    expect(one.map((s) => s.value)).toEqual([true, false]);
  });

  it("reads one gateway's points only, and writes no attestation", async () => {
    const other = sample('temp', 'number', 99.5, { device: 'press-9' });
    const attestation = sample(ATTESTATION_TAG, 'string', '{"seq":1}', { device: ATTESTATION_DEVICE });
    expect(await sinkOf('gw-b').write([other, attestation])).toEqual({ kind: 'ok' });
    await flush();
    const a: StoredSample[] = [];
    for await (const s of new VictoriaReader({ url: vm.url, gateway: 'gw-a' }).samples(window)) a.push(s);
    expect(a.some((s) => s.device === 'press-9')).toBe(false);
    const b: StoredSample[] = [];
    for await (const s of new VictoriaReader({ url: vm.url, gateway: 'gw-b' }).samples(window)) b.push(s);
    expect(b).toEqual([other]);
    expect(await vm.exportSeries(`{device="${ATTESTATION_DEVICE}"}`)).toEqual([]);
  });

  it('refuses text longer than a label may be, counted, and stores the rest of the batch', async () => {
    const long = sample('note', 'string', 'x'.repeat(MAX_TEXT_BYTES + 1), { device: 'press-7' });
    const fits = sample('note', 'string', 'y'.repeat(MAX_TEXT_BYTES), { device: 'press-7' });
    const outcome = await sinkOf('gw-c').write([long, fits]);
    expect(outcome).toMatchObject({ kind: 'drop', rejected: 1 });
    await flush();
    const read: StoredSample[] = [];
    for await (const s of new VictoriaReader({ url: vm.url, gateway: 'gw-c' }).samples(window)) read.push(s);
    expect(read).toEqual([fits]);
  });

  it('answers a store that is down with a retry, and a wrong path with a drop naming the answer', async () => {
    const down = new VictoriaSink(
      victoriaSinkSchema.parse({
        name: 'vm',
        type: 'victoriametrics',
        url: 'http://127.0.0.1:9',
        timeoutMs: 2000,
      }),
      'gw-a',
    );
    expect(await down.write(SAMPLES.slice(0, 1))).toMatchObject({ kind: 'retry' });
    const reader = new VictoriaReader({ url: `${vm.url}/nowhere`, gateway: 'gw-a' });
    await expect(reader.summarize(window)).rejects.toThrow(/VictoriaMetrics export failed: HTTP 400/);
  });

  it('is checked by shugai doctor: the import path answers, and the retention is long enough', async () => {
    const config = (url: string) =>
      ({
        file: '/nonexistent/plant.yaml',
        sinks: [victoriaSinkSchema.parse({ name: 'vm', type: 'victoriametrics', url })],
      }) as unknown as GatewayConfig;
    expect(await checkSinks(config(vm.url), '/nonexistent', 5000)).toEqual([
      {
        status: 'ok',
        check: 'sink vm',
        finding: `VictoriaMetrics at ${vm.url} takes imports, retention 10y`,
      },
    ]);
    const [down] = await checkSinks(config('http://127.0.0.1:9'), '/nonexistent', 2000);
    expect(down).toMatchObject({ status: 'fail', check: 'sink vm' });
    expect(down?.finding).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:9: /);
    // Without a suffix the period is in months (VictoriaMetrics' default is 1: a month).
    expect(['1', '6', '3y', '400d', '52w', '12h', 'x'].map(retentionDays)).toEqual([
      31,
      186,
      1095,
      400,
      364,
      0.5,
      undefined,
    ]);
  });
});
