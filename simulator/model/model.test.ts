import { describe, expect, it } from 'vitest';
import { createClock, parseStart } from '../clock.ts';
import { aroundTheClock, getScenario } from '../plant/scenarios.ts';
import type { PlantDefinition } from '../plant/types.ts';
import { localDayOf, MINUTE_MS, plannedDay, type ShiftPattern, shiftStartOf } from './calendar.ts';
import { createPlant } from './plant.ts';

/** Local Shanghai time → ms. */
const at = (local: string) => Date.parse(`${local}+08:00`);
const plant = createPlant('yongkang-cups', 42);

describe('calendar (Asia/Shanghai)', () => {
  it('plans two shifts with breaks and the Sunday maintenance stop', () => {
    const monday = localDayOf(at('2025-03-17T12:00:00') / MINUTE_MS);
    const sunday = monday - 1;
    const local = (m: number) => new Date(m * MINUTE_MS + 8 * 3_600_000).toISOString().slice(11, 16);
    const show = (day: number, pattern: ShiftPattern) =>
      plannedDay(pattern, day).map((s) => `${local(s.start)}-${local(s.end)} ${s.kind}`);
    expect(show(monday, 'two-shift')).toEqual([
      '00:00-00:30 break',
      '00:30-12:00 work',
      '12:00-13:00 break',
      '13:00-00:00 work',
    ]);
    expect(show(sunday, 'two-shift')).toEqual([
      '00:00-00:30 break',
      '00:30-08:00 work',
      '08:00-16:00 maintenance',
      '16:00-20:00 off',
      '20:00-00:00 work',
    ]);
    expect(show(sunday, 'day-shift')).toEqual([
      '00:00-08:00 off',
      '08:00-16:00 maintenance',
      '16:00-00:00 off',
    ]);
    expect(show(sunday, 'continuous')).toEqual(['00:00-00:00 work']);
    expect(show(monday, 'continuous')).toEqual(['00:00-00:00 work']);
  });

  it('plans no stop for a plant worked around the clock', () => {
    const continuous = createPlant(aroundTheClock(getScenario('yongkang-cups')), 42);
    expect(continuous.definition.scenario).toBe('yongkang-cups-around-the-clock');
    const planned = new Set(['off', 'idle', 'maintenance']);
    // Every minute of a week (lunch, the night meal break, Sunday's maintenance and off time), every machine.
    const monday = at('2025-03-17T00:00:00');
    const stopped: string[] = [];
    for (const m of continuous.definition.machines)
      for (let t = monday - 86_400_000; t < monday + 6 * 86_400_000; t += MINUTE_MS)
        if (planned.has(continuous.stateAt(m.id, t))) stopped.push(`${m.id} ${new Date(t).toISOString()}`);
    expect(stopped).toEqual([]);
    expect(continuous.stateAt('lathe-01', at('2025-03-16T10:00:00'))).not.toBe('maintenance');
    // The original plant is untouched: lathe-01 still idles at lunch.
    expect(plant.stateAt('lathe-01', at('2025-03-17T12:30:00'))).toBe('idle');
  });

  it('finds the start of the current shift', () => {
    const start = (local: string) => new Date(shiftStartOf(at(local) / MINUTE_MS) * MINUTE_MS).toISOString();
    expect(start('2025-03-17T07:59:00')).toBe('2025-03-16T12:00:00.000Z'); // 20:00 the day before
    expect(start('2025-03-17T08:00:00')).toBe('2025-03-17T00:00:00.000Z');
    expect(start('2025-03-17T19:59:00')).toBe('2025-03-17T00:00:00.000Z');
    expect(start('2025-03-17T20:00:00')).toBe('2025-03-17T12:00:00.000Z');
  });
});

