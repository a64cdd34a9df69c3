/**
 * Plausibility flags on genuine and fabricated data. The simulated plant (simulator/) is computed
 * directly from its model (no servers: every value is a pure function of seed and time), sampled
 * as the gateway stores it — OPC UA by change (the state every sample), Modbus and MQTT every poll
 * with the receive time's jitter, Sparkplug B by exception — with the gateway's own derived data
 * (machine state, counter totals, OEE) from `DerivedEngine`. Then:
 * - false positives: flagged genuine series / all series in the store, with and without the
 *   gateway config's tag facts (units, descriptions, derived outputs);
 * - detection: series fabricated into that data — a measured value held constant while its
 *   machine runs, a recording replayed in a loop, a generated ramp, a per-shift counter that never
 *   resets, and points back-dated into a period the gateway was off — flagged with the right kind.
 *
 *   node --import tsx bench/plausibility.ts [--smoke] [--seeds N] [--interval SECONDS]
 *
 * `--smoke`: one seed, six hours; exits 1 when the false-positive rate exceeds 1 % of series or
 * fewer than 95 % of the fabrications are found.
 */
import { parseArgs } from 'node:util';
import type { Sample } from '../core/model.ts';
import {
  HISTORY_MS,
  OfflineWatch,
  type PlausibilityFlag,
  SignalWatch,
  type TagCatalog,
  tagCatalog,
} from '../gateway/attest/plausibility.ts';
import { DerivedEngine, derivedTypes } from '../gateway/derived/engine.ts';
import { type DerivedConfig, derivedSchema } from '../gateway/derived/schema.ts';
import type { StoredSample } from '../gateway/sinks/sink.ts';
import type { TimeWindow } from '../gateway/store/reader.ts';
import { simulatorGatewayConfig } from '../simulator/gateway-config.ts';
import { createPlant, type Plant } from '../simulator/index.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    seeds: { type: 'string' },
    interval: { type: 'string' },
  },
});
const smoke = values.smoke === true;
const seeds = Array.from({ length: Number(values.seeds ?? (smoke ? 1 : 3)) }, (_, i) => i + 1);
const intervalMs = Number(values.interval ?? (smoke ? 10 : 5)) * 1000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const SCENARIOS = smoke ? ['yongkang-cups'] : ['yongkang-cups', 'yongkang-cups-before'];
/** Weekdays (Tuesday on), and a weekend with Sunday's maintenance and the furnaces off. */
const WINDOWS = smoke
  ? [{ name: 'weekday 06–12', from: Date.parse('2025-03-18T06:00:00+08:00'), hours: 6 }]
  : [
      { name: 'Tue–Wed', from: Date.parse('2025-03-18T00:00:00+08:00'), hours: 48 },
      { name: 'Sat–Sun', from: Date.parse('2025-03-22T12:00:00+08:00'), hours: 48 },
    ];
/** History before each window, which the verifier reads for series constant from the window's start. */
const historyMs = smoke ? 2 * HOUR : HISTORY_MS;

type ByDevice = Map<string, StoredSample[]>;

/** A small seeded generator for the sampling jitter (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The derived-data config and tag facts of the gateway the simulator generates a config for. */
function gatewayOf(plant: Plant): { derived: DerivedConfig; catalog: TagCatalog } {
  const config = simulatorGatewayConfig(
    {
      plant,
      opcua: { endpointUrl: 'opc.tcp://127.0.0.1:4840' },
      modbus: { host: '127.0.0.1', port: 5020 },
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
    },
    { embedded: true },
  );
  const derived = derivedSchema.parse(config.derived);
  return { derived, catalog: tagCatalog(plant.devices, derived) };
}

