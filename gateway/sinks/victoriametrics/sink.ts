/**
 * The VictoriaMetrics sink: a batch as JSON lines to `/api/v1/import` (encoding.ts says why not line
 * protocol). The same path on a single node and on a cluster's vminsert (`/insert/<tenant>/prometheus`).
 */
import { gzipBody } from '../gzip.ts';
import { classify, networkFailure } from '../http-outcome.ts';
import { asBatch, type Batch, type Sink, type StoredSample, type WriteOutcome } from '../sink.ts';
import { MAX_TEXT_BYTES, toImport } from './encoding.ts';
import type { VictoriaSinkConfig } from './schema.ts';

export class VictoriaSink implements Sink {
  readonly name: string;
  private readonly importUrl: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly config: VictoriaSinkConfig,
    private readonly gatewayId: string,
  ) {
    this.name = config.name;
    this.importUrl = `${config.url.replace(/\/+$/, '')}/api/v1/import`;
    this.headers = { 'Content-Type': 'application/x-ndjson' };
    // Credentials go in a header, never in the URL, so they cannot end up in a log line.
    if (config.username !== undefined)
      this.headers.Authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
    if (config.gzip !== false) this.headers['Content-Encoding'] = 'gzip';
  }

  async write(given: Batch | readonly StoredSample[]): Promise<WriteOutcome> {
    const batch = asBatch(given, this.gatewayId);
    const { body, refused } = toImport(batch.samples(), this.config.measurement, this.gatewayId);
    if (body.length > 0) {
      let outcome: WriteOutcome;
      try {
        const response = await fetch(this.importUrl, {
          method: 'POST',
          body: await gzipBody(body, this.config.gzip),
          headers: this.headers,
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
        outcome = classify(
          response.status,
          await response.text(),
          response.headers.get('retry-after'),
          batch.count,
        );
      } catch (error) {
        outcome = networkFailure(error);
      }
      if (outcome.kind !== 'ok') return outcome;
    }
    return refused === 0
      ? { kind: 'ok' }
      : {
          kind: 'drop',
          reason: `text longer than ${MAX_TEXT_BYTES} bytes: VictoriaMetrics keeps text in a label, and truncates longer ones`,
          rejected: refused,
        };
  }

  async close(): Promise<void> {}
}
