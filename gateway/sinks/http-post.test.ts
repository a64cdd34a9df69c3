import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { keepAliveAgent, postForAnswer } from './http-post.ts';

describe('postForAnswer', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  it('resolves only once the body is all sent, though the server answered before reading it', async () => {
    // The server refuses at once (as a store does a bad token) and reads the body only afterwards: a
    // caller reusing the body's memory as soon as the answer is in must not change what is sent.
    let done!: (seen: { bytes: number; foreign: number }) => void;
    const received = new Promise<{ bytes: number; foreign: number }>((resolve) => {
      done = resolve;
    });
    const listening = createServer((request, response) => {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      let bytes = 0;
      let foreign = 0;
      request.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (const byte of chunk) if (byte !== 0x61) foreign++;
      });
      request.on('end', () => done({ bytes, foreign }));
    }).listen(0, '127.0.0.1');
    server = listening;
    await new Promise((ready) => listening.once('listening', ready));
    const url = new URL(`http://127.0.0.1:${(listening.address() as AddressInfo).port}/write`);
    const body = Buffer.alloc(64 * 1024 * 1024, 'a');
    const agent = keepAliveAgent(url);
    const answer = await postForAnswer(url, body, { contentType: 'text/plain', agent, timeoutMs: 30_000 });
    body.fill('X');
    expect(answer).toEqual({ status: 401, body: 'unauthorized', retryAfter: null });
    expect(await received).toEqual({ bytes: body.length, foreign: 0 });
    agent.destroy();
  });
});
