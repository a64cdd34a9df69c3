/**
 * 设备联网率 and 设备数字化率 against the enterprise's register, measured from real stores with data: the
 * embedded store and, for the 45/50 case, a real InfluxDB 1.x. Entries nobody maps, mapped devices
 * that sent nothing good, a device with no tag, and entries out of the denominator (scrapped, idle, not
 * production equipment) give exact numerators, denominators and percents; an answer above them is
 * flagged with the devices that sent nothing, and keeps its points.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../../core/model.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { influxV1Store } from '../../gateway/sinks/testing.ts';
import type { SampleReader } from '../../gateway/store/reader.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../../test/services/influxdb.ts';
import { parseAnswers } from '../answers.ts';
import { loadCatalogue } from '../catalogue/load.ts';
import {
  CONFIG_BASIS_NOTE,
  crossCheck,
  measureEvidence,
  NOT_COUNTED,
  rateBasis,
} from '../evidence/measure.ts';
import { evidenceDevice, fortyPoints, evidenceSample as sample } from '../fixtures.ts';
import { buildReport, renderHtml } from '../report.ts';
import { score } from '../score.ts';
import { matchRegister } from './match.ts';
import { parseRegister } from './read.ts';
import type { RegisterEntry } from './schema.ts';
import { registerCsv, registerXlsx, registerYaml } from './testing.ts';

const c = loadCatalogue('2024');
const T0 = Date.UTC(2024, 9, 1);
const window = { from: T0, to: T0 + 3_600_000 };
const W = '2024-10-01T00:00:00.000Z..2024-10-01T01:00:00.000Z';

/** A production device mapped to `asset` (none when undefined). */
const device = (id: string, asset: string | undefined, tags: string[], production = true): Device =>
  evidenceDevice(id, production, tags, asset ? { asset } : {});

