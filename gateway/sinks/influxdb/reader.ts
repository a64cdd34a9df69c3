/**
 * Reads samples back from InfluxDB 1.x (InfluxQL over /query) through the store read interface,
 * so the assessment and the verifier see InfluxDB and the embedded store alike.
 */
import type { DataType, Quality } from '../../../core/model.ts';
import type { SampleQuery, SampleReader, SeriesSummary, StoreScope } from '../../store/reader.ts';
import { ndjsonLines, post } from '../http-post.ts';
import { RAW_VALUE_FIELD, VALUE_FIELDS } from '../line-protocol.ts';
import type { StoredSample } from '../sink.ts';

export interface InfluxReaderOptions {
  url: string;
  database: string;
  measurement?: string;
  username?: string;
  password?: string;
  /** Read only this gateway's points (the `gateway` tag) unless a query names another scope. */
  gateway?: string;
  /** Longest wait (ms) for InfluxDB to answer, or to send the next part of an answer; default 300 s. */
  timeoutMs?: number;
}

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
interface Chunk {
  results?: { series?: Series[]; error?: string }[];
  error?: string;
}

const FIELD_TYPES = Object.entries(VALUE_FIELDS).map(([type, field]) => [field, type as DataType] as const);
/** Every field a sample's value may be in: one per type, and the text of a non-finite number. */
const ALL_VALUE_FIELDS = [...Object.values(VALUE_FIELDS), RAW_VALUE_FIELD];

export class InfluxReader implements SampleReader {
  private readonly measurement: string;

  constructor(private readonly options: InfluxReaderOptions) {
    this.measurement = options.measurement ?? 'samples';
  }

  async summarize(window: StoreScope): Promise<SeriesSummary[]> {
    const where = `WHERE ${this.conditions(window).join(' AND ')}`;
    const group = 'GROUP BY "device", "tag_id", "quality"';
    const m = quoteIdent(this.measurement);
    const fields = ALL_VALUE_FIELDS.map(quoteIdent);
    const [counts, firsts, lasts] = await Promise.all([
      this.query(`SELECT ${fields.map((f) => `count(${f})`).join(', ')} FROM ${m} ${where} ${group}`),
      this.query(`SELECT * FROM ${m} ${where} ${group} ORDER BY time ASC LIMIT 1`),
      this.query(`SELECT * FROM ${m} ${where} ${group} ORDER BY time DESC LIMIT 1`),
    ]);
    const byKey = new Map<string, SeriesSummary>();
    const entry = (tags: Record<string, string>) => {
      const key = `${tags.device}\u0000${tags.tag_id}`;
      let summary = byKey.get(key);
      if (!summary) {
        summary = {
          device: tags.device ?? '',
          tag: tags.tag_id ?? '',
          counts: { good: 0, uncertain: 0, bad: 0 },
          first: Number.POSITIVE_INFINITY,
          last: Number.NEGATIVE_INFINITY,
        };
        byKey.set(key, summary);
      }
      return summary;
    };
    for (const series of counts) {
      const row = series.values[0] ?? [];
      const total = row.slice(1).reduce<number>((sum, v) => sum + (typeof v === 'number' ? v : 0), 0);
      entry(series.tags ?? {}).counts[(series.tags?.quality ?? 'bad') as Quality] += total;
    }
    for (const series of firsts) {
      const summary = entry(series.tags ?? {});
      summary.first = Math.min(summary.first, Number(series.values[0]?.[0]));
    }
    for (const series of lasts) {
      const summary = entry(series.tags ?? {});
      summary.last = Math.max(summary.last, Number(series.values[0]?.[0]));
    }
    return [...byKey.values()].sort((a, b) =>
      a.device === b.device ? a.tag.localeCompare(b.tag) : a.device.localeCompare(b.device),
    );
  }

  async *samples(query: SampleQuery): AsyncIterable<StoredSample> {
    const conditions = this.conditions(query);
    if (query.device !== undefined) conditions.push(`"device" = ${quoteString(query.device)}`);
    if (query.tag !== undefined) conditions.push(`"tag_id" = ${quoteString(query.tag)}`);
    const q = `SELECT * FROM ${quoteIdent(this.measurement)} WHERE ${conditions.join(' AND ')}`;
    // Rows at one timestamp come in series order; sort them so both stores yield the same order.
    let pending: StoredSample[] = [];
    for await (const series of this.stream(q)) {
      const col = (name: string) => series.columns.indexOf(name);
      const [iTime, iDevice, iTag, iQuality, iStatus] = ['time', 'device', 'tag_id', 'quality', 'status'].map(
        col,
      ) as number[];
      for (const row of series.values) {
        const sample = toSample(row, series.columns, iTime!, iDevice!, iTag!, iQuality!, iStatus!);
        if (pending.length > 0 && (pending[0] as StoredSample).sourceTime !== sample.sourceTime) {
          yield* sortSameTime(pending);
          pending = [];
        }
        pending.push(sample);
      }
    }
    yield* sortSameTime(pending);
  }

