/**
 * Samples as VictoriaMetrics holds them, written through its JSON line import (`/api/v1/import`) and
 * read back through its export (`/api/v1/export`), both one JSON object per series:
 *
 *   {"metric":{"__name__":"samples_value","device":…,"gateway":…,"quality":…,"tag_id":…},"values":[…],"timestamps":[…]}
 *
 * VictoriaMetrics keeps float64 values only: InfluxDB line protocol's string fields arrive as 0. So
 * the value goes into a metric named by its type, as in InfluxDB (`_value`, `_value_int`,
 * `_value_bool` as 0/1), and a string into the label `text` of `_value_str` (value 1), where it is
 * kept exactly (JSON, any character). The text of a non-finite number goes into the label `raw` of
 * `_value_raw`. `_received` and `_status` (when not 0) are metrics of their own with the same
 * identity labels. Writing a sample twice writes the same point twice; the reader keeps one.
 * Attestations (long text) are not written here: the bureau's copy holds them (the central sink).
 *
 * VictoriaMetrics stores a float as a decimal of about 12 significant digits, with one exponent for
 * a block of a series' values: 0.1 + 0.2 comes back 0.3, an OPC UA Float widened to
 * 23.469999313354492 comes back 23.4699993133545, 123456789.123 may come back 123456789.12300001, and
 * small values next to very large ones in a block come back 0. Verification needs the exact value,
 * so a float that is not a whole number (or is one beyond 2^53) is also written as its IEEE 754 bits,
 * two 32-bit integers (`_value_bits_hi`, `_value_bits_lo`, which integers hold exactly); the reader
 * takes the bits when they are there, and rounds a whole number to a whole number.
 */
import { type DataType, nonFiniteText, type Quality } from '../../../core/model.ts';
import { ATTESTATION_DEVICE } from '../../attest/attestation.ts';
import type { StoredSample } from '../sink.ts';

/** VictoriaMetrics' default -maxLabelValueLen: a longer label is truncated, so such text is refused. */
export const MAX_TEXT_BYTES = 16_384;

export const FIELDS = {
  number: 'value',
  integer: 'value_int',
  boolean: 'value_bool',
  string: 'value_str',
} as const satisfies Record<DataType, string>;
const RAW = 'value_raw';
const BITS_HI = 'value_bits_hi';
const BITS_LO = 'value_bits_lo';
/** The metrics of a sample besides its value's. */
export const EXTRA_FIELDS = [RAW, BITS_HI, BITS_LO, 'received', 'status'];

/** A float that VictoriaMetrics holds exactly, once the reader rounds it: a whole number below 2^53. */
const wholeNumber = (value: number): boolean => Number.isSafeInteger(value);

export interface ExportedSeries {
  metric: Record<string, string>;
  values: (number | string | null)[];
  timestamps: number[];
}

