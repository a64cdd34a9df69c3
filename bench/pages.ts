/**
 * Time to first page after `npm start`, and page load times (issue #14).
 *
 * Starts `node bin/shugai.mjs demo --free-ports --data-dir <tmp>` (what `npm start` runs, with free
 * ports; the compiled dist/ when it is built) and times, from the spawn: the platform's login page
 * answering 200 (its port is found among the child's listening sockets in /proc, since the demo
 * prints its URL only once everything is up), the demo's "Ready in" line, and its line saying it
 * verified the Yongkang application from the live gateway's data. The first start is on an empty data
 * dir (keys, certificates and seed made); the full run restarts twice on the same dir. Baseline: the
 * same `node bin/shugai.mjs --help` (the CLI loading, nothing started).
 *
 * Then Debian's chromium (headless, playwright-core) logs in as the printed demo officer and loads
 * each page N times (navigation start to the load event, Navigation Timing), median: the login page
 * (before logging in), the bureau's queue, the Yongkang application's panel, the enterprise file, the
 * plant page. Baselines in the same browser and run: `/healthz` (a few bytes of JSON) and the
 * smallest static asset the platform serves (`/pages/assets/pages.js`, 3 KB; there is no empty one),
 * and `/healthz` fetched from Node.
 *
 *   node --import tsx bench/pages.ts            # 3 starts, 10 loads of each page
 *   node --import tsx bench/pages.ts --smoke    # 1 start, 1 load of each page
 *   options: --starts N, --loads N
 *
 * Exits 1 on an error or a wrong result (a page not 200 or sent to the login, the demo's verification
 * not clean), never for a speed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  ensureCurrentBuild,
  fmt,
  line,
  median,
  numberOption,
  ROOT,
  runChecked,
  stopChild,
} from './gateway-shared.ts';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const STARTS = numberOption(args, '--starts', smoke ? 1 : 3);
const LOADS = numberOption(args, '--loads', smoke ? 1 : 10);
const CHROMIUM = '/usr/bin/chromium';
const BIN = path.join(ROOT, 'bin/shugai.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'shugai-bench-pages-'));
const dataDir = path.join(dir, 'demo');
const problems: string[] = [];
const children: ChildProcess[] = [];

/** The TCP ports a process listens on: its socket inodes matched against /proc/net/tcp{,6}. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed between readdir and readlink
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) ports.push(Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

async function answersLogin(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/login`, { signal: AbortSignal.timeout(500) });
    return r.status === 200 && (await r.text()).includes('id="login"');
  } catch {
    return false;
  }
}

interface Started {
  child: ChildProcess;
  loginMs: number;
  readyMs: number;
  verifiedMs: number;
  out: string;
}

/** Starts the demo and times the login page, the ready line and the live verification, from the spawn. */
async function startDemo(): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, 'demo', '--free-ports', '--data-dir', dataDir, '--summary', '0'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  let readyMs = Number.NaN;
  let verifiedMs = Number.NaN;
  const onLine = (text: string) => {
    out += `${text}\n`;
    if (Number.isNaN(readyMs) && /^Ready in [\d.]+ s\.$/.test(text)) readyMs = performance.now() - t0;
    if (Number.isNaN(verifiedMs) && /verified application app_/.test(text)) {
      verifiedMs = performance.now() - t0;
      if (!text.includes('integrity clean')) problems.push(`the demo's verification: ${text}`);
    }
    if (/not verified by the demo/.test(text)) problems.push(text);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  let loginMs = Number.NaN;
  const tried = new Set<number>();
  const deadline = t0 + 180_000;
  while (Number.isNaN(loginMs) || Number.isNaN(readyMs) || Number.isNaN(verifiedMs)) {
    if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}):\n${out}`);
    if (performance.now() > deadline) throw new Error(`the demo not ready and verified after 180 s:\n${out}`);
    if (Number.isNaN(loginMs) && child.pid !== undefined)
      for (const port of listeningPorts(child.pid)) {
        if (tried.has(port)) continue;
        if (await answersLogin(port)) loginMs = performance.now() - t0;
        // Another server of the demo (OPC UA, Modbus, MQTT, the gateway's metrics) never serves /login.
        else tried.add(port);
      }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, loginMs, readyMs, verifiedMs, out };
}

/** Navigation start to the load event of the page at `url`, ms; checks it was answered 200 where asked. */
async function loadTime(page: Page, url: string): Promise<number> {
  const response = await page.goto(url, { waitUntil: 'load' });
  const status = response?.status();
  const landed = new URL(page.url()).pathname;
  if (status !== 200 || landed !== new URL(url).pathname)
    problems.push(`${url}: ${status}, landed on ${landed}`);
  // Evaluated in the page (a string: the project's types have no DOM).
  return Number(
    await page.evaluate(
      "(() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; })()",
    ),
  );
}

async function pageLoads(browser: Browser, demo: Started) {
  const base = /^Demo logins \((http:\/\/127\.0\.0\.1:\d+)\/login\), all with the password (\S+):$/m.exec(
    demo.out,
  );
  const officer = /^ {2}(demo-officer-1) +officer /m.exec(demo.out);
  const application = /its application (app_[0-9a-f]+) is verified/.exec(demo.out);
  const plant = /the plant's pages +\S+\/plant\/(\S+)/.exec(demo.out);
  if (!base || !officer || !application || !plant)
    throw new Error(`the demo's output lacks its logins:\n${demo.out}`);
  const [, url, password] = base as unknown as [string, string, string];

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const times = new Map<string, number[]>();
  const add = (label: string, ms: number) => times.set(label, [...(times.get(label) ?? []), ms]);
  for (let i = 0; i < LOADS; i++) add('login page', await loadTime(page, `${url}/login`));
  await page.locator('#name').fill(officer[1]!);
  await page.locator('#password').fill(password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.locator('button[type=submit]').click(),
  ]);
  const app = await page.request.get(`${url}/api/v1/applications/${application[1]}`);
  const enterpriseId = ((await app.json()) as { enterpriseId?: string }).enterpriseId;
  if (app.status() !== 200 || !enterpriseId)
    throw new Error(`application ${application[1]}: ${app.status()}`);
  const pages: [string, string][] = [
    ['baseline: /healthz', '/healthz'],
    ['baseline: /pages/assets/pages.js', '/pages/assets/pages.js'],
    ['bureau queue', '/bureau/applications'],
    ['application panel (Yongkang)', `/bureau/applications/${application[1]}`],
    ['enterprise file (Yongkang)', `/enterprises/${enterpriseId}`],
    ['plant page', `/plant/${plant[1]}`],
  ];
  // Alternated, so a burst of load on the shared machine falls on every page alike.
  for (let i = 0; i < LOADS; i++)
    for (const [label, p] of pages) add(label, await loadTime(page, `${url}${p}`));
  const fetched: number[] = [];
  for (let i = 0; i < Math.max(LOADS, 5); i++) {
    const t = performance.now();
    const r = await fetch(`${url}/healthz`);
    await r.text();
    fetched.push(performance.now() - t);
    if (r.status !== 200) problems.push(`/healthz from Node: ${r.status}`);
  }
  times.set('baseline: /healthz, Node fetch', fetched);
  await context.close();
  return times;
}

