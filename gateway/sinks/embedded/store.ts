/**
 * The embedded store: a local SQLite time-series table, the default sink when no InfluxDB is
 * configured and what the demo uses. Same naming as the InfluxDB sink (device, tag, quality,
 * typed value, status, source time). Writing the same sample twice replaces it with itself.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type DataType, nonFiniteText, type Quality } from '../../../core/model.ts';
import type { SampleQuery, SampleReader, SeriesSummary, StoreScope } from '../../store/reader.ts';
import { Batch, type Sink, type StoredSample, type WriteOutcome } from '../sink.ts';

const QUALITY_CODES: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
const QUALITIES: Quality[] = ['good', 'uncertain', 'bad'];
const TYPE_CODES: Record<DataType, string> = { number: 'n', integer: 'i', boolean: 'b', string: 's' };
const TYPES: Record<string, DataType> = { n: 'number', i: 'integer', b: 'boolean', s: 'string' };

interface Row {
  device: string;
  tag: string;
  ts: number;
  type: string;
  value: number | bigint | string | null;
  quality: number;
  status: number;
  received: number;
}

export class EmbeddedStore implements Sink, SampleReader {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly writeMany: (batch: readonly StoredSample[]) => void;

  constructor(
    readonly name: string,
    file: string,
    options: { readonly?: boolean } = {},
  ) {
    if (options.readonly) {
      // For verifiers and tools: never create or change the file.
      this.db = new Database(file, { readonly: true, fileMustExist: true });
    } else {
      if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // FULL: a committed batch survives a power cut, since the buffer frees it right after.
      this.db.pragma('synchronous = FULL');
      this.db.exec(`CREATE TABLE IF NOT EXISTS samples (
        device TEXT NOT NULL, tag TEXT NOT NULL, ts INTEGER NOT NULL,
        type TEXT NOT NULL, value, quality INTEGER NOT NULL, status INTEGER NOT NULL, received INTEGER NOT NULL,
        PRIMARY KEY (device, tag, ts)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS samples_by_time ON samples (ts);`);
    }
    this.insert = this.db.prepare(
      'INSERT OR REPLACE INTO samples (device, tag, ts, type, value, quality, status, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.writeMany = this.db.transaction((batch: readonly StoredSample[]) => {
      for (const s of batch) {
        this.insert.run(
          s.device,
          s.tag,
          Math.trunc(s.sourceTime),
          TYPE_CODES[s.type],
          storedValue(s),
          QUALITY_CODES[s.quality],
          s.statusCode,
          Math.trunc(s.receivedAt),
        );
      }
    });
  }

  async write(batch: Batch | readonly StoredSample[]): Promise<WriteOutcome> {
    try {
      this.writeMany(batch instanceof Batch ? batch.samples() : batch);
      return { kind: 'ok' };
    } catch (error) {
      // Disk full, locked database: nothing was committed (one transaction), so retrying is safe.
      return { kind: 'retry', reason: `sqlite: ${(error as Error).message}` };
    }
  }

  /** One gateway's store (in its data folder): a gateway scope selects everything (reader.ts). */
  async summarize(window: StoreScope): Promise<SeriesSummary[]> {
    // Two steps, each on an index: the series from the covering time index, then each series'
    // counts along the primary key. One GROUP BY over the window looked up every row (20× slower).
    const series = this.db
      .prepare('SELECT DISTINCT device, tag FROM samples WHERE ts >= ? AND ts < ? ORDER BY device, tag')
      .all(window.from, window.to) as { device: string; tag: string }[];
    const counts = this.db.prepare(
      `SELECT device, tag, quality, COUNT(*) AS n, MIN(ts) AS first, MAX(ts) AS last FROM samples
       WHERE device = ? AND tag = ? AND ts >= ? AND ts < ? GROUP BY quality`,
    );
    const rows = series.flatMap(
      ({ device, tag }) =>
        counts.all(device, tag, window.from, window.to) as {
          device: string;
          tag: string;
          quality: number;
          n: number;
          first: number;
          last: number;
        }[],
    );
    const byKey = new Map<string, SeriesSummary>();
    for (const row of rows) {
      const key = `${row.device}\u0000${row.tag}`;
      let summary = byKey.get(key);
      if (!summary) {
        summary = {
          device: row.device,
          tag: row.tag,
          counts: { good: 0, uncertain: 0, bad: 0 },
          first: row.first,
          last: row.last,
        };
        byKey.set(key, summary);
      }
      summary.counts[QUALITIES[row.quality] as Quality] += row.n;
      summary.first = Math.min(summary.first, row.first);
      summary.last = Math.max(summary.last, row.last);
    }
    return [...byKey.values()];
  }

  async *samples(query: SampleQuery): AsyncIterable<StoredSample> {
    const conditions = ['ts >= ?', 'ts < ?'];
    const params: (string | number)[] = [query.from, query.to];
    if (query.device !== undefined) {
      conditions.push('device = ?');
      params.push(query.device);
    }
    if (query.tag !== undefined) {
      conditions.push('tag = ?');
      params.push(query.tag);
    }
    const statement = this.db.prepare(
      `SELECT * FROM samples WHERE ${conditions.join(' AND ')} ORDER BY ts, device, tag`,
    );
    for (const row of statement.iterate(...params) as IterableIterator<Row>) yield fromRow(row);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function storedValue(sample: StoredSample): number | string {
  switch (sample.type) {
    case 'number': {
      // SQLite would store NaN as NULL: non-finite numbers are kept as their text.
      const n = Number(sample.value);
      return nonFiniteText(n) ?? n;
    }
    case 'integer': {
      const n = Number(sample.value);
      return nonFiniteText(n) ?? Math.trunc(n);
    }
    case 'boolean':
      return sample.value === true || sample.value === 'true' ? 1 : 0;
    case 'string':
      return String(sample.value);
  }
}

function fromRow(row: Row): StoredSample {
  const type = TYPES[row.type] ?? 'string';
  const value =
    type === 'boolean' ? row.value === 1 : type === 'string' ? String(row.value) : Number(row.value);
  return {
    device: row.device,
    tag: row.tag,
    value,
    type,
    quality: QUALITIES[row.quality] ?? 'bad',
    statusCode: row.status,
    sourceTime: row.ts,
    receivedAt: row.received,
  };
}
