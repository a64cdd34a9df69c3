// The bureau officer's pages in Debian's chromium: a real signed embedded store of 永康's gateway, its
// attestations posted to the real intake route, two validated assessments and an application under
// 永政办发〔2023〕40号 二(一) (dashboards/platform/applications/testing.ts); an officer verifies it on
// the panel (integrity clean, the machine evidence beside the answers, the payout exact to the fen),
// makes the 初审, is refused the 复审 in Chinese, a second officer makes the 复审; the XLSX export
// downloads and parses; a sampling draw is redone with its seed; an enterprise account is refused.
// axe-core on every page; screenshots in test-results/screenshots/.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowZh } from '../../assessment/evidence/measure.ts';
import { levelTwo, modbusLink } from '../../assessment/fixtures.ts';
import { createAccount } from '../../dashboards/platform/accounts/repository.ts';
import { readyToApply, signedStore } from '../../dashboards/platform/applications/testing.ts';
import { openDatabase, type PlatformDb } from '../../dashboards/platform/db/connect.ts';
import { migrate } from '../../dashboards/platform/db/migrate.ts';
import { PASSWORD, seedWorld, type World } from '../../dashboards/platform/testing.ts';
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

const MEASURE = 'yongkang.nx-renovation';
/** The application is submitted on this day (its payout's asOf); the pages then run on the real clock. */
const SUBMITTED = Date.parse('2026-01-02T10:00:00+08:00');

/**
 * The gateway's config on file: press-01 (the store's speed and parts) and press-02, a production
 * press with no data, so the networking and digitization rates measure 1/2 against the answers' 10/10.
 */
const CONFIG = modbusLink('yk-gw01', [
  [
    '      - id: press-01',
    '        unitId: 1',
    '        production: true',
    '        businessLinks: [生产管控, 设备管理]',
    '        tags:',
    '          - { id: speed, type: number, register: holding, address: 0, dataType: float32 }',
    '          - { id: parts, type: integer, register: holding, address: 2, dataType: uint16 }',
  ].join('\n'),
  [
    '      - id: press-02',
    '        unitId: 2',
    '        production: true',
    '        businessLinks: [生产管控]',
    '        tags: [{ id: parts, type: integer, register: holding, address: 2, dataType: uint16 }]',
  ].join('\n'),
]);

