/**
 * Test helper (not shipped behaviour): stored samples as the gateway's tests write them, and an
 * InfluxDB 1.x database to write them to and read them from.
 */
import { InfluxReader } from './influxdb/reader.ts';
import { influxSinkSchema } from './influxdb/schema.ts';
import { InfluxSink } from './influxdb/sink.ts';
import type { StoredSample } from './sink.ts';

/** The sink (database created) and the reader of `database` on the InfluxDB 1.x at `url`, as gateway `gw-01`. */
export async function influxV1Store(
  url: string,
  database: string,
): Promise<{ sink: InfluxSink; reader: InfluxReader }> {
  const sink = new InfluxSink(
    influxSinkSchema.parse({ name: 'influx', type: 'influxdb', version: 1, url, database }),
    'gw-01',
  );
  await sink.prepare();
  return { sink, reader: new InfluxReader({ url, database }) };
}

/** A good sample (status 0) of `type`, taken at `sourceTime` and received `delayMs` later. */
export function goodSample(
  device: string,
  tag: string,
  type: StoredSample['type'],
  value: StoredSample['value'],
  sourceTime: number,
  delayMs = 0,
): StoredSample {
  return {
    device,
    tag,
    type,
    value,
    quality: 'good',
    statusCode: 0,
    sourceTime,
    receivedAt: sourceTime + delayMs,
  };
}