describe('machine states (seed 42)', () => {
  const state = (machine: string, local: string) => plant.stateAt(machine, at(local));

  it('runs in shift, idles at lunch, stops for the weekly maintenance', () => {
    expect(state('lathe-01', '2025-03-17T10:15:00')).toBe('running');
    expect(state('lathe-01', '2025-03-17T12:30:00')).toBe('idle');
    expect(state('lathe-01', '2025-03-16T10:00:00')).toBe('maintenance');
    expect(state('lathe-01', '2025-03-16T17:00:00')).toBe('off');
    expect(state('cutter-01', '2025-03-17T21:00:00')).toBe('off'); // day shift only
    expect(plant.valueAt('lathe-01', 'state', at('2025-03-17T12:30:00'))).toBe(1);
  });

  it('warms up after being off: moulding machines at 20:00 on Sunday, presses at 08:00', () => {
    expect(state('imm-01', '2025-03-16T20:05:00')).toBe('warmup');
    expect(state('imm-01', '2025-03-16T20:19:59')).toBe('warmup');
    expect(state('imm-01', '2025-03-16T20:20:00')).toBe('running');
    expect(state('press-01', '2025-03-17T08:14:00')).toBe('warmup');
    expect(state('press-01', '2025-03-17T08:15:00')).toBe('running');
  });

  it('has the unplanned stops this seed draws, with alarm code and text', () => {
    expect(state('lathe-04', '2025-03-17T01:36:59')).toBe('running');
    expect(state('lathe-04', '2025-03-17T01:37:00')).toBe('fault');
    expect(plant.valueAt('lathe-04', 'alarm_code', at('2025-03-17T02:00:00'))).toBe(1001);
    expect(plant.valueAt('lathe-04', 'alarm_text', at('2025-03-17T02:00:00'))).toBe(
      'Spindle overload 主轴过载',
    );
    expect(plant.valueAt('lathe-04', 'spindle_speed', at('2025-03-17T02:00:00'))).toBe(0);
    expect(state('lathe-04', '2025-03-17T02:36:00')).toBe('running');
    expect(plant.valueAt('lathe-04', 'alarm_code', at('2025-03-17T02:36:00'))).toBe(0);
    expect(state('lathe-04', '2025-03-17T08:55:00')).toBe('setup'); // a tool change
    expect(state('furnace-01', '2025-03-17T13:10:00')).toBe('starved'); // material shortage
  });

  it('lets older machines stop more often', () => {
    const stops = (machine: string) => {
      let count = 0;
      for (let day = 0; day < 28; day++) {
        const segments = plant.machine(machine).day(localDayOf(at('2025-03-03T12:00:00') / MINUTE_MS) + day);
        count += segments.filter(
          (s) => s.state === 'fault' || s.state === 'setup' || s.state === 'starved',
        ).length;
      }
      return count;
    };
    expect(stops('lathe-04')).toBeGreaterThan(stops('lathe-01') * 1.5); // 14 years old vs 2
  });
});

describe('counters', () => {
  it('count parts as whole cycles of running time, checked minute by minute over a day', () => {
    const lathe = plant.machine('lathe-04');
    const from = at('2025-03-17T00:00:00');
    let runningMinutes = 0;
    let energy = 0;
    for (let t = from; t < from + 1440 * MINUTE_MS; t += MINUTE_MS) {
      if (lathe.stateAt(t) === 'running') runningMinutes++;
      energy += lathe.powerKw(t) / 60;
    }
    const to = from + 1440 * MINUTE_MS;
    expect(lathe.runningMs(to) - lathe.runningMs(from)).toBe(runningMinutes * MINUTE_MS);
    expect(lathe.energyKwh(to) - lathe.energyKwh(from)).toBeCloseTo(energy, 9);
    expect(lathe.parts(to)).toBe(Math.floor(lathe.runningMs(to) / 40_000));
  });

  it('roll over from 65535 to 0 (16-bit part counter of lathe-01)', () => {
    const raw = (t: number) => plant.signalAt({ source: 'lathe-01', signal: 'parts' }, t) as number;
    // Find the first second at which the raw count reaches the next multiple of 65536.
    let lo = at('2025-03-17T00:00:00');
    const target = (Math.floor(raw(lo) / 65536) + 1) * 65536;
    let hi = lo + 30 * 86_400_000;
    expect(raw(hi)).toBeGreaterThanOrEqual(target);
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (raw(mid) >= target) hi = mid;
      else lo = mid;
    }
    expect(plant.valueAt('lathe-01', 'part_count', lo)).toBe(65535);
    expect(plant.valueAt('lathe-01', 'part_count', hi)).toBe(0);
    expect(plant.valueAt('lathe-01', 'part_count', hi + 45_000)).toBe(1); // one 45 s cycle later
  });

  it('reset at shift start on the older lathe controllers', () => {
    const count = (local: string) => plant.valueAt('lathe-03', 'part_count', at(local));
    const raw = (local: string) =>
      plant.signalAt({ source: 'lathe-03', signal: 'parts' }, at(local)) as number;
    expect(count('2025-03-17T08:00:00')).toBe(0);
    expect(count('2025-03-17T10:00:00')).toBe(raw('2025-03-17T10:00:00') - raw('2025-03-17T08:00:00'));
    expect(count('2025-03-17T19:59:59')).toBeGreaterThan(300);
    expect(count('2025-03-17T20:00:00')).toBe(0);
    // lathe-01's controller does not reset: its counter is the running total modulo 2^16.
    const total = plant.signalAt(
      { source: 'lathe-01', signal: 'parts' },
      at('2025-03-17T08:00:00'),
    ) as number;
    expect(total).toBeGreaterThan(65536);
    expect(plant.valueAt('lathe-01', 'part_count', at('2025-03-17T08:00:00'))).toBe(total % 65536);
  });

  it('keep scrap between 1% and 4% of parts', () => {
    const t = at('2025-03-22T19:00:00'); // Saturday: the highest share of the week
    for (const id of ['welder-01', 'imm-03', 'lathe-02']) {
      const m = plant.machine(id);
      const share = m.scrap(t) / m.parts(t);
      expect(share).toBeGreaterThan(0.01);
      expect(share).toBeLessThan(0.04);
    }
    const day = localDayOf(t / MINUTE_MS);
    expect(plant.machine('welder-01').scrapShare(day)).toBeCloseTo(0.04, 12);
    expect(plant.machine('welder-01').scrapShare(day - 6)).toBeCloseTo(0.015, 12); // Sunday, maintenance day
  });
});

