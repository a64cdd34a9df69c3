/**
 * A turn's record written as UTF-8 while its lines are added (series.ts), into one growing buffer
 * kept from record to record (core/bytes.ts).
 */
import { ByteWriter } from '../../core/bytes.ts';

/** The most bytes of a line's end: `,received=…i,status=…i …` and the newline. */
const LINE_END_BYTES = 96;

export class RecordBytes extends ByteWriter {
  /** The last line end written, and what it was made of: a message's points share it. */
  private readonly end = new Uint8Array(LINE_END_BYTES);
  private endLength = 0;
  private endReceived = Number.NaN;
  private endStatus = Number.NaN;
  private endSource = Number.NaN;

  /** `,received=<receivedAt>i[,status=<statusCode>i] <sourceTime>` and the newline. */
  lineEnd(receivedAt: number, statusCode: number, sourceTime: number): void {
    if (receivedAt === this.endReceived && statusCode === this.endStatus && sourceTime === this.endSource) {
      const n = this.endLength;
      this.room(n);
      const { bytes, length, end } = this;
      for (let i = 0; i < n; i++) bytes[length + i] = end[i] as number;
      this.length = length + n;
      return;
    }
    const start = this.length;
    this.text(',received=');
    this.integer(receivedAt);
    if (statusCode !== 0) {
      this.text('i,status=');
      this.integer(statusCode);
    }
    this.text('i ');
    this.integer(sourceTime);
    this.text('\n');
    const n = this.length - start;
    if (n > LINE_END_BYTES) return; // NaN or a huge number's text: not kept
    this.end.set(this.bytes.subarray(start, this.length));
    this.endLength = n;
    this.endReceived = receivedAt;
    this.endStatus = statusCode;
    this.endSource = sourceTime;
  }
}
