/**
 * Rates and links measured exactly from a seeded embedded store (a temp file): devices that never
 * reported, devices with bad-quality samples only, samples outside the window, a non-production meter
 * excluded from the rates but counted for its link; a claim above the data is flagged, not changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../../core/model.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { parseAnswers } from '../answers.ts';
import { loadCatalogue } from '../catalogue/load.ts';
import { evidenceDevice as device, fortyPoints, evidenceSample as sample } from '../fixtures.ts';
import { score } from '../score.ts';
import { CONFIG_BASIS_NOTE, crossCheck, measureEvidence } from './measure.ts';

const c = loadCatalogue('2024');
const T0 = Date.UTC(2024, 9, 1);
const window = { from: T0, to: T0 + 3_600_000 };

const DEVICES: Device[] = [
  device('press-1', true, ['count', 'temp']),
  device('press-2', true, ['count']),
  {
    ...device('inspect-3', true, []),
    tags: [{ id: 'verdict', type: 'boolean', businessLinks: ['质量管理'] }],
  },
  device('press-4', true, ['count']), // bad and uncertain samples only
  device('press-5', true, ['count']), // reported before the window, never in it
  device('manual-6', true, []), // no digital interface
  device('meter-1', false, ['kwh'], { businessLinks: ['能耗管理'] }),
];

let dir: string;
let store: EmbeddedStore;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shugai-evidence-'));
  store = new EmbeddedStore('local', path.join(dir, 'samples.db'));
  const outcome = await store.write([
    sample('press-1', 'temp', T0, 'good'),
    sample('press-1', 'count', T0 + 1000, 'bad'),
    sample('press-2', 'count', window.to - 1, 'good'), // last millisecond: inside
    sample('inspect-3', 'verdict', T0 + 5000, 'good'),
    sample('press-4', 'count', T0 + 1000, 'bad'),
    sample('press-4', 'count', T0 + 2000, 'uncertain'),
    sample('press-5', 'count', T0 - 1, 'good'), // before the window
    sample('press-5', 'count', window.to, 'good'), // the end is exclusive
    sample('meter-1', 'kwh', T0 + 1000, 'good'),
    sample('ghost-9', 'x', T0 + 1000, 'good'), // not in the config: ignored
    sample('press-2', 'oee', T0 + 60_000, 'good'), // derived by the gateway: OEE is computed
    sample('press-4', 'shift_oee', T0 + 60_000, 'bad'), // bad: shows nothing
  ]);
  expect(outcome).toEqual({ kind: 'ok' });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('evidence from the store', () => {
  it('measures the networking and digitization rates of production devices only', async () => {
    const e = await measureEvidence(c, DEVICES, store, window, 'local');
    expect(e.productionDevices).toHaveLength(6);
    expect(e.excluded).toEqual([{ device: 'meter-1', reason: 'not a production device' }]);
    expect(e.networking).toMatchObject({
      item: 'device-networking',
      numerator: 3,
      denominator: 6,
      percent: '50',
      band: { id: 'band-3', text: '(40%,60%]', points: '4.5' },
      counted: [{ device: 'press-1' }, { device: 'press-2' }, { device: 'inspect-3' }],
      notCounted: [
        { device: 'press-4', reason: 'only bad or uncertain samples in the window' },
        { device: 'press-5', reason: 'no samples in the window' },
        { device: 'manual-6', reason: 'no samples in the window' },
      ],
    });
    expect(e.denominator).toEqual({ basis: 'config', devices: 6, note: CONFIG_BASIS_NOTE });
    expect(e.digitization).toMatchObject({
      numerator: 5,
      denominator: 6,
      percent: '83.3333',
      band: { id: 'band-4' },
    });
    expect(e.query).toEqual({
      store: 'local',
      call: 'summarize',
      window: { from: '2024-10-01T00:00:00.000Z', to: '2024-10-01T01:00:00.000Z' },
    });
  });

  it('gives 3/4 = 75% exactly for the four reporting-or-failing presses', async () => {
    const e = await measureEvidence(c, DEVICES.slice(0, 4), store, window, 'local');
    expect([e.networking!.percent, e.networking!.band.id]).toEqual(['75', 'band-4']);
  });

  it('counts a link when a tag mapped to it delivered good data (tag links over device links)', async () => {
    const e = await measureEvidence(c, DEVICES, store, window, 'local');
    // Each link spans its tags' first to last sample in the window.
    const both = { from: '2024-10-01T00:00:00.000Z', to: '2024-10-01T00:59:59.999Z' };
    expect(e.links).toEqual([
      { link: '生产管控', tags: ['press-1/temp', 'press-2/count'], ...both },
      {
        link: '质量管理',
        tags: ['inspect-3/verdict'],
        from: '2024-10-01T00:00:05.000Z',
        to: '2024-10-01T00:00:05.000Z',
      },
      { link: '设备管理', tags: ['press-1/temp', 'press-2/count'], ...both },
      {
        link: '能耗管理',
        tags: ['meter-1/kwh'],
        from: '2024-10-01T00:00:01.000Z',
        to: '2024-10-01T00:00:01.000Z',
      },
    ]);
    expect(e.sceneSignals.map((s) => [s.scene, s.tags.length, s.shown])).toEqual([
      ['设备管理', 2, ['网关为 press-2 计算了OEE']],
      ['能耗管理', 1, []],
      ['生产管控', 2, []],
      ['质量管理', 1, ['检验结果由设备自动判定: inspect-3/verdict']],
    ]);
  });

  it('flags a rate answered above the measured one, even in the same band, and leaves the answer as it is', async () => {
    const e = await measureEvidence(c, DEVICES, store, window, 'local');
    const result = score(c, parseAnswers(fortyPoints(), c)); // both rates answered 10/10
    const W = '2024-10-01T00:00:00.000Z..2024-10-01T01:00:00.000Z';
    const ZH_CONFIG_NOTE =
      '分母为网关配置中的生产设备，不是企业的设备台账，实测比率为上限，请企业提供设备台账（--register）';
    expect(crossCheck(result, e)).toEqual([
      {
        item: 'device-networking',
        answered: '(60%,100%]',
        measured: '3/6 = 50% (40%,60%]',
        message: `设备联网: answered 10/10 = 100% (60%,100%] (6 points), but the data of ${W} shows 3/6 = 50%, band (40%,60%] (4.5 points); ${CONFIG_BASIS_NOTE}`,
        zh: `设备联网: 填报 10/10 = 100% (60%,100%]（6 分），但 2024-10-01 08:00 至 2024-10-01 09:00 北京时间 的设备数据显示 3/6 = 50%，档位 (40%,60%]（4.5 分）；${ZH_CONFIG_NOTE}`,
      },
      {
        item: 'device-digitization',
        answered: '(60%,100%]',
        measured: '5/6 = 83.3333% (60%,100%]',
        message: `设备数字化: answered 10/10 = 100% (60%,100%] (6 points), but the data of ${W} shows 5/6 = 83.3333%, band (60%,100%] (6 points, the same points); ${CONFIG_BASIS_NOTE}`,
        zh: `设备数字化: 填报 10/10 = 100% (60%,100%]（6 分），但 2024-10-01 08:00 至 2024-10-01 09:00 北京时间 的设备数据显示 5/6 = 83.3333%，档位 (60%,100%]（6 分，得分相同）；${ZH_CONFIG_NOTE}`,
      },
    ]);
    expect(result.items.find((i) => i.id === 'device-networking')!.points).toBe('6');
    // An answer at or below the data is not flagged: 5/6 exactly, and 4/6.
    const honest = fortyPoints();
    honest.items['device-networking'] = { rate: { numerator: '3', denominator: '6' } };
    honest.items['device-digitization'] = { rate: { numerator: '4', denominator: '6' } };
    expect(crossCheck(score(c, parseAnswers(honest, c)), e)).toEqual([]);
  });

  it('flags an answer given as a band only when its points are above the measured band', async () => {
    const e = await measureEvidence(c, DEVICES, store, window, 'local');
    const bands = fortyPoints();
    bands.items['device-networking'] = { options: ['band-3'] }; // (40%,60%]: the measured band
    bands.items['device-digitization'] = { options: ['band-4'] };
    expect(crossCheck(score(c, parseAnswers(bands, c)), e)).toEqual([]);
  });

  it('gives no rate when no production device is registered', async () => {
    const e = await measureEvidence(c, DEVICES.slice(6), store, window, 'local');
    expect([e.networking, e.digitization]).toEqual([null, null]);
  });
});
