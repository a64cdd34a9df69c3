/**
 * The central sink: sends the gateway's attestations to the bureau's central service, so a copy of
 * the chain lives outside the factory (a deleted tail of the store then shows). Data samples are not
 * its business: it posts only the `_gateway`/`attestation` samples of a batch. The service accepts
 * an attestation only when a registered key signed it, and a resend is counted as a duplicate, so a
 * retried batch changes nothing there.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import path from 'node:path';
import { ATTESTATION_DEVICE, ATTESTATION_TAG } from '../../attest/attestation.ts';
import { classify, networkFailure } from '../http-outcome.ts';
import { keepAliveAgent, postForAnswer } from '../http-post.ts';
import { Batch, type Sink, type StoredSample, type WriteOutcome } from '../sink.ts';
import { CENTRAL_MAX_BODY_BYTES, CENTRAL_MAX_ITEMS, type CentralSinkConfig } from './schema.ts';

/** One item of POST /api/v1/attestations, already serialised. */
interface Item {
  json: string;
}

/** The private CA the service's certificate must chain to (`ca`, relative to baseDir), if one is named. */
export function readCentralCa(config: CentralSinkConfig, baseDir: string): Buffer | undefined {
  if (config.ca === undefined) return undefined;
  const file = path.resolve(baseDir, config.ca);
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`sink "${config.name}": cannot read ca ${file}: ${(error as Error).message}`);
  }
}

export class CentralSink implements Sink {
  readonly name: string;
  private readonly endpoint: URL;
  private readonly agent: Agent;

  /** `baseDir`: the folder a relative `ca` is read from (the config file's folder). */
  constructor(
    private readonly config: CentralSinkConfig,
    baseDir: string,
    private readonly limits = { maxItems: CENTRAL_MAX_ITEMS, maxBytes: CENTRAL_MAX_BODY_BYTES / 2 },
  ) {
    this.name = config.name;
    this.endpoint = new URL('api/v1/attestations', config.url.endsWith('/') ? config.url : `${config.url}/`);
    const ca = this.endpoint.protocol === 'https:' ? readCentralCa(config, baseDir) : undefined;
    // rejectUnauthorized stays true: a private CA is trusted by naming it, never by switching checks off.
    this.agent = keepAliveAgent(this.endpoint, { rejectUnauthorized: true, ...(ca ? { ca } : {}) });
  }

  async write(batch: Batch | readonly StoredSample[]): Promise<WriteOutcome> {
    const items: Item[] = [];
    let unreadable = 0;
    for (const s of batch instanceof Batch ? batch.samples() : batch) {
      if (s.device !== ATTESTATION_DEVICE || s.tag !== ATTESTATION_TAG) continue;
      try {
        const attestation: unknown = JSON.parse(String(s.value));
        items.push({ json: JSON.stringify({ stamp: s.sourceTime, attestation }) });
      } catch {
        unreadable++;
      }
    }
    let rejected = unreadable;
    const reasons: string[] = unreadable > 0 ? [`${unreadable} attestation samples are not JSON`] : [];
    for (const chunk of chunks(items, this.limits.maxItems, this.limits.maxBytes)) {
      const outcome = await this.post(chunk);
      if (outcome.kind === 'drop') {
        rejected += outcome.rejected;
        reasons.push(outcome.reason);
      } else if (outcome.kind !== 'ok') {
        // Chunks already sent are sent again with the retry: the service counts them as duplicates.
        return outcome;
      }
    }
    return rejected > 0 ? { kind: 'drop', reason: reasons.join('; '), rejected } : { kind: 'ok' };
  }

  private async post(chunk: readonly Item[]): Promise<WriteOutcome> {
    const body = `{"items":[${chunk.map((i) => i.json).join(',')}]}`;
    try {
      const answer = await postForAnswer(this.endpoint, body, {
        contentType: 'application/json',
        agent: this.agent,
        timeoutMs: this.config.timeoutMs,
      });
      return classify(answer.status, answer.body, answer.retryAfter, chunk.length);
    } catch (error) {
      return networkFailure(error);
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** Consecutive runs of at most maxItems items and (unless one item alone is larger) maxBytes. */
export function* chunks(items: readonly Item[], maxItems: number, maxBytes: number): Generator<Item[]> {
  let current: Item[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(item.json) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) yield current;
}
