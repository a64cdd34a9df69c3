/**
 * What the plant pages show, read from the store a gateway writes (the embedded SQLite store or
 * InfluxDB, through gateway/store/reader.ts) and the gateway's own config: each machine's derived
 * state and its timeline, the running OEE of the current shift and the finished shifts' figures
 * (gateway/derived writes both), counter totals, energy per piece, and how many of a device's tags
 * delivered good data in the window.
 */
import type { Device, SampleValue } from '../../core/model.ts';
import { readGatewayConfig } from '../../gateway/attest/cli.ts';
import { OEE_TAGS } from '../../gateway/derived/engine.ts';
import type { DerivedConfig, MachineState } from '../../gateway/derived/schema.ts';
import type { SampleReader, SeriesSummary } from '../../gateway/store/reader.ts';

export interface PlantSource {
  gatewayId: string;
  title: string | undefined;
  devices: readonly Device[];
  derived: DerivedConfig;
  open(): Promise<SampleReader>;
  /** How far back the live view reads (default 15 minutes). */
  windowMs?: number;
}

/** A plant source from a gateway's config file (its first embedded or InfluxDB 1.x sink). */
export async function plantSourceFromConfig(file: string): Promise<PlantSource> {
  const view = await readGatewayConfig(file);
  return {
    gatewayId: view.gatewayId,
    title: view.gatewayName,
    devices: view.devices,
    derived: view.derived,
    open: view.open,
  };
}

export type OeeKey = keyof typeof OEE_TAGS;
export const OEE_KEYS = Object.keys(OEE_TAGS) as OeeKey[];
const SHIFT_PREFIX = 'shift_';
const DEFAULT_WINDOW = 15 * 60_000;
const DAY = 24 * 3_600_000;

export interface StateSegment {
  state: MachineState;
  from: number;
  to: number;
}

export interface MachineView {
  device: string;
  /** The derived machine state, when the gateway derives one for this device. */
  state: { value: MachineState; time: number } | null;
  timeline: StateSegment[];
  /** The latest running figures of the current shift (0–1), and when they were written. */
  oee: { figures: Partial<Record<OeeKey, number>>; time: number } | null;
  /** Finished shifts' final figures in the last 24 hours, oldest first. */
  shifts: { time: number; figures: Partial<Record<OeeKey, number>> }[];
  counters: { tag: string; value: number }[];
  /** kWh per piece over the window: the rise of the device's kWh tag over the rise of its part total. */
  energyPerPiece: string | null;
  /** Configured tags with at least one good sample in the window, of all configured tags. */
  coverage: { good: number; tags: number };
  lastData: number | null;
}

export interface PlantView {
  gatewayId: string;
  window: { from: number; to: number };
  machines: MachineView[];
}

const isState = (value: SampleValue): value is MachineState =>
  typeof value === 'string' && ['running', 'idle', 'planned_stop', 'fault', 'offline'].includes(value);

async function series(
  reader: SampleReader,
  device: string,
  tag: string,
  from: number,
  to: number,
): Promise<{ time: number; value: SampleValue }[]> {
  const out: { time: number; value: SampleValue }[] = [];
  for await (const s of reader.samples({ device, tag, from, to }))
    if (s.quality === 'good') out.push({ time: s.sourceTime, value: s.value });
  return out;
}

function timelineOf(points: readonly { time: number; value: SampleValue }[], to: number): StateSegment[] {
  const states = points.filter((p) => isState(p.value));
  return states.map((p, i) => ({
    state: p.value as MachineState,
    from: p.time,
    to: states[i + 1]?.time ?? to,
  }));
}

/** The figures of one time among the OEE tags' samples (`prefix` '' running, 'shift_' final). */
async function figuresOf(
  reader: SampleReader,
  device: string,
  prefix: string,
  from: number,
  to: number,
): Promise<Map<number, Partial<Record<OeeKey, number>>>> {
  const byTime = new Map<number, Partial<Record<OeeKey, number>>>();
  for (const key of OEE_KEYS)
    for (const p of await series(reader, device, `${prefix}${OEE_TAGS[key]}`, from, to)) {
      if (typeof p.value !== 'number') continue;
      const figures = byTime.get(p.time) ?? {};
      figures[key] = p.value;
      byTime.set(p.time, figures);
    }
  return new Map([...byTime].sort((a, b) => a[0] - b[0]));
}

async function rise(reader: SampleReader, device: string, tag: string, from: number, to: number) {
  const points = (await series(reader, device, tag, from, to)).filter((p) => typeof p.value === 'number');
  const first = points[0];
  const last = points.at(-1);
  return first && last ? (last.value as number) - (first.value as number) : 0;
}

