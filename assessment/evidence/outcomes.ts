/**
 * 绿色低碳 and 产品质量 from machine data: energy per unit of output and the pass rate, in a window
 * after against a window before. The series are cumulative counters named by the assessor (meters in
 * kWh, piece counters, inspected/passed counters): a counter's increase over a window is the sum of
 * its rises between consecutive good samples, a drop read as a reset (the value after it counts from
 * 0), nothing extrapolated to the window's edges.
 *
 * Energy per unit of output is a proxy of the item, which asks for energy per 100 yuan of revenue:
 * the figure supports the assessor and flags an answer better than it, never scores the item.
 * The direction is exact unless the bureau sets `flatWithin`: a relative change of at most that much
 * (|after − before| ≤ flatWithin × |before|) is 持平. The indicator text sets no tolerance, so the
 * default is none; measured data rarely repeats a ratio to the last digit, so a bureau usually sets one.
 */
import { Decimal } from 'decimal.js';
import type { SampleReader, TimeWindow } from '../../gateway/store/reader.ts';
import type { Catalogue } from '../catalogue/load.ts';

/** Series are `device/tag`. */
export interface OutcomeSpec {
  before: TimeWindow;
  after: TimeWindow;
  energy?: { energy: string[]; output: string[] };
  quality?: { passed: string[]; inspected: string[] };
  /** Relative change still read as 持平, a decimal string such as "0.02"; "0" when absent. */
  flatWithin?: string;
}

export interface WindowFigure {
  window: { from: string; to: string };
  numerator: string;
  denominator: string;
  /** numerator / denominator to 6 decimals; null when nothing was produced or inspected. */
  value: string | null;
}

export interface OutcomeFigure {
  item: 'energy-per-revenue' | 'pass-rate';
  measure: string;
  numeratorSeries: string[];
  denominatorSeries: string[];
  before: WindowFigure;
  after: WindowFigure;
  /** The relative change read as 持平 (a decimal string). */
  flatWithin: string;
  /** The item's option the change points to; null when a window has no denominator. */
  option: { id: string; text: string; points: string } | null;
  query: { store: string; call: 'samples'; series: string[]; windows: { from: string; to: string }[] };
}

const iso = (w: TimeWindow) => ({ from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() });

/** The increase of cumulative counters over a window, from their good samples. */
async function increase(
  reader: SampleReader,
  series: readonly string[],
  window: TimeWindow,
): Promise<Decimal> {
  let total = new Decimal(0);
  for (const s of series) {
    const [device, tag] = s.split('/');
    let previous: number | undefined;
    for await (const sample of reader.samples({ ...window, device, tag })) {
      if (sample.quality !== 'good' || typeof sample.value !== 'number' || !Number.isFinite(sample.value))
        continue;
      if (previous !== undefined)
        total = total.plus(sample.value >= previous ? sample.value - previous : sample.value);
      previous = sample.value;
    }
  }
  return total;
}

async function figure(
  reader: SampleReader,
  numerator: readonly string[],
  denominator: readonly string[],
  window: TimeWindow,
): Promise<{ figure: WindowFigure; ratio: Decimal | null }> {
  const n = await increase(reader, numerator, window);
  const d = await increase(reader, denominator, window);
  const ratio = d.isZero() ? null : n.div(d);
  return {
    figure: {
      window: iso(window),
      numerator: n.toFixed(),
      denominator: d.toFixed(),
      value: ratio?.toDecimalPlaces(6).toFixed() ?? null,
    },
    ratio,
  };
}

async function compare(
  catalogue: Catalogue,
  item: OutcomeFigure['item'],
  measure: string,
  series: { numerator: string[]; denominator: string[] },
  spec: OutcomeSpec,
  reader: SampleReader,
  store: string,
): Promise<OutcomeFigure> {
  const before = await figure(reader, series.numerator, series.denominator, spec.before);
  const after = await figure(reader, series.numerator, series.denominator, spec.after);
  let option: OutcomeFigure['option'] = null;
  const flatWithin = new Decimal(spec.flatWithin ?? '0');
  if (before.ratio && after.ratio) {
    const change = after.ratio.minus(before.ratio);
    const flat = change.abs().lte(before.ratio.abs().times(flatWithin));
    const id = flat ? 'unchanged' : change.isNegative() ? 'decreased' : 'increased';
    const found = catalogue.items.find((i) => i.id === item)!.options.find((o) => o.id === id)!;
    option = { id: found.id, text: found.text, points: found.points };
  }
  return {
    item,
    measure,
    numeratorSeries: series.numerator,
    denominatorSeries: series.denominator,
    before: before.figure,
    after: after.figure,
    flatWithin: flatWithin.toFixed(),
    option,
    query: {
      store,
      call: 'samples',
      series: [...series.numerator, ...series.denominator],
      windows: [iso(spec.before), iso(spec.after)],
    },
  };
}

export async function measureOutcomes(
  catalogue: Catalogue,
  spec: OutcomeSpec,
  reader: SampleReader,
  store: string,
): Promise<OutcomeFigure[]> {
  const out: OutcomeFigure[] = [];
  if (spec.energy) {
    const series = { numerator: spec.energy.energy, denominator: spec.energy.output };
    out.push(
      await compare(catalogue, 'energy-per-revenue', '单位产量能耗 (kWh/件)', series, spec, reader, store),
    );
  }
  if (spec.quality) {
    const series = { numerator: spec.quality.passed, denominator: spec.quality.inspected };
    out.push(await compare(catalogue, 'pass-rate', '合格率 (合格数/检验数)', series, spec, reader, store));
  }
  return out;
}
