/**
 * 绿色低碳 and 产品质量 from two windows of a seeded embedded store: counter increases summed across
 * devices, a meter reset read as a reset, bad samples and samples outside the windows ignored; energy
 * per piece 2 → 1 (降低), pass rate 0.95 → 0.9 (降低), and an answer of 增加 for the pass rate flagged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../../core/model.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import type { StoredSample } from '../../gateway/sinks/sink.ts';
import { loadCatalogue } from '../catalogue/load.ts';
import { fortyPoints } from '../fixtures.ts';
import { score } from '../score.ts';
import { crossCheck, measureEvidence } from './measure.ts';
import { measureOutcomes } from './outcomes.ts';

const c = loadCatalogue('2024');
const DAY = 86_400_000;
const before = { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 1) + DAY };
const after = { from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 1, 1) + DAY };
const spec = {
  before,
  after,
  energy: { energy: ['meter-1/kwh'], output: ['press-1/count', 'press-2/count'] },
  quality: { passed: ['qc-1/passed'], inspected: ['qc-1/inspected'] },
};

/** Values of one counter, a minute apart from the window's start; 'bad' marks a bad-quality sample. */
function series(device: string, tag: string, start: number, values: (number | 'bad')[]): StoredSample[] {
  return values.map((v, i) => ({
    device,
    tag,
    value: v === 'bad' ? 99_999 : v,
    type: 'number',
    quality: v === 'bad' ? 'bad' : 'good',
    statusCode: v === 'bad' ? 1 : 0,
    sourceTime: start + i * 60_000,
    receivedAt: start + i * 60_000,
  }));
}

let dir: string;
let store: EmbeddedStore;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shugai-outcomes-'));
  store = new EmbeddedStore('s', path.join(dir, 'samples.db'));
  await store.write([
    ...series('meter-1', 'kwh', before.from, [1000, 1100, 1300]), // +300
    ...series('meter-1', 'kwh', after.from, [2000, 2100, 'bad', 50, 150]), // +100, reset to 50, +100 = 250
    ...series('meter-1', 'kwh', after.to, [9000]), // at the exclusive end: outside
    ...series('press-1', 'count', before.from, [0, 100]),
    ...series('press-2', 'count', before.from, [0, 50]), // output before 150: 2 kWh a piece
    ...series('press-1', 'count', after.from, [200, 400]),
    ...series('press-2', 'count', after.from, [100, 150]), // output after 250: 1 kWh a piece
    ...series('qc-1', 'inspected', before.from, [0, 200]),
    ...series('qc-1', 'passed', before.from, [0, 190]), // 0.95
    ...series('qc-1', 'inspected', after.from, [0, 100]),
    ...series('qc-1', 'passed', after.from, [0, 90]), // 0.9
  ]);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('measureOutcomes', () => {
  it('compares energy per piece and the pass rate exactly, with windows, series and the query', async () => {
    const [energy, quality] = await measureOutcomes(c, spec, store, 'samples.db');
    expect(energy).toEqual({
      item: 'energy-per-revenue',
      measure: '单位产量能耗 (kWh/件)',
      numeratorSeries: ['meter-1/kwh'],
      denominatorSeries: ['press-1/count', 'press-2/count'],
      before: {
        window: { from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z' },
        numerator: '300',
        denominator: '150',
        value: '2',
      },
      after: {
        window: { from: '2024-02-01T00:00:00.000Z', to: '2024-02-02T00:00:00.000Z' },
        numerator: '250',
        denominator: '250',
        value: '1',
      },
      flatWithin: '0',
      option: { id: 'decreased', text: '降低', points: '7' },
      query: {
        store: 'samples.db',
        call: 'samples',
        series: ['meter-1/kwh', 'press-1/count', 'press-2/count'],
        windows: [
          { from: '2024-01-01T00:00:00.000Z', to: '2024-01-02T00:00:00.000Z' },
          { from: '2024-02-01T00:00:00.000Z', to: '2024-02-02T00:00:00.000Z' },
        ],
      },
    });
    expect([quality!.before.value, quality!.after.value, quality!.option]).toEqual([
      '0.95',
      '0.9',
      { id: 'decreased', text: '降低', points: '0' },
    ]);
  });

  it("reads a change within the bureau's tolerance as 持平, and one beyond it as a fall", async () => {
    // The pass rate went from 0.95 to 0.9: a fall of 5.26 % of the rate before.
    const direction = async (flatWithin: string) =>
      (await measureOutcomes(c, { ...spec, flatWithin }, store, 'samples.db')).map((o) => [
        o.item,
        o.flatWithin,
        o.option?.id,
        o.option?.points,
      ]);
    expect(await direction('0.053')).toEqual([
      ['energy-per-revenue', '0.053', 'decreased', '7'],
      ['pass-rate', '0.053', 'unchanged', '3.5'],
    ]);
    expect(await direction('0.052')).toEqual([
      ['energy-per-revenue', '0.052', 'decreased', '7'],
      ['pass-rate', '0.052', 'decreased', '0'],
    ]);
  });

  it('gives no direction when a window produced nothing', async () => {
    const [energy] = await measureOutcomes(
      c,
      { before, after, energy: { energy: ['meter-1/kwh'], output: ['press-9/count'] } },
      store,
      'samples.db',
    );
    expect([energy!.before.value, energy!.after.value, energy!.option]).toEqual([null, null, null]);
  });

  it('flags a pass rate answered as 增加 that the data shows fell; the answer keeps its points', async () => {
    const answers = fortyPoints();
    answers.items['pass-rate'] = { options: ['increased'] };
    answers.items['energy-per-revenue'] = { options: ['decreased'] };
    const result = score(c, answers);
    const devices: Device[] = ['press-1', 'press-2', 'qc-1'].map((id) => ({
      id,
      protocol: 'modbus',
      production: true,
      businessLinks: ['生产管控'],
      tags: [{ id: 'count', type: 'number' }],
    }));
    const evidence = await measureEvidence(c, devices, store, after, 'samples.db', { outcomes: spec });
    expect(evidence.outcomes.map((o) => o.item)).toEqual(['energy-per-revenue', 'pass-rate']);
    // The networking rate answered 10/10 is above the 2/3 of the data too.
    expect(crossCheck(result, evidence).map((f) => [f.item, f.measured])).toEqual([
      ['device-networking', '2/3 = 66.6667% (60%,100%]'],
      ['pass-rate', '合格率 (合格数/检验数): 0.95 → 0.9 (降低)'],
    ]);
    expect(result.items.find((i) => i.id === 'pass-rate')!.points).toBe('7');
  });
});