/** What the store holds of the plant from `from` to `to`, per device in time order. */
function genuine(plant: Plant, derived: DerivedConfig, from: number, to: number, seed: number): ByDevice {
  const jitter = random(seed * 7919 + from / 1000);
  const out: ByDevice = new Map(plant.devices.map((d) => [d.id, []]));
  const types = new Map(derivedTypes(derived, plant.devices).map(([d, t, type]) => [`${d}/${t}`, type]));
  let now = from;
  const engine = new DerivedEngine(
    derived,
    (samples: Sample[]) => {
      for (const s of samples)
        out.get(s.device)?.push({ ...s, type: types.get(`${s.device}/${s.tag}`) ?? 'number' });
    },
    () => now,
  );
  const last = new Map<string, unknown>();
  for (let t = from; t < to; t += intervalMs) {
    now = t;
    for (const device of plant.devices) {
      // OPC UA: the server's sampling instant; Modbus: the receive time of the poll; MQTT and
      // Sparkplug B: the publisher's clock. Milliseconds of jitter, as timers have.
      const at = t + Math.floor(jitter() * (device.protocol === 'modbus' ? 50 : 20));
      const batch: StoredSample[] = [];
      for (const tag of device.tags) {
        const value = plant.valueAt(device.id, tag.id, at);
        const k = `${device.id}/${tag.id}`;
        const byChange = device.protocol === 'opcua' || device.protocol === 'sparkplugb';
        // The state's OPC UA item reports every sample (deadband none, the simulator's config).
        if (byChange && last.get(k) === value && !(device.protocol === 'opcua' && tag.id === 'state'))
          continue;
        last.set(k, value);
        batch.push({
          device: device.id,
          tag: tag.id,
          type: tag.type,
          value,
          quality: 'good',
          statusCode: 0,
          sourceTime: at,
          receivedAt: at + 5,
        });
      }
      out.get(device.id)?.push(...batch);
      if (batch.length > 0) engine.observe(batch);
    }
    engine.tick();
  }
  for (const samples of out.values()) samples.sort((a, b) => a.sourceTime - b.sourceTime);
  return out;
}

const inWindow = (s: StoredSample, w: TimeWindow) => s.sourceTime >= w.from && s.sourceTime < w.to;
const keyOf = (s: { device: string; tag?: string }) => `${s.device}/${s.tag}`;

/** The flags `shugai verify` would raise over the window, for the devices given. */
async function flagsOf(
  byDevice: ByDevice,
  devices: readonly string[],
  window: TimeWindow,
  catalog: TagCatalog | undefined,
  attestationTimes?: number[],
): Promise<PlausibilityFlag[]> {
  const watch = new SignalWatch({ window, ...(catalog ? { catalog } : {}) });
  const offline = attestationTimes ? new OfflineWatch(attestationTimes) : undefined;
  for (const device of devices)
    for (const s of byDevice.get(device) ?? [])
      if (inWindow(s, window)) {
        watch.add(s);
        offline?.add(s);
      }
  const history = async function* (device: string, tag: string, range: TimeWindow) {
    for (const s of byDevice.get(device) ?? []) if (s.tag === tag && inWindow(s, range)) yield s;
  };
  return [...(offline?.flags() ?? []), ...(await watch.flags(history))];
}

/** Series of the window: device/tag → its samples (in time order). */
function seriesOf(byDevice: ByDevice, window: TimeWindow): Map<string, StoredSample[]> {
  const out = new Map<string, StoredSample[]>();
  for (const samples of byDevice.values())
    for (const s of samples) {
      if (!inWindow(s, window)) continue;
      const list = out.get(keyOf(s)) ?? [];
      list.push(s);
      out.set(keyOf(s), list);
    }
  return out;
}

type Kind = 'constant' | 'periodic' | 'ramp' | 'never_reset' | 'reported_while_offline';
interface Fabrication {
  kind: Kind;
  device: string;
  tag: string;
  /** The series with the fabrication in place, history included, in time order. */
  series: StoredSample[];
  attestationTimes?: number[];
}

/** A sample of `tag` every poll in [from, to): what someone typing a series in writes. */
function typed(like: StoredSample, from: number, to: number, value: (t: number) => number): StoredSample[] {
  const out: StoredSample[] = [];
  for (let t = from; t < to; t += intervalMs)
    out.push({ ...like, value: value(t), sourceTime: t, receivedAt: t + 5 });
  return out;
}

