/**
 * Reachability of each device: every tag read once through the gateway's own drivers, as
 * `shugai read --once` does, so a device counts as reachable only when it answered with values.
 */
import path from 'node:path';
import { readEveryTag } from '../../collector/read-cli.ts';
import type { Device } from '../../core/model.ts';
import type { AnyPlugin, GatewayConfig } from '../config/schema.ts';
import { type Finding, fail, ok, warn } from './findings.ts';

/** Where a connection's devices are reached, without credentials: the endpoint, broker, host:port or serial port. */
export function endpointOf(connection: GatewayConfig['connections'][number]): string {
  const c = connection as {
    protocol: string;
    endpoint?: string;
    url?: string;
    host?: string;
    port?: number;
    path?: string;
  };
  const bare = (text: string) => {
    try {
      const url = new URL(text);
      url.username = '';
      url.password = '';
      return url.toString().replace(/\/$/, '');
    } catch {
      return text;
    }
  };
  if (c.endpoint !== undefined) return bare(c.endpoint);
  if (c.url !== undefined) return bare(c.url);
  if (c.host !== undefined) return `${c.protocol} ${c.host}:${c.port}`;
  return `${c.protocol} ${c.path ?? connection.id}`;
}

export async function checkDevices(
  config: GatewayConfig,
  plugins: readonly AnyPlugin[],
  timeoutMs: number,
): Promise<Finding[]> {
  const read = await readEveryTag(config, plugins, {
    timeoutMs,
    baseDir: path.dirname(config.file),
  });
  const findings: Finding[] = [];
  for (const connection of config.connections) {
    const result = read.connections.find((c) => c.id === connection.id);
    if (!result) continue;
    const where = endpointOf(connection);
    const ids = result.devices.map((d) => d.id);
    for (const device of result.devices) {
      findings.push(
        deviceFinding(device, where, read.samples, relevant(result.problems, connection.id, device.id, ids)),
      );
    }
  }
  return findings;
}

/** The problem lines about this device, or about its whole connection, without their prefixes. */
function relevant(
  problems: readonly string[],
  connectionId: string,
  deviceId: string,
  deviceIds: readonly string[],
): string[] {
  const out = new Set<string>();
  for (const line of problems) {
    const rest = line.startsWith(`${connectionId}: `) ? line.slice(connectionId.length + 2) : line;
    if (rest.startsWith(`${deviceId}: `) || rest.startsWith(`${deviceId}/`))
      out.add(rest.slice(deviceId.length + 1).trim());
    else if (!deviceIds.some((id) => rest.startsWith(`${id}: `) || rest.startsWith(`${id}/`))) out.add(rest);
  }
  return [...out];
}

function deviceFinding(
  device: Device,
  where: string,
  samples: readonly { device: string; tag: string; quality: string }[],
  problems: string[],
): Finding {
  const check = `device ${device.id}`;
  const own = samples.filter((s) => s.device === device.id);
  const good = device.tags.filter((t) => own.some((s) => s.tag === t.id && s.quality !== 'bad'));
  const why = problems.length > 0 ? `: ${problems.join('; ')}` : '';
  const total = device.tags.length;
  if (good.length === total) return ok(check, `${total} of ${total} tags read from ${where}`);
  if (good.length === 0) return fail(check, `nothing read from ${where}${why}`);
  return warn(check, `${good.length} of ${total} tags read from ${where}${why}`);
}
