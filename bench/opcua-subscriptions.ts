/**
 * OPC UA subscription throughput: N monitored items at 1 s against a local node-opcua server that
 * changes every value every second (run in a child process, so the client is measured alone).
 * Prints the server's own update rate as the baseline, then the client's notifications/s, CPU and RSS.
 *
 *   node --import tsx bench/opcua-subscriptions.ts --smoke     # 1,000 items, a few seconds (CI)
 *   node --import tsx bench/opcua-subscriptions.ts             # 50,000 items, 30 s
 *   options: --items N --seconds S --verbose
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { StatusCodes } from 'node-opcua-client';
import { ConditionLog } from '../collector/conditions.ts';
import { CollectorMetrics } from '../collector/metrics.ts';
import { OpcuaCollector } from '../collector/opcua/opcua-collector.ts';
import { opcuaConnectionSchema } from '../collector/opcua/schema.ts';
import { createLogger, silentLogger } from '../core/log.ts';
import { freePort } from '../test/services/ports.ts';

/** The test server's plant namespace (collector/opcua/test-server.ts), not imported for the same reason. */
const PLANT_NS = 'urn:shugai:test:plant';
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};

/** Child mode: serve N Bulk variables and change them all every second, reporting the update rate. */
async function serve(port: number, items: number, pkiDir: string) {
  // Imported here only: the client process must not carry the server's code in its RSS.
  const { TestServer } = await import('../collector/opcua/test-server.ts');
  const server = await TestServer.start({ port, pkiDir, bulk: items });
  const variables = Array.from({ length: items }, (_, i) => server.variable(`Bulk.${i}`));
  let round = 0;
  let cpu = process.cpuUsage();
  let wall = performance.now();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  setInterval(() => {
    // The server's CPU over the last round (all its work: changes, sampling, publishing).
    const used = process.cpuUsage(cpu);
    const cpuShare = (used.user + used.system) / 1000 / (performance.now() - wall);
    cpu = process.cpuUsage();
    wall = performance.now();
    round += 1;
    const started = performance.now();
    for (const [i, variable] of variables.entries()) {
      variable.setValueFromSource({ dataType: 'Double', value: round * 1e6 + i }, StatusCodes.Good);
    }
    const ms = performance.now() - started;
    process.stdout.write(`${JSON.stringify({ round, updates: items, ms, cpuShare })}\n`);
  }, 1000);
  process.on('SIGTERM', () => void server.stop().finally(() => process.exit(0)));
}

async function bench() {
  const smoke = args.includes('--smoke');
  const items = option('--items', smoke ? 1000 : 50_000);
  const seconds = option('--seconds', smoke ? 5 : 30);
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-bench-opcua-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', String(port), String(items), dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const serverRounds: { updates: number; ms: number; cpuShare: number }[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as {
        ready?: boolean;
        updates?: number;
        ms?: number;
        cpuShare?: number;
      };
      if (message.ready) resolve();
      else if (message.updates !== undefined) {
        serverRounds.push({ updates: message.updates, ms: message.ms ?? 0, cpuShare: message.cpuShare ?? 0 });
      }
    });
  });
  await ready;

  let received = 0;
  const metrics = new CollectorMetrics();
  // --verbose shows the collector's own log (connects, conditions) on stderr.
  const log = args.includes('--verbose') ? createLogger('bench') : silentLogger;
  const collector = new OpcuaCollector(
    opcuaConnectionSchema.parse({
      id: 'bench',
      protocol: 'opcua',
      endpoint: `opc.tcp://127.0.0.1:${port}`,
      securityMode: 'None',
      securityPolicy: 'None',
      pkiDir: path.join(dir, 'client-pki'),
      groups: [{ id: 'all', mode: 'subscribe', intervalMs: 1000, queueSize: 2 }],
      devices: [
        {
          id: 'bench',
          production: false,
          businessLinks: ['设备管理'],
          tags: Array.from({ length: items }, (_, i) => ({
            id: `t${i}`,
            type: 'number',
            nodeId: `nsu=${PLANT_NS};s=Bulk.${i}`,
          })),
        },
      ],
    }),
    {
      log,
      conditions: new ConditionLog(log),
      metrics,
      onSamples: (batch) => {
        received += batch.length;
      },
      now: Date.now,
      baseDir: process.cwd(),
    },
  );
  const subscribeStart = performance.now();
  await collector.start();
  while (received < items) await new Promise((r) => setTimeout(r, 50));
  const subscribeMs = performance.now() - subscribeStart;

  // Measure a steady-state window after the initial values.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const received0 = received;
  const rounds0 = serverRounds.length;
  let maxRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }, 250);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(rssTimer);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rounds = serverRounds.slice(rounds0);
  const serverRate = rounds.reduce((sum, r) => sum + r.updates, 0) / wallS;
  const serverBusy = rounds.reduce((sum, r) => sum + r.ms, 0) / rounds.length;
  const serverCpu = rounds.reduce((sum, r) => sum + r.cpuShare, 0) / rounds.length;
  const rate = (received - received0) / wallS;

  await collector.stop();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rm(dir, { recursive: true, force: true });

  const errors = (await metrics.errors.get()).values.filter((v) => v.value > 0);
  console.log(
    `OPC UA subscriptions: ${items} monitored items, publishing 1 s, security None, ${wallS.toFixed(1)} s window`,
  );
  console.log(
    `  baseline  server updates/s       ${serverRate.toFixed(0)} (one round of ${items} sets takes ${serverBusy.toFixed(0)} ms; server CPU ${(serverCpu * 100).toFixed(0)}% of one core)`,
  );
  console.log(`  client    items created + initial values in ${(subscribeMs / 1000).toFixed(1)} s`);
  console.log(
    `  client    notifications/s        ${rate.toFixed(0)} (${((rate / Math.max(serverRate, 1)) * 100).toFixed(0)}% of server)`,
  );
  console.log(
    `  client    CPU                    ${(((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(0)}% of one core`,
  );
  console.log(`  client    max RSS                ${(maxRss / 1e6).toFixed(0)} MB`);
  console.log(
    `  client    errors                 ${errors.map((e) => `${e.labels.kind}=${e.value}`).join(' ') || 'none'}`,
  );
}

if (args[0] === '--serve')
  await serve(Number(args[1]), Number(args[2]), path.join(args[3] as string, 'server-pki'));
else await bench();
