// The pages in a real browser: Debian's chromium (headless, driven by playwright-core) against the
// real platform app listening on a free loopback port, on SQLite with the seeded accounts, and a
// real gateway reading the simulated plant into the embedded store. Each test saves screenshots
// (test-results/screenshots/) and runs axe-core on every page it opens: no serious or critical
// violation.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { LEVEL_TWO_SCENES } from '../../assessment/fixtures.ts';
import { pdfText } from '../../assessment/test-cli.ts';
import { PLUGINS } from '../../collector/registry.ts';
import { silentLogger } from '../../core/log.ts';
import { percent } from '../../dashboards/pages/html.ts';
import { plantSourceFromConfig } from '../../dashboards/pages/plant-data.ts';
import { operator } from '../../dashboards/platform/accounts/roles.ts';
import { openDatabase, type PlatformDb } from '../../dashboards/platform/db/connect.ts';
import { migrate } from '../../dashboards/platform/db/migrate.ts';
import { registerGateway } from '../../dashboards/platform/enterprises/gateways.ts';
import { PASSWORD, seedWorld, type World } from '../../dashboards/platform/testing.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import { Gateway } from '../../gateway/runtime.ts';
import { EmbeddedStore } from '../../gateway/sinks/embedded/store.ts';
import { simulatorGatewayConfig } from '../../simulator/gateway-config.ts';
import { aroundTheClock, getScenario, type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { until } from '../gateway/plant.ts';
import { accessible, launch, listen, signedIn as login, noBrowser, shot } from './harness.ts';

const GATEWAY = 'yk-gw-01';
const UPLOAD_LIMIT = 256 * 1024;

describe.skipIf(noBrowser)('the pages in chromium', () => {
  let dir: string;
  let platform: PlatformDb;
  let world: World;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let sim: RunningSimulator;
  let gateway: Gateway | undefined;
  let storeFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-pages-'));
    // The plant runs in real time, so the gateway's clock (OEE, offline detection) and the plant's
    // agree; around the clock, so its machines are in a shift whatever hour the test runs at (the
    // usual calendar's lunch, night meal break and Sunday stop would leave no planned time, so no OEE).
    sim = await startSimulator({
      scenario: aroundTheClock(getScenario('yongkang-cups')),
      seed: 7,
      speed: 1,
      opcua: { port: 0 },
      modbus: { port: 0 },
      mqtt: { port: 0 },
    });
    const config = simulatorGatewayConfig(sim, {
      gatewayId: GATEWAY,
      dataDir: './data',
      httpPort: 0,
      pkiDir: path.join(dir, 'pki'),
    });
    // The running OEE every 2 s instead of every minute: figures appear while the test waits.
    for (const oee of (config.derived as { oee: Record<string, unknown>[] }).oee) oee.every = '2s';
    const file = path.join(dir, 'plant.yaml');
    await writeFile(file, stringify(config));
    gateway = await Gateway.start(loadGatewayConfig(file, PLUGINS), PLUGINS, silentLogger);
    storeFile = path.join(dir, 'data', 'samples.db');

    platform = openDatabase(path.join(dir, 'platform.db'));
    await migrate(platform);
    world = await seedWorld(platform, {
      secureCookies: false,
      plants: [await plantSourceFromConfig(file)],
      // Small, so the test can send a file over it.
      maxUploadBytes: UPLOAD_LIMIT,
    });
    await registerGateway(platform.db, operator('test'), world.enterprise.yongkang, {
      id: GATEWAY,
      publicKey: readFileSync(path.join(dir, 'data', 'identity', 'gateway.pub'), 'utf8'),
    });
    app = world.app;
    base = await listen(app);
    browser = await launch();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await gateway?.stop();
    await sim?.stop();
    await platform?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const signedIn = (name: string, viewport?: { width: number; height: number }) =>
    login(browser, base, name, viewport ? { viewport } : {});

  it('logs in with the session API and refuses a wrong password in Chinese', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const response = await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(response?.status()).toBe(200);
    await accessible(page);
    await page.getByLabel('账号').fill('officer-yk');
    await page.getByLabel('密码').fill('not the password at all');
    await page.getByRole('button', { name: '登录' }).click();
    await expect
      .poll(() => page.locator('#login-error').textContent())
      .toBe('账号或密码不正确，请重新输入。');
    await shot(page, 'login-refused');
    await page.getByLabel('密码').fill(PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: '登录' }).click()]);
    await expect.poll(() => page.locator('main').textContent()).toContain('永康某保温杯有限公司');
    expect(await page.locator('main').textContent()).not.toContain('鹤壁某机械有限公司');
    await shot(page, 'login-officer-home');
    await accessible(page);
    await context.close();
  }, 60_000);

  it("shows an enterprise its file and refuses another enterprise's file typed by hand", async () => {
    const { context, page } = await signedIn('ent-yk');
    expect(new URL(page.url()).pathname).toBe(`/enterprises/${world.enterprise.yongkang}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('永康某保温杯有限公司 · 一企一档');
    const main = await page.locator('main').textContent();
    expect(main).toContain('91330100716105852F');
    expect(main).toContain(GATEWAY);
    expect(main).toContain('YK-2025-001');
    expect(main).toContain('36000.00');
    await shot(page, 'enterprise-file');
    await accessible(page);
    const refused = await page.goto(`${base}/enterprises/${world.enterprise.hebi}`);
    expect(refused?.status()).toBe(404);
    expect(await page.locator('main').textContent()).toContain('没有找到这个页面，或它不在您的账号范围内。');
    expect(await page.content()).not.toContain('鹤壁');
    await shot(page, 'enterprise-other-refused');
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/enterprises/${world.enterprise.yongkang}`);
    await shot(phone, 'enterprise-file-phone');
    await context.close();
  }, 60_000);

  it('lets an assessor complete an on-site assessment to a level and validate it', async () => {
    const { context, page } = await signedIn('assessor-1');
    await page.goto(`${base}/enterprises/${world.enterprise.yongkang}`);
    await Promise.all([
      page.waitForURL(/assessments\/new/),
      page.getByRole('link', { name: '开始现场评测' }).click(),
    ]);
    const text = await page.locator('main').textContent();
    // Official texts: an option of an item and a level-4 scene text.
    expect(text).toContain('车间建成工控网络支持自动化控制应用');
    expect(text).toContain('运用仿真分析等技术实现对产品外观、结构、性能等进行试验验证或迭代优化等功能');
    expect(await page.locator('fieldset[id^="q-scene-"]').count()).toBe(16);
    expect(await page.locator('fieldset[id^="q-scene-"] input[type=radio]:not([value="0"])').count()).toBe(
      64,
    );
    await accessible(page);

    // Sent unanswered: the form comes back (400) with what to fix, in Chinese.
    const [first] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: '保存现场评测' }).click(),
    ]);
    expect(first.status()).toBe(400);
    await expect
      .poll(() => page.locator('#errors').textContent())
      .toContain('「网络建设」：请至少勾选一项；都没有时勾选“无”。');
    expect(await page.locator('#errors').textContent()).toContain(
      '场景「产品设计」：请选择达到的等级（未达到一级时选 0）。',
    );
    await shot(page, 'assessment-errors');
    await accessible(page);

    // 40 points in 数字化基础 and eight scenes at level 2 (six of them ★): level 2.
    for (const option of ['control-network', 'system-network', '5g-network', 'full-coverage'])
      await page.check(`input[name="item.network"][value="${option}"]`);
    for (const rate of ['device-digitization', 'device-networking']) {
      await page.fill(`input[name="rate.${rate}.n"]`, '10');
      await page.fill(`input[name="rate.${rate}.d"]`, '10');
    }
    await page.fill('input[name="rate.funding.n"]', '0');
    await page.fill('input[name="rate.funding.d"]', '1000000');
    await page.check('input[name="item.data-collection"][value="none"]');
    await page.check('input[name="item.information-systems"][value="all-links"]');
    for (const option of ['policy', 'products', 'risk-assessment', 'boundary-control'])
      await page.check(`input[name="item.network-security"][value="${option}"]`);
    for (const option of ['policy', 'products', 'risk-assessment', 'data-ledger'])
      await page.check(`input[name="item.data-security"][value="${option}"]`);
    await page.check('input[name="item.planning-implementation"][value="none"]');
    await page.check('input[name="item.energy-per-revenue"][value="increased"]');
    await page.check('input[name="item.pass-rate"][value="decreased"]');
    await page.check('input[name="item.revenue-per-employee"][value="decreased"]');
    await page.check('input[name="item.cost-per-revenue"][value="increased"]');
    for (const scene of await page.locator('fieldset[id^="q-scene-"] legend').allTextContents()) {
      const name = scene.replace(' ★', '');
      await page.check(
        `input[name="scene.${name}"][value="${(LEVEL_TWO_SCENES as readonly string[]).includes(name) ? 2 : 0}"]`,
      );
    }
    // The keyboard reaches the submit button.
    await page.getByRole('button', { name: '保存现场评测' }).focus();
    await Promise.all([page.waitForURL(/\/assessments\/[^/]+$/), page.keyboard.press('Enter')]);
    await expect.poll(() => page.locator('#level').textContent()).toBe('二级');
    expect(await page.locator('#score').textContent()).toBe('40');
    expect(await page.locator('#official').textContent()).toBe('—');
    expect(await page.locator('main').textContent()).toContain('达到下一等级还需（三级）');
    expect(await page.locator('main').textContent()).toContain('差距分析');
    const radar = JSON.parse((await page.locator('#chart-radar').getAttribute('data-chart')) ?? '{}');
    // 数字化基础 40/50 = 80%; 数字化经营: eight scenes at 2 of 16, average 1 of 4 = 25%.
    expect(radar.series[0].data.at(-1).value).toEqual([80, 25, 0, 0]);
    await expect.poll(() => page.locator('#chart-radar canvas').count()).toBeGreaterThan(0);
    await shot(page, 'assessment-result');
    await accessible(page);

    // Evidence: each refusal comes back (400) in Chinese with the fields kept; then a CSV is kept by its SHA-256.
    const assessmentId = new URL(page.url()).pathname.split('/').at(-1) as string;
    const send = async (file?: { name: string; mimeType: string; buffer: Buffer }) => {
      if (file) await page.setInputFiles('#att-file', file);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/attachments')),
        page.getByRole('button', { name: '上传材料' }).click(),
      ]);
      await page.waitForLoadState();
      return response.status();
    };
    expect(await send()).toBe(400);
    expect(await page.locator('#upload-error').textContent()).toBe('请选择材料对应的指标项。');
    await page.selectOption('#att-item', 'network');
    await page.fill('#att-description', '车间工控网络验收报告');
    await page.fill('#att-date', '2026-01-15');
    expect(await send()).toBe(400);
    expect(await page.locator('#upload-error').textContent()).toBe('请选择要上传的文件。');
    expect(await page.locator('#att-description').inputValue()).toBe('车间工控网络验收报告');
    expect(await page.locator('#att-item').inputValue()).toBe('network');
    expect(
      await send({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') }),
    ).toBe(400);
    expect(await page.locator('#upload-error').textContent()).toBe(
      '文件「photo.png」的内容与其类型（image/png）不符：请上传原始文件，不要只改扩展名。',
    );
    await shot(page, 'assessment-upload-refused');
    await accessible(page);
    expect(
      await send({
        name: 'setup.exe',
        mimeType: 'application/x-msdownload',
        buffer: Buffer.from('MZ\x90\x00'),
      }),
    ).toBe(400);
    expect(await page.locator('#upload-error').textContent()).toBe(
      '不接受这类文件（application/x-msdownload）：请上传 PDF、PNG、JPEG、XLSX、DOCX、CSV 或文本文件。',
    );
    expect(
      await send({ name: 'big.txt', mimeType: 'text/plain', buffer: Buffer.alloc(UPLOAD_LIMIT + 1, 'a') }),
    ).toBe(400);
    expect(await page.locator('#upload-error').textContent()).toBe(
      '文件超过 256 KB 的上限，请压缩或拆分后再上传。',
    );
    expect(await page.locator('#att-description').inputValue()).toBe('车间工控网络验收报告');
    const csv = Buffer.from('设备,联网\nlathe-01,是\nlathe-02,是\n', 'utf8');
    const hash = createHash('sha256').update(csv).digest('hex');
    // Kept: the post answers 303 to the page's evidence section.
    expect(await send({ name: '联网清单.csv', mimeType: 'text/csv', buffer: csv })).toBe(303);
    await page.waitForURL(/\/assessments\/[^/]+#attachments$/);
    expect(await page.locator('#upload-error').count()).toBe(0);
    const rows = page.locator('#attachments tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').allTextContents()).toEqual([
      '网络建设',
      '联网清单.csv',
      '车间工控网络验收报告',
      '2026-01-15',
      expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      hash,
    ]);
    const download = await context.request.get(
      `${base}${await rows.first().locator('a').getAttribute('href')}`,
    );
    expect(Buffer.from(await download.body()).equals(csv)).toBe(true);
    await shot(page, 'assessment-evidence');
    await accessible(page);
    // A post without the session's CSRF token keeps nothing.
    const forged = await context.request.post(`${base}/assessments/${assessmentId}/attachments`, {
      multipart: {
        item: 'network',
        description: '伪造',
        effectiveDate: '2026-01-15',
        file: { name: 'x.txt', mimeType: 'text/plain', buffer: Buffer.from('forged') },
      },
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('页面已过期，请刷新后重试。');
    const kept = await world.call('assessor-1', 'GET', `/api/v1/assessments/${assessmentId}`);
    expect(kept.json().attachments.map((a: { sha256: string }) => a.sha256)).toEqual([hash]);

    await Promise.all([
      page.waitForURL(/\/assessments\/[^/]+$/),
      page.getByRole('button', { name: '审核确认（认定等级）' }).click(),
    ]);
    await expect.poll(() => page.locator('#official').textContent()).toBe('二级');
    expect(await page.locator('main').textContent()).toContain('已审核确认：assessor-1');
    await shot(page, 'assessment-validated');
    await accessible(page);
    // The API agrees: the record is validated at level 2.
    const list = await world.call(
      'assessor-1',
      'GET',
      `/api/v1/enterprises/${world.enterprise.yongkang}/assessments`,
    );
    expect(list.json().at(-1)).toMatchObject({ stage: 'validated', level: 2, officialLevel: 2 });

    // The report of the record, as HTML and PDF, linked from the result page.
    const [reportResponse] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/report.html')),
      page.getByRole('link', { name: '评测报告（网页）' }).click(),
    ]);
    await page.waitForURL(/\/report\.html\?version=\d+$/);
    // Self-contained: nothing may load or run in it.
    expect(reportResponse.headers()['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    );
    expect(await page.locator('h1').textContent()).toBe('中小企业数字化水平评测报告');
    const report = await page.locator('body').textContent();
    expect(report).toContain('永康某保温杯有限公司');
    expect(report).toContain('评测结果: 二级');
    expect(report).toContain(`附件: 联网清单.csv（车间工控网络验收报告；生效日期 2026-01-15；`);
    expect(report).toContain(`sha256 ${hash.slice(0, 16)}…`);
    await shot(page, 'assessment-report');
    // axe is a script: it runs in a context that bypasses the report's CSP.
    const audit = await login(browser, base, 'assessor-1', { bypassCSP: true });
    await audit.page.goto(page.url());
    await accessible(audit.page);
    await audit.context.close();
    await page.goBack();
    const pdfHref = await page.getByRole('link', { name: '评测报告（PDF）' }).getAttribute('href');
    const pdf = await context.request.get(`${base}${pdfHref}`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    const pdfFile = path.join(dir, 'report.pdf');
    await writeFile(pdfFile, await pdf.body());
    const printed = await pdfText(pdfFile);
    expect(printed).toContain('中小企业数字化水平评测报告');
    expect(printed).toContain('永康某保温杯有限公司');
    expect(printed).toContain('评测结果: 二级');
    expect(printed).toMatch(/第\s*1\s*页\s*共\s*\d+\s*页/);
    // Another enterprise's account typing the report's addresses by hand: not found, nothing shown.
    const other = await signedIn('ent-hb');
    for (const suffix of ['report.html', 'report.pdf']) {
      const refused = await other.page.goto(`${base}/assessments/${assessmentId}/${suffix}`);
      expect(refused?.status()).toBe(404);
      expect(await other.page.locator('main').textContent()).toContain(
        '没有找到这个页面，或它不在您的账号范围内。',
      );
      expect(await other.page.content()).not.toContain('永康');
    }
    await shot(other.page, 'assessment-report-refused');
    await other.context.close();
    await context.close();
  }, 180_000);

  it('shows the OEE of the live machines from the store the gateway writes', async () => {
    const store = new EmbeddedStore('check', storeFile, { readonly: true });
    const availability = async () => {
      const found = [];
      for await (const s of store.samples({
        device: 'lathe-01',
        tag: 'oee_availability',
        from: 0,
        to: Date.now() + 60_000,
      }))
        found.push(s);
      return found;
    };
    try {
      await until(async () => (await availability()).length > 0, 60_000, 'the running OEE of lathe-01');
      const { context, page } = await signedIn('ent-yk');
      await page.goto(`${base}/plant/${GATEWAY}`);
      const cell = page.locator('[data-cell="lathe-01.availability"]');
      await expect.poll(() => cell.textContent()).toMatch(/^\d+\.\d%$/);
      // The page refreshes from live.json: its cells agree with the store at the time it was read.
      await page.waitForResponse((r) => r.url().endsWith('/live.json') && r.status() === 200, {
        timeout: 15_000,
      });
      const live = await (await context.request.get(`${base}/plant/${GATEWAY}/live.json`)).json();
      const lathe = live.machines.find((m: { device: string }) => m.device === 'lathe-01');
      const latest = (await availability()).filter((s) => s.sourceTime <= live.at + 60_000).at(-1);
      expect(lathe.oee.figures.availability).toBe(latest?.value);
      expect(live.cells['lathe-01.availability']).toBe(percent(lathe.oee.figures.availability));
      expect(['运行', '空闲', '故障', '计划停机', '离线']).toContain(live.cells['lathe-01.state']);
      // Machines with OEE: the lathes and the moulding machines the demo derives OEE for.
      const withOee = live.machines
        .filter((m: { oee: unknown }) => m.oee)
        .map((m: { device: string }) => m.device);
      expect(withOee).toContain('lathe-01');
      await expect.poll(() => page.locator('#chart-oee canvas').count()).toBeGreaterThan(0);
      await shot(page, 'plant');
      await accessible(page);
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, 'plant-phone');
      await page.setViewportSize({ width: 1366, height: 768 });
      await page.getByRole('link', { name: 'lathe-01' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('lathe-01 · 采集点趋势');
      expect(await page.locator('main').textContent()).toContain('spindle_speed');
      await expect.poll(() => page.locator('.chart canvas').count()).toBeGreaterThan(0);
      await shot(page, 'plant-device');
      await accessible(page);
      // Another enterprise's account cannot open this gateway's board.
      const other = await signedIn('ent-hb');
      const refused = await other.page.goto(`${base}/plant/${GATEWAY}`);
      expect(refused?.status()).toBe(404);
      await other.context.close();
      await context.close();
    } finally {
      await store.close();
    }
  }, 120_000);

  it('switches to English and keeps the choice', async () => {
    const { context, page } = await signedIn('ent-yk');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await page.getByRole('link', { name: 'English' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('永康某保温杯有限公司 · Enterprise file');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.goto(`${base}/enterprises/${world.enterprise.hebi}`);
    expect(await page.locator('main').textContent()).toContain('outside the scope of your account');
    await page.goto(`${base}/enterprises/${world.enterprise.yongkang}`);
    expect(await page.locator('h2').first().textContent()).toBe('Facts');
    await shot(page, 'english');
    await accessible(page);
    await page.getByRole('link', { name: '中文' }).click();
    await expect.poll(() => page.locator('h2').first().textContent()).toBe('基本信息');
    await context.close();
  }, 60_000);
});
