/**
 * The InfluxDB sink: line protocol over HTTP, v1 `/write` or v2 `/api/v2/write`. It writes one batch
 * and classifies the answer the way Telegraf does; the core decides what to do with the outcome.
 */
import type { Agent } from 'node:http';
import { ByteWriter } from '../../../core/bytes.ts';
import { RECORD_MEASUREMENT } from '../../ingest/series.ts';
import { gzipBody, gzipLevel } from '../gzip.ts';
import { classify as classifyHttp, networkFailure } from '../http-outcome.ts';
import { type Answer, keepAliveAgent, postForAnswer } from '../http-post.ts';
import { toLines } from '../line-protocol.ts';
import { asBatch, type Batch, type Sink, type StoredSample, type WriteOutcome } from '../sink.ts';
import type { InfluxSinkConfig } from './schema.ts';

export class InfluxSink implements Sink {
  readonly name: string;
  private readonly writeUrl: URL;
  private readonly headers: Record<string, string>;
  private readonly agent: Agent;
  private readonly gzip: number | false;
  /**
   * Request bodies, kept from write to write (one per write in flight): a fresh buffer per body
   * cost more in page faults than the copy of the records into it.
   */
  private readonly bodies: ByteWriter[] = [];

  constructor(
    private readonly config: InfluxSinkConfig,
    private readonly gatewayId: string,
  ) {
    this.name = config.name;
    const base = config.url.replace(/\/+$/, '');
    const params = new URLSearchParams({ precision: 'ms' });
    this.headers = {};
    if (config.version === 1) {
      params.set('db', config.database);
      if (config.retentionPolicy) params.set('rp', config.retentionPolicy);
      // Credentials go in a header, never in the URL, so they cannot end up in a log line.
      if (config.username !== undefined) {
        this.headers.Authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
      }
      this.writeUrl = new URL(`${base}/write?${params}`);
    } else {
      params.set('org', config.org);
      params.set('bucket', config.bucket);
      this.headers.Authorization = `Token ${config.token}`;
      this.writeUrl = new URL(`${base}/api/v2/write?${params}`);
    }
    this.gzip = gzipLevel(config.gzip, this.writeUrl);
    if (this.gzip !== false) this.headers['Content-Encoding'] = 'gzip';
    this.agent = keepAliveAgent(this.writeUrl);
  }

  /** Creates the database (v1) when configured to; a failure is reported, and writes will say more. */
  async prepare(): Promise<void> {
    if (this.config.version !== 1 || !this.config.createDatabase) return;
    const base = this.config.url.replace(/\/+$/, '');
    const body = new URLSearchParams({ q: `CREATE DATABASE "${this.config.database.replace(/"/g, '\\"')}"` });
    const auth = this.headers.Authorization;
    const answer = await postForAnswer(new URL(`${base}/query`), body.toString(), {
      contentType: 'application/x-www-form-urlencoded',
      headers: auth ? { Authorization: auth } : {},
      agent: this.agent,
      timeoutMs: this.config.timeoutMs,
    });
    if (answer.status < 200 || answer.status >= 300)
      throw new Error(
        `CREATE DATABASE ${this.config.database} failed: HTTP ${answer.status} ${answer.body.trim()}`,
      );
  }

  async write(given: Batch | readonly StoredSample[]): Promise<WriteOutcome> {
    const lines = this.bodies.pop() ?? new ByteWriter();
    try {
      return await this.writeBatch(asBatch(given, this.gatewayId), lines);
    } finally {
      lines.clear();
      this.bodies.push(lines);
    }
  }

  private async writeBatch(batch: Batch, lines: ByteWriter): Promise<WriteOutcome> {
    // The buffer's records are this sink's lines already, unless it names another measurement.
    if (this.config.measurement === RECORD_MEASUREMENT) batch.writeLines(lines);
    else
      lines.text(
        toLines(batch.samples(), { measurement: this.config.measurement, gatewayId: this.gatewayId }),
      );
    if (lines.length === 0) return { kind: 'ok' };
    const body = await gzipBody(lines.bytes.subarray(0, lines.length), this.gzip);
    let answer = await this.post(body);
    if ('outcome' in answer) return answer.outcome;
    // A store that was down when the gateway started (or lost its database) has no database yet:
    // create it now, not only at start, then write once more.
    if (answer.status === 404 && this.config.version === 1 && /database not found/.test(answer.body)) {
      if (!this.config.createDatabase)
        return {
          kind: 'retry',
          reason: `database ${this.config.database} not found (createDatabase is off)`,
        };
      try {
        await this.prepare();
      } catch (error) {
        return { kind: 'retry', reason: `database not found, and ${(error as Error).message}` };
      }
      answer = await this.post(body);
      if ('outcome' in answer) return answer.outcome;
    }
    return classify(answer.status, answer.body, answer.retryAfter, batch.count);
  }

  private async post(body: string | Uint8Array): Promise<Answer | { outcome: WriteOutcome }> {
    try {
      return await postForAnswer(this.writeUrl, body, {
        contentType: 'text/plain; charset=utf-8',
        headers: this.headers,
        agent: this.agent,
        timeoutMs: this.config.timeoutMs,
      });
    } catch (error) {
      return { outcome: networkFailure(error) };
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** Maps an HTTP answer to an outcome, reading `dropped=N` of a partial write (exported for its table test). */
export function classify(
  status: number,
  body: string,
  retryAfter: string | null,
  sent: number,
): WriteOutcome {
  return classifyHttp(status, body, retryAfter, sent, rejectedCount);
}

/** How many points a 400 rejected: InfluxDB 1.x says `dropped=N` on a partial write; otherwise all. */
function rejectedCount(body: string, sent: number): number {
  const match = /dropped=(\d+)/.exec(body);
  return match ? Math.min(Number(match[1]), sent) : sent;
}
