/**
 * The on-disk record of the durable log. Little-endian header, then the payload:
 *
 *   0  u32 magic 'SHG2'     8  u32 crc32 of bytes 12.. (header rest + payload)
 *   4  u32 payload length  12  u64 sequence number   20 u32 sample count   24 f64 append time (ms)
 *
 * The magic names the payload's format: 'SHG2', line protocol (buffer/lines.ts), what the gateway
 * writes; 'SHG1', the compact JSON of earlier versions (buffer/sample-codec.ts), still read so that
 * an upgrade keeps the buffer. The checksum covers everything after itself, so a torn write or a
 * flipped bit anywhere in a record is caught on start and the tail from there on is set aside.
 */
import { crc32 } from 'node:zlib';

/** Payload formats, by the magic number of their records (read little-endian). */
export const RECORD_MAGIC = { json: 0x31474853, lines: 0x32474853 } as const; // 'SHG1', 'SHG2'
export type PayloadFormat = keyof typeof RECORD_MAGIC;
export const HEADER_BYTES = 32;
/** A payload larger than this is refused on append and treated as corruption on read. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export interface RecordMeta {
  seq: number;
  count: number;
  time: number;
}

export function encodeHeader(meta: RecordMeta, payload: Uint8Array, format: PayloadFormat = 'lines'): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(RECORD_MAGIC[format], 0);
  header.writeUInt32LE(payload.length, 4);
  header.writeBigUInt64LE(BigInt(meta.seq), 12);
  header.writeUInt32LE(meta.count, 20);
  header.writeDoubleLE(meta.time, 24);
  header.writeUInt32LE(crc32(payload, crc32(header.subarray(12))), 8);
  return header;
}

export type DecodeResult =
  | { ok: true; meta: RecordMeta; payload: Buffer; size: number }
  | { ok: false; reason: 'truncated' | 'bad_magic' | 'bad_length' | 'bad_checksum' };

/** Decodes the record starting at `offset` of `bytes` (a whole segment, or a read of one record). */
export function decodeRecord(bytes: Buffer, offset: number): DecodeResult {
  if (bytes.length - offset < HEADER_BYTES) return { ok: false, reason: 'truncated' };
  if (payloadFormat(bytes, offset) === undefined) return { ok: false, reason: 'bad_magic' };
  const length = bytes.readUInt32LE(offset + 4);
  if (length > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'bad_length' };
  const end = offset + HEADER_BYTES + length;
  if (end > bytes.length) return { ok: false, reason: 'truncated' };
  const expected = bytes.readUInt32LE(offset + 8);
  const actual = crc32(
    bytes.subarray(offset + HEADER_BYTES, end),
    crc32(bytes.subarray(offset + 12, offset + HEADER_BYTES)),
  );
  if (actual !== expected) return { ok: false, reason: 'bad_checksum' };
  return {
    ok: true,
    meta: {
      seq: Number(bytes.readBigUInt64LE(offset + 12)),
      count: bytes.readUInt32LE(offset + 20),
      time: bytes.readDoubleLE(offset + 24),
    },
    payload: bytes.subarray(offset + HEADER_BYTES, end),
    size: HEADER_BYTES + length,
  };
}

/** The payload format of the record at `offset`, by its magic number; undefined for none known. */
export function payloadFormat(bytes: Buffer, offset: number): PayloadFormat | undefined {
  const magic = bytes.readUInt32LE(offset);
  return magic === RECORD_MAGIC.lines ? 'lines' : magic === RECORD_MAGIC.json ? 'json' : undefined;
}