/** The machines of a source as the store shows them at `now`. */
export async function readPlant(source: PlantSource, reader: SampleReader, now: number): Promise<PlantView> {
  const window = { from: now - (source.windowMs ?? DEFAULT_WINDOW), to: now + 60_000 };
  const summaries = await reader.summarize({ ...window, gateway: source.gatewayId });
  const derived = source.derived;
  const machines: MachineView[] = [];
  for (const device of source.devices) {
    const id = device.id;
    const stateRule = derived.machineState.find((r) => r.device === id);
    const oeeRule = derived.oee.find((r) => r.device === id);
    const counterOutputs = derived.counters.filter((c) => c.device === id).map((c) => c.output);
    const own = summaries.filter((s: SeriesSummary) => s.device === id);
    const stateSeries = stateRule ? await series(reader, id, stateRule.tag, window.from, window.to) : [];
    const lastState = stateSeries.filter((p) => isState(p.value)).at(-1);
    const running = oeeRule ? await figuresOf(reader, id, '', window.from, window.to) : new Map();
    const lastRunning = [...running].at(-1);
    const finals = oeeRule ? await figuresOf(reader, id, SHIFT_PREFIX, now - DAY, window.to) : new Map();
    const counters: MachineView['counters'] = [];
    for (const tag of counterOutputs) {
      const last = (await series(reader, id, tag, window.from, window.to)).at(-1);
      if (last && typeof last.value === 'number') counters.push({ tag, value: last.value });
    }
    const energyTag = device.tags.find((t) => t.unit === 'kWh')?.id;
    const partsTag = oeeRule?.totalCount ?? counterOutputs.find((o) => o.startsWith('part'));
    let energyPerPiece: string | null = null;
    if (energyTag && partsTag) {
      const pieces = await rise(reader, id, partsTag, window.from, window.to);
      const energy = await rise(reader, id, energyTag, window.from, window.to);
      if (pieces > 0 && energy >= 0) energyPerPiece = (energy / pieces).toFixed(3);
    }
    const configured = new Set(device.tags.map((t) => t.id));
    machines.push({
      device: id,
      state: lastState ? { value: lastState.value as MachineState, time: lastState.time } : null,
      timeline: timelineOf(stateSeries, Math.min(now, window.to)),
      oee: lastRunning ? { figures: lastRunning[1], time: lastRunning[0] } : null,
      shifts: [...finals].map(([time, figures]) => ({ time, figures })),
      counters,
      energyPerPiece,
      coverage: {
        good: own.filter((s) => configured.has(s.tag) && s.counts.good > 0).length,
        tags: configured.size,
      },
      lastData: own.length === 0 ? null : Math.max(...own.map((s) => s.last)),
    });
  }
  return { gatewayId: source.gatewayId, window, machines };
}

export interface TagTrend {
  tag: string;
  unit: string | undefined;
  latest: SampleValue | null;
  /** [time, value] of numeric samples, at most `maxPoints` (evenly thinned). */
  points: [number, number][];
}

/** Every tag of one device over a window, thinned for drawing. */
export async function readDevice(
  source: PlantSource,
  reader: SampleReader,
  deviceId: string,
  window: { from: number; to: number },
  maxPoints = 300,
): Promise<TagTrend[] | null> {
  const device = source.devices.find((d) => d.id === deviceId);
  if (!device) return null;
  const tags = new Map<string, TagTrend>();
  const units = new Map(device.tags.map((t) => [t.id, t.unit]));
  for await (const s of reader.samples({ ...window, device: deviceId, gateway: source.gatewayId })) {
    if (s.quality !== 'good') continue;
    let trend = tags.get(s.tag);
    if (!trend) {
      trend = { tag: s.tag, unit: units.get(s.tag), latest: null, points: [] };
      tags.set(s.tag, trend);
    }
    trend.latest = s.value;
    if (typeof s.value === 'number') trend.points.push([s.sourceTime, s.value]);
    else if (typeof s.value === 'boolean') trend.points.push([s.sourceTime, s.value ? 1 : 0]);
  }
  for (const trend of tags.values()) {
    const step = Math.ceil(trend.points.length / maxPoints);
    if (step > 1)
      trend.points = trend.points.filter((_, i) => i % step === 0 || i === trend.points.length - 1);
  }
  return [...tags.values()].sort((a, b) => a.tag.localeCompare(b.tag));
}