async function main() {
  ensureCurrentBuild();
  const compiled = existsSync(path.join(ROOT, 'dist/cli/main.js'));
  console.log(
    `pages bench: \`shugai demo\` from ${compiled ? 'the compiled dist/' : 'the TypeScript sources (tsx)'}`,
  );
  const helps: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: ROOT, encoding: 'utf8' });
    helps.push(performance.now() - t);
    if (r.status !== 0) problems.push(`shugai --help: exit ${r.status}`);
  }
  line('baseline: shugai --help', `${fmt(median(helps))} ms (median of 3)`);

  let last: Started | undefined;
  for (let s = 0; s < STARTS; s++) {
    if (last) await stopChild(last.child);
    last = await startDemo();
    line(
      s === 0 ? 'start on an empty data dir' : `restart ${s} on the same data dir`,
      `login page ${fmt(last.loginMs / 1000, 1)} s, ready ${fmt(last.readyMs / 1000, 1)} s, Yongkang verified ${fmt(last.verifiedMs / 1000, 1)} s`,
    );
  }
  if (!last) return;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const times = await pageLoads(browser, last);
    console.log(`\npage loads, navigation start to load event, median of ${LOADS} (min–max), ms:`);
    for (const [label, values] of times)
      line(
        `  ${label}`,
        `${fmt(median(values), 1)} (${fmt(Math.min(...values), 1)}–${fmt(Math.max(...values), 1)})`,
      );
  } finally {
    await browser.close();
  }
}

await runChecked(
  main,
  async () => {
    for (const child of children) await stopChild(child, 20_000);
    rmSync(dir, { recursive: true, force: true });
  },
  problems,
);
