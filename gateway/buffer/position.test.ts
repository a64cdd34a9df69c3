import { describe, expect, it } from 'vitest';
import { ReaderPosition } from './position.ts';

describe('reader position', () => {
  it('keeps out-of-order acknowledgements as ranges and merges them when the gap closes', () => {
    const p = new ReaderPosition(0);
    expect(p.ack(10, 20)).toBe(true);
    expect(p.ack(30, 40)).toBe(true);
    expect(p.ack(20, 25)).toBe(true);
    expect([p.next, p.ranges]).toEqual([
      0,
      [
        [10, 25],
        [30, 40],
      ],
    ]);
    expect(p.gapEnd).toBe(10);
    expect(p.isAcked(24)).toBe(true);
    expect(p.isAcked(25)).toBe(false);
    expect(p.ack(0, 10)).toBe(true);
    expect([p.next, p.ranges]).toEqual([25, [[30, 40]]]);
    expect(p.ack(25, 30)).toBe(true);
    expect([p.next, p.ranges]).toEqual([40, []]);
    expect(p.ack(5, 40)).toBe(false);
  });

  it('survives a round trip through its file form', () => {
    const p = new ReaderPosition(3, []);
    p.ack(7, 9);
    expect(ReaderPosition.parse(p.serialize())).toEqual(p);
  });

  it('advances past records that no longer exist, absorbing ranges it reaches', () => {
    const p = new ReaderPosition(0);
    p.ack(5, 8);
    p.ack(12, 14);
    p.advanceTo(6);
    expect([p.next, p.ranges]).toEqual([8, [[12, 14]]]);
  });
});
