// Plausibility flags: each rule catches its fabrication and leaves alone the genuine data that
// looks like it (settled controllers, idle machines, settings, states, counters, energy totals).
import { describe, expect, it } from 'vitest';
import type { StoredSample } from '../sinks/sink.ts';
import { goodSample } from '../sinks/testing.ts';
import type { TimeWindow } from '../store/reader.ts';
import { OfflineWatch, offlinePeriods, SignalWatch, type TagCatalog, tagCatalog } from './plausibility.ts';

const T0 = Date.UTC(2026, 0, 6, 0);
const MIN = 60_000;
const H = 60 * MIN;
const WINDOW = { from: T0, to: T0 + 8 * H };
const STEP = 10_000;

/** Noise in [-1, 1), the same for the same i (a hash, so no pattern repeats). */
function noise(i: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 31 - 1;
}

/** A series sampled every 10 s over the window: value(t) for each time. */
function series(
  device: string,
  tag: string,
  value: (t: number, i: number) => number,
  type: StoredSample['type'] = 'number',
  window: TimeWindow = WINDOW,
): StoredSample[] {
  const out: StoredSample[] = [];
  for (let t = window.from, i = 0; t < window.to; t += STEP, i++)
    out.push(goodSample(device, tag, type, value(t, i), t));
  return out;
}

/** A part counter that rises every 30 s: the machine produces all along. */
const parts = (device: string) =>
  series(device, 'part_count', (t) => Math.floor((t - T0) / 30_000), 'integer');
/** A measured temperature: 180 °C with a tenth of noise, new each minute. */
const temperature = (t: number) => Math.round((180 + noise(Math.floor(t / MIN))) * 100) / 100;

async function flagsOf(
  samples: StoredSample[],
  options: { catalog?: TagCatalog; history?: StoredSample[]; window?: TimeWindow } = {},
) {
  const watch = new SignalWatch({
    window: options.window ?? WINDOW,
    ...(options.catalog ? { catalog: options.catalog } : {}),
  });
  for (const s of [...samples].sort((a, b) => a.sourceTime - b.sourceTime)) watch.add(s);
  const flags = await watch.flags(async function* (device, tag, range) {
    for (const s of options.history ?? [])
      if (s.device === device && s.tag === tag && s.sourceTime >= range.from && s.sourceTime < range.to)
        yield s;
  });
  return flags.map((f) => [f.kind, `${f.device}/${f.tag}`, f.message]);
}

