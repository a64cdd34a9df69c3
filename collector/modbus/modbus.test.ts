import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import type { Sample } from '../../core/model.ts';
import { requireBinary } from '../../test/services/binaries.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../../test/services/pymodbus.ts';
import type { CollectorContext } from '../collector.ts';
import { ConditionLog } from '../conditions.ts';
import { CollectorMetrics } from '../metrics.ts';
import { readDevice } from './cycle.ts';
import { type ModbusReadError, STATUS } from './errors.ts';
import { ModbusLink, type ReadCall } from './link.ts';
import { ModbusCollector } from './modbus.ts';
import { EXPECTED, peerConnection, peerLayout } from './peer.fixture.ts';
import { BadRanges, DEFAULT_LIMITS } from './planner.ts';
import { resolveTags } from './resolve.ts';

const mbpoll = requireBinary('mbpoll', 'mbpoll');
const run = promisify(execFile);

function context(): CollectorContext & { samples: Sample[] } {
  const samples: Sample[] = [];
  return {
    samples,
    log: silentLogger,
    conditions: new ConditionLog(silentLogger),
    metrics: new CollectorMetrics(),
    onSamples: (batch) => samples.push(...batch),
    now: () => Date.now(),
    baseDir: process.cwd(),
  };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!pymodbusBinary.available)('Modbus TCP against pymodbus', () => {
  let server: PymodbusServer;
  const tcp = () => ({ transport: 'tcp', host: '127.0.0.1', port: server.port });

  beforeAll(async () => {
    server = await startPymodbusTcp(peerLayout);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reads every data type and byte order exactly, and the tag at a missing address as exception 02', async () => {
    const ctx = context();
    const collector = new ModbusCollector(peerConnection(tcp()), ctx);
    const before = Date.now();
    const samples = await collector.readOnce();
    const byTag = new Map(samples.map((s) => [`${s.device}/${s.tag}`, s]));
    for (const [tag, value] of Object.entries(EXPECTED)) {
      expect(byTag.get(`all-types/${tag}`), tag).toMatchObject({ value, quality: 'good', statusCode: 0 });
    }
    expect(byTag.get('all-types/missing')).toMatchObject({ value: 0, quality: 'bad', statusCode: 2 });
    expect(byTag.get('second/seven')).toMatchObject({ value: 7, quality: 'good' });
    expect(samples.length).toBe(Object.keys(EXPECTED).length + 2);
    for (const s of samples) {
      expect(s.sourceTime).toBe(s.receivedAt);
      expect(s.receivedAt).toBeGreaterThanOrEqual(before);
    }
    expect(ctx.samples).toEqual([]); // readOnce returns, it does not deliver
  });

  it.skipIf(!mbpoll.available)('agrees with mbpoll on the layout', async () => {
    const poll = async (...args: string[]) => {
      const { stdout } = await run(mbpoll.path!, [
        '-m',
        'tcp',
        '-p',
        String(server.port),
        '-1',
        '-0',
        ...args,
        '127.0.0.1',
      ]);
      return [...stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => m[2]);
    };
    // mbpoll reads 32-bit values low word first unless -B: CDAB, and ABCD with -B.
    expect(await poll('-a', '1', '-r', '28', '-t', '4:float')).toEqual([String(EXPECTED.f32_CDAB)]);
    expect(await poll('-a', '1', '-r', '26', '-t', '4:float', '-B')).toEqual([String(EXPECTED.f32_ABCD)]);
    expect(await poll('-a', '1', '-r', '10', '-t', '4:int', '-B')).toEqual([String(EXPECTED.i32_ABCD)]);
    expect(await poll('-a', '1', '-r', '0', '-c', '1', '-t', '4:hex')).toEqual(['0xCFC7']); // -12345
    expect(await poll('-a', '1', '-r', '108', '-t', '4:hex')).toEqual(['0x8005']);
    expect(await poll('-a', '1', '-r', '0', '-c', '4', '-t', '0')).toEqual(['1', '0', '1', '1']);
    expect(await poll('-a', '2', '-r', '0', '-c', '2')).toEqual(['7', '8']);
  });

  it('splits a block refused with exception 02 and never merges across the refused range again', async () => {
    const link = new ModbusLink(
      {
        ...(tcp() as { transport: 'tcp'; host: string; port: number }),
        interRequestDelayMs: 0,
        connectTimeoutMs: 2000,
        backoff: { initialMs: 100, maxMs: 1000 },
      },
      { connected: () => undefined, disconnected: () => undefined },
    );
    const calls: { address: number; count: number; outcome: string }[] = [];
    const io = {
      read: async (call: ReadCall) => {
        try {
          const result = await link.read(call);
          calls.push({ address: call.address, count: call.count, outcome: 'ok' });
          return result;
        } catch (error) {
          calls.push({
            address: call.address,
            count: call.count,
            outcome: String((error as ModbusReadError).code),
          });
          throw error;
        }
      },
    };
    link.start();
    try {
      expect(await link.waitConnected(3000)).toBe(true);
      const config = peerConnection(tcp());
      const device = config.devices[0]!;
      const holding = device.tags.filter((t) => t.register === 'holding');
      const state = {
        id: device.id,
        unitId: 1,
        timeoutMs: 500,
        reads: resolveTags(1, 0, 'ABCD', holding),
        bad: new BadRanges(),
      };
      // The layout leaves 5–9, 34–39, 92–95 unserved; only the tag at 93 really lives in a hole.
      const cycle = async () => {
        calls.length = 0;
        const result = await readDevice(io, state, DEFAULT_LIMITS, Date.now);
        const notGood = result.samples.filter((s) => s.quality !== 'good');
        expect(notGood.map((s) => [s.tag, s.statusCode])).toEqual([['missing', 2]]);
        expect(result.samples.length).toBe(holding.length);
        return calls.map((c) => `${c.address}+${c.count}:${c.outcome}`);
      };
      // Cycle 1: the whole block is refused, then halves at the widest gaps until each hole is found.
      expect(await cycle()).toEqual([
        '0+110:2',
        '0+34:2',
        '0+5:ok',
        '10+24:ok', // both halves good: the gap 5–9 is the refused range
        '40+70:2',
        '40+54:2',
        '40+52:ok',
        '93+1:2', // a lone tag refused: its own address is the refused range
        '96+14:ok',
      ]);
      expect(state.bad.list()).toEqual([
        { unitId: 1, fn: 3, start: 5, end: 10 },
        { unitId: 1, fn: 3, start: 93, end: 94 },
      ]);
      // Cycle 2: the remembered ranges are avoided; the hole at 34–39 (hidden in cycle 1) turns up.
      expect(await cycle()).toEqual(['0+5:ok', '10+82:2', '10+24:ok', '40+52:ok', '93+1:2', '96+14:ok']);
      // Cycle 3 on: no request over a hole; only the tag at the bad address is refused, alone.
      expect(await cycle()).toEqual(['0+5:ok', '10+24:ok', '40+52:ok', '93+1:2', '96+14:ok']);
      expect(await cycle()).toEqual(['0+5:ok', '10+24:ok', '40+52:ok', '93+1:2', '96+14:ok']);
    } finally {
      await link.stop();
    }
  });

  it('keeps a good device on time while a unit id on the same link does not answer', async () => {
    const ctx = context();
    const collector = new ModbusCollector(peerConnection(tcp(), { dead: true }), ctx);
    await collector.start();
    await new Promise((r) => setTimeout(r, 3000));
    await collector.stop();
    const second = ctx.samples.filter((s) => s.device === 'second');
    const dead = ctx.samples.filter((s) => s.device === 'dead');
    expect(second.every((s) => s.quality === 'good' && s.value === 7)).toBe(true);
    // 15 polls of 200 ms in 3 s; each wait behind a dead unit's timeout (300 ms) delays one poll.
    expect(second.length).toBeGreaterThanOrEqual(10);
    const gaps = second.slice(1).map((s, i) => s.receivedAt - second[i]!.receivedAt);
    expect(Math.max(...gaps)).toBeLessThan(200 + 300 + 150);
    expect(dead.length).toBeGreaterThanOrEqual(2);
    expect(dead.every((s) => s.quality === 'bad' && s.statusCode === STATUS.timeout)).toBe(true);
    // Backoff (400 ms doubling, capped at 1600 ms) keeps the dead unit to a few tries, not 15.
    expect(dead.length).toBeLessThanOrEqual(6);
    const m = ctx.metrics;
    expect(await m.count(m.errors, { device: 'dead', kind: 'timeout' })).toBe(dead.length);
    // Its 200 ms tick comes while its 300 ms request still waits: skipped and counted, never queued twice.
    expect(await m.count(m.errors, { device: 'dead', kind: 'overrun' })).toBeGreaterThanOrEqual(1);
    expect(await m.count(m.errors, { device: 'second', kind: 'timeout' })).toBe(0);
    expect(await m.count(m.errors, { device: 'second', kind: 'disconnected' })).toBe(0);
    expect(await m.count(m.samples, { device: 'second', quality: 'good' })).toBe(second.length);
  });

  it('reconnects after the server is killed and restarted', async () => {
    const ctx = context();
    const config = peerConnection(tcp(), { extra: { backoff: { initialMs: 100, maxMs: 400 } } });
    const collector = new ModbusCollector(config, ctx);
    await collector.start();
    try {
      await until(() => ctx.samples.some((s) => s.device === 'second'), 3000);
      await server.halt();
      const m = ctx.metrics;
      await until(() => ctx.conditions.isActive({ device: 'peer' }, 'disconnected'), 3000);
      expect((await m.connected.get()).values.find((v) => v.labels.device === 'second')?.value).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      await server.restart();
      const restarted = Date.now();
      await until(() => ctx.samples.some((s) => s.device === 'second' && s.receivedAt > restarted), 4000);
      expect(ctx.conditions.isActive({ device: 'peer' }, 'disconnected')).toBe(false);
      expect(await m.count(m.errors, { device: 'second', kind: 'disconnected' })).toBeGreaterThan(0);
    } finally {
      await collector.stop();
    }
  });
});
