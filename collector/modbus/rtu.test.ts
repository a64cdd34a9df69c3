import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { freePort } from '../../test/services/ports.ts';
import { ServiceProcess } from '../../test/services/process.ts';
import {
  type PymodbusServer,
  pymodbusBinary,
  socatBinary,
  startPymodbusRtu,
} from '../../test/services/pymodbus.ts';
import { ConditionLog } from '../conditions.ts';
import { CollectorMetrics } from '../metrics.ts';
import { STATUS } from './errors.ts';
import { ModbusCollector } from './modbus.ts';
import { EXPECTED, peerConnection, peerLayout } from './peer.fixture.ts';

const context = () => ({
  log: silentLogger,
  conditions: new ConditionLog(silentLogger),
  metrics: new CollectorMetrics(),
  onSamples: () => undefined,
  now: () => Date.now(),
  baseDir: process.cwd(),
});

/** Every tag of the fixture good and exact, the hole refused, the absent unit timed out. */
function expectPeerValues(samples: { device: string; tag: string; value: unknown; statusCode: number }[]) {
  const byTag = new Map(samples.map((s) => [`${s.device}/${s.tag}`, s]));
  for (const [tag, value] of Object.entries(EXPECTED)) {
    expect(byTag.get(`all-types/${tag}`), tag).toMatchObject({ value, quality: 'good', statusCode: 0 });
  }
  expect(byTag.get('all-types/missing')).toMatchObject({ quality: 'bad', statusCode: 2 });
  expect(byTag.get('second/seven')).toMatchObject({ value: 7, quality: 'good' });
  expect(byTag.get('dead/x')).toMatchObject({ quality: 'bad', statusCode: STATUS.timeout });
}

describe.skipIf(!pymodbusBinary.available || !socatBinary.available)('Modbus RTU over a pty pair', () => {
  let server: PymodbusServer;
  let bridge: ServiceProcess | undefined;

  beforeAll(async () => {
    server = await startPymodbusRtu(peerLayout, 38_400);
  });
  afterAll(async () => {
    await bridge?.stop();
    await server?.stop();
  });

  it('reads every data type from a pymodbus RTU slave on a serial line', async () => {
    const config = peerConnection(
      { transport: 'rtu', path: server.path, baudRate: 38_400, parity: 'none' },
      { dead: true },
    );
    const samples = await new ModbusCollector(config, context()).readOnce({ timeoutMs: 3000 });
    expectPeerValues(samples);
  });

  it('reads RTU frames through a TCP serial server (rtu-over-tcp)', async () => {
    // socat stands in for a serial device server: TCP on one side, the slave's serial line on the other.
    const bridgePort = await freePort();
    // Without fork socat serves one connection: wait for its "listening" line, not by connecting.
    bridge = new ServiceProcess('socat-bridge', socatBinary.path!, [
      '-d',
      '-d',
      `tcp-listen:${bridgePort},bind=127.0.0.1,reuseaddr`,
      `file:${server.path},raw,echo=0`,
    ]);
    const listening = bridge;
    await listening.waitUntil(async () => listening.log.includes('listening on'), 5000);
    const config = peerConnection(
      { transport: 'rtu-over-tcp', host: '127.0.0.1', port: bridgePort },
      { dead: true },
    );
    const samples = await new ModbusCollector(config, context()).readOnce({ timeoutMs: 3000 });
    expectPeerValues(samples);
  });
});
