/**
 * The signals of a machine at simulated time t: states, alarms, counters, power and energy, and the
 * process values of each kind (spindle speed, barrel temperature, furnace profile, …). Process
 * values carry small seeded noise that is constant within a simulated minute.
 */
import type { MachineDef } from '../plant/types.ts';
import { MINUTE_MS, minuteOf } from './calendar.ts';
import { keyOf, noise, unit } from './hash.ts';
import type { MachineModel } from './machine.ts';
import { type MachineState, stateCode } from './timeline.ts';

export type SignalValue = number | boolean | string;

/** Workshop air temperature the machines cool down to, °C. */
export const AMBIENT_C = 25;
const ATMOSPHERE_PA = 101_325;
/** Signals that count and may be reset at shift start or roll over. */
export const COUNTER_SIGNALS = new Set(['cycles', 'parts', 'scrap', 'good']);

const heated = (s: MachineState): boolean => s !== 'off' && s !== 'maintenance';

function nominal(def: MachineDef, name: string): number {
  const value = def.nominal[name];
  if (value === undefined) throw new Error(`machine ${def.id} has no nominal value '${name}'`);
  return value;
}

/** Seeded noise in [-1, 1) for (machine, signal, minute of t). */
function jitter(m: MachineModel, signal: string, t: number): number {
  return noise(m.seed, keyOf(m.def.id), keyOf(signal), minuteOf(t));
}

export function machineSignal(m: MachineModel, signal: string, t: number): SignalValue {
  const def = m.def;
  const state = m.stateAt(t);
  const running = state === 'running';
  const vary = (base: number, share: number) => base * (1 + share * jitter(m, signal, t));
  switch (signal) {
    case 'state':
      return stateCode(state);
    case 'state_name':
      return state;
    case 'running':
      return running;
    case 'alarm_code':
      return m.segmentAt(minuteOf(t)).alarm;
    case 'alarm_active':
      return m.segmentAt(minuteOf(t)).alarm !== 0;
    case 'alarm_text':
      return activeAlarm(m, t)?.text ?? '';
    case 'blade_alarm':
      return activeAlarm(m, t)?.group === 'blade';
    case 'cycles':
      return m.cycles(t);
    case 'parts':
      return m.parts(t);
    case 'scrap':
      return m.scrap(t);
    case 'good':
      return m.parts(t) - m.scrap(t);
    case 'power_kw':
      return m.powerKw(t);
    case 'energy_kwh':
      return m.energyKwh(t);
    case 'cycle_time':
      return vary(def.cycleSeconds, 0.02);
    case 'spindle_speed':
      return running ? vary(nominal(def, 'spindleRpm'), 0.005) : 0;
    case 'feed_override': {
      // Operators turn the override in steps and leave it for a while: one setting per hour.
      const steps = [80, 90, 100, 100, 100, 110];
      const hour = Math.floor(minuteOf(t) / 60);
      return running
        ? steps[Math.floor(unit(m.seed, keyOf(def.id), keyOf(signal), hour) * steps.length)]!
        : 100;
    }
    case 'speed':
      return running ? vary((60 / def.cycleSeconds) * def.partsPerCycle, 0.02) : 0;
    case 'pressure': {
      const full = nominal(def, 'pressureMpa');
      return running ? vary(full, 0.02) : state === 'warmup' ? full * 0.4 : 0;
    }
    case 'laser_power':
      return running ? vary(nominal(def, 'laserW'), 0.01) : 0;
    case 'gas_flow':
      return running ? vary(nominal(def, 'gasLpm'), 0.03) : 0;
    case 'spindle_temp':
      return m.firstOrder(t, 180, (s) => [s === 'running' ? nominal(def, 'spindleTemp') : AMBIENT_C, 15]);
    case 'barrel_temp':
      return m.firstOrder(t, 150, (s) => [heated(s) ? nominal(def, 'barrelTemp') : AMBIENT_C, 12]);
    case 'mould_temp':
      return m.firstOrder(t, 240, (s) => [heated(s) ? nominal(def, 'mouldTemp') : AMBIENT_C, 20]);
    case 'oven_temp':
      return m.firstOrder(t, 360, (s) => [heated(s) ? nominal(def, 'ovenTemp') : AMBIENT_C, 30]);
    case 'oil_temp': {
      const oil = nominal(def, 'oilTemp');
      return m.firstOrder(t, 300, (s) => [s === 'running' ? oil : heated(s) ? oil - 8 : AMBIENT_C, 25]);
    }
    case 'chamber_temp':
      return furnaceTemperature(m, t);
    case 'vacuum_pa':
      return furnaceVacuum(m, t, state);
    case 'batch':
      return m.cycles(t) + 1;
    default:
      throw new Error(`machine ${def.id} has no signal '${signal}'`);
  }
}

function activeAlarm(m: MachineModel, t: number) {
  const code = m.segmentAt(minuteOf(t)).alarm;
  return code === 0 ? undefined : m.def.alarms.find((a) => a.code === code);
}

/** The furnace's temperature along its batch: load, linear ramp, hold, linear cool-down. */
function batchTemperature(m: MachineModel, runningMs: number): number {
  const load = nominal(m.def, 'loadTemp');
  const hold = nominal(m.def, 'holdTemp');
  const { phase, intoMs } = m.phaseAt(runningMs);
  const share = intoMs / (phase.minutes * MINUTE_MS);
  if (phase.name === 'ramp') return load + (hold - load) * share;
  if (phase.name === 'hold') return hold;
  if (phase.name === 'cool') return hold - (hold - load) * share;
  return load;
}

/**
 * Chamber temperature: the batch profile while running; a first-order approach to the holding
 * temperature during warm-up, to a standby temperature in short stops, to ambient when off.
 */
function furnaceTemperature(m: MachineModel, t: number): number {
  const hold = nominal(m.def, 'holdTemp');
  const standby = nominal(m.def, 'standbyTemp');
  const warmTau = Math.max(m.def.warmupMinutes / 3, 1);
  return m.firstOrder(
    t,
    1440,
    (s) => (s === 'warmup' ? [hold, warmTau] : heated(s) ? [standby, 60] : [AMBIENT_C, 120]),
    (segment, atMs) => (segment.state === 'running' ? batchTemperature(m, m.runningMs(atMs)) : undefined),
  );
}

/** Chamber pressure, Pa: pumped down during the load phase, high vacuum otherwise, vented when off. */
function furnaceVacuum(m: MachineModel, t: number, state: MachineState): number {
  if (!heated(state)) return ATMOSPHERE_PA;
  const highVacuum = 5e-3 * (1 + 0.1 * jitter(m, 'vacuum_pa', t));
  if (state !== 'running') return state === 'warmup' ? highVacuum : 0.5;
  const { phase, intoMs } = m.phaseAt(m.runningMs(t));
  if (phase.name !== 'load') return highVacuum;
  return 10 ** (5 - (7 * intoMs) / (phase.minutes * MINUTE_MS));
}