  async close(): Promise<void> {}

  /** The window, and the gateway whose points are read (every point carries its gateway's id as a tag). */
  private conditions(scope: StoreScope): string[] {
    const conditions = [`time >= ${scope.from}ms`, `time < ${scope.to}ms`];
    const gateway = scope.gateway ?? this.options.gateway;
    if (gateway !== undefined) conditions.push(`"gateway" = ${quoteString(gateway)}`);
    return conditions;
  }

  private async query(q: string): Promise<Series[]> {
    const out: Series[] = [];
    for await (const series of this.stream(q)) out.push(series);
    return out;
  }

  /** Runs a query with chunked responses, yielding series as they arrive (bounded memory). */
  private async *stream(q: string): AsyncIterable<Series> {
    const params = new URLSearchParams({
      q,
      db: this.options.database,
      epoch: 'ms',
      chunked: 'true',
      // Rows per JSON line: attestation rows are ~3 KB each, so 10,000 made 30 MB lines (400 MB RSS
      // reading them); 1,000 reads as fast and keeps a line small.
      chunk_size: '1000',
    });
    const headers: Record<string, string> = {};
    if (this.options.username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}`;
    }
    // An idle timeout, not a total one: a week of points streams for minutes, and the time the
    // caller spends on each series is not InfluxDB's to answer for.
    const idleMs = this.options.timeoutMs ?? 300_000;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const waiting = () => {
      timer = setTimeout(
        () => controller.abort(new Error(`InfluxDB sent nothing for ${idleMs / 1000} s`)),
        idleMs,
      );
    };
    waiting();
    try {
      // node:http rather than fetch: undici's body stream re-copied its buffer (`fromList`) for every
      // read of these long answers, a third of the time of reading attestations.
      const response = await post(
        new URL(`${this.options.url.replace(/\/+$/, '')}/query`),
        params.toString(),
        {
          contentType: 'application/x-www-form-urlencoded',
          headers,
          signal: controller.signal,
        },
      );
      clearTimeout(timer);
      if (response.statusCode !== 200) {
        let text = '';
        for await (const part of response) text += String(part);
        throw new Error(`InfluxDB query failed: HTTP ${response.statusCode} ${text}`);
      }
      const lines = ndjsonLines(response);
      waiting();
      for await (const line of lines) {
        clearTimeout(timer);
        if (line.trim() !== '') {
          const chunk = JSON.parse(line) as Chunk;
          const error = chunk.error ?? chunk.results?.find((r) => r.error)?.error;
          if (error) throw new Error(`InfluxDB query failed: ${error}`);
          for (const result of chunk.results ?? []) yield* result.series ?? [];
        }
        waiting();
      }
    } catch (error) {
      // An abort by the idle timer says why, not just "aborted".
      throw controller.signal.aborted && controller.signal.reason instanceof Error
        ? controller.signal.reason
        : error;
    } finally {
      clearTimeout(timer);
      // A caller that stopped early (or an error) releases the connection.
      controller.abort();
    }
  }
}

function toSample(
  row: unknown[],
  columns: string[],
  iTime: number,
  iDevice: number,
  iTag: number,
  iQuality: number,
  iStatus: number,
): StoredSample {
  let type: StoredSample['type'] = 'number';
  let value: StoredSample['value'] = 0;
  for (const [field, fieldType] of FIELD_TYPES) {
    const v = row[columns.indexOf(field)];
    if (v !== null && v !== undefined) {
      type = fieldType;
      value = v as StoredSample['value'];
      break;
    }
  }
  const raw = row[columns.indexOf(RAW_VALUE_FIELD)];
  if (typeof raw === 'string') value = Number(raw); // NaN or ±Infinity, of a number tag
  const status = iStatus >= 0 ? row[iStatus] : null;
  const received = row[columns.indexOf('received')];
  const time = Number(row[iTime]);
  return {
    device: String(row[iDevice]),
    tag: String(row[iTag]),
    value,
    type,
    quality: (row[iQuality] as Quality) ?? 'bad',
    statusCode: typeof status === 'number' ? status : 0,
    sourceTime: time,
    receivedAt: typeof received === 'number' ? received : time,
  };
}

function sortSameTime(samples: StoredSample[]): StoredSample[] {
  return samples.sort((a, b) =>
    a.device === b.device ? a.tag.localeCompare(b.tag) : a.device.localeCompare(b.device),
  );
}

function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