describe('constant', () => {
  it('flags a temperature held at exactly 182.0 for hours while the machine runs', async () => {
    const held = (t: number) => (t >= T0 + 2 * H && t < T0 + 5 * H ? 182 : temperature(t));
    expect(await flagsOf([...parts('imm-01'), ...series('imm-01', 'barrel_temp', held)])).toEqual([
      [
        'constant',
        'imm-01/barrel_temp',
        'imm-01/barrel_temp: held exactly 182 for 3 h (2026-01-06T02:00:00.000Z – 2026-01-06T05:00:00.000Z) while the machine produced, after varying before',
      ],
    ]);
  });

  it('leaves alone a controller settled on its setpoint, an idle machine, a setting and a state', async () => {
    // A first-order approach to 230 °C: the value creeps onto it and stays.
    const settling = (t: number) => 230 - 205 * Math.exp(-(t - T0) / (12 * MIN));
    // Quantized to a tenth, as an int16 × 0.1 register: the last steps are single tenths.
    const quantized = (t: number) => Math.round((48 - 8 * Math.exp(-(t - T0) / (25 * MIN))) * 10) / 10;
    const samples = [
      ...parts('imm-01'),
      ...series('imm-01', 'barrel_temp', settling),
      ...series('imm-01', 'oil_temp', quantized),
      // A feed override of a few settings, held for hours.
      ...series('imm-01', 'feed_override', (t) => (t < T0 + H ? 90 : 100)),
      ...series('imm-01', 'state', () => 3, 'integer'),
      // A furnace off: its temperature held at ambient, but it makes nothing.
      ...series('furnace-01', 'chamber_temp', (t) => (t < T0 + H ? temperature(t) - 150 : 25)),
      ...series('furnace-01', 'batch', () => 4711, 'integer'),
    ];
    expect(await flagsOf(samples)).toEqual([]);
  });

  it('follows a series constant from the window start back into the store: settled, jumped, or new', async () => {
    const window = { from: T0 + 4 * H, to: T0 + 8 * H };
    const now = [...parts('lathe-01').filter((s) => s.sourceTime >= window.from)];
    const held = series('lathe-01', 'spindle_temperature', () => 46, 'number', window);
    const before = { from: T0, to: window.from };
    // It crept onto 46 before the window: a settled value.
    const settled = series(
      'lathe-01',
      'spindle_temperature',
      (t) => 46 - 20 * Math.exp(-(t - T0) / (15 * MIN)),
      'number',
      before,
    );
    expect(await flagsOf([...now, ...held], { window, history: settled })).toEqual([]);
    // It varied, then jumped to 46 an hour before the window.
    const jumped = series(
      'lathe-01',
      'spindle_temperature',
      (t) => (t < T0 + 3 * H ? temperature(t) - 140 : 46),
      'number',
      before,
    );
    expect(await flagsOf([...now, ...held], { window, history: jumped })).toEqual([
      [
        'constant',
        'lathe-01/spindle_temperature',
        'lathe-01/spindle_temperature: held exactly 46 for 5 h (2026-01-06T03:00:00.000Z – 2026-01-06T07:59:50.000Z) while the machine produced, after varying before',
      ],
    ]);
    // Nothing before: a series that was 46 from its first sample, named as a measured value.
    expect(await flagsOf([...now, ...held], { window })).toEqual([
      [
        'constant',
        'lathe-01/spindle_temperature',
        'lathe-01/spindle_temperature: exactly 46 from its first sample on, for 4 h (2026-01-06T04:00:00.000Z – 2026-01-06T07:59:50.000Z), while the machine produced',
      ],
    ]);
    // The config's unit says what it is, whatever the name.
    const facts: TagCatalog = new Map([['lathe-01\u0000x7', { unit: 'degC' }]]);
    const x7 = held.map((s) => ({ ...s, tag: 'x7' }));
    expect((await flagsOf([...now, ...x7], { window, catalog: facts })).map((f) => f[0])).toEqual([
      'constant',
    ]);
    expect(await flagsOf([...now, ...x7], { window })).toEqual([]);
  });
});

describe('periodic', () => {
  it('flags a recording played again in a loop, not a program of long steps, a quantized ladder or noise', async () => {
    // 20 minutes of a varying signal recorded, then played over and over from 03:00.
    const recorded = (t: number) =>
      temperature(t < T0 + 3 * H ? t : T0 + 2 * H + 40 * MIN + ((t - T0 - 3 * H) % (20 * MIN)));
    // A furnace's batch program: the same four power steps of 15–45 minutes, over and over.
    const steps = [20, 180, 75, 12];
    const program = (t: number) => steps[Math.floor((t - T0) / (30 * MIN)) % 4] as number;
    // A tenth-quantized oil temperature heating up and cooling down the same way every 90 minutes:
    // the same ladder of values each time.
    const ladder = (t: number) => {
      const into = (t - T0) % (90 * MIN);
      const curve =
        into < 45 * MIN
          ? 48 - 8 * Math.exp(-into / (10 * MIN))
          : 40 + 8 * Math.exp(-(into - 45 * MIN) / (10 * MIN));
      return Math.round(curve * 10) / 10;
    };
    // A current flickering between two levels of its register (a, b, a, b… in changes), its load
    // stepping every two hours.
    const flicker = (t: number) =>
      16.8 + Math.floor((t - T0) / (2 * H)) * 0.5 + (noise(Math.floor(t / MIN)) > 0 ? 0.1 : 0);
    const samples = [
      ...series('env-01', 'temperature', recorded),
      ...series('meter-02', 'power_kw', program),
      ...series('meter-03', 'power_kw', temperature),
      ...series('press-01', 'oil_temp', ladder),
      ...series('meter-04', 'current_a', flicker),
    ];
    expect(await flagsOf(samples)).toEqual([
      [
        'periodic',
        'env-01/temperature',
        'env-01/temperature: from 2026-01-06T03:00:00.000Z – 2026-01-06T07:57:00.000Z (297 min) every value repeats, in order, a sequence it had sent before: a recording played again?',
      ],
    ]);
  });
});

