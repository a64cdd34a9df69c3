// mqtt-packet's loggers are switched off for good unless DEBUG is set at start (quiet-debug.ts): each
// case runs in its own node process, since the loggers are made when mqtt-packet is first loaded.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const connection = fileURLToPath(new URL('./connection.ts', import.meta.url));

/** Loads the collector's link, then parses one PUBLISH with mqtt-packet; prints what its debug factory gives. */
const script = `
import { createRequire } from 'node:module';
await import(${JSON.stringify(connection)});
const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const fromPacket = createRequire(fromMqtt.resolve('mqtt-packet'));
const parser = fromPacket('mqtt-packet').parser({ protocolVersion: 4 });
let packets = 0;
parser.on('packet', () => packets++);
parser.parse(Buffer.from([0x30, 0x08, 0x00, 0x01, 0x74, 0x7b, 0x22, 0x76, 0x22, 0x7d]));
const debug = fromPacket('debug');
console.log(JSON.stringify({
  packets,
  packetLoggerNamed: debug('mqtt-packet:parser').namespace ?? null,
  otherLoggerNamed: debug('mqttjs:client').namespace ?? null,
}));
`;

async function inChild(env: NodeJS.ProcessEnv): Promise<{ out: Record<string, unknown>; stderr: string }> {
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), env },
  );
  return { out: JSON.parse(stdout.trim().split('\n').at(-1) as string), stderr };
}

describe('mqtt-packet debug logging', () => {
  it('is off for good without DEBUG: mqtt-packet gets a logger that does nothing, others the real one', async () => {
    const env = { ...process.env };
    delete env.DEBUG;
    const { out, stderr } = await inChild(env);
    expect(out).toEqual({ packets: 1, packetLoggerNamed: null, otherLoggerNamed: 'mqttjs:client' });
    expect(stderr).not.toMatch(/mqtt-packet/);
  });

  it('still prints with DEBUG=mqtt-packet:*', async () => {
    const { out, stderr } = await inChild({ ...process.env, DEBUG: 'mqtt-packet:*' });
    expect(out).toEqual({
      packets: 1,
      packetLoggerNamed: 'mqtt-packet:parser',
      otherLoggerNamed: 'mqttjs:client',
    });
    expect(stderr).toMatch(/mqtt-packet:parser parse: current state: _parseHeader/);
  });
});
