/**
 * The health port (`http.host:http.port`): free to listen on, or held by a gateway that is running
 * (it answers /readyz with its buffer). Anything else there keeps the gateway from starting.
 */
import net from 'node:net';
import type { GatewayConfig } from '../config/schema.ts';
import { type Finding, fail, ok } from './findings.ts';

const CHECK = 'port';

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** The id of the gateway answering there, if one does. */
async function runningGateway(host: string, port: number): Promise<string | undefined> {
  const url = `http://${net.isIPv6(host) ? `[${host}]` : host}:${port}/readyz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { gateway?: unknown; buffer?: unknown };
    return typeof body.gateway === 'string' && typeof body.buffer === 'object' ? body.gateway : undefined;
  } catch {
    return undefined;
  }
}

export async function checkPort(config: GatewayConfig): Promise<Finding> {
  const { host, port } = config.http;
  const where = `${host}:${port}`;
  if (port === 0) return ok(CHECK, `http.port 0: the gateway takes any free port on ${host}`);
  const error = await tryListen(host, port);
  if (error === undefined) return ok(CHECK, `${where} is free for /healthz, /readyz and /metrics`);
  if (error.code === 'EADDRINUSE') {
    const gateway = await runningGateway(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port);
    if (gateway === config.gateway.id) return ok(CHECK, `${where} is held by gateway ${gateway}, running`);
    if (gateway !== undefined)
      return fail(CHECK, `${where} is held by another gateway (${gateway}); give this one another http.port`);
    return fail(CHECK, `${where} is in use by another program; free it or set http.port`);
  }
  if (error.code === 'EACCES')
    return fail(
      CHECK,
      `${where}: permission denied (ports below 1024 need privileges the unit does not grant); use a port of 1024 or more`,
    );
  if (error.code === 'EADDRNOTAVAIL') return fail(CHECK, `${where}: ${host} is not an address of this box`);
  return fail(CHECK, `${where}: ${error.message}`);
}