const noPlace = (d: Device) => ({ file: 'plant.yaml', path: d.id });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shugai-register-rates-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rates against a register with networked and non-networked devices', () => {
  const REGISTER = `devices:
  - { asset: ZC-0001, name: 数控车床, type: machine-tool, production: true, workshop: 金工车间 }
  - { asset: ZC-0002, name: 液压机, type: forming, production: true }
  - { asset: ZC-0003, name: 注塑机, type: moulding, production: true }
  - { asset: ZC-0004, name: 开式冲床, type: forming, production: true, model: J23-40 }
  - { asset: ZC-0005, name: 保温检测台, type: inspection, production: true }
  - { asset: ZC-0006, name: 手工包装台, type: packing, production: true, status: 在用 }
  - { asset: ZC-0007, name: 普通车床, type: machine-tool, production: true, status: 报废 }
  - { asset: ZC-0008, name: 摩擦压力机, type: forming, production: true, status: 闲置 }
  - { asset: ZC-0009, name: 空压机, type: power, production: false }
`;
  const DEVICES = [
    device('lathe-1', 'ZC-0001', ['count']),
    device('press-2', 'ZC-0002', ['count']), // bad and uncertain samples only
    device('imm-3', 'ZC-0003', ['count']), // good, but before the window
    device('tester-5', 'ZC-0005', ['verdict']),
    device('bench-6', 'ZC-0006', []), // mapped, but no digital interface
    device('meter-1', undefined, ['kwh'], false),
  ];
  let store: EmbeddedStore;
  beforeAll(async () => {
    store = new EmbeddedStore('local', path.join(dir, 'mixed.db'));
    expect(
      await store.write([
        sample('lathe-1', 'count', T0 + 1000),
        sample('press-2', 'count', T0 + 1000, 'bad'),
        sample('press-2', 'count', T0 + 2000, 'uncertain'),
        sample('imm-3', 'count', T0 - 1),
        sample('tester-5', 'verdict', window.to - 1),
        sample('meter-1', 'kwh', T0 + 1000),
      ]),
    ).toEqual({ kind: 'ok' });
  });
  afterAll(() => store.close());

  const measure = async (withRegister: boolean) => {
    const register = await parseRegister(Buffer.from(REGISTER), 'register.yaml');
    return measureEvidence(
      c,
      DEVICES,
      store,
      window,
      'local',
      withRegister ? { register: matchRegister(register, DEVICES, noPlace) } : {},
    );
  };

  it('divides by the production devices in service of the register: 2/6 networked, 4/6 digitized', async () => {
    const e = await measure(true);
    expect(e.denominator).toEqual({
      basis: 'register',
      file: 'register.yaml',
      entries: 9,
      inRates: 6,
      leftOut: [
        { asset: 'ZC-0007', name: '普通车床', production: true, status: 'scrapped' },
        { asset: 'ZC-0008', name: '摩擦压力机', production: true, status: 'idle' },
        { asset: 'ZC-0009', name: '空压机', production: false, status: 'in-service' },
      ],
    });
    expect(e.networking).toEqual({
      item: 'device-networking',
      numerator: 2,
      denominator: 6,
      percent: '33.3333',
      band: { id: 'band-2', text: '(20%,40%]', points: '3' },
      counted: [
        { asset: 'ZC-0001', name: '数控车床', type: 'machine-tool', workshop: '金工车间', device: 'lathe-1' },
        { asset: 'ZC-0005', name: '保温检测台', type: 'inspection', device: 'tester-5' },
      ],
      notCounted: [
        { asset: 'ZC-0002', name: '液压机', type: 'forming', device: 'press-2', reason: NOT_COUNTED.onlyBad },
        {
          asset: 'ZC-0003',
          name: '注塑机',
          type: 'moulding',
          device: 'imm-3',
          reason: NOT_COUNTED.noSamples,
        },
        { asset: 'ZC-0004', name: '开式冲床', type: 'forming', reason: NOT_COUNTED.unmapped },
        {
          asset: 'ZC-0006',
          name: '手工包装台',
          type: 'packing',
          device: 'bench-6',
          reason: NOT_COUNTED.noSamples,
        },
      ],
    });
    expect(e.digitization).toMatchObject({
      numerator: 4,
      denominator: 6,
      percent: '66.6667',
      band: { id: 'band-4', points: '6' },
      notCounted: [
        { asset: 'ZC-0004', reason: NOT_COUNTED.unmapped },
        { asset: 'ZC-0006', device: 'bench-6', reason: NOT_COUNTED.noTags },
      ],
    });
  });

  it('without the register divides by the config: 2/5 = 40%, above the 33.3333% the register gives', async () => {
    const e = await measure(false);
    expect(e.denominator).toEqual({ basis: 'config', devices: 5, note: CONFIG_BASIS_NOTE });
    expect([e.networking!.numerator, e.networking!.denominator, e.networking!.percent]).toEqual([2, 5, '40']);
  });

  it('renders a report recorded before registers were read as measured against the config', async () => {
    const { denominator: _, ...recorded } = await measure(false);
    const report = buildReport(c, fortyPoints(), recorded);
    expect(rateBasis(recorded)).toEqual({ basis: 'config', devices: 5, note: CONFIG_BASIS_NOTE });
    expect(renderHtml(report)).toContain(
      '<p class="flag">分母为网关配置中的 5 台生产设备，不是企业的设备台账。',
    );
  });

  it('flags the answers above the data with the register devices not counted; the points stay', async () => {
    const e = await measure(true);
    const result = score(c, parseAnswers(fortyPoints(), c)); // 10/10 both
    const [networking, digitization] = crossCheck(result, e);
    expect(networking).toEqual({
      item: 'device-networking',
      answered: '(60%,100%]',
      measured: '2/6 = 33.3333% (20%,40%]',
      message:
        `设备联网: answered 10/10 = 100% (60%,100%] (6 points), but the data of ${W} shows 2/6 = 33.3333%, ` +
        'band (20%,40%] (3 points) against the equipment register register.yaml: 4 of its 6 production devices ' +
        'in service are not counted (listed in devices); the answer counts 10 production devices, the register 6; ' +
        '2 production devices of the register are not in service and left out (check them on site)',
      zh:
        '设备联网: 填报 10/10 = 100% (60%,100%]（6 分），但 2024-10-01 08:00 至 2024-10-01 09:00 北京时间 的设备数据显示 ' +
        '2/6 = 33.3333%，档位 (20%,40%]（3 分）；按设备台账 register.yaml，其 6 台在用生产设备中有 4 台未计入；' +
        '填报的生产设备为 10 台，台账为 6 台；台账中有 2 台生产设备不在用，未计入分母（请现场核实）',
      devices: [
        { asset: 'ZC-0002', name: '液压机', reason: NOT_COUNTED.onlyBad },
        { asset: 'ZC-0003', name: '注塑机', reason: NOT_COUNTED.noSamples },
        { asset: 'ZC-0004', name: '开式冲床', reason: NOT_COUNTED.unmapped },
        { asset: 'ZC-0006', name: '手工包装台', reason: NOT_COUNTED.noSamples },
      ],
    });
    expect(digitization!.devices).toEqual([
      { asset: 'ZC-0004', name: '开式冲床', reason: NOT_COUNTED.unmapped },
      { asset: 'ZC-0006', name: '手工包装台', reason: NOT_COUNTED.noTags },
    ]);
    expect(result.items.find((i) => i.id === 'device-networking')!.points).toBe('6');
  });
});

