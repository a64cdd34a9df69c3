/**
 * Every tag the gateway stores, known once: a series per device and tag with its stored type, the
 * fixed parts of its line protocol (escaped and encoded once, not per sample), its recent readings
 * and its last good value. Ingest looks a sample's series up by two map lookups on the ids the
 * collector gave, without building a key string per sample.
 */
import { DecimalText } from '../../core/digits.ts';
import type { DataType, Device, Quality, SampleValue } from '../../core/model.ts';
import { canonicalHead } from '../attest/canonical.ts';
import { escapeTag, fieldText, quoted, RAW_VALUE_FIELD, VALUE_FIELDS } from '../sinks/line-protocol.ts';
import type { History } from './recent.ts';
import type { RecordBytes } from './record-bytes.ts';

/** The measurement of the buffer's line protocol: what the InfluxDB sink writes by default. */
export const RECORD_MEASUREMENT = 'samples';

/** The text of the last float written (Series.write returns it). */
const FLOAT_TEXT = new DecimalText();

export class Series {
  /**
   * `samples,device=…,gateway=…,quality=<q>,tag_id=… value=` as UTF-8, per quality: the value
   * follows (in the field named by the type).
   */
  private readonly start: Record<Quality, Buffer>;
  /** The same for a number no store holds as a float (`… value_raw=`), made when first needed. */
  private rawStart: Record<Quality, Buffer> | undefined;
  /** The start of its canonical points (attest/canonical.ts) as UTF-8, of its type and as a float. */
  private readonly canonical: Uint8Array;
  private canonicalAsNumber: Uint8Array | undefined;
  /** The readings accepted last (recent.ts). */
  history: History | undefined;
  /**
   * The value of the last good reading, marked bad once if the link to the device is lost. Only the
   * value: holding the reading's object would keep one per tag alive long enough to be promoted.
   */
  lastGood: SampleValue | undefined;

  constructor(
    readonly device: string,
    readonly tag: string,
    readonly type: DataType,
    private readonly gatewayId: string,
  ) {
    this.start = this.lineStarts(VALUE_FIELDS[type]);
    this.canonical = Buffer.from(canonicalHead(device, tag, type));
  }

  private lineStarts(field: string): Record<Quality, Buffer> {
    const head = `${RECORD_MEASUREMENT},device=${escapeTag(this.device)},gateway=${escapeTag(this.gatewayId)},quality=`;
    const tail = `,tag_id=${escapeTag(this.tag)} ${field}=`;
    return {
      good: Buffer.from(`${head}good${tail}`),
      uncertain: Buffer.from(`${head}uncertain${tail}`),
      bad: Buffer.from(`${head}bad${tail}`),
    };
  }

  /** The canonical head of a point stored as `type`: the series' own, or `number` for a non-finite one. */
  canonicalHead(type: DataType): Uint8Array {
    if (type === this.type) return this.canonical;
    this.canonicalAsNumber ??= Buffer.from(canonicalHead(this.device, this.tag, 'number'));
    return this.canonicalAsNumber;
  }

  /**
   * Writes the sample's line into `out`, the bytes of what gateway/sinks/line-protocol.ts `toLine`
   * writes for measurement `samples` (a test holds the two equal). `value` is already of this
   * series' type; a non-finite number goes into value_raw as its text. Returns the text of a float
   * (a `number` series' finite value; valid until the next write), for the point digest to use
   * rather than make it again.
   */
  write(
    out: RecordBytes,
    value: SampleValue,
    quality: Quality,
    statusCode: number,
    sourceTime: number,
    receivedAt: number,
  ): DecimalText | undefined {
    let float: DecimalText | undefined;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      this.rawStart ??= this.lineStarts(RAW_VALUE_FIELD);
      out.raw(this.rawStart[quality]);
      out.text(quoted(String(value)));
    } else if (this.type === 'number' && typeof value === 'number') {
      // String(value), as fieldText writes a float, but from its digits where it can.
      out.raw(this.start[quality]);
      float = FLOAT_TEXT;
      float.set(value);
      out.decimal(float);
    } else {
      out.raw(this.start[quality]);
      out.text(fieldText(this.type, value));
    }
    out.lineEnd(receivedAt, statusCode, sourceTime);
    return float;
  }
}

export class SeriesTable {
  private readonly byDevice = new Map<string, Map<string, Series>>();
  private lastDevice: string | undefined;
  private lastTags: Map<string, Series> | undefined;
  private declared = new Map<string, DataType>();

  constructor(private readonly gatewayId: string) {}

  /**
   * The stored type of every configured tag and derived output. A series whose type changes (a
   * reload, or one seen in the buffer before its type was declared) is made again with the new type
   * and keeps its recent readings: they are the same tag's readings.
   */
  declare(
    devices: readonly Device[],
    derived: readonly [device: string, tag: string, type: DataType][] = [],
  ): void {
    this.declared = new Map([
      ...devices.flatMap((d) => d.tags.map((t) => [key(d.id, t.id), t.type] as const)),
      ...derived.map(([device, tag, type]) => [key(device, tag), type] as const),
    ]);
    for (const [device, tags] of this.byDevice)
      for (const [tag, series] of tags) {
        const type = this.declared.get(key(device, tag));
        if (type === undefined || type === series.type) continue;
        const retyped = new Series(device, tag, type, this.gatewayId);
        retyped.history = series.history;
        retyped.lastGood = series.lastGood;
        tags.set(tag, retyped);
      }
  }

  /** The series of a sample; one not declared takes its type from the value. */
  get(device: string, tag: string, value: SampleValue): Series {
    // A message's samples are of one device: its tags are looked up once.
    let tags = device === this.lastDevice ? this.lastTags : this.byDevice.get(device);
    if (!tags) {
      tags = new Map();
      this.byDevice.set(device, tags);
    }
    this.lastDevice = device;
    this.lastTags = tags;
    let series = tags.get(tag);
    if (!series) {
      const type =
        this.declared.get(key(device, tag)) ??
        (typeof value === 'boolean' ? 'boolean' : typeof value === 'string' ? 'string' : 'number');
      series = new Series(device, tag, type, this.gatewayId);
      tags.set(tag, series);
    }
    return series;
  }

  /** The series of one device seen so far. */
  ofDevice(device: string): Iterable<Series> {
    return this.byDevice.get(device)?.values() ?? [];
  }

  *[Symbol.iterator](): IterableIterator<Series> {
    for (const tags of this.byDevice.values()) yield* tags.values();
  }
}

function key(device: string, tag: string): string {
  return `${device}\u0000${tag}`;
}
