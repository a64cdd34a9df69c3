/**
 * Reads samples back from VictoriaMetrics (`/api/v1/export`, the raw points) through the store read
 * interface, so `verify` and `assess` read it as they read InfluxDB and the embedded store. The base
 * URL is the single node (http://host:8428) or a cluster's vmselect for the tenant
 * (http://vmselect:8481/select/<tenant>/prometheus).
 */
import type { Quality } from '../../../core/model.ts';
import type { SampleQuery, SampleReader, SeriesSummary, StoreScope } from '../../store/reader.ts';
import { ndjsonLines, post } from '../http-post.ts';
import type { StoredSample } from '../sink.ts';
import { EXTRA_FIELDS, type ExportedSeries, FIELDS, SampleAssembler } from './encoding.ts';

export interface VictoriaReaderOptions {
  url: string;
  measurement?: string;
  /** Read only this gateway's points (the `gateway` label) unless a query names another scope. */
  gateway?: string;
  username?: string;
  password?: string;
  /** Longest wait (ms) for the next part of an answer; default 300 s. */
  timeoutMs?: number;
  /** Samples are read in pieces of this much time, sorted in memory (default 1 h). */
  pieceMs?: number;
}

export class VictoriaReader implements SampleReader {
  readonly holdsAttestations = false;
  private readonly measurement: string;

  constructor(private readonly options: VictoriaReaderOptions) {
    this.measurement = options.measurement ?? 'samples';
  }

  /** Every point has a `_received`: its series count the points of each tag and quality. */
  async summarize(window: StoreScope): Promise<SeriesSummary[]> {
    const byKey = new Map<string, SeriesSummary>();
    const selector = this.selector(window, ['received']);
    // Piece by piece, so the points remembered to tell a rewritten point from a new one are one piece's.
    for (const piece of this.pieces(window)) {
      const seen = new Set<string>();
      for await (const series of this.export(selector, piece)) this.count(series, byKey, seen);
    }
    return [...byKey.values()].sort((a, b) =>
      a.device === b.device ? a.tag.localeCompare(b.tag) : a.device.localeCompare(b.device),
    );
  }

  /** Adds one exported `_received` series to the summaries. */
  private count(series: ExportedSeries, byKey: Map<string, SeriesSummary>, seen: Set<string>): void {
    const m = series.metric;
    const device = m.device ?? '';
    const tag = m.tag_id ?? '';
    const quality = (m.quality ?? 'bad') as Quality;
    const key = `${device}\u0000${tag}`;
    let summary = byKey.get(key);
    if (!summary) {
      summary = {
        device,
        tag,
        counts: { good: 0, uncertain: 0, bad: 0 },
        first: Number.POSITIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
      };
      byKey.set(key, summary);
    }
    for (const time of series.timestamps) {
      // A point written twice is stored twice; it is one point.
      const point = `${key}\u0000${quality}\u0000${time}`;
      if (seen.has(point)) continue;
      seen.add(point);
      summary.counts[quality]++;
      summary.first = Math.min(summary.first, time);
      summary.last = Math.max(summary.last, time);
    }
  }

  /** The window in pieces of `pieceMs` (default 1 h): each point falls in exactly one. */
  private *pieces(window: { from: number; to: number }): Generator<{ from: number; to: number }> {
    const piece = this.options.pieceMs ?? 3_600_000;
    for (let from = window.from; from < window.to; from += piece)
      yield { from, to: Math.min(window.to, from + piece) };
  }

  async *samples(query: SampleQuery): AsyncIterable<StoredSample> {
    const selector = this.selector(query, [...Object.values(FIELDS), ...EXTRA_FIELDS]);
    for (const piece of this.pieces(query)) {
      const assembler = new SampleAssembler(this.measurement);
      for await (const series of this.export(selector, piece)) assembler.add(series);
      yield* assembler.take();
    }
  }

  async close(): Promise<void> {}

  /** A series selector for these fields of the measurement, this gateway's, and the query's device and tag. */
  private selector(scope: SampleQuery, fields: string[]): string {
    const names = fields.map((f) => `${this.measurement}_${f}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const matchers = [`__name__=~${label(names.join('|'))}`];
    const gateway = scope.gateway ?? this.options.gateway;
    if (gateway !== undefined) matchers.push(`gateway=${label(gateway)}`);
    if (scope.device !== undefined) matchers.push(`device=${label(scope.device)}`);
    if (scope.tag !== undefined) matchers.push(`tag_id=${label(scope.tag)}`);
    return `{${matchers.join(',')}}`;
  }

  /** The raw points of the matching series in [from, to), streamed one series (or part of one) at a time. */
  private async *export(match: string, window: { from: number; to: number }): AsyncIterable<ExportedSeries> {
    if (window.to <= window.from) return;
    // start and end are inclusive, in seconds with millisecond decimals.
    const params = new URLSearchParams({
      'match[]': match,
      start: (window.from / 1000).toFixed(3),
      end: ((window.to - 1) / 1000).toFixed(3),
    });
    const headers: Record<string, string> = {};
    if (this.options.username !== undefined)
      headers.Authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}`;
    const idleMs = this.options.timeoutMs ?? 300_000;
    const controller = new AbortController();
    let timer = setTimeout(
      () => controller.abort(new Error(`VictoriaMetrics sent nothing for ${idleMs / 1000} s`)),
      idleMs,
    );
    const waiting = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => controller.abort(new Error(`VictoriaMetrics sent nothing for ${idleMs / 1000} s`)),
        idleMs,
      );
    };
    try {
      const response = await post(
        new URL(`${this.options.url.replace(/\/+$/, '')}/api/v1/export`),
        params.toString(),
        {
          contentType: 'application/x-www-form-urlencoded',
          headers,
          signal: controller.signal,
        },
      );
      if (response.statusCode !== 200) {
        let text = '';
        for await (const part of response) text += String(part);
        throw new Error(
          `VictoriaMetrics export failed: HTTP ${response.statusCode} ${text.trim().slice(0, 300)}`,
        );
      }
      for await (const line of ndjsonLines(response)) {
        waiting();
        if (line.trim() !== '') yield JSON.parse(line) as ExportedSeries;
      }
    } catch (error) {
      throw controller.signal.aborted && controller.signal.reason instanceof Error
        ? controller.signal.reason
        : error;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }
}

/** A label value in a series selector: double-quoted, with `\` and `"` escaped (newlines as \n). */
function label(value: string): string {
  return JSON.stringify(value);
}
