// The bureau's verification with the parameters a measure's document leaves open, in Debian's
// chromium, on the demo's file (dashboards/platform/demo: 广州番禺's application under 穗工信函〔2024〕94号
// 四(二)5 and 鹤壁淇滨's under the 鹤壁 plan, whose "一定比例" and publication day only the bureau
// knows): verified without it, the payout names the missing parameter and the form marks its field;
// a bad value comes back (400) with what to fix in Chinese and the service's reason; a good one,
// typed and sent with the keyboard, gives the payout exact to the fen as the policy engine computes
// it, with the parameter shown in the result. Then the bureau's pages at a phone's size: no page wider
// than the screen (tables scroll in their own box), buttons big enough to tap.
// axe-core on every page; screenshots in test-results/screenshots/.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../dashboards/platform/accounts/repository.ts';
import { operator } from '../../dashboards/platform/accounts/roles.ts';
import { buildPlatformApp } from '../../dashboards/platform/app.ts';
import { getApplication, policyBook } from '../../dashboards/platform/applications/repository.ts';
import { openDatabase, type PlatformDb } from '../../dashboards/platform/db/connect.ts';
import { migrate } from '../../dashboards/platform/db/migrate.ts';
import { DEMO_PASSWORD, type SeededDemo, seedDemo } from '../../dashboards/platform/demo/seed.ts';
import { PASSWORD } from '../../dashboards/platform/testing.ts';
import { getVerification } from '../../dashboards/platform/verifications/compute.ts';
import {
  accessible,
  fitsWidth,
  launch,
  listen,
  noBrowser,
  PHONE,
  shot,
  signedIn,
  tappable,
} from './harness.ts';

const RATE_MEANING = '试点改造企业按核定投入补助的“一定比例”';

