/**
 * One POST over node:http(s), resolving with the answer's head; its body streams from the message.
 * Shared by the HTTP clients that stream or bound what they read (the InfluxDB and VictoriaMetrics
 * readers, the central sink); undici's fetch re-copied its buffer for long streamed answers.
 */
import { type Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export function post(
  url: URL,
  body: string,
  options: { contentType: string; headers?: Record<string, string>; signal: AbortSignal; agent?: Agent },
): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
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
