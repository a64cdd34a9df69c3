/**
 * The VictoriaMetrics sink: a batch as JSON lines to `/api/v1/import` (encoding.ts says why not line
 * protocol). The same path on a single node and on a cluster's vminsert (`/insert/<tenant>/prometheus`).
 */
import type { Agent } from 'node:http';
import { gzipBody, gzipLevel } from '../gzip.ts';
import { classify, networkFailure } from '../http-outcome.ts';
import { keepAliveAgent, postForAnswer } from '../http-post.ts';
import { asBatch, type Batch, type Sink, type StoredSample, type WriteOutcome } from '../sink.ts';
import { MAX_TEXT_BYTES, toImport } from './encoding.ts';
import type { VictoriaSinkConfig } from './schema.ts';

export class VictoriaSink implements Sink {
  readonly name: string;
  private readonly importUrl: URL;
  private readonly headers: Record<string, string> = {};
  private readonly agent: Agent;
  private readonly gzip: number | false;

  constructor(
    private readonly config: VictoriaSinkConfig,
    private readonly gatewayId: string,
  ) {
    this.name = config.name;
    this.importUrl = new URL(`${config.url.replace(/\/+$/, '')}/api/v1/import`);
    this.agent = keepAliveAgent(this.importUrl);
    // Credentials go in a header, never in the URL, so they cannot end up in a log line.
    if (config.username !== undefined)
      this.headers.Authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
    this.gzip = gzipLevel(config.gzip, this.importUrl);
    if (this.gzip !== false) this.headers['Content-Encoding'] = 'gzip';
  }

  async write(given: Batch | readonly StoredSample[]): Promise<WriteOutcome> {
    const batch = asBatch(given, this.gatewayId);
    const { body, refused } = toImport(batch.samples(), this.config.measurement, this.gatewayId);
    if (body.length > 0) {
      let outcome: WriteOutcome;
      try {
        const answer = await postForAnswer(this.importUrl, await gzipBody(body, this.gzip), {
          contentType: 'application/x-ndjson',
          headers: this.headers,
          agent: this.agent,
          timeoutMs: this.config.timeoutMs,
        });
        outcome = classify(answer.status, answer.body, answer.retryAfter, batch.count);
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

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