/** 50 production devices in service; the first 16 are networked. */
const FIFTY: RegisterEntry[] = Array.from({ length: 50 }, (_, i) => ({
  asset: `ZC-${String(i + 1).padStart(4, '0')}`,
  name: i < 16 ? `数控车床 ${i + 1}号` : `冲床 ${i + 1}号`,
  type: i < 16 ? 'machine-tool' : 'forming',
  production: true,
  status: 'in-service',
  workshop: '一车间',
}));
const SIXTEEN = FIFTY.slice(0, 16).map((e, i) => device(`m-${i + 1}`, e.asset, ['count']));
const SIXTEEN_SAMPLES = SIXTEEN.map((d, i) => sample(d.id, 'count', T0 + i * 1000));

/** The enterprise answers 45/50 for both rates. */
function claims45of50() {
  const answers = fortyPoints();
  answers.items['device-networking'] = { rate: { numerator: '45', denominator: '50' } };
  answers.items['device-digitization'] = { rate: { numerator: '45', denominator: '50' } };
  return score(c, parseAnswers(answers, c));
}

const FORMS = {
  'register.csv': async () => Buffer.from(registerCsv(FIFTY)),
  'register.xlsx': () => registerXlsx(FIFTY),
  'register.yaml': async () => Buffer.from(registerYaml(FIFTY)),
};

/** The 45/50 case from a store holding one good sample of each of the 16 networked machines. */
function fortyFiveOfFifty(reader: () => SampleReader, file: keyof typeof FORMS) {
  it(`${file}: measures 16/50 = 32%, flags the 45/50 answer with the 34 devices that sent nothing`, async () => {
    const register = matchRegister(await parseRegister(await FORMS[file](), file), SIXTEEN, noPlace);
    const e = await measureEvidence(c, SIXTEEN, reader(), window, 'store', { register });
    for (const figure of [e.networking!, e.digitization!]) {
      expect([figure.numerator, figure.denominator, figure.percent, figure.band.text]).toEqual([
        16,
        50,
        '32',
        '(20%,40%]',
      ]);
    }
    const result = claims45of50();
    const flags = crossCheck(result, e);
    expect(flags.map((f) => f.item)).toEqual(['device-networking', 'device-digitization']);
    expect(flags[0]!.message).toBe(
      `设备联网: answered 45/50 = 90% (60%,100%] (6 points), but the data of ${W} shows 16/50 = 32%, band ` +
        `(20%,40%] (3 points) against the equipment register ${file}: 34 of its 50 production devices in ` +
        'service are not counted (listed in devices)',
    );
    expect(flags[0]!.devices).toEqual(
      FIFTY.slice(16).map((x) => ({ asset: x.asset, name: x.name, reason: NOT_COUNTED.unmapped })),
    );
    expect(flags[0]!.devices![0]).toEqual({
      asset: 'ZC-0017',
      name: '冲床 17号',
      reason: NOT_COUNTED.unmapped,
    });
    // Evidence never changes an answer.
    expect(result.items.find((i) => i.id === 'device-networking')!.points).toBe('6');

    // The same data against the config alone: 16/16 = 100%, and the 90% answer passes unflagged.
    const alone = await measureEvidence(c, SIXTEEN, reader(), window, 'store');
    expect([alone.networking!.numerator, alone.networking!.denominator, alone.networking!.percent]).toEqual([
      16,
      16,
      '100',
    ]);
    expect(crossCheck(result, alone)).toEqual([]);
  });
}

describe('the 45/50 case: a register of 50, a config of the 16 networked, answers claiming 45/50', () => {
  describe('embedded store, the register as CSV, XLSX and YAML', () => {
    let store: EmbeddedStore;
    beforeAll(async () => {
      store = new EmbeddedStore('local', path.join(dir, 'fifty.db'));
      expect(await store.write(SIXTEEN_SAMPLES)).toEqual({ kind: 'ok' });
    });
    afterAll(() => store.close());
    for (const file of Object.keys(FORMS) as (keyof typeof FORMS)[]) fortyFiveOfFifty(() => store, file);
  });

  describe.skipIf(!influxdBinary.available)('InfluxDB 1.x', () => {
    let influx: InfluxDB;
    let reader: SampleReader;
    beforeAll(async () => {
      influx = await startInfluxDB();
      const { sink, reader: influxReader } = await influxV1Store(influx.url, 'plant');
      reader = influxReader;
      expect(await sink.write(SIXTEEN_SAMPLES)).toEqual({ kind: 'ok' });
    }, 60_000);
    afterAll(async () => {
      await influx?.stop();
    });
    fortyFiveOfFifty(() => reader, 'register.csv');
  });
});
