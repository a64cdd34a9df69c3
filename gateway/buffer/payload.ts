/**
 * A record's payload in either format (record.ts): line protocol, what the gateway writes, or the
 * compact JSON of buffers from before version 2, which an upgraded gateway still has to send.
 */
import { toLines } from '../sinks/line-protocol.ts';
import type { StoredSample } from '../sinks/sink.ts';
import { parseLines } from './lines.ts';
import type { PayloadFormat } from './record.ts';
import { decodeSamples } from './sample-codec.ts';

export interface Payload {
  format: PayloadFormat;
  payload: Buffer;
}

/** The samples of a record, attestations included. */
export function recordSamples(record: Payload): StoredSample[] {
  return record.format === 'lines' ? parseLines(record.payload) : decodeSamples(record.payload);
}

/** A record as line protocol of measurement `samples`: its own bytes, or its JSON written as lines. */
export function recordLines(record: Payload, gatewayId: string): Buffer {
  return record.format === 'lines'
    ? record.payload
    : Buffer.from(toLines(decodeSamples(record.payload), { measurement: 'samples', gatewayId }));
}
