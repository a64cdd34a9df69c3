/**
 * Modbus collector throughput: 15,000 tags read every second (500 devices × 30 tags, 100 unit ids
 * on each of 5 local Modbus TCP servers), reporting per-second medians of samples delivered, the
 * collector's CPU and its RSS, next to the published Neuron 2.2.1 figure (15,000 tags/s at about
 * 124% CPU of a 4-core x86 server). The servers are modbus-serial ServerTCP instances in their own
 * processes, so their CPU is reported apart from the collector's.
 *
 *   node --import tsx bench/modbus-throughput.ts           # 5 × 100 devices, 20 one-second windows
 *   node --import tsx bench/modbus-throughput.ts --smoke   # 2 × 25 devices, 3 windows; exits 1 on shortfall
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import modbusSerial from 'modbus-serial';
import { ConditionLog } from '../collector/conditions.ts';
import { CollectorMetrics } from '../collector/metrics.ts';
import { ModbusCollector } from '../collector/modbus/modbus.ts';
import { modbusConnectionSchema } from '../collector/modbus/schema.ts';
import { silentLogger } from '../core/log.ts';
import { freePort, waitForPort } from '../test/services/ports.ts';

const TAGS_PER_DEVICE = 30;

/** Peer mode: one ServerTCP answering every unit id; registers change every second. */
function runPeer(port: number): void {
  const vector = {
    getMultipleHoldingRegisters: (addr: number, length: number, unitID: number) =>
      Array.from({ length }, (_, i) => (addr + i + unitID + Math.floor(Date.now() / 1000)) & 0xffff),
  };
  const server = new modbusSerial.ServerTCP(vector, { host: '127.0.0.1', port, unitID: 255 });
  server.on('initialized', () => console.log('READY'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

/** 20 uint16, 5 float32 and 5 bits of one status register: 31 registers, one request per device. */
function deviceTags() {
  const tags: Record<string, unknown>[] = [];
  for (let i = 0; i < 20; i++)
    tags.push({ id: `u${i}`, type: 'integer', register: 'holding', address: i, dataType: 'uint16' });
  for (let i = 0; i < 5; i++) {
    tags.push({ id: `f${i}`, type: 'number', register: 'holding', address: 20 + 2 * i, dataType: 'float32' });
  }
  for (let b = 0; b < 5; b++) {
    tags.push({ id: `b${b}`, type: 'boolean', register: 'holding', address: 30, dataType: 'bit', bit: b });
  }
  return tags;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU seconds (user + system) of another process, from /proc. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const links = smoke ? 2 : 5;
  const devicesPerLink = smoke ? 25 : 100;
  const windows = smoke ? 3 : 20;
  const expected = links * devicesPerLink * TAGS_PER_DEVICE;

  const peers: ChildProcess[] = [];
  const ports: number[] = [];
  for (let i = 0; i < links; i++) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--peer', String(port)],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    peers.push(child);
    ports.push(port);
  }
  const collectors: ModbusCollector[] = [];
  try {
    for (const port of ports) await waitForPort(port, 15_000);
    let samples = 0;
    let bad = 0;
    const metrics = new CollectorMetrics();
    const context = {
      log: silentLogger,
      conditions: new ConditionLog(silentLogger),
      metrics,
      now: () => Date.now(),
      baseDir: process.cwd(),
      onSamples: (batch: { quality: string }[]) => {
        samples += batch.length;
        for (const s of batch) if (s.quality !== 'good') bad += 1;
      },
    };
    const tags = deviceTags();
    ports.forEach((port, link) => {
      const config = modbusConnectionSchema.parse({
        id: `bench-${link}`,
        protocol: 'modbus',
        transport: 'tcp',
        host: '127.0.0.1',
        port,
        addressBase: 0,
        pollIntervalMs: 1000,
        devices: Array.from({ length: devicesPerLink }, (_, d) => ({
          id: `dev-${link}-${d}`,
          unitId: d + 1,
          production: true,
          businessLinks: ['生产管控'],
          tags,
        })),
      });
      collectors.push(new ModbusCollector(config, context));
    });
    const rssBefore = process.memoryUsage().rss / 2 ** 20;
    for (const c of collectors) await c.start();
    await new Promise((r) => setTimeout(r, 2500)); // connect and settle

    const rate: number[] = [];
    const cpu: number[] = [];
    const rss: number[] = [];
    const heap: number[] = [];
    const peerCpu: number[] = [];
    for (let w = 0; w < windows; w++) {
      const s0 = samples;
      const c0 = process.cpuUsage();
      const p0 = peers.reduce((n, p) => n + processCpuSeconds(p.pid!), 0);
      const t0 = process.hrtime.bigint();
      await new Promise((r) => setTimeout(r, 1000));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const c1 = process.cpuUsage(c0);
      rate.push((samples - s0) / seconds);
      cpu.push(((c1.user + c1.system) / 1e6 / seconds) * 100);
      rss.push(process.memoryUsage().rss / 2 ** 20);
      heap.push(process.memoryUsage().heapUsed / 2 ** 20);
      peerCpu.push(((peers.reduce((n, p) => n + processCpuSeconds(p.pid!), 0) - p0) / seconds) * 100);
    }
    let overruns = 0;
    for (const c of collectors) {
      for (const d of c.devices)
        overruns += await metrics.count(metrics.errors, { device: d.id, kind: 'overrun' });
    }

    const line = (label: string, value: string) => console.log(`${label.padEnd(34)}${value}`);
    console.log(
      `Modbus TCP throughput: ${links} servers × ${devicesPerLink} devices × ${TAGS_PER_DEVICE} tags every 1 s ` +
        `(${expected.toLocaleString('en')} tags), ${windows} windows, ${cpus().length} CPUs`,
    );
    line('samples/s (median)', `${median(rate).toFixed(0)}   (expected ${expected}; Neuron 2.2.1: 15,000)`);
    line(
      'collector CPU % of one core',
      `${median(cpu).toFixed(1)}   (Neuron 2.2.1: ~124% on a 4-core server)`,
    );
    line(
      'collector RSS MB (median)',
      `${median(rss).toFixed(1)}   (${rssBefore.toFixed(1)} before start; heap ${median(heap).toFixed(1)}; ` +
        'gateway target: well under 150)',
    );
    line('peer servers CPU % (not ours)', median(peerCpu).toFixed(1));
    line('bad samples / overruns', `${bad} / ${overruns}`);
    if (smoke && (median(rate) < expected * 0.9 || bad > 0)) {
      console.error('smoke: throughput short of the tags configured, or bad samples');
      process.exitCode = 1;
    }
  } finally {
    for (const c of collectors) await c.stop();
    for (const p of peers) p.kill('SIGTERM');
  }
}

const peerAt = process.argv.indexOf('--peer');
if (peerAt !== -1) runPeer(Number(process.argv[peerAt + 1]));
else await main();
