/** For the CLI tests: `shugai assess …` as a child process, and the text of a PDF it wrote. */
import { execFile } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../bin/shugai.mjs');

export function shugaiAssess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'assess', ...args], (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** pdftotext (poppler-utils) with the layout kept. */
export function pdfText(file: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('pdftotext', ['-layout', file, '-'], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
}