interface Series {
  labels: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/**
 * The import body for a batch, one line per series, and how many samples it could not hold (text
 * longer than a label may be). Attestations are left out (see above).
 */
export function toImport(
  samples: readonly StoredSample[],
  measurement: string,
  gateway: string,
): { body: string; refused: number } {
  const series = new Map<string, Series>();
  let refused = 0;
  const add = (labels: Record<string, string>, value: number, time: number) => {
    const key = JSON.stringify(labels);
    let s = series.get(key);
    if (!s) {
      s = { labels, values: [], timestamps: [] };
      series.set(key, s);
    }
    s.values.push(value);
    s.timestamps.push(time);
  };
  for (const sample of samples) {
    if (sample.device === ATTESTATION_DEVICE) continue;
    const identity = { device: sample.device, gateway, quality: sample.quality, tag_id: sample.tag };
    const time = Math.trunc(sample.sourceTime);
    const numeric = sample.type === 'number' || sample.type === 'integer';
    const raw = numeric ? nonFiniteText(Number(sample.value)) : undefined;
    if (raw !== undefined) add({ __name__: `${measurement}_${RAW}`, ...identity, raw }, 1, time);
    else if (sample.type === 'string') {
      const text = String(sample.value);
      if (Buffer.byteLength(text) > MAX_TEXT_BYTES) {
        refused++;
        continue;
      }
      add({ __name__: `${measurement}_${FIELDS.string}`, ...identity, text }, 1, time);
    } else {
      const value =
        sample.type === 'boolean'
          ? Number(sample.value === true || sample.value === 'true')
          : sample.type === 'integer'
            ? Math.trunc(Number(sample.value))
            : Number(sample.value);
      add({ __name__: `${measurement}_${FIELDS[sample.type]}`, ...identity }, value, time);
      if (sample.type === 'number' && !wholeNumber(value)) {
        const bits = new DataView(new ArrayBuffer(8));
        bits.setFloat64(0, value);
        add({ __name__: `${measurement}_${BITS_HI}`, ...identity }, bits.getUint32(0), time);
        add({ __name__: `${measurement}_${BITS_LO}`, ...identity }, bits.getUint32(4), time);
      }
    }
    add({ __name__: `${measurement}_received`, ...identity }, Math.trunc(sample.receivedAt), time);
    if (sample.statusCode !== 0)
      add({ __name__: `${measurement}_status`, ...identity }, Math.trunc(sample.statusCode), time);
  }
  let body = '';
  for (const s of series.values())
    body += `${JSON.stringify({ metric: s.labels, values: s.values, timestamps: s.timestamps })}\n`;
  return { body, refused };
}

const TYPE_OF_FIELD = new Map<string, DataType>(
  Object.entries(FIELDS).map(([type, field]) => [field, type as DataType]),
);

/**
 * Collects exported series into samples. Parts of one sample (its value, `_received`, `_status`)
 * come in separate series, in any order; a sample written twice comes back twice and is kept once.
 */
export class SampleAssembler {
  private readonly byKey = new Map<string, StoredSample>();
  /** The IEEE 754 bits of floats that have them, by sample. */
  private readonly bits = new Map<StoredSample, [hi: number, lo: number]>();

  constructor(private readonly measurement: string) {}

  add(series: ExportedSeries): void {
    const { metric } = series;
    const field = (metric.__name__ ?? '').slice(this.measurement.length + 1);
    for (let i = 0; i < series.timestamps.length; i++) {
      const time = series.timestamps[i] as number;
      const value = Number(series.values[i]);
      const sample = this.sample(metric, time);
      if (field === BITS_HI || field === BITS_LO) {
        const pair = this.bits.get(sample) ?? [0, 0];
        pair[field === BITS_HI ? 0 : 1] = value;
        this.bits.set(sample, pair);
      } else if (field === 'received') sample.receivedAt = value;
      else if (field === 'status') sample.statusCode = value;
      else if (field === RAW) {
        sample.type = 'number';
        sample.value = Number(metric.raw);
      } else if (field === FIELDS.string) {
        sample.type = 'string';
        sample.value = metric.text ?? '';
      } else {
        const type = TYPE_OF_FIELD.get(field);
        if (type === undefined) continue;
        sample.type = type;
        sample.value = type === 'boolean' ? value !== 0 : value;
      }
    }
  }

  /** Every sample in time order, then device, then tag (as the other stores yield them). */
  take(): StoredSample[] {
    const view = new DataView(new ArrayBuffer(8));
    for (const sample of this.byKey.values()) {
      if (sample.type !== 'number' || typeof sample.value !== 'number' || !Number.isFinite(sample.value))
        continue;
      const pair = this.bits.get(sample);
      if (pair) {
        view.setUint32(0, pair[0]);
        view.setUint32(4, pair[1]);
        sample.value = view.getFloat64(0);
      } else sample.value = Math.round(sample.value);
    }
    this.bits.clear();
    const out = [...this.byKey.values()].sort((a, b) =>
      a.sourceTime !== b.sourceTime
        ? a.sourceTime - b.sourceTime
        : a.device === b.device
          ? a.tag.localeCompare(b.tag)
          : a.device.localeCompare(b.device),
    );
    this.byKey.clear();
    return out;
  }

  private sample(metric: Record<string, string>, time: number): StoredSample {
    const device = metric.device ?? '';
    const tag = metric.tag_id ?? '';
    const quality = (metric.quality ?? 'bad') as Quality;
    const key = `${device}\u0000${tag}\u0000${quality}\u0000${time}`;
    let sample = this.byKey.get(key);
    if (!sample) {
      sample = {
        device,
        tag,
        quality,
        type: 'number',
        value: 0,
        statusCode: 0,
        sourceTime: time,
        receivedAt: time,
      };
      this.byKey.set(key, sample);
    }
    return sample;
  }
}
