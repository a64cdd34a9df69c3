/**
 * ECharts options built as data on the server, so a test asserts the numbers a chart shows without
 * a browser, and the page only hands them to echarts.init (assets/pages.js). No functions in
 * options: they travel as JSON.
 */
import type { RadarAxis } from '../../assessment/radar.ts';
import type { MachineState } from '../../gateway/derived/schema.ts';
import type { T } from './i18n.ts';
import type { MachineView, OeeKey } from './plant-data.ts';

const STATE_COLOURS: Record<MachineState, string> = {
  running: '#2e7d32',
  idle: '#f9a825',
  planned_stop: '#90a4ae',
  fault: '#c62828',
  offline: '#424242',
};

/** The radar of the four dimensions (shares 0–100), one polygon per series, the last one in front. */
export function radarOptions(series: readonly { title: string; axes: readonly RadarAxis[] }[]) {
  const axes = series.at(-1)?.axes ?? [];
  return {
    animation: false,
    legend: { bottom: 0 },
    tooltip: {},
    radar: { indicator: axes.map((a) => ({ name: `${a.name}\n${a.label}`, max: 100 })), radius: '62%' },
    series: [
      {
        type: 'radar',
        data: series.map((s) => ({
          name: s.title,
          value: s.axes.map((a) => Math.round(a.share * 1000) / 10),
        })),
      },
    ],
  };
}

/** Before and after: one bar per series for each axis (share of its maximum, %). */
export function beforeAfterOptions(series: readonly { title: string; axes: readonly RadarAxis[] }[]) {
  const axes = series.at(-1)?.axes ?? [];
  return {
    animation: false,
    legend: { bottom: 0 },
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 16, bottom: 56 },
    xAxis: { type: 'category', data: axes.map((a) => a.name) },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: series.map((s) => ({
      type: 'bar',
      name: s.title,
      data: s.axes.map((a) => Math.round(a.share * 1000) / 10),
    })),
  };
}

const OEE_ORDER: OeeKey[] = ['availability', 'performance', 'quality', 'oee'];

/** OEE and its three factors per machine (%), for machines with running figures. */
export function oeeOptions(machines: readonly MachineView[], t: T) {
  const shown = machines.filter((m) => m.oee);
  const names: Record<OeeKey, string> = {
    availability: t('plant.availability'),
    performance: t('plant.performance'),
    quality: t('plant.quality'),
    oee: 'OEE',
  };
  return {
    animation: false,
    legend: { bottom: 0 },
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 16, bottom: 56 },
    xAxis: { type: 'category', data: shown.map((m) => m.device) },
    yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
    series: OEE_ORDER.map((key) => ({
      type: 'bar',
      name: names[key],
      data: shown.map((m) => {
        const v = m.oee?.figures[key];
        return v === undefined ? null : Math.round(v * 1000) / 10;
      }),
    })),
  };
}

/**
 * The state timeline: one row per machine, a bar per state segment (a stacked horizontal bar of
 * durations from the window's start, coloured by state), without custom renderers.
 */
export function stateTimelineOptions(machines: readonly MachineView[], from: number, t: T) {
  const rows = machines.filter((m) => m.timeline.length > 0);
  const states = Object.keys(STATE_COLOURS) as MachineState[];
  // Each row is a sequence of segments; segment k of every row forms one stacked series.
  const depth = Math.max(0, ...rows.map((m) => m.timeline.length));
  const offset = rows.map((m) => Math.max(0, ((m.timeline[0]?.from ?? from) - from) / 60_000));
  const series: object[] = [
    {
      type: 'bar',
      stack: 'time',
      name: '',
      silent: true,
      itemStyle: { color: 'transparent' },
      data: offset.map((v) => Math.round(v * 10) / 10),
    },
  ];
  for (let k = 0; k < depth; k++)
    series.push({
      type: 'bar',
      stack: 'time',
      name: '',
      data: rows.map((m) => {
        const s = m.timeline[k];
        if (!s) return null;
        return {
          value: Math.round(((s.to - s.from) / 60_000) * 10) / 10,
          name: t(`state.${s.state}`),
          itemStyle: { color: STATE_COLOURS[s.state] },
        };
      }),
    });
  return {
    animation: false,
    tooltip: { trigger: 'item', formatter: '{b}: {c} min' },
    legend: {
      bottom: 0,
      data: states.map((s) => ({ name: t(`state.${s}`), itemStyle: { color: STATE_COLOURS[s] } })),
    },
    grid: { left: 96, right: 16, top: 8, bottom: 56 },
    xAxis: { type: 'value', name: 'min', min: 0 },
    yAxis: { type: 'category', data: rows.map((m) => m.device) },
    series,
  };
}

/** One tag's trend: a time axis and a line. */
export function trendOptions(name: string, points: readonly [number, number][]) {
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    grid: { left: 56, right: 16, top: 24, bottom: 32 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', scale: true },
    series: [{ type: 'line', name, showSymbol: false, data: points }],
  };
}
