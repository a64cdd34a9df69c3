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

const poppler = (tool: string, args: string[]) =>
  new Promise<Buffer>((resolve, reject) =>
    execFile(tool, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );

/** pdftotext (poppler-utils) with the layout kept; `pages` limits it to [first, last]. */
export async function pdfText(file: string, pages?: [first: number, last: number]): Promise<string> {
  const range = pages ? ['-f', String(pages[0]), '-l', String(pages[1])] : [];
  return (await poppler('pdftotext', ['-layout', ...range, file, '-'])).toString('utf8');
}

/** pdfinfo's fields, e.g. `Pages: 6`, `Page size: 594.96 x 841.92 pts (A4)`. */
export async function pdfInfo(file: string): Promise<Record<string, string>> {
  const text = (await poppler('pdfinfo', [file])).toString('utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

/** One page rendered by pdftoppm at `dpi`, as RGB pixels (a binary PPM, read here). */
export async function pdfPage(
  file: string,
  page: number,
  dpi: number,
): Promise<{ width: number; height: number; rgb: Buffer }> {
  const ppm = await poppler('pdftoppm', ['-r', String(dpi), '-f', String(page), '-l', String(page), file]);
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('pdftoppm did not write a binary PPM');
  const [width, height] = [Number(header[1]), Number(header[2])];
  return { width, height, rgb: ppm.subarray(header[0].length, header[0].length + width * height * 3) };
}
