import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  connectionIdSchema,
  deviceConfigBase,
  tagConfigBase,
  toModelDevices,
} from '../../collector/schema.ts';
import { ConfigError } from './errors.ts';
import { type AnyPlugin, gatewayConfigJsonSchema, loadGatewayConfig } from './schema.ts';

// A minimal protocol, so these tests exercise the loader alone; the real plugins have their own tests.
const echoSchema = z.object({
  id: connectionIdSchema,
  protocol: z.literal('mqtt'),
  url: z.string().describe('Broker URL'),
  password: z.string().optional(),
  devices: z.array(deviceConfigBase.extend({ tags: z.array(tagConfigBase.extend({ topic: z.string() })) })),
});
const echoPlugin: AnyPlugin = {
  protocol: 'mqtt',
  schema: echoSchema as unknown as AnyPlugin['schema'],
  devices: (c) => toModelDevices('mqtt', (c as z.infer<typeof echoSchema>).devices),
  create: () => {
    throw new Error('not used here');
  },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shugai-config-'));
});

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const VALID = `gateway:
  id: gw-01
connections:
  - id: broker
    protocol: mqtt
    url: mqtt://127.0.0.1:1883
    password: \${MQTT_PASSWORD}
    devices:
      - id: env-01
        production: false
        businessLinks: [安全生产]
        tags:
          - id: temp
            type: number
            unit: degC
            topic: plant/env-01/temp
`;

describe('gateway config', () => {
  it('loads a valid file, substituting secrets from the environment', async () => {
    const file = await write('ok.yaml', VALID);
    const config = loadGatewayConfig(file, [echoPlugin], { MQTT_PASSWORD: 's3cret' });
    expect(config.gateway).toEqual({ id: 'gw-01', dataDir: './data', attest: true, attestEvery: 10_000 });
    expect(config.connections[0]).toMatchObject({ id: 'broker', password: 's3cret' });
  });

  it('names the file, line and path of a wrong value', async () => {
    const file = await write('bad-type.yaml', VALID.replace('type: number', 'type: float'));
    const error = errorOf(() => loadGatewayConfig(file, [echoPlugin], { MQTT_PASSWORD: 'x' }));
    expect(error.issues).toHaveLength(1);
    expect(error.message).toMatch(/^.*bad-type\.yaml:14 connections\[0\]\.devices\[0\]\.tags\[0\]\.type: /);
    expect(error.message).toContain('"number"');
  });

  it('points a missing field at its parent line', async () => {
    const file = await write('missing.yaml', VALID.replace('        production: false\n', ''));
    const error = errorOf(() => loadGatewayConfig(file, [echoPlugin], { MQTT_PASSWORD: 'x' }));
    expect(error.message).toMatch(/missing\.yaml:9 connections\[0\]\.devices\[0\]\.production: /);
  });

  it('refuses an unknown protocol, naming the known ones', async () => {
    const file = await write('proto.yaml', VALID.replace('protocol: mqtt', 'protocol: profinet'));
    const error = errorOf(() => loadGatewayConfig(file, [echoPlugin], { MQTT_PASSWORD: 'x' }));
    expect(error.message).toMatch(
      /proto\.yaml:5 connections\[0\]\.protocol: unknown protocol "profinet"; expected one of mqtt/,
    );
  });

  it('refuses duplicate YAML keys and duplicate device ids with lines', async () => {
    const dupKey = await write('dupkey.yaml', VALID.replace('  id: gw-01\n', '  id: gw-01\n  id: gw-02\n'));
    expect(errorOf(() => loadGatewayConfig(dupKey, [echoPlugin], { MQTT_PASSWORD: 'x' })).message).toMatch(
      /dupkey\.yaml:3: Map keys must be unique/,
    );
    const second = VALID.split('\n').slice(3).join('\n').replace('id: broker', 'id: broker2');
    const dupDevice = await write('dupdev.yaml', `${VALID}${second}`);
    expect(errorOf(() => loadGatewayConfig(dupDevice, [echoPlugin], { MQTT_PASSWORD: 'x' })).message).toMatch(
      /dupdev\.yaml:22 connections\[1\]\.devices\[0\]\.id: duplicate device id "env-01"; first used at connections\[0\]\.devices\[0\]\.id/,
    );
  });

  it('reports an unset environment variable at its line, and reads ${file:} secrets', async () => {
    const file = await write('env.yaml', VALID);
    expect(errorOf(() => loadGatewayConfig(file, [echoPlugin], {})).message).toMatch(
      /env\.yaml:7 connections\[0\]\.password: environment variable MQTT_PASSWORD is not set/,
    );
    await write('secret.txt', 'from-file\n');
    const withFile = await write('file.yaml', VALID.replace('${MQTT_PASSWORD}', '${file:secret.txt}'));
    expect(loadGatewayConfig(withFile, [echoPlugin], {}).connections[0]).toMatchObject({
      password: 'from-file',
    });
    const escaped = await write(
      'escaped.yaml',
      VALID.replace('${MQTT_PASSWORD}', () => '$${LITERAL}'),
    );
    expect(loadGatewayConfig(escaped, [echoPlugin], {}).connections[0]).toMatchObject({
      password: '${LITERAL}',
    });
  });

  it('prints a JSON Schema with the field descriptions', () => {
    const schema = JSON.stringify(gatewayConfigJsonSchema([echoPlugin]));
    expect(schema).toContain('Broker URL');
    expect(schema).toContain('Gateway id as registered with the bureau');
  });
});