describe('temperatures and power', () => {
  it('heat the barrel as a first-order response after the weekend stop', () => {
    const t = at('2025-03-16T20:05:00');
    // Off since 08:00: cooled to ambient (25 °C); heaters on at 20:00 towards 230 °C with τ = 12 min.
    expect(plant.valueAt('imm-01', 'barrel_temperature', t)).toBeCloseTo(230 - 205 * Math.exp(-5 / 12), 9);
    expect(plant.valueAt('imm-01', 'barrel_temperature', at('2025-03-17T11:00:00'))).toBeCloseTo(230, 9);
  });

  it('draws the most furnace power during ramp-up, base load when idle', () => {
    expect(plant.valueAt('furnace-01', 'power_kw', at('2025-03-16T20:10:00'))).toBe(180); // warm-up
    expect(plant.valueAt('furnace-01', 'power_kw', at('2025-03-17T12:30:00'))).toBe(25); // lunch
    expect(plant.valueAt('furnace-01', 'power_kw', at('2025-03-16T10:00:00'))).toBe(0.5); // maintenance
  });

  it('sums the machines of a meter', () => {
    const t = at('2025-03-17T10:00:00');
    const furnaces = ['furnace-01', 'furnace-02'].reduce((s, id) => s + plant.machine(id).powerKw(t), 2);
    expect(plant.signalAt({ source: 'meter-furnace', signal: 'power_kw' }, t)).toBe(furnaces);
    expect(plant.valueAt('meter-furnace', 'power_kw', t)).toBe(Math.round(furnaces / 0.001) * 0.001);
  });
});

describe('determinism and time', () => {
  const t = at('2025-03-17T10:00:00');
  it('gives the same values for the same seed and different ones for another seed', () => {
    expect(createPlant('yongkang-cups', 42).snapshot(t)).toEqual(plant.snapshot(t));
    const other = createPlant('yongkang-cups', 43);
    expect(other.snapshot(t)).not.toEqual(plant.snapshot(t));
    const day = localDayOf(t / MINUTE_MS);
    expect(other.machine('lathe-04').day(day)).not.toEqual(plant.machine('lathe-04').day(day));
  });

  it('scales simulated time by the speed, and freezes it at speed 0', () => {
    let real = 1_000_000;
    const clock = createClock(t, 60, () => real);
    real += 1500;
    expect(clock.now()).toBe(t + 90_000);
    const frozen = createClock(t, 0, () => real);
    real += 10_000;
    expect(frozen.now()).toBe(t);
    expect(() => createClock(t, -1)).toThrow('speed must be a number ≥ 0');
    expect(parseStart('2025-03-17T10:00:00+08:00')).toBe(t);
    expect(() => parseStart('2025-03-17T10:00:00')).toThrow('needs a zone');
  });

  it('refuses times before the plant epoch and bad seeds', () => {
    expect(() => plant.valueAt('lathe-01', 'part_count', at('2023-12-31T23:00:00'))).toThrow(
      'before the plant epoch',
    );
    expect(() => createPlant('yongkang-cups', -1)).toThrow('seed must be an integer');
    expect(() => createPlant('nope', 1)).toThrow("unknown scenario 'nope'");
  });
});

describe('scenarios', () => {
  it('networks 16 of 20 production machines after renovation and 4 before', () => {
    const networked = (name: string) => getScenario(name).devices.filter((d) => d.production).length;
    expect(getScenario('yongkang-cups').machines).toHaveLength(20);
    expect(networked('yongkang-cups')).toBe(16);
    expect(networked('yongkang-cups-before')).toBe(4);
  });

  it('computes every tag of every device', () => {
    const snapshot = plant.snapshot(at('2025-03-17T10:00:00'));
    const tags = plant.devices.reduce((n, d) => n + d.tags.length, 0);
    expect(Object.values(snapshot).reduce((n, values) => n + Object.keys(values).length, 0)).toBe(tags);
  });

  it('rejects a plant whose tags share a register', () => {
    const base = getScenario('yongkang-cups');
    const clash: PlantDefinition = {
      ...base,
      devices: base.devices.map((d) =>
        d.id === 'press-02'
          ? {
              ...d,
              endpoint: { protocol: 'modbus', unitId: 21 },
              tags: d.tags.map((t) => ({ ...t, address: { ...t.address, unitId: 21 } as typeof t.address })),
            }
          : d,
      ),
    };
    expect(() => createPlant(clash, 1)).toThrow(/press-01.* and press-02.*both use|both use Modbus unit 21/);
  });
});
