/**
 * Runs every scenario in scenarios/<measure>.yaml: the case and parameters, and the expected
 * eligibility, amount to the fen, failed articles and funding split — or the expected error code and
 * words of its message. Error margin 0. Every split is also checked to add up to the amount.
 */
import { describe, expect, it } from 'vitest';
import { PolicyBook } from './engine/book.ts';
import { loadScenarioFiles } from './scenario-files.ts';

const book = PolicyBook.load();
const files = loadScenarioFiles();

it('every measure has a scenario file named after it', () => {
  const measures = book
    .list()
    .map((m) => m.id)
    .sort();
  expect(files.map((f) => f.file.replace(/\.yaml$/, '')).sort()).toEqual(measures);
  expect(files.every((f) => f.file === `${f.measure}.yaml`)).toBe(true);
});

const fen = (amount: string) => BigInt(amount.replace('.', ''));

for (const { measure: fileMeasure, scenarios } of files) {
  describe(fileMeasure, () => {
    for (const s of scenarios) {
      it(s.name, () => {
        const run = () =>
          s.measure === 'auto'
            ? book.computeAuto(s.input, { params: s.params })
            : book.compute(s.measure, s.input, { params: s.params });
        if (s.error) {
          expect(run).toThrow(
            expect.objectContaining({
              code: s.error.code,
              message: expect.stringContaining(s.error.message),
            }),
          );
          return;
        }
        const result = run();
        expect({
          measure: result.measure,
          eligible: result.eligible,
          amount: result.amount,
          reasons: result.reasons.map((r) => r.article),
        }).toEqual({
          measure: s.measure === 'auto' ? fileMeasure : s.measure,
          eligible: s.eligible,
          amount: s.amount,
          reasons: s.reasons ?? [],
        });
        if (s.split !== undefined) expect(result.split).toEqual(s.split);
        if (result.split) {
          expect(Object.values(result.split).reduce((sum, v) => sum + fen(v), 0n)).toBe(fen(result.amount));
        }
        expect(result.trace?.amount).toBe(result.amount);
      });
    }
  });
}
