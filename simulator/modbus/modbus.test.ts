/**
 * The Modbus server read by mbpoll, a client that is not ours: documented registers give the
 * model's values at the frozen simulated time.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyScale } from '../../collector/modbus/codec.ts';
import { requireBinary } from '../../test/services/binaries.ts';
import { freePort } from '../../test/services/ports.ts';
import { type RunningSimulator, startSimulator } from '../index.ts';

const mbpollBinary = requireBinary('mbpoll', 'mbpoll');
const START = '2025-03-17T10:07:30+08:00';

interface Poll {
  values: Map<number, string>;
  output: string;
  failed: boolean;
}

/** Runs mbpoll once (-1) with 0-based references (-0) and returns reference → printed value. */
function mbpoll(port: number, args: string[]): Promise<Poll> {
  return new Promise((resolve) => {
    execFile(
      mbpollBinary.path!,
      ['-m', 'tcp', '-0', '-1', '-o', '2', '-p', String(port), ...args, '127.0.0.1'],
      { timeout: 10_000 },
      (error, stdout, stderr) => {
        const values = new Map<number, string>();
        for (const match of stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)) values.set(Number(match[1]), match[2]!);
        resolve({ values, output: stdout + stderr, failed: error !== null });
      },
    );
  });
}

/** mbpoll prints floats with %g: six significant digits. */
const printed = (value: number) => Number(value.toPrecision(6));
const word = (text: string) => Number.parseInt(text, 16);
/** The registers printed by `-t 4:hex` at these references, as bytes in that order. */
const bytesAt = (poll: Poll, refs: number[]) => {
  const bytes = Buffer.alloc(refs.length * 2);
  refs.forEach((ref, i) => {
    bytes.writeUInt16BE(word(poll.values.get(ref)!), i * 2);
  });
  return bytes;
};

