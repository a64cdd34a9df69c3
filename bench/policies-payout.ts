/**
 * Payout throughput: payouts per second over a batch of generated cases, computed with the
 * explanation trace on (what `shugai payout --batch` does by default) and, as a baseline in the same
 * run, with traces off. Median of 3 runs each. Cases are the scenario files' cases (every measure of
 * the five documents) with their amounts varied ±50%, all parameters supplied.
 *
 *   node --import tsx bench/policies-payout.ts           # 100,000 cases
 *   node --import tsx bench/policies-payout.ts --smoke   # 2,000 cases; exits 1 on any error or on a
 *                                                        # traced amount that differs from the untraced one
 */
import { performance } from 'node:perf_hooks';
import { PolicyBook } from '../policies/engine/book.ts';
import { Dec } from '../policies/money.ts';
import { loadScenarioFiles } from '../policies/scenario-files.ts';

const smoke = process.argv.includes('--smoke');
const CASES = smoke ? 2_000 : 100_000;
const RUNS = 3;
const PARAMS = {
  'yongkang.generalItProjectRate': '0.15',
  'hebi.publishedOn': '2024-11-15',
  'fuyang.newManufacturingPlanRate': '0.03',
  'guangzhou.renovationRate': '0.30',
  'guangzhou.leadUnitRate': '0.20',
};

let seed = 20_240_601;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
}

const book = PolicyBook.load();
// Templates: every scenario that computes (not the ones that test an error), with a named measure.
const templates = loadScenarioFiles()
  .flatMap((f) => f.scenarios)
  .filter((s) => !s.error && s.measure !== 'auto');

function generate(i: number): { measure: string; input: Record<string, unknown> } {
  const t = templates[i % templates.length]!;
  const investment = t.input.investment as Record<string, string> | undefined;
  if (!investment) return { measure: t.measure, input: t.input };
  const varied = Object.fromEntries(
    Object.entries(investment).map(([k, v]) => [
      k,
      new Dec(v)
        .mul(0.5 + random())
        .toDecimalPlaces(2)
        .toFixed(2),
    ]),
  );
  return { measure: t.measure, input: { ...t.input, investment: varied } };
}

const cases = Array.from({ length: CASES }, (_, i) => generate(i));

function run(trace: boolean): { seconds: number; amounts: string[]; errors: string[] } {
  const amounts: string[] = [];
  const errors: string[] = [];
  const start = performance.now();
  for (const c of cases) {
    try {
      const result = book.compute(c.measure, c.input, { params: PARAMS, trace });
      if (trace && result.trace?.amount !== result.amount) errors.push(`${c.measure}: trace disagrees`);
      amounts.push(result.amount);
    } catch (error) {
      errors.push(`${c.measure}: ${(error as Error).message}`);
      amounts.push('error');
    }
  }
  return { seconds: (performance.now() - start) / 1000, amounts, errors };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const results: Record<string, number> = {};
let withTrace: string[] = [];
const failures: string[] = [];
for (const trace of [true, false]) {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const { seconds, amounts, errors } = run(trace);
    times.push(seconds);
    failures.push(...errors);
    if (trace) withTrace = amounts;
    else if (amounts.some((a, i) => a !== withTrace[i]))
      failures.push('amounts with traces off differ from traces on');
  }
  results[trace ? 'traces on' : 'traces off (baseline)'] = CASES / median(times);
}

const eligible = withTrace.filter((a) => a !== 'error' && a !== '0.00').length;
console.log(
  `policies payout bench: ${CASES.toLocaleString('en')} cases from ${templates.length} scenario templates (${eligible.toLocaleString('en')} with a non-zero amount), median of ${RUNS} runs`,
);
for (const [mode, perSecond] of Object.entries(results)) {
  console.log(`  ${mode.padEnd(24)} ${Math.round(perSecond).toLocaleString('en').padStart(10)} payouts/s`);
}
if (failures.length > 0) {
  console.error(
    `FAILED: ${failures.length} errors, first: ${[...new Set(failures)].slice(0, 5).join(' | ')}`,
  );
  process.exit(1);
}