describe.skipIf(noBrowser)('the bureau panel with parameters, at a phone size', () => {
  let dir: string;
  let platform: PlatformDb;
  let app: FastifyInstance;
  let seeded: SeededDemo;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-bureau-params-'));
    platform = openDatabase(path.join(dir, 'platform.db'));
    await migrate(platform);
    seeded = await seedDemo(platform);
    for (const [name, region] of [
      ['officer-gz', '4401'],
      ['officer-hb', '4106'],
    ] as const)
      await createAccount(platform.db, 'test', {
        name,
        role: 'officer',
        displayName: name,
        password: PASSWORD,
        region,
      });
    app = buildPlatformApp({ platform, secureCookies: false });
    base = await listen(app);
    browser = await launch();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await platform?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const verify = (page: Page) =>
    Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/verify')),
      page.getByRole('button', { name: /计算核验|重新核验/ }).click(),
    ]).then(([r]) => r);

  it('verifies 广州番禺 with the bureau’s rate: missing, refused in Chinese, then exact to the fen', async () => {
    const id = seeded.applications.guangzhou;
    const { context, page } = await signedIn(browser, base, 'officer-gz');
    await page.goto(`${base}/bureau/applications/${id}`);
    const field = page.getByLabel(RATE_MEANING);
    expect(await field.inputValue()).toBe('');
    expect(await page.locator('#verify-form').textContent()).toContain(
      '比例，如 0.30 或 30% · guangzhou.renovationRate · 穗工信函〔2024〕94号 四(二)5',
    );
    await accessible(page);

    // Without it: computed, the payout names the missing parameter, the field says to fill it in.
    expect((await verify(page)).status()).toBe(303);
    await page.waitForURL(/#verification$/);
    expect(await page.locator('#payout').textContent()).toContain(
      'SHUGAI_PARAMETER_MISSING: missing parameter guangzhou.renovationRate',
    );
    expect(await page.locator('#param-guangzhou-renovationRate-err').textContent()).toBe(
      `「${RATE_MEANING}」：上次核验因缺少此参数无法计算补助，请填写后重新核验。`,
    );

    // A rate above 100 %: refused (400) with what to fix and the service's reason; nothing computed.
    const latest = async () => (await getApplication(platform.db, operator('test'), id)).verification?.id;
    const missing = await latest();
    await field.fill('150%');
    const refused = await verify(page);
    expect(refused.status()).toBe(400);
    expect(await page.locator('#param-guangzhou-renovationRate-err').textContent()).toBe(
      `「${RATE_MEANING}」：请填写不超过 100% 的比例，如 0.30 或 30%。`,
    );
    expect(await page.locator('#params-reason').textContent()).toBe(
      '系统返回：--param guangzhou.renovationRate=150%: rate "150%" is above 100%',
    );
    expect(await field.inputValue()).toBe('150%');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'bureau-params-refused');
    await accessible(page);
    expect(await latest()).toBe(missing);
    // Words are no rate either.
    await field.fill('三成');
    expect((await verify(page)).status()).toBe(400);
    expect(await page.locator('#params-reason').textContent()).toBe(
      '系统返回：--param guangzhou.renovationRate=三成: "三成" is not a rate (write 0.15 or 15%)',
    );

    // Typed and sent with the keyboard: 650000.00 × 33.3333% = 216666.45 (half-up to the fen).
    await field.focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('33.3333%');
    await Promise.all([page.waitForURL(/#verification$/), page.keyboard.press('Enter')]);
    expect(await page.locator('#payout-amount').textContent()).toBe('216666.45');
    expect(await page.locator('#payout-params').textContent()).toContain(
      `guangzhou.renovationRate = 33.3333%（${RATE_MEANING}）`,
    );
    expect(await field.inputValue()).toBe('33.3333%');
    // No gateway in this file: the verdict says why in Chinese, and what to do.
    expect(await page.locator('#integrity-error').textContent()).toBe(
      '档案中没有登记网关：没有经网关签名的数据，数据完整性无法核验。请在企业档案中登记网关及其数据存储后重新核验。',
    );
    // The policy engine on the stored case and parameters gives the same amount.
    const verification = await getVerification(platform.db, operator('test'), (await latest())!);
    expect(verification.payout.params).toEqual({ 'guangzhou.renovationRate': '33.3333%' });
    expect(
      policyBook().compute('guangzhou.renovation', verification.payout.case, {
        params: verification.payout.params,
      }).amount,
    ).toBe('216666.45');
    await shot(page, 'bureau-params-verified');
    await accessible(page);
    await context.close();
  }, 120_000);

  it('verifies 鹤壁淇滨 with the plan’s publication day; a day that does not exist is refused', async () => {
    const { context, page } = await signedIn(browser, base, 'officer-hb');
    await page.goto(`${base}/bureau/applications/${seeded.applications.hebi}`);
    const field = page.getByLabel('方案发布日期(种子文件未载明)');
    await field.fill('2024-02-30');
    expect((await verify(page)).status()).toBe(400);
    expect(await page.locator('#param-hebi-publishedOn-err').textContent()).toBe(
      '「方案发布日期(种子文件未载明)」：请按 YYYY-MM-DD 填写日期，如 2024-11-15。',
    );
    await field.fill('2024-11-15');
    expect((await verify(page)).status()).toBe(303);
    await page.waitForURL(/#verification$/);
    // 760000.00 at 50 % (鹤壁 19): the demo's figure.
    expect(await page.locator('#payout-amount').textContent()).toBe('380000.00');
    expect(await page.locator('#payout-params').textContent()).toContain('hebi.publishedOn = 2024-11-15');
    await context.close();
  }, 60_000);

  it('tells the assessor plainly that an enterprise with no gateway has no machine data to check against', async () => {
    const { context, page } = await signedIn(browser, base, 'demo-assessor', { password: DEMO_PASSWORD });
    await page.goto(`${base}/enterprises/${seeded.enterprises.guangzhou}/assessments/new?stage=onsite`);
    expect(await page.locator('#evidence-none').textContent()).toBe(
      '本企业尚未登记网关：没有设备数据可与填报对照，各项须凭材料和现场核实。',
    );
    expect(await page.locator('[data-measured]').count()).toBe(0);
    await accessible(page);
    await context.close();
  }, 60_000);

  it('fits the queue and the panel on a phone: nothing wider than the screen, targets big enough to tap', async () => {
    const { context, page } = await signedIn(browser, base, 'demo-admin', {
      viewport: PHONE,
      password: DEMO_PASSWORD,
    });
    await page.goto(`${base}/bureau/applications`);
    expect(await page.locator('#queue-summary').textContent()).toContain('共 5 件申请');
    await fitsWidth(page);
    await tappable(page);
    await shot(page, 'bureau-queue-phone');
    await accessible(page);
    await page.goto(`${base}/bureau/applications/${seeded.applications.guangzhou}`);
    await fitsWidth(page);
    await tappable(page);
    await shot(page, 'bureau-panel-phone');
    await accessible(page);
    await context.close();
  }, 60_000);
});