describe.skipIf(!mbpollBinary.available)('Modbus TCP server read by mbpoll', () => {
  let sim: RunningSimulator;
  let port: number;
  beforeAll(async () => {
    sim = await startSimulator({
      seed: 42,
      speed: 0,
      start: START,
      modbus: { port: await freePort() },
      opcua: false,
      mqtt: false,
    });
    port = sim.modbus!.port;
  });
  afterAll(async () => {
    await sim?.stop();
  });
  const value = (device: string, tag: string) => sim.plant.valueAt(device, tag, sim.clock.now()) as number;

  it('serves unit 1 (main meter) as big-endian float32 holding registers', async () => {
    const poll = await mbpoll(port, ['-a', '1', '-r', '0', '-c', '10', '-t', '4:float', '-B']);
    const tags = [
      'voltage_a',
      'voltage_b',
      'voltage_c',
      'current_a',
      'current_b',
      'current_c',
      'power_kw',
      'power_factor',
      'frequency',
      'energy_kwh',
    ];
    tags.forEach((tag, i) => {
      expect(Number(poll.values.get(i * 2)), tag).toBe(printed(value('meter-main', tag)));
    });
    expect(value('meter-main', 'power_kw')).toBeGreaterThan(100);
  });

  it('serves unit 3 as word-swapped (CDAB) float32, mbpoll default order', async () => {
    const poll = await mbpoll(port, ['-a', '3', '-r', '12', '-c', '1', '-t', '4:float']);
    expect(Number(poll.values.get(12))).toBe(printed(value('meter-forming', 'power_kw')));
    const energy = await mbpoll(port, ['-a', '3', '-r', '100', '-c', '4', '-t', '4:hex']);
    expect(bytesAt(energy, [100, 101, 102, 103]).readDoubleBE(0)).toBe(value('meter-forming', 'energy_kwh'));
  });

  it('serves unit 2 as scaled integers in input registers, 32-bit word-swapped', async () => {
    const poll = await mbpoll(port, ['-a', '2', '-r', '0', '-c', '6', '-t', '3']);
    expect(applyScale(Number(poll.values.get(0)), 0.1, 0)).toBe(value('meter-furnace', 'voltage_a'));
    expect(applyScale(Number(poll.values.get(5)), 0.1, 0)).toBe(value('meter-furnace', 'current_c'));
    const power = await mbpoll(port, ['-a', '2', '-r', '6', '-c', '1', '-t', '3:int']);
    expect(applyScale(Number(power.values.get(6)), 0.001, 0)).toBe(value('meter-furnace', 'power_kw'));
    const energy = await mbpoll(port, ['-a', '2', '-r', '10', '-c', '1', '-t', '3:int']);
    expect(applyScale(Number(energy.values.get(10)), 0.01, 0)).toBe(value('meter-furnace', 'energy_kwh'));
  });

  it('serves the furnace PLC (unit 11) in BADC, DCBA, ABCD and CDAB orders, plus coils', async () => {
    const poll = await mbpoll(port, ['-a', '11', '-r', '0', '-c', '14', '-t', '4:hex']);
    const at = (...refs: number[]) => bytesAt(poll, refs);
    expect(word(poll.values.get(0)!)).toBe(value('furnace-01', 'state'));
    expect(word(poll.values.get(1)!)).toBe(value('furnace-01', 'alarm_code'));
    // BADC: registers [BA, DC]; swapping the bytes of each register gives ABCD.
    expect(at(2, 3).swap16().readFloatBE(0)).toBe(value('furnace-01', 'chamber_temperature'));
    // DCBA: registers [DC, BA] are the value little-endian.
    expect(at(4, 5).readFloatLE(0)).toBe(value('furnace-01', 'vacuum'));
    expect(at(6, 7).readUInt32BE(0)).toBe(value('furnace-01', 'batch'));
    expect(applyScale(at(8).readInt16BE(0), 0.1, 0)).toBe(value('furnace-01', 'power_kw'));
    // CDAB on 64 bits: registers [GH, EF, CD, AB].
    expect(at(13, 12, 11, 10).readDoubleBE(0)).toBe(value('furnace-01', 'energy_kwh'));
    const coil = await mbpoll(port, ['-a', '11', '-r', '0', '-c', '1', '-t', '0']);
    expect(coil.values.get(0)).toBe(sim.plant.valueAt('furnace-01', 'running', sim.clock.now()) ? '1' : '0');
    const input = await mbpoll(port, ['-a', '11', '-r', '0', '-c', '1', '-t', '1']);
    expect(input.values.get(0)).toBe(
      sim.plant.valueAt('furnace-01', 'alarm_active', sim.clock.now()) ? '1' : '0',
    );
  });

  it('serves the press PLC (unit 21): signed scaled int16, CDAB uint32 and DCBA float64', async () => {
    const poll = await mbpoll(port, ['-a', '21', '-r', '0', '-c', '13', '-t', '4']);
    expect(applyScale(Number(poll.values.get(2)), 0.1, 0)).toBe(value('press-01', 'oil_temperature'));
    expect(applyScale(Number(poll.values.get(3)), 0.01, 0)).toBe(value('press-01', 'pressure'));
    expect(Number(poll.values.get(12))).toBe(value('press-01', 'part_count'));
    const strokes = await mbpoll(port, ['-a', '21', '-r', '4', '-c', '1', '-t', '4:int']);
    expect(Number(strokes.values.get(4))).toBe(value('press-01', 'stroke_count') | 0);
    const energy = await mbpoll(port, ['-a', '21', '-r', '8', '-c', '4', '-t', '4:hex']);
    // DCBA on 64 bits is HGFEDCBA: the registers in order hold the value little-endian.
    expect(bytesAt(energy, [8, 9, 10, 11]).readDoubleLE(0)).toBe(value('press-01', 'energy_kwh'));
  });

  it('answers exception 02 past the map and 0B for an unknown unit id', async () => {
    const past = await mbpoll(port, ['-a', '11', '-r', '14', '-c', '1', '-t', '4']);
    expect(past.failed || /Illegal data address/i.test(past.output)).toBe(true);
    expect(past.output).toMatch(/Illegal data address/i);
    const unknown = await mbpoll(port, ['-a', '99', '-r', '0', '-c', '1', '-t', '4']);
    expect(unknown.output).toMatch(/Target device failed to respond/i);
  });
});

describe.skipIf(!mbpollBinary.available)('Modbus values over time (speed > 0)', () => {
  let sim: RunningSimulator;
  afterAll(async () => {
    await sim?.stop();
  });

  it('sees the main meter energy grow while simulated time runs', async () => {
    sim = await startSimulator({
      seed: 42,
      speed: 3600,
      start: START,
      modbus: { port: await freePort() },
      opcua: false,
      mqtt: false,
    });
    const read = async () => {
      const poll = await mbpoll(sim.modbus!.port, ['-a', '3', '-r', '100', '-c', '4', '-t', '4:hex']);
      return bytesAt(poll, [100, 101, 102, 103]).readDoubleBE(0);
    };
    const first = await read();
    await new Promise((r) => setTimeout(r, 1200));
    const second = await read();
    // 1.2 s at 3600× is over an hour of simulated time: at least the 3 kW base load accrues.
    expect(second - first).toBeGreaterThan(3);
  });
});
