/**
 * A turn's record written as UTF-8 while its lines are added (series.ts), into one growing buffer
 * kept from record to record (core/bytes.ts).
 */
import { ByteWriter } from '../../core/bytes.ts';
import { RepeatedInteger } from '../../core/digits.ts';

export class RecordBytes extends ByteWriter {
  /** The digits of the last source and received times written, which a message's points share. */
  readonly sourceTimes = new RepeatedInteger();
  readonly receivedTimes = new RepeatedInteger();
}
