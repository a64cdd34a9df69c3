import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../core/log.ts';
import { ConditionLog } from './conditions.ts';

describe('condition log', () => {
  it('logs an episode once, each new reason within it once, and its end with the count', () => {
    const { logger, entries } = memoryLogger();
    const conditions = new ConditionLog(logger);
    const subject = { device: 'sink:influx' };
    for (let i = 0; i < 5; i++)
      conditions.raise(subject, 'write_failed', 'write failed', { reason: 'network: ECONNREFUSED' });
    for (let i = 0; i < 5; i++)
      conditions.raise(subject, 'write_failed', 'write failed', { reason: 'HTTP 404: database not found' });
    conditions.raise(subject, 'write_failed', 'write failed', { reason: 'network: ECONNREFUSED' });
    conditions.clear(subject, 'write_failed');
    expect(entries.map((e) => [e.msg, e.reason, e.occurrences])).toEqual([
      ['write failed', 'network: ECONNREFUSED', undefined],
      ['write failed (new reason)', 'HTTP 404: database not found', 6],
      ['write_failed cleared', undefined, 11],
    ]);
  });

  it('logs at most 20 distinct reasons in one episode', () => {
    const { logger, entries } = memoryLogger();
    const conditions = new ConditionLog(logger);
    for (let i = 0; i < 50; i++) conditions.raise({ device: 'd' }, 'bad', 'bad', { reason: `r${i}` });
    expect(entries).toHaveLength(20);
  });
});
