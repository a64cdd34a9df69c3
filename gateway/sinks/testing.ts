/** Test helper (not shipped behaviour): stored samples as the gateway's tests write them. */
import type { StoredSample } from './sink.ts';

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
