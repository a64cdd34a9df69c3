// The InfluxDB sink's two APIs against another real peer: VictoriaMetrics takes line protocol on the
// v1 /write and the v2 /api/v2/write (with a token) endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startVictoriaMetrics,
  type VictoriaMetrics,
  victoriaBinary,
} from '../../../test/services/victoriametrics.ts';
import type { StoredSample } from '../sink.ts';
import { influxSinkSchema } from './schema.ts';
import { InfluxSink } from './sink.ts';

// VictoriaMetrics drops points older than its retention (a month by default): use recent times.
const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const batch = (device: string): StoredSample[] => [
  {
    device,
    tag: 'speed',
    type: 'number',
    value: 1234.5,
    quality: 'good',
    statusCode: 0,
    sourceTime: t0,
    receivedAt: t0 + 7,
  },
  {
    device,
    tag: 'parts',
    type: 'integer',
    value: 65535,
    quality: 'good',
    statusCode: 0,
    sourceTime: t0,
    receivedAt: t0 + 7,
  },
  {
    device,
    tag: 'alarm',
    type: 'boolean',
    value: true,
    quality: 'bad',
    statusCode: 2,
    sourceTime: t0,
    receivedAt: t0 + 7,
  },
];

describe.skipIf(!victoriaBinary.available)('InfluxDB sink against VictoriaMetrics', () => {
  let vm: VictoriaMetrics;
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it.each([
    ['v1 /write', { version: 1, database: 'plant', createDatabase: false }, 'press-v1'],
    [
      'v2 /api/v2/write with a token',
      { version: 2, org: 'yk', bucket: 'plant', token: 's3cret' },
      'press-v2',
    ],
  ])('writes every number type through %s, gzip on', async (_name, api, device) => {
    const sink = new InfluxSink(
      influxSinkSchema.parse({ name: 'vm', type: 'influxdb', url: vm.url, gzip: true, ...api }),
      'gw-01',
    );
    expect(await sink.write(batch(device))).toEqual({ kind: 'ok' });
    const series = await vm.exportSeries(`{device="${device}"}`);
    const byName = Object.fromEntries(
      series.map((s) => [
        `${s.metric.__name__}/${s.metric.tag_id}`,
        [s.values, s.timestamps, s.metric.quality],
      ]),
    );
    expect(byName).toEqual({
      'samples_value/speed': [[1234.5], [t0], 'good'],
      'samples_value_int/parts': [[65535], [t0], 'good'],
      'samples_value_bool/alarm': [[1], [t0], 'bad'],
      'samples_status/alarm': [[2], [t0], 'bad'],
      'samples_received/speed': [[t0 + 7], [t0], 'good'],
      'samples_received/parts': [[t0 + 7], [t0], 'good'],
      'samples_received/alarm': [[t0 + 7], [t0], 'bad'],
    });
  });
});
