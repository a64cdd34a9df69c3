/** Shared pieces of the gateway end-to-end tests: a pymodbus plant and the config that reads it. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PLUGINS } from '../../collector/registry.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import type { PymodbusLayout } from '../services/pymodbus.ts';

/** One unit with five holding registers: values 101..105. */
export const LAYOUT: PymodbusLayout = {
  units: { 1: { holding: { blocks: { 0: [101, 102, 103, 104, 105] } } } },
};
export const TAGS_PER_POLL = 5;

export interface PlantOptions {
  modbusPort: number;
  /** Default gw-test. */
  gatewayId?: string;
  sinks: string;
  buffer?: string;
  pollIntervalMs?: number;
}

/** Writes plant.yaml in a new folder and returns its path. */
export async function writePlant(options: PlantOptions): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-gw-'));
  const file = path.join(dir, 'plant.yaml');
  const tags = Array.from(
    { length: TAGS_PER_POLL },
    (_, i) => `          - { id: r${i}, type: integer, register: holding, address: ${i}, dataType: uint16 }`,
  );
  await writeFile(
    file,
    [
      'gateway:',
      `  id: ${options.gatewayId ?? 'gw-test'}`,
      '  dataDir: ./data',
      '  attestEvery: 1s',
      'http: { port: 0 }',
      'forward: { flushInterval: 100ms, retryInitial: 100ms, retryMax: 500ms }',
      options.buffer ?? 'buffer: { fsync: always }',
      options.sinks,
      'connections:',
      '  - id: plc-net',
      '    protocol: modbus',
      '    transport: tcp',
      '    host: 127.0.0.1',
      `    port: ${options.modbusPort}`,
      '    addressBase: 0',
      `    pollIntervalMs: ${options.pollIntervalMs ?? 100}`,
      '    devices:',
      '      - id: press-1',
      '        unitId: 1',
      '        production: true',
      '        businessLinks: [生产管控]',
      '        tags:',
      ...tags,
      '',
    ].join('\n'),
  );
  return file;
}

export const loadPlant = (file: string) => loadGatewayConfig(file, PLUGINS);

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