/** The series with its samples in [from, to) replaced by `make`'s. */
function replaced(
  list: StoredSample[],
  from: number,
  to: number,
  make: (kept: StoredSample[]) => StoredSample[],
): StoredSample[] {
  return [
    ...list.filter((s) => s.sourceTime < from),
    ...make(list.filter((s) => s.sourceTime >= from && s.sourceTime < to)),
    ...list.filter((s) => s.sourceTime >= to),
  ];
}

/**
 * Float series seen taking many values and going both up and down: what a measurement looks like
 * (energy totals only rise; nobody fakes one by replaying it).
 */
function measurements(series: Map<string, StoredSample[]>, plant: Plant) {
  return [...series.entries()]
    .filter(([k, list]) => {
      const [device, tag] = k.split('/') as [string, string];
      const simTag = plant.device(device).tags.find((t) => t.id === tag);
      const values = list.map((s) => Number(s.value));
      const falls = values.some((v, i) => i > 0 && v < (values[i - 1] as number));
      return simTag?.type === 'number' && falls && new Set(values).size >= 30;
    })
    .map(([k]) => k.split('/') as [string, string]);
}

/** Value changes of a series' samples in [from, to). */
const changes = (list: StoredSample[], from: number, to: number) =>
  list.filter((s, i) => s.sourceTime >= from && s.sourceTime < to && i > 0 && s.value !== list[i - 1]?.value)
    .length;

/** Machines whose counters tell when they produce (what a "constant while running" needs). */
const producing = (plant: Plant, device: string) =>
  plant.definition.machines.some((m) => m.id === device) &&
  plant.device(device).tags.some((t) => t.signal.counter);

/** A time from which the machine runs without a stop for `ms`, searched in half hours. */
function runningStretch(plant: Plant, machine: string, window: TimeWindow, ms: number): number | undefined {
  for (let t = window.from + HOUR; t + ms < window.to; t += 30 * MINUTE) {
    let running = true;
    for (let u = t; u <= t + ms && running; u += MINUTE) running = plant.stateAt(machine, u) === 'running';
    if (running) return t;
  }
  return undefined;
}

