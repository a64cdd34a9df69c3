/** /healthz, /readyz and /metrics on a local port (loopback by default). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthReport {
  ready: boolean;
  [key: string]: unknown;
}

export async function startHealthServer(
  host: string,
  port: number,
  registry: Registry,
  report: () => HealthReport,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = req.url?.split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (url === '/healthz') return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (url === '/readyz') {
      const current = report();
      return send(current.ready ? 200 : 503, 'application/json', JSON.stringify(current));
    }
    if (url === '/metrics') {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (error: Error) => send(500, 'text/plain', `${error.message}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found: try /healthz, /readyz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
