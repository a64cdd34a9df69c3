/**
 * The PDF report is the HTML report printed by headless Chromium, so both always say the same.
 * Chinese text needs a CJK font on the machine (Debian: fonts-wqy-microhei or fonts-noto-cjk).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  const configured = process.env.SHUGAI_CHROMIUM;
  for (const candidate of configured ? [configured] : CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

export async function htmlToPdf(html: string, outFile: string): Promise<void> {
  const chromium = findChromium();
  if (!chromium)
    throw new Error(
      'no Chromium found for the PDF: install the Debian package chromium, or set SHUGAI_CHROMIUM',
    );
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-pdf-'));
  try {
    const page = path.join(dir, 'report.html');
    await writeFile(page, html);
    // A fresh profile and no background networking: nothing leaves the machine, nothing is kept.
    await run(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${path.join(dir, 'profile')}`,
        '--no-pdf-header-footer',
        `--print-to-pdf=${path.resolve(outFile)}`,
        `file://${page}`,
      ],
      { timeout: 120_000 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The PDF of the HTML as bytes, for a server that answers with it rather than writing a file. */
export async function pdfOf(html: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shugai-pdf-out-'));
  try {
    const out = path.join(dir, 'report.pdf');
    await htmlToPdf(html, out);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
