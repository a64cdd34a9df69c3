// The browser harness of the page tests: Debian's chromium (headless, through playwright-core), a
// login through the login page as a seeded account, axe-core in the page (no serious or critical
// violation), full-page screenshots in test-results/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { PASSWORD } from '../../dashboards/platform/testing.ts';

export const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve('test-results', 'screenshots');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Skip without chromium, unless services are required (CI): then a missing browser fails. */
export const noBrowser = !existsSync(CHROMIUM) && process.env.SHUGAI_REQUIRE_SERVICES !== '1';

/** Listens on a free loopback port; the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

export async function launch(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** A new browser context logged in through the login page (zh-CN). */
export async function signedIn(
  browser: Browser,
  base: string,
  name: string,
  options: {
    viewport?: { width: number; height: number };
    password?: string;
    /** For axe in a page whose Content-Security-Policy allows no script (the report). */
    bypassCSP?: boolean;
  } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1366, height: 768 },
    locale: 'zh-CN',
    acceptDownloads: true,
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('账号').fill(name);
  await page.getByLabel('密码').fill(options.password ?? PASSWORD);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.getByRole('button', { name: '登录' }).click(),
  ]);
  return { context, page };
}

/** axe-core in the page: no serious or critical violation. */
export async function accessible(page: Page): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (
      globalThis as unknown as {
        axe: {
          run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
    }));
  });
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
}

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** A phone's viewport (CSS pixels). */
export const PHONE = { width: 390, height: 844 };

/** The page is no wider than the viewport (a table may scroll inside its own box); else what sticks out. */
export async function fitsWidth(page: Page): Promise<void> {
  const viewport = page.viewportSize()?.width;
  // A string: the test's TypeScript has no DOM types.
  const widths = await page.evaluate(`(() => {
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.table-wrap'))
      .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.'))
      .slice(0, 5);
    return { scroll: document.scrollingElement.scrollWidth, viewport: window.innerWidth, wide };
  })()`);
  expect(widths).toEqual({ scroll: viewport, viewport, wide: [] });
}

/**
 * Every control in the page is a target at least 44 × 44 CSS pixels (WCAG 2.5.5), a radio button or a
 * check box by its label; links in running text are exempt.
 */
export async function tappable(page: Page): Promise<void> {
  const small =
    await page.evaluate(`[...document.querySelectorAll('button, a.button, select, input:not([type=hidden]), textarea, header a')]
    .filter((e) => e.offsetParent !== null)
    .map((e) => {
      const r = (e.matches('input[type=radio], input[type=checkbox]') ? e.closest('label') || e : e).getBoundingClientRect();
      return { what: e.tagName.toLowerCase() + ' ' + (e.textContent.trim() || e.name || e.id), w: Math.round(r.width), h: Math.round(r.height) };
    })
    .filter((x) => x.h < 44 || x.w < 44)`);
  expect(small).toEqual([]);
}
