import { describe, expect, it } from 'vitest';
import type { Sample } from '../../core/model.ts';
import { DerivedEngine } from './engine.ts';
import { derivedSchema } from './schema.ts';

const t0 = Date.UTC(2026, 10, 2, 0, 0); // 08:00 Shanghai, the day shift starts
const good = (tag: string, value: Sample['value'], at: number): Sample => ({
  device: 'lathe-01',
  tag,
  value,
  quality: 'good',
  statusCode: 0,
  sourceTime: at,
  receivedAt: at,
});

function engine(start = t0) {
  let now = start;
  const out: Sample[] = [];
  const config = derivedSchema.parse({
    machineState: [
      {
        device: 'lathe-01',
        rules: [
          { state: 'fault', when: { tag: 'alarm', op: '==', value: true } },
          {
            state: 'running',
            when: {
              all: [
                { tag: 'spindle_speed', op: '>', value: 0 },
                { tag: 'alarm', op: '==', value: false },
              ],
            },
          },
        ],
        offlineAfter: '30s',
      },
    ],
    counters: [
      { device: 'lathe-01', tag: 'part_counter', output: 'parts_total', rollover: 65535 },
      { device: 'lathe-01', tag: 'scrap_counter', output: 'scrap_total', rollover: 65535 },
    ],
    oee: [
      {
        device: 'lathe-01',
        totalCount: 'parts_total',
        scrapCount: 'scrap_total',
        idealCycleTime: '30s',
        shifts: [
          { name: 'day', start: '08:00', end: '20:00' },
          { name: 'night', start: '20:00', end: '08:00' },
        ],
        every: '1m',
      },
    ],
  });
  const derived = new DerivedEngine(
    config,
    (s) => out.push(...s),
    () => now,
  );
  return { derived, out, setNow: (t: number) => (now = t) };
}

describe('derived data engine', () => {
  it('says whether it has rules (ingest copies samples for it only then)', () => {
    expect(engine().derived.hasRules).toBe(true);
    for (const rules of [{ machineState: [] }, {}]) {
      const none = new DerivedEngine(derivedSchema.parse(rules), () => undefined, Date.now);
      expect(none.hasRules).toBe(false);
    }
  });

  it('derives the state by the first rule that holds, and writes it only on change', () => {
    const { derived, out } = engine();
    derived.observe([good('spindle_speed', 1200, t0), good('alarm', false, t0)]);
    derived.observe([good('spindle_speed', 1210, t0 + 1000)]);
    derived.observe([good('alarm', true, t0 + 2000)]);
    derived.observe([{ ...good('alarm', false, t0 + 3000), quality: 'bad' }]); // bad: ignored
    expect(out.filter((s) => s.tag === 'machine_state').map((s) => [s.value, s.sourceTime])).toEqual([
      ['running', t0], // decided once on the whole first batch, never a passing 'idle'
      ['fault', t0 + 2000],
    ]);
  });

  it('goes offline when no good sample arrives for the configured time', () => {
    const { derived, out, setNow } = engine();
    derived.observe([good('spindle_speed', 1200, t0), good('alarm', false, t0)]);
    setNow(t0 + 29_000);
    derived.tick();
    expect(out.at(-1)?.value).toBe('running');
    setNow(t0 + 31_000);
    derived.tick();
    expect(out.filter((s) => s.tag === 'machine_state').at(-1)).toMatchObject({
      value: 'offline',
      sourceTime: t0 + 30_000,
    });
  });

  it('totals counters across a wrap and writes OEE figures for the shift', () => {
    const { derived, out, setNow } = engine();
    derived.observe([
      good('spindle_speed', 1200, t0),
      good('alarm', false, t0),
      good('part_counter', 65500, t0),
      good('scrap_counter', 0, t0),
    ]);
    // One hour of running: 120 parts (the counter wraps), 3 scrap; ideal 30 s/part → performance 1.
    derived.observe([
      good('part_counter', 84, t0 + 3_600_000),
      good('scrap_counter', 3, t0 + 3_600_000),
      good('spindle_speed', 1200, t0 + 3_600_000),
    ]);
    setNow(t0 + 3_600_000);
    derived.tick();
    const last = (tag: string) => out.filter((s) => s.tag === tag).at(-1)?.value;
    expect(last('parts_total')).toBe(120);
    expect(last('scrap_total')).toBe(3);
    expect(last('oee_availability')).toBe(1);
    expect(last('oee_performance')).toBe(1);
    expect(last('oee_quality')).toBe(117 / 120);
    expect(last('oee')).toBe(117 / 120);
    expect(derived.totals()).toEqual({ 'lathe-01\u0000parts_total': 120, 'lathe-01\u0000scrap_total': 3 });
  });

  it('counts at a shift start only the parts made in the shift: performance 75 %, not 150 %', () => {
    // Running since 07:50 at the ideal 30 s a part (parts at 07:59:58 and 08:00:28), read every 10 s.
    const { derived, out, setNow } = engine(t0 - 600_000);
    derived.observe([good('spindle_speed', 1200, t0 - 600_000), good('alarm', false, t0 - 600_000)]);
    derived.observe([good('part_counter', 1000, t0 - 5_000), good('scrap_counter', 0, t0 - 5_000)]);
    // 07:59:55 → 08:00:05: the part of 07:59:58 is the night shift's (half the interval is in the day shift: ⌊0.5⌋ = 0).
    derived.observe([good('part_counter', 1001, t0 + 5_000)]);
    derived.observe([good('part_counter', 1002, t0 + 35_000)]);
    setNow(t0 + 40_000);
    derived.tick();
    const last = (tag: string) => out.filter((s) => s.tag === tag).at(-1);
    expect(last('parts_total')?.value).toBe(2);
    // 40 s running in the shift, one part × 30 s.
    expect(last('oee_performance')).toMatchObject({ value: 0.75, sourceTime: t0 + 40_000 });
    expect(last('oee_availability')?.value).toBe(1);
    expect(last('oee_quality')?.value).toBe(1);
  });
});
