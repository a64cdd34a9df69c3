/**
 * Reading the central service, for the verifier: a gateway's registered key, and its attestations
 * over a window as `{ text, stamp }`, the shape a store's attestation samples have (text is the
 * attestation JSON, stamp its store timestamp).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ndjsonLines } from '../../gateway/sinks/http-post.ts';

export interface CentralAttestation {
  /** The attestation JSON (JSON.stringify of the stored object). */
  text: string;
  /** Its store timestamp (ms), unique and increasing along the chain. */
  stamp: number;
}

/** The central service refused or failed a read; `status` is the HTTP status (0: no answer). */
export class CentralReadError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CentralReadError';
  }
}

const endpoint = (url: string, path: string) => new URL(path, url.endsWith('/') ? url : `${url}/`);

/**
 * GET with the token; `timeoutMs` bounds the wait for the answer's head (the body is read by the caller,
 * who bounds each wait with `controller`).
 */
async function get(
  url: URL,
  token: string,
  timeoutMs: number,
  controller = new AbortController(),
): Promise<Response> {
  let response: Response;
  const timer = setTimeout(() => controller.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  try {
    response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
  } catch (error) {
    const cause =
      (error as { cause?: { code?: string } }).cause?.code ??
      (error as Error).message ??
      (error as Error).name;
    throw new CentralReadError(`central service ${url.origin} unreachable: ${cause}`, 0);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    const text = await response.text();
    let reason = text.trim().slice(0, 300);
    let code: string | undefined;
    try {
      const body = JSON.parse(text) as { error?: string; code?: string };
      reason = body.error ?? reason;
      code = body.code;
    } catch {
      // not JSON: keep the text
    }
    throw new CentralReadError(
      `central service: HTTP ${response.status} for ${url.pathname}: ${reason}`,
      response.status,
      code,
    );
  }
  return response;
}

/** The gateway's registered public key (must be Ed25519). */
export async function fetchPublicKey(
  url: string,
  gatewayId: string,
  token: string,
  timeoutMs = 30_000,
): Promise<KeyObject> {
  const response = await get(
    endpoint(url, `api/v1/gateways/${encodeURIComponent(gatewayId)}/key`),
    token,
    timeoutMs,
  );
  const key = createPublicKey(await response.text());
  if (key.asymmetricKeyType !== 'ed25519')
    throw new CentralReadError(`central service: the key of ${gatewayId} is not Ed25519`, response.status);
  return key;
}

/**
 * The gateway's attestations whose stamp is in [window.from, window.to), by stamp, fork records
 * included; streamed, so a long window never sits in memory. A connection cut mid-stream throws.
 */
export async function* centralAttestations(
  url: string,
  gatewayId: string,
  token: string,
  window: { from: number; to: number },
  timeoutMs = 30_000,
): AsyncGenerator<CentralAttestation> {
  const target = endpoint(url, `api/v1/gateways/${encodeURIComponent(gatewayId)}/attestations`);
  target.searchParams.set('from', String(Math.floor(window.from)));
  target.searchParams.set('to', String(Math.ceil(window.to)));
  const controller = new AbortController();
  const response = await get(target, token, timeoutMs, controller);
  if (!response.body) return;
  let line = 0;
  const parse = (text: string): CentralAttestation => {
    let item: { stamp?: unknown; attestation?: unknown };
    try {
      item = JSON.parse(text) as typeof item;
    } catch {
      throw new CentralReadError(
        `central service: line ${line} of ${target.pathname} is not JSON`,
        response.status,
      );
    }
    if (typeof item.stamp !== 'number' || typeof item.attestation !== 'object' || item.attestation === null)
      throw new CentralReadError(
        `central service: line ${line} of ${target.pathname} is not {stamp, attestation}`,
        response.status,
      );
    return { text: JSON.stringify(item.attestation), stamp: item.stamp };
  };
  const brokeOff = (error: Error) =>
    new CentralReadError(
      `central service: the answer for ${target.pathname} broke off after ${line} lines: ${error.message}`,
      response.status,
    );
  try {
    for await (const text of ndjsonLines(waitingAtMost(response.body, timeoutMs, controller, brokeOff))) {
      line++;
      if (text.trim() !== '') yield parse(text);
    }
  } finally {
    // A caller that stops early (or an error) releases the connection.
    controller.abort();
  }
}

/**
 * The chunks of a body, each waited for at most `timeoutMs` (only the wait for the service counts,
 * not the time the caller takes); a failed read is thrown as `failed` makes it.
 */
async function* waitingAtMost(
  body: ReadableStream<Uint8Array>,
  timeoutMs: number,
  controller: AbortController,
  failed: (error: Error) => Error,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  for (;;) {
    const timer = setTimeout(() => controller.abort(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw failed(error as Error);
    } finally {
      clearTimeout(timer);
    }
    if (chunk.done) return;
    yield chunk.value;
  }
}