describe('ramp', () => {
  it('flags a value rising at an exactly constant rate, not an energy total or a cooling curve', async () => {
    const line = (t: number) =>
      t >= T0 + 2 * H && t < T0 + 5 * H
        ? Math.round((180 + ((t - T0 - 2 * H) / H) * 3) * 100) / 100
        : temperature(t);
    const samples = [
      ...series('oven-01', 'temperature', line),
      // An energy total at a constant power: a straight line, by nature.
      ...series('oven-01', 'energy_kwh', (t) => 1000 + ((t - T0) / H) * 12.5),
      ...series('oven-02', 'temperature', (t) => 25 + 200 * Math.exp(-(t - T0) / (30 * MIN))),
    ];
    expect(await flagsOf(samples)).toEqual([
      [
        'ramp',
        'oven-01/temperature',
        'oven-01/temperature: changed at an exactly constant rate (2.999 per hour) for 3 h (2026-01-06T02:00:00.000Z – 2026-01-06T04:59:50.000Z): a generated line?',
      ],
    ]);
  });
});

describe('never_reset', () => {
  it('flags a counter declared to reset each shift that rose for over a day, and no lifetime counter', async () => {
    const window = { from: T0, to: T0 + 30 * H };
    const rising = series('press-01', 'part_count', (t) => Math.floor((t - T0) / 60_000), 'integer', window);
    const strokes = rising.map((s) => ({ ...s, tag: 'stroke_count' }));
    const perShift = series(
      'press-01',
      'shift_parts',
      (t) => Math.floor(((t - T0) % (12 * H)) / 60_000),
      'integer',
      window,
    );
    const catalog: TagCatalog = new Map([
      ['press-01\u0000part_count', { description: 'Parts this shift (reset at shift start)' }],
      ['press-01\u0000shift_parts', { description: '本班产量，交班清零' }],
      ['press-01\u0000stroke_count', { description: 'Strokes since commissioning' }],
    ]);
    expect(await flagsOf([...rising, ...strokes, ...perShift], { catalog, window })).toEqual([
      [
        'never_reset',
        'press-01/part_count',
        'press-01/part_count: rose for 30 h without a reset (2026-01-06T00:01:00.000Z – 2026-01-07T05:59:00.000Z), though it is declared to reset each shift',
      ],
    ]);
    // Without the config nothing says it should reset: counters since commissioning are the norm.
    expect(await flagsOf([...rising, ...strokes, ...perShift], { window })).toEqual([]);
  });
});

describe('what the gateway derives, and its config', () => {
  it('judges no derived series, known from the config or by the OEE figures fixed names', async () => {
    const constant = (device: string, tag: string) =>
      series(device, tag, (t) => (t >= T0 + 2 * H && t < T0 + 5 * H ? 1 : temperature(t) / 200));
    const samples = [
      ...parts('lathe-01'),
      ...constant('lathe-01', 'oee_availability'),
      ...constant('lathe-01', 'avail_x'),
    ];
    const catalog = tagCatalog(
      [{ id: 'lathe-01', protocol: 'opcua', production: true, businessLinks: ['设备管理'], tags: [] }],
      {
        machineState: [],
        oee: [],
        counters: [{ device: 'lathe-01', tag: 'part_count', output: 'avail_x', rollover: 65535 }],
      },
    );
    expect(catalog.get('lathe-01\u0000avail_x')).toEqual({ derived: true });
    expect(await flagsOf(samples, { catalog })).toEqual([]);
    expect((await flagsOf(samples)).map((f) => f[1])).toEqual(['lathe-01/avail_x']);
  });
});

describe('reported while offline', () => {
  it('lists long periods without attestations, and counts the points inside them per device', () => {
    expect(offlinePeriods([0, 60_000, 20 * 60_000, 21 * 60_000], 10 * 60_000)).toEqual([
      [60_000, 20 * 60_000],
    ]);
    // Off from 00:01 to 01:00: only points well inside (5 min from either end) count.
    const watch = new OfflineWatch([T0, T0 + MIN, T0 + H, T0 + H + MIN]);
    for (const minutes of [3, 10, 30, 56, 59])
      watch.add(goodSample('press-1', 'count', 'integer', 1, T0 + minutes * MIN));
    expect(watch.flags()).toEqual([
      {
        kind: 'reported_while_offline',
        device: 'press-1',
        message:
          'press-1: 2 points have source times inside periods of ≥ 10 min without any attestation (the gateway was off: sent later from a buffer, or back-dated)',
      },
    ]);
  });
});
