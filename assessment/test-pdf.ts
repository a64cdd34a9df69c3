/** For the CLI tests: a `shugai assess …` run that prints a PDF, which must succeed quietly. */
import { expect } from 'vitest';
import { pdfText } from './test-cli.ts';

type Run = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * Runs `args` with `--format pdf --out <file>` added through `run`, expects exit 0 and nothing on
 * stderr, and returns the PDF's text (pdfText).
 */
export async function pdfReport(run: Run, args: string[], file: string): Promise<string> {
  const r = await run([...args, '--format', 'pdf', '--out', file]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return pdfText(file);
}
