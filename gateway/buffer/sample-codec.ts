/**
 * The payload of buffer records before version 2 (magic SHG1): compact JSON with the (device, tag,
 * type) keys listed once per record, and times as offsets from the first source time. Read so that a
 * gateway upgraded with a backlog sends it; written only by tests that make such a buffer.
 */
import { type DataType, nonFiniteText, type Quality } from '../../core/model.ts';
import type { StoredSample } from '../sinks/sink.ts';

const QUALITY: Quality[] = ['good', 'uncertain', 'bad'];
const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

interface Encoded {
  /** Keys: [device, tag, type]. */
  k: [string, string, DataType][];
  /** Base time (ms): the first sample's source time. */
  t: number;
  /** Rows: [key index, value, quality code, status code, source − base, received − source]. */
  r: [number, StoredSample['value'], number, number, number, number][];
}

export function encodeSamples(samples: readonly StoredSample[]): Buffer {
  const keys = new Map<string, number>();
  const encoded: Encoded = { k: [], t: samples[0]?.sourceTime ?? 0, r: [] };
  for (const s of samples) {
    const id = `${s.device}\u0000${s.tag}\u0000${s.type}`;
    let index = keys.get(id);
    if (index === undefined) {
      index = encoded.k.length;
      keys.set(id, index);
      encoded.k.push([s.device, s.tag, s.type]);
    }
    encoded.r.push([
      index,
      // JSON has no NaN or Infinity: they travel as text and are read back as numbers.
      nonFiniteText(s.value) ?? s.value,
      QUALITY_CODE[s.quality],
      s.statusCode,
      s.sourceTime - encoded.t,
      s.receivedAt - s.sourceTime,
    ]);
  }
  return Buffer.from(JSON.stringify(encoded));
}

export function decodeSamples(payload: Uint8Array): StoredSample[] {
  const encoded = JSON.parse(
    Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'),
  ) as Encoded;
  return encoded.r.map(([index, value, quality, statusCode, sourceOffset, receivedOffset]) => {
    const [device, tag, type] = encoded.k[index] as [string, string, DataType];
    const sourceTime = encoded.t + sourceOffset;
    return {
      device,
      tag,
      type,
      value: (type === 'number' || type === 'integer') && typeof value === 'string' ? Number(value) : value,
      quality: QUALITY[quality] ?? 'bad',
      statusCode,
      sourceTime,
      receivedAt: sourceTime + receivedOffset,
    };
  });
}