function fabrications(plant: Plant, byDevice: ByDevice, window: TimeWindow): Fabrication[] {
  const out: Fabrication[] = [];
  const series = seriesOf(byDevice, window);
  const withHistory = seriesOf(byDevice, { from: window.from - historyMs, to: window.to });
  const span = 2 * HOUR;
  for (const [device, tag] of measurements(series, plant)) {
    const samples = withHistory.get(`${device}/${tag}`) as StoredSample[];
    const list = series.get(`${device}/${tag}`) as StoredSample[];
    // Held exactly while the machine runs ("182.0 for hours").
    const start = producing(plant, device) ? runningStretch(plant, device, window, span) : undefined;
    if (start !== undefined) {
      // A round number 5 % off the machine's value (not the value it would settle on anyway).
      const held = Math.round(Number(plant.valueAt(device, tag, start)) * 1.05);
      out.push({
        kind: 'constant',
        device,
        tag,
        series: replaced(samples, start, start + span, () =>
          typed(list[0] as StoredSample, start, start + span, () => held),
        ),
      });
    }
    // A recording of 20 changing minutes played six times over.
    const loop = 20 * MINUTE;
    const recordedFrom = [3, 9, 15, 21, 27, 33, 39]
      .map((h) => window.from + h * HOUR)
      .find((t) => t + loop + span < window.to && changes(list, t, t + loop) >= 20);
    if (recordedFrom !== undefined) {
      const from = recordedFrom + loop;
      const recording = list.filter((s) => s.sourceTime >= recordedFrom && s.sourceTime < from);
      out.push({
        kind: 'periodic',
        device,
        tag,
        series: replaced(samples, from, from + span, () =>
          Array.from({ length: span / loop }, (_, j) =>
            recording.map((s) => ({
              ...s,
              sourceTime: s.sourceTime + (j + 1) * loop,
              receivedAt: s.receivedAt + (j + 1) * loop,
            })),
          ).flat(),
        ),
      });
    }
    // A generated line, rounded to 0.01: from the value at its start, 10 % up over two hours.
    const rampFrom = window.from + 90 * MINUTE;
    const inSpan = list.filter((s) => s.sourceTime >= rampFrom && s.sourceTime < rampFrom + span);
    if (inSpan.length >= 60) {
      const v0 = Number(inSpan[0]?.value);
      const rise = Math.max(1, Math.abs(v0) * 0.1);
      out.push({
        kind: 'ramp',
        device,
        tag,
        series: replaced(samples, rampFrom, rampFrom + span, () =>
          typed(
            list[0] as StoredSample,
            rampFrom,
            rampFrom + span,
            (t) => Math.round((v0 + (rise * (t - rampFrom)) / span) * 100) / 100,
          ),
        ),
      });
    }
  }
  // A counter declared to reset each shift that never does: every increment kept.
  for (const device of plant.devices)
    for (const tag of device.tags) {
      if (!tag.signal.counter?.resetAtShiftStart || window.to - window.from < 30 * HOUR) continue;
      const samples = withHistory.get(`${device.id}/${tag.id}`) ?? [];
      let total = 1000;
      let previous: number | undefined;
      const rising = (kept: StoredSample[]) =>
        kept.map((s) => {
          const v = Number(s.value);
          if (previous !== undefined && v > previous) total += v - previous;
          previous = v;
          return { ...s, value: total };
        });
      out.push({
        kind: 'never_reset',
        device: device.id,
        tag: tag.id,
        series: replaced(samples, window.from, window.to, rising),
      });
    }
  // The gateway off for two hours: every device silent, but one device's points typed in for then.
  const off = { from: window.from + 2 * HOUR, to: window.from + 4 * HOUR };
  if (off.to < window.to) {
    const attestationTimes = gatewayClock(window, off);
    for (const device of plant.devices) {
      const tag = device.tags[0]?.id as string;
      out.push({
        kind: 'reported_while_offline',
        device: device.id,
        tag,
        series: withHistory.get(`${device.id}/${tag}`) ?? [],
        attestationTimes,
      });
    }
  }
  return out;
}

/** The attestation times of a gateway attesting every poll, except while it was off. */
function gatewayClock(window: TimeWindow, off?: TimeWindow): number[] {
  const times: number[] = [];
  for (let t = window.from - HOUR; t < window.to; t += intervalMs)
    if (!off || t < off.from || t >= off.to) times.push(t + 50);
  return times;
}

/** Genuine data with the gateway off for two hours: nothing reported then (what the offline flag judges). */
function silenced(byDevice: ByDevice, off: TimeWindow, keep: (device: string) => boolean): ByDevice {
  return new Map(
    [...byDevice].map(([device, samples]) => [
      device,
      keep(device) ? samples : samples.filter((s) => s.sourceTime < off.from || s.sourceTime >= off.to),
    ]),
  );
}

interface Tally {
  series: number;
  flagged: Map<'config' | 'data', Set<string>>;
  found: Map<Kind, Map<'config' | 'data', [number, number]>>;
}

const tally: Tally = {
  series: 0,
  flagged: new Map([
    ['config', new Set()],
    ['data', new Set()],
  ]),
  found: new Map(),
};
const flaggedList: string[] = [];
let queuedSensors = { flagged: 0, series: 0 };