describe.skipIf(noBrowser)('the bureau pages in chromium', () => {
  let dir: string;
  let platform: PlatformDb;
  let world: World;
  let base: string;
  let browser: Browser;
  let application: string;
  let assessments: { before: string; after: string };
  let clock: number | null = SUBMITTED;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-bureau-pages-'));
    platform = openDatabase(path.join(dir, 'platform.db'));
    await migrate(platform);
    world = await seedWorld(platform, { secureCookies: false, now: () => clock ?? Date.now() });
    const store = await signedStore('yk-gw01');
    // After: forty points and eight scenes at level 2, six of them ★ (二级).
    const { before, after } = await readyToApply(world, store, levelTwo());
    assessments = { before, after };
    const put = await world.call(
      'provider-1',
      'PUT',
      `/api/v1/enterprises/${world.enterprise.yongkang}/gateways/yk-gw01/store`,
      { store: store.file, config: CONFIG },
    );
    expect(put.statusCode).toBe(200);
    const submit = await world.call(
      'ent-yk',
      'POST',
      `/api/v1/enterprises/${world.enterprise.yongkang}/applications`,
      { measure: MEASURE, assessmentBefore: before, assessmentAfter: after, aboveScale: true },
    );
    expect(submit.statusCode).toBe(201);
    application = submit.json().id;
    await createAccount(platform.db, 'test', {
      name: 'officer-yk2',
      role: 'officer',
      displayName: '永康市经信局 复审',
      password: PASSWORD,
      region: '330784',
    });
    // From here the real clock: the browser keeps a session cookie only until its real expiry.
    clock = null;
    base = await listen(world.app);
    browser = await launch();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await world?.app.close();
    await platform?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('verifies, makes the 初审, refuses the same officer the 复审 in Chinese; another officer approves; the XLSX adds up', async () => {
    const { context, page } = await signedIn(browser, base, 'officer-yk');
    await page.getByRole('link', { name: '申请队列' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('申请队列');
    expect(await page.locator('#queue-summary').textContent()).toContain('共 1 件申请');
    expect(await page.locator('#sum-verified').textContent()).toBe('0.00');
    await shot(page, 'bureau-queue');
    await accessible(page);
    // Filters: another state shows nothing; the submitted state the application.
    await page.selectOption('#f-state', 'approved');
    await Promise.all([
      page.waitForURL(/state=approved/),
      page.getByRole('button', { name: '筛选' }).click(),
    ]);
    expect(await page.locator('main').textContent()).toContain('没有符合条件的申请。');
    await page.selectOption('#f-state', 'submitted');
    await page.selectOption('#f-batch', '1');
    await page.selectOption('#f-measure', MEASURE);
    await Promise.all([
      page.waitForURL(/state=submitted/),
      page.getByRole('button', { name: '筛选' }).click(),
    ]);
    await Promise.all([
      page.waitForURL(/\/bureau\/applications\/app_/),
      page.getByRole('link', { name: application }).click(),
    ]);

    // Not verified yet: the panel says so; the officer computes the verification.
    expect(await page.locator('#verification').textContent()).toContain('尚未核验');
    await Promise.all([
      page.waitForURL(/#verification$/),
      page.getByRole('button', { name: '计算核验' }).click(),
    ]);
    expect(await page.locator('#level-before').textContent()).toBe('未达到等级');
    expect(await page.locator('#level-after').textContent()).toBe('二级');
    // The level rule's counts (required / actual): 二级 needs 40 points, six scenes at level 2 or above, three of them ★.
    const rule = await page
      .locator('#levels table')
      .nth(1)
      .locator('tbody tr')
      .nth(1)
      .locator('td')
      .allTextContents();
    expect(rule[0]).toBe('二级');
    expect(rule.slice(1, 4)).toEqual(['40 / 40', '6 / 8', '3 / 6']);
    expect(rule[4]).toContain('是');
    expect(await page.locator('#integrity-verdict').textContent()).toContain('通过');
    const integrity = await page.locator('#integrity').textContent();
    expect(integrity).toContain('有效签名记录 60 条（序号 1–60，取自主管部门的副本）');
    expect(integrity).toContain('未发现与签名记录不符之处。');
    expect(integrity).toContain('2026-01-01 09:00 至 2026-01-01 09:09 北京时间');
    // Coverage per device: press-01's ten attested minutes in a window of the contract's day to now.
    const press = await page
      .locator('tr', { has: page.locator('[data-coverage="press-01"]') })
      .locator('td')
      .allTextContents();
    expect(press[0]).toBe('press-01');
    expect(press[1]).toMatch(/^\d+(\.\d+)?%$/);
    expect(press[2]).toBe('2026-01-01 09:00 至 2026-01-01 09:09 北京时间');
    // The machine evidence beside the answers: 10/10 answered; press-02 delivered no data, so the
    // networking rate measures 1/2 (marked), while both presses have a digital interface (2/2).
    const evidence = page.locator('#evidence');
    const rows = [];
    for (const row of await evidence.locator('tbody tr').all())
      rows.push(await row.locator('td').allTextContents());
    expect(rows).toEqual([
      ['设备联网', '10/10 = 100% (60%,100%]', '1/2 = 50% (40%,60%]', '填报高于实测'],
      ['设备数字化', '10/10 = 100% (60%,100%]', '2/2 = 100% (60%,100%]', '一致'],
    ]);
    expect(await evidence.locator('[data-contradiction]').count()).toBe(1);
    expect(await evidence.textContent()).toContain('填报高于设备数据之处');
    // The payout exact to the fen, each step with its article.
    expect(await page.locator('#payout-amount').textContent()).toBe('180000.00');
    const steps = await page.locator('#payout-steps li').allTextContents();
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.join('\n')).toContain('永政办发〔2023〕40号');
    expect(await page.locator('.explanation').textContent()).toContain('计算说明');
    await shot(page, 'bureau-panel');
    await accessible(page);

    // 初审 without a reason: refused in Chinese, nothing recorded.
    await page.check('input[name="outcome"][value="approve"]');
    const [blank] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: '提交初审' }).click(),
    ]);
    expect(blank.status()).toBe(400);
    expect(await page.locator('#decision-error').textContent()).toBe('请填写理由。');
    await page.check('input[name="outcome"][value="approve"]');
    await page.fill('#reason', '投入与台账相符，数据完整');
    await Promise.all([
      page.waitForURL(/#decisions$/),
      page.getByRole('button', { name: '提交初审' }).click(),
    ]);
    expect(await page.locator('#state').textContent()).toBe('待复审');
    expect(await page.locator('#decisions').textContent()).toContain('投入与台账相符，数据完整');

    // The same officer tries the 复审: refused, with the reason in Chinese.
    expect(await page.locator('#decisions').textContent()).toContain(
      '初审由 officer-yk 完成；复审须由另一名工作人员进行。',
    );
    await page.check('input[name="outcome"][value="approve"]');
    await page.fill('#reason', '复核无误');
    const [same] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: '提交复审' }).click(),
    ]);
    expect(same.status()).toBe(409);
    expect(await page.locator('#decision-error').textContent()).toBe(
      '您已完成本申请的初审，复审须由另一名工作人员进行。',
    );
    expect(await page.locator('#reason').inputValue()).toBe('复核无误');
    await shot(page, 'bureau-same-officer-refused');
    await accessible(page);
    expect(
      (await world.call('officer-yk', 'GET', `/api/v1/applications/${application}`)).json(),
    ).toMatchObject({
      state: 'first-approved',
    });

    // Another officer of the region makes the 复审.
    const second = await signedIn(browser, base, 'officer-yk2');
    await second.page.goto(`${base}/bureau/applications/${application}`);
    await second.page.check('input[name="outcome"][value="approve"]');
    await second.page.fill('#reason', '复核无误');
    await Promise.all([
      second.page.waitForURL(/#decisions$/),
      second.page.getByRole('button', { name: '提交复审' }).click(),
    ]);
    expect(await second.page.locator('#state').textContent()).toBe('已批准');
    expect(await second.page.locator('#decisions').textContent()).toContain('officer-yk2');
    await shot(second.page, 'bureau-approved');
    await accessible(second.page);
    await second.context.close();

    // The queue sums the approved amount exactly; the XLSX of batch 1 downloads and adds up.
    await page.goto(`${base}/bureau/applications`);
    expect(await page.locator('#sum-approved').textContent()).toBe('180000.00');
    expect(await page.locator('#sum-verified').textContent()).toBe('180000.00');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: '第 1 批 XLSX' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('payouts-batch-1.xlsx');
    const file = path.join(dir, 'payouts.xlsx');
    await download.saveAs(file);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await readFile(file)) as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.name).toBe('第1批补助');
    expect(sheet.getRow(2).getCell(1).value).toBe(application);
    expect(sheet.getRow(2).getCell(2).value).toBe('永康某保温杯有限公司');
    expect(Number(sheet.getRow(2).getCell(9).value).toFixed(2)).toBe('180000.00');
    expect(sheet.getRow(3).getCell(1).value).toBe('合计');
    expect(Number(sheet.getRow(3).getCell(9).value).toFixed(2)).toBe('180000.00');
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: '第 1 批 CSV' }).click(),
    ]);
    const csvText = await readFile(await csv.path(), 'utf8');
    expect(csvText.split('\r\n').at(-2)).toBe('合计,1 家,,,,,,,180000.00,,,,,180000.00,,,');
    // In English: the same panel, the words switched, the figures the same.
    await page.goto(`${base}/bureau/applications/${application}?lang=en`);
    expect(await page.locator('#h-payout').textContent()).toBe('Payout and its explanation');
    expect(await page.locator('#state').textContent()).toBe('approved');
    expect(await page.locator('#payout-amount').textContent()).toBe('180000.00');
    await shot(page, 'bureau-panel-english');
    await accessible(page);
    await context.close();
  }, 120_000);

  it("shows the assessor the machine evidence beside the items it supports, and where the enterprise's answer is above it", async () => {
    // The on-site questionnaire continuing the enterprise's assessment (answered 10/10 networked).
    const { context, page } = await signedIn(browser, base, 'assessor-1');
    await page.goto(
      `${base}/enterprises/${world.enterprise.yongkang}/assessments/new?stage=onsite&assessment=${assessments.after}`,
    );
    expect(await page.locator('input[name="rate.device-networking.n"]').inputValue()).toBe('10');
    // The window the bureau's verification read (the contract's day to the attested end).
    const app = (await world.call('officer-yk', 'GET', `/api/v1/applications/${application}`)).json();
    const verification = (
      await world.call('officer-yk', 'GET', `/api/v1/verifications/${app.verification.id}`)
    ).json();
    const measured = page.locator('#measured');
    expect(await measured.textContent()).toContain(`窗口为 ${windowZh(verification.integrity.window)}`);
    expect(await measured.locator('[data-gateway="yk-gw01"]').textContent()).toBe(
      `网关 yk-gw01（${verification.integrity.gateways[0].store}）：已测算；与填报不符 1 处`,
    );
    // Networking: press-02 delivered nothing, so 1/2 measured against 10/10 answered: marked.
    const networking = page.locator('#q-device-networking');
    expect(await networking.locator('[data-measured="device-networking"]').textContent()).toBe(
      '实测：1/2 = 50% (40%,60%]',
    );
    expect(await networking.locator('[data-contradiction]').textContent()).toBe('填报高于实测');
    expect(await networking.locator('.measured').textContent()).toContain(
      '设备联网: 填报 10/10 = 100% (60%,100%]（',
    );
    // Digitization: both presses have tags (2/2): nothing marked.
    const digitization = page.locator('#q-device-digitization');
    expect(await digitization.locator('[data-measured="device-digitization"]').textContent()).toBe(
      '实测：2/2 = 100% (60%,100%]',
    );
    expect(await digitization.locator('[data-contradiction]').count()).toBe(0);
    // The links collected (press-01's speed and parts), and the scene they feed.
    expect(
      await page.locator('#q-data-collection [data-measured="data-collection"] li').allTextContents(),
    ).toEqual([
      '生产管控：1 台设备 2 个采集点，2026-01-01 09:00 至 2026-01-01 09:09 北京时间',
      '设备管理：1 台设备 2 个采集点，2026-01-01 09:00 至 2026-01-01 09:09 北京时间',
    ]);
    expect(await page.locator('[id="q-scene-设备管理"] [data-measured]').textContent()).toBe(
      '实测：2 个采集点有有效数据',
    );
    expect(await page.locator('[data-measured]').count()).toBe(7);
    await shot(page, 'assessment-measured');
    await accessible(page);
    await context.close();
  }, 60_000);

  it('draws a sample with its seed shown and draws the same again with that seed', async () => {
    const { context, page } = await signedIn(browser, base, 'officer-yk');
    await page.getByRole('link', { name: '现场抽查' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('现场抽查');
    await accessible(page);
    // A batch with no enterprise in the region: refused in Chinese.
    await page.fill('#batch', '7');
    await page.fill('#size', '1');
    const [none] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: '抽取', exact: true }).click(),
    ]);
    expect(none.status()).toBe(400);
    expect(await page.locator('#draw-error').textContent()).toBe(
      '第 7 批在本辖区的企业少于 1 家，无法抽取。',
    );
    await page.fill('#batch', '1');
    await page.fill('#size', '1');
    await page.fill('#seed', '2026-batch1-福彩3D-2026001');
    await Promise.all([
      page.waitForURL(/\/bureau\/sampling\/draw_/),
      page.getByRole('button', { name: '抽取', exact: true }).click(),
    ]);
    const first = page.url();
    expect(await page.locator('#seed-shown').textContent()).toBe('2026-batch1-福彩3D-2026001');
    expect(await page.locator('#picked').textContent()).toContain('永康某保温杯有限公司');
    // The key shown is HMAC-SHA256(seed, code): the README's Python gives the same.
    expect(await page.locator('main').textContent()).toContain(
      'ec98ac1883ff205652f39d035f003f4353711a059f353c3e0bc04ad039578d7d',
    );
    await shot(page, 'bureau-sampling');
    await accessible(page);
    await Promise.all([
      page.waitForURL((url) => url.href !== first && url.pathname.startsWith('/bureau/sampling/draw_')),
      page.getByRole('button', { name: '以同一种子重新抽取' }).click(),
    ]);
    expect(await page.locator('#seed-shown').textContent()).toBe('2026-batch1-福彩3D-2026001');
    expect(await page.locator('#picked').textContent()).toContain('永康某保温杯有限公司');
    const draws = (await world.call('officer-yk', 'GET', '/api/v1/samplings')).json();
    expect(draws).toHaveLength(2);
    expect(draws[0].picked).toEqual(draws[1].picked);
    await context.close();
  }, 60_000);

  it('shows the enterprise its applications: state, verdict, amount, and why one was returned', async () => {
    // A second application under the same measure (the first is closed), verified and returned.
    const second = await world.call(
      'ent-yk',
      'POST',
      `/api/v1/enterprises/${world.enterprise.yongkang}/applications`,
      {
        measure: MEASURE,
        assessmentBefore: assessments.before,
        assessmentAfter: assessments.after,
        aboveScale: true,
      },
    );
    expect(second.statusCode).toBe(201);
    const returned = second.json().id as string;
    const verified = await world.call(
      'officer-yk',
      'POST',
      `/api/v1/applications/${returned}/verifications`,
      {},
    );
    expect(verified.statusCode).toBe(201);
    const reason = '请补充改造项目的验收报告后重新提交。';
    const decided = await world.call('officer-yk', 'POST', `/api/v1/applications/${returned}/first-review`, {
      outcome: 'return',
      reason,
    });
    expect([decided.statusCode, decided.body]).toEqual([200, expect.any(String)]);

    const { context, page } = await signedIn(browser, base, 'ent-yk');
    expect(new URL(page.url()).pathname).toBe(`/enterprises/${world.enterprise.yongkang}`);
    const first = page.locator(`#app-${application}`);
    expect(await first.locator('h3').textContent()).toBe(
      '学样仿样推广法“N+X”数字化改造补助（永政办发〔2023〕40号 二(一)）',
    );
    expect(await first.locator('[data-state]').textContent()).toBe('已批准');
    expect(await first.locator('[data-amount]').textContent()).toBe('180000.00');
    expect(await first.textContent()).toContain('数据完整 · 符合条件');
    expect(await first.locator('[data-outcome]').allTextContents()).toEqual(['通过', '通过']);
    expect(await first.locator('[data-why]').count()).toBe(0);
    const back = page.locator(`#app-${returned}`);
    expect(await back.locator('[data-state]').textContent()).toBe('已退回');
    expect(await back.locator('[data-amount]').textContent()).toBe('180000.00');
    expect(await back.locator('[data-why]').textContent()).toBe(`退回修改的理由：${reason}`);
    expect(await back.locator('tbody td').allTextContents()).toEqual(
      expect.arrayContaining(['初审', '退回修改', reason, 'officer-yk']),
    );
    await shot(page, 'enterprise-applications');
    await accessible(page);
    // Another enterprise's account sees neither.
    const other = await signedIn(browser, base, 'ent-hb');
    expect(await other.page.locator('main').textContent()).not.toContain(returned);
    const refused = await other.page.goto(`${base}/enterprises/${world.enterprise.yongkang}`);
    expect(refused?.status()).toBe(404);
    await other.context.close();
    await context.close();
  }, 90_000);

  it('refuses an enterprise account that types the bureau pages by hand', async () => {
    const { context, page } = await signedIn(browser, base, 'ent-yk');
    expect(await page.locator('header').textContent()).not.toContain('申请队列');
    for (const url of ['/bureau/applications', `/bureau/applications/${application}`, '/bureau/sampling']) {
      const refused = await page.goto(`${base}${url}`);
      expect(refused?.status()).toBe(403);
      expect(await page.locator('main').textContent()).toContain('您的账号无权进行此操作。');
    }
    expect(await page.content()).not.toContain('180000.00');
    await shot(page, 'bureau-enterprise-refused');
    await accessible(page);
    await context.close();
  }, 60_000);

  it('fits the queue and the verified panel on a phone: no page wider than the screen, targets big enough', async () => {
    const { context, page } = await signedIn(browser, base, 'officer-yk', { viewport: PHONE });
    await page.goto(`${base}/bureau/applications`);
    await fitsWidth(page);
    await tappable(page);
    await shot(page, 'bureau-queue-phone-yongkang');
    // The panel with integrity, coverage and evidence tables: they scroll in their own boxes.
    await page.goto(`${base}/bureau/applications/${application}`);
    expect(await page.locator('#payout-amount').textContent()).toBe('180000.00');
    await fitsWidth(page);
    await tappable(page);
    await shot(page, 'bureau-panel-phone-yongkang');
    await accessible(page);
    await context.close();
  }, 60_000);
});
