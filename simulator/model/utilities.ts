/**
 * Energy meters and environment sensors, derived from the machines: a meter sums the power and
 * energy of its machines plus a base load; sensors follow the time of day and what runs nearby.
 */
import type { MeterDef, SensorDef } from '../plant/types.ts';
import { DAY_MINUTES, localDayOf, localDayStart, minuteOf } from './calendar.ts';
import { keyOf, noise } from './hash.ts';
import type { MachineModel } from './machine.ts';
import type { SignalValue } from './signals.ts';

const HOUR_MS = 3_600_000;
const NOMINAL_VOLTAGE = 220;
const PHASES = ['a', 'b', 'c'] as const;
/** A VOC reading at or above this (ppm) raises the coating room's alarm flag. */
export const VOC_ALARM_PPM = 40;

function jitter(seed: number, source: string, what: string, t: number): number {
  return noise(seed, keyOf(source), keyOf(what), minuteOf(t));
}

export function meterSignal(
  meter: MeterDef,
  machines: readonly MachineModel[],
  seed: number,
  epochMs: number,
  signal: string,
  t: number,
): SignalValue {
  const powerKw = () => machines.reduce((sum, m) => sum + m.powerKw(t), meter.baseLoadKw);
  const voltage = (phase: string) => NOMINAL_VOLTAGE * (1 + 0.01 * jitter(seed, meter.id, `u${phase}`, t));
  switch (signal) {
    case 'power_kw':
      return powerKw();
    case 'energy_kwh':
      return machines.reduce((sum, m) => sum + m.energyKwh(t), (meter.baseLoadKw * (t - epochMs)) / HOUR_MS);
    case 'power_factor':
      return meter.powerFactor;
    case 'frequency':
      return 50 + 0.02 * jitter(seed, meter.id, 'f', t);
    default:
      break;
  }
  const phase = PHASES.find((p) => signal === `voltage_${p}` || signal === `current_${p}`);
  if (!phase) throw new Error(`meter ${meter.id} has no signal '${signal}'`);
  if (signal.startsWith('voltage')) return voltage(phase);
  // Loads are slightly unbalanced: each phase carries a fixed share around a third.
  const share = 1 + 0.04 * noise(seed, keyOf(meter.id), keyOf(`share-${phase}`), 0);
  return ((powerKw() * 1000) / (3 * voltage(phase) * meter.powerFactor)) * share;
}

/** 0 at 09:00 local, 1 at 15:00, -1 at 03:00: the daily swing of the weather. */
function dailySwing(t: number): number {
  const minute = minuteOf(t);
  const local = minute - localDayStart(localDayOf(minute));
  return Math.sin((2 * Math.PI * (local - 9 * 60)) / DAY_MINUTES);
}

export function sensorSignal(
  sensor: SensorDef,
  machines: readonly MachineModel[],
  seed: number,
  signal: string,
  t: number,
): SignalValue {
  const vary = (what: string) => jitter(seed, sensor.id, what, t);
  const runningCount = machines.filter((m) => m.stateAt(t) === 'running').length;
  // The coating room is warmer (curing oven) while the line runs.
  const warm = sensor.kind === 'coating-room' && runningCount > 0 ? 3 : 0;
  switch (signal) {
    case 'temperature':
      return 22 + 6 * dailySwing(t) + warm + 0.3 * vary('temperature');
    case 'humidity':
      return 65 - 12 * dailySwing(t) - 2 * warm + vary('humidity');
    case 'pressure_hpa':
      return 1012 + 4 * Math.sin((2 * Math.PI * localDayOf(minuteOf(t))) / 7) + 0.2 * vary('pressure');
    case 'voc_ppm':
      return Math.max(0, 3 + (runningCount > 0 ? 30 : 0) * (1 + 0.4 * vary('voc')) + vary('voc-base'));
    case 'voc_alarm':
      return (sensorSignal(sensor, machines, seed, 'voc_ppm', t) as number) >= VOC_ALARM_PPM;
    case 'flow_m3min':
      return 0.5 + 0.35 * runningCount * (1 + 0.05 * vary('flow'));
    case 'pressure_bar':
      return 7.2 - 0.04 * runningCount + 0.05 * vary('air-pressure');
    default:
      throw new Error(`sensor ${sensor.id} has no signal '${signal}'`);
  }
}
