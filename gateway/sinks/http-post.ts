/**
 * One POST over node:http(s), resolving with the answer's head; its body streams from the message.
 * Shared by every HTTP client of the gateway: the sinks' writes (postForAnswer) and the readers that
 * stream or bound what they read (InfluxDB, VictoriaMetrics). Not fetch: undici re-copied its buffer
 * for long streamed answers, and a write through it cost about 2.5× the CPU of node:http (a 73 KB
 * gzipped body of 5,000 lines: 1.3 ms against 0.5 ms, sender and receiver).
 */
import http, {
  type Agent,
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import https, { request as httpsRequest } from 'node:https';

/**
 * An idle kept-alive connection is closed after this long, before the server's own idle timeout
 * (VictoriaMetrics: 1 minute) can close it under a write that would then fail for nothing.
 */
const IDLE_SOCKET_MS = 30_000;

/** A keep-alive agent for `url`'s scheme; `tls` adds options (a private CA) for https. */
export function keepAliveAgent(url: URL, tls: https.AgentOptions = {}): Agent {
  const options = { keepAlive: true, timeout: IDLE_SOCKET_MS };
  return url.protocol === 'https:' ? new https.Agent({ ...options, ...tls }) : new http.Agent(options);
}

interface PostOptions {
  contentType: string;
  headers?: Record<string, string>;
  signal: AbortSignal;
  agent?: Agent;
}

export function post(url: URL, body: string | Uint8Array, options: PostOptions): Promise<IncomingMessage> {
  return sent(url, body, options).response;
}

/** The request with `body` on its way, and its answer's head to come. */
function sent(
  url: URL,
  body: string | Uint8Array,
  options: PostOptions,
): { request: ClientRequest; response: Promise<IncomingMessage> } {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let request!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request = send(
      url,
      {
        method: 'POST',
        signal: options.signal,
        ...(options.agent ? { agent: options.agent } : {}),
        headers: {
          ...options.headers,
          'Content-Type': options.contentType,
          'Content-Length': Buffer.byteLength(body),
        },
      },
      resolve,
    );
    request.on('error', reject);
    request.end(body);
  });
  return { request, response };
}

/** An answer to a write: its status, its text (at most ANSWER_BYTES of it) and its Retry-After. */
export interface Answer {
  status: number;
  body: string;
  retryAfter: string | null;
}

/** An answer to a write is a few hundred bytes; no more than this of whatever comes is kept. */
const ANSWER_BYTES = 65_536;

/**
 * POSTs `body` and reads the answer whole; network failures and the timeout throw. Resolves once the
 * request is done with `body` too (a server may answer before it has read all of it), so the caller
 * may write into the body's memory again.
 */
export async function postForAnswer(
  url: URL,
  body: string | Uint8Array,
  options: { contentType: string; headers?: Record<string, string>; agent: Agent; timeoutMs: number },
): Promise<Answer> {
  const { request, response } = sent(url, body, {
    ...options,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const res = await response;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of res as AsyncIterable<Buffer>) {
    if (size < ANSWER_BYTES) parts.push(part);
    size += part.length;
  }
  if (!request.writableFinished && !request.destroyed)
    await new Promise((done) => {
      request.once('finish', done);
      request.once('close', done);
    });
  const retryAfter = res.headers['retry-after'];
  return {
    status: res.statusCode ?? 0,
    body: Buffer.concat(parts).toString('utf8'),
    retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
  };
}

/** The lines of a streamed body: each chunk is scanned once for line ends, a line's pieces joined once. */
export async function* ndjsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pieces: string[] = [];
  for await (const bytes of body) {
    const text = decoder.decode(bytes, { stream: true });
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      pieces.push(text.slice(start, end));
      yield pieces.join('');
      pieces = [];
      start = end + 1;
    }
    if (start < text.length) pieces.push(text.slice(start));
  }
  const rest = pieces.join('') + decoder.decode();
  if (rest !== '') yield rest;
}
