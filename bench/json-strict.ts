/**
 * Strict JSON (core/json.ts: duplicate keys refused, then JSON.parse) on a large request body, with
 * JSON.parse alone on the same text as the baseline in the same run. The body is what the central
 * service receives: signed attestation items, compact (as the sink sends them) and pretty-printed.
 * Median of 15 runs each, after 5 warm-up runs.
 *
 *   node --import tsx bench/json-strict.ts           # a 5 MB body
 *   node --import tsx bench/json-strict.ts --smoke   # 1 MB; exits 1 if a value differs from JSON.parse's
 *                                                    # or a duplicate key goes through
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { parseJsonStrict } from '../core/json.ts';

const smoke = process.argv.includes('--smoke');
const BYTES = (smoke ? 1 : 5) * 1024 * 1024;
const WARMUP = 5;
const RUNS = 15;

const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');

/** Attestation-like items until the compact body reaches `bytes`. */
function body(bytes: number): unknown {
  const items: unknown[] = [];
  let size = 0;
  for (let seq = 0; size < bytes; seq++) {
    const from = 1_764_000_000_000 + seq * 1000;
    const item = {
      stamp: from + 999,
      attestation: {
        v: 1,
        gateway: 'yk-cups-gw01',
        seq,
        from,
        to: from + 999,
        devices: {
          'press-3': { points: 120, hash: hex(`p${seq}`) },
          'lathe-01': { points: 60, hash: hex(`l${seq}`) },
        },
        dropped: { count: 0 },
        prev: hex(`prev${seq}`),
        sig: Buffer.from(hex(`sig${seq}`) + hex(`sig2${seq}`), 'hex').toString('base64'),
      },
    };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return { items };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(parse: () => unknown): number {
  const start = performance.now();
  parse();
  return performance.now() - start;
}

const value = body(BYTES);
let failed = false;
for (const [form, text] of [
  ['compact', JSON.stringify(value)],
  ['pretty', JSON.stringify(value, null, 2)],
] as const) {
  if (!isDeepStrictEqual(parseJsonStrict(text, 'body'), JSON.parse(text))) {
    console.error(`${form}: parseJsonStrict and JSON.parse disagree`);
    failed = true;
  }
  for (let i = 0; i < WARMUP; i++) {
    JSON.parse(text);
    parseJsonStrict(text, 'body');
  }
  const baseline: number[] = [];
  const strict: number[] = [];
  // Alternated, so neither gets the machine in a better moment.
  for (let i = 0; i < RUNS; i++) {
    baseline.push(time(() => JSON.parse(text)));
    strict.push(time(() => parseJsonStrict(text, 'body')));
  }
  const base = median(baseline);
  const mine = median(strict);
  console.log(
    `${form} ${(text.length / 1024 / 1024).toFixed(1)} MB: JSON.parse ${base.toFixed(1)} ms (baseline), ` +
      `parseJsonStrict ${mine.toFixed(1)} ms, ${(mine / base).toFixed(2)} × JSON.parse`,
  );
}
const twice = `{"items": [{"stamp": 1, "stamp": 2}]}`;
try {
  parseJsonStrict(twice, 'body');
  console.error('a duplicate key went through');
  failed = true;
} catch {
  // refused, as it must be
}
if (failed) process.exitCode = 1;