const started = performance.now();
for (const scenario of SCENARIOS)
  for (const seed of seeds) {
    const plant = createPlant(scenario, seed);
    const { derived, catalog } = gatewayOf(plant);
    for (const w of WINDOWS) {
      const window = { from: w.from, to: w.from + w.hours * HOUR };
      const byDevice = genuine(plant, derived, window.from - historyMs, window.to, seed);
      const devices = [...byDevice.keys()];
      const series = seriesOf(byDevice, window);
      const label = `${scenario} seed ${seed} ${w.name}`;
      tally.series += series.size;
      for (const [mode, facts] of [
        ['config', catalog],
        ['data', undefined],
      ] as const) {
        const flags = await flagsOf(byDevice, devices, window, facts, gatewayClock(window));
        for (const f of flags) {
          tally.flagged.get(mode)?.add(`${label}|${keyOf(f)}`);
          flaggedList.push(
            `  ${label} (${mode === 'config' ? 'with config' : 'data only'}): [${f.kind}] ${f.message}`,
          );
        }
      }
      // The limit of the offline flag: a broker queued the sensors' messages while the gateway was off.
      const off = { from: window.from + 2 * HOUR, to: window.from + 4 * HOUR };
      const sensors = plant.devices.filter((d) => d.protocol === 'mqtt').map((d) => d.id);
      if (sensors.length > 0 && off.to < window.to) {
        const queued = silenced(byDevice, off, (d) => sensors.includes(d));
        const flags = await flagsOf(queued, sensors, window, catalog, gatewayClock(window, off));
        queuedSensors = {
          flagged: queuedSensors.flagged + flags.filter((f) => f.kind === 'reported_while_offline').length,
          series: queuedSensors.series + sensors.length,
        };
      }
      for (const fab of fabrications(plant, byDevice, window)) {
        // The fabricated series beside what tells when its machine produced (counters, running, states).
        const evidence = (byDevice.get(fab.device) ?? []).filter(
          (x) => x.tag !== fab.tag && x.type !== 'number',
        );
        const data: ByDevice = new Map([[fab.device, [...evidence, ...fab.series]]]);
        for (const [mode, facts] of [
          ['config', catalog],
          ['data', undefined],
        ] as const) {
          const flags = await flagsOf(data, [fab.device], window, facts, fab.attestationTimes);
          const hit = flags.some(
            (f) =>
              f.kind === fab.kind &&
              f.device === fab.device &&
              (fab.kind === 'reported_while_offline' || f.tag === fab.tag),
          );
          const byMode = tally.found.get(fab.kind) ?? new Map();
          const [n, found] = byMode.get(mode) ?? [0, 0];
          byMode.set(mode, [n + 1, found + (hit ? 1 : 0)]);
          tally.found.set(fab.kind, byMode);
          if (!hit && mode === 'config')
            console.log(`  missed: ${label} ${fab.kind} ${fab.device}/${fab.tag}`);
        }
      }
      console.log(`${label}: ${series.size} series, ${byDevice.size} devices`);
    }
  }

const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(2)} %`);
console.log(
  `\nplausibility bench: ${SCENARIOS.join(' + ')}, seeds ${seeds.join(', ')}, windows ${WINDOWS.map((w) => `${w.name} (${w.hours} h)`).join(', ')}, sampled every ${intervalMs / 1000} s, ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
for (const line of flaggedList) console.log(line);
const rate = (mode: 'config' | 'data') => (tally.flagged.get(mode)?.size ?? 0) / tally.series;
console.log(
  `false positives, genuine data: with the config's tag facts ${tally.flagged.get('config')?.size} of ${tally.series} series = ${pct(tally.flagged.get('config')?.size ?? 0, tally.series)}; from the data alone ${tally.flagged.get('data')?.size} = ${pct(tally.flagged.get('data')?.size ?? 0, tally.series)}`,
);
let injected = 0;
let found = 0;
for (const [kind, byMode] of tally.found) {
  const [n, c] = byMode.get('config') ?? [0, 0];
  const [, d] = byMode.get('data') ?? [0, 0];
  injected += n;
  found += c;
  console.log(
    `fabricated ${kind.padEnd(22)} ${String(n).padStart(4)} series: found ${pct(c, n)} with the config, ${pct(d, n)} from the data alone`,
  );
}
console.log(
  `detection, all fabrications (with the config): ${found} of ${injected} = ${pct(found, injected)}`,
);
console.log(
  `known limit: sensors whose broker queued messages while the gateway was off, flagged reported_while_offline: ${queuedSensors.flagged} of ${queuedSensors.series}`,
);
if (smoke && (rate('config') > 0.01 || found < 0.95 * injected)) {
  console.error(
    'plausibility bench: false positives above 1 % of series, or fewer than 95 % of fabrications found',
  );
  process.exitCode = 1;
}
