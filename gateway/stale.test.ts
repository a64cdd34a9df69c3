import { describe, expect, it } from 'vitest';
import { type Sample, STATUS_NO_COMMUNICATION } from '../core/model.ts';
import { StaleMarker } from './stale.ts';

const reading = (
  device: string,
  tag: string,
  value: number,
  sourceTime: number,
  quality: Sample['quality'] = 'good',
): Sample => ({
  device,
  tag,
  value,
  quality,
  statusCode: quality === 'good' ? 0 : 0x80000000,
  sourceTime,
  receivedAt: sourceTime,
});

describe('stale marker', () => {
  it("marks each tag's last good value bad once when the link is lost, and good again on the next reading", () => {
    const delivered: Sample[] = [];
    let now = 5000;
    const marker = new StaleMarker(
      (s) => delivered.push(...s),
      () => now,
    );
    marker.accept([
      reading('oven', 'temp', 180, 1000),
      reading('oven', 'door', 0, 1000),
      reading('press', 'count', 7, 1000),
    ]);
    marker.accept([reading('oven', 'temp', 181, 2000), reading('oven', 'door', 1, 2000, 'bad')]);
    delivered.length = 0;
    marker.linkLost(['oven']);
    marker.linkLost(['oven']); // the reconnect fails again: nothing more
    expect(delivered).toEqual([
      {
        device: 'oven',
        tag: 'temp',
        value: 181,
        quality: 'bad',
        statusCode: STATUS_NO_COMMUNICATION,
        sourceTime: 5000,
        receivedAt: 5000,
      },
      {
        device: 'oven',
        tag: 'door',
        value: 0,
        quality: 'bad',
        statusCode: STATUS_NO_COMMUNICATION,
        sourceTime: 5000,
        receivedAt: 5000,
      },
    ]);
    delivered.length = 0;
    marker.accept([reading('oven', 'temp', 182, 6000)]); // back: fresh and good
    now = 7000;
    marker.linkLost(['oven', 'press']);
    expect(delivered.map((s) => [s.device, s.tag, s.value, s.quality, s.sourceTime])).toEqual([
      ['oven', 'temp', 182, 'good', 6000],
      ['oven', 'temp', 182, 'bad', 7000],
      ['press', 'count', 7, 'bad', 7000],
    ]);
  });
});
