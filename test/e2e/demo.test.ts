// `shugai demo` as a user runs it (npm start): a child process that prints where to look, fills the
// embedded store from all protocols, summarises, runs the bureau's platform seeded with the demo
// (its gateway registered in the Yongkang plant's file, the application verified from the live data),
// stops cleanly on Ctrl-C and on SIGTERM, and finds its data again on the next start.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../gateway/plant.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/shugai.mjs');

describe('shugai demo', () => {
  let dir: string;
  let dataDir: string;
  let child: ChildProcess;
  let out = '';
  let err = '';
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  /** Starts the demo on the data dir and waits until it says it is ready. */
  async function start(): Promise<void> {
    out = '';
    err = '';
    child = spawn(process.execPath, [BIN, 'demo', '--data-dir', dataDir, '--free-ports', '--summary', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    await until(() => out.includes('Press Ctrl-C to stop.') || exited(), 150_000, 'the demo to start').catch(
      (error: Error) => {
        throw new Error(`${error.message}\nstdout:\n${out}\nstderr:\n${err}`);
      },
    );
    if (exited()) throw new Error(`the demo exited (${child.exitCode}):\n${out}\n${err}`);
  }

  /** Logs in through the API with a printed login; the session cookie. */
  async function login(url: string, name: string, password: string): Promise<string> {
    const response = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('shugai_session='));
    return (cookie ?? '').split(';')[0] as string;
  }

  /** The platform's URL and a printed login (name, password) from the demo's output. */
  function printed() {
    const logins = /^Demo logins \((http:\/\/127\.0\.0\.1:\d+)\/login\), all with the password (\S+):$/m.exec(
      out,
    );
    expect(logins, out).not.toBeNull();
    const officer = /^ {2}(demo-officer-1) +officer /m.exec(out);
    expect(officer, out).not.toBeNull();
    const application = /its application (app_[0-9a-f]+) is verified/.exec(out);
    expect(application, out).not.toBeNull();
    return {
      url: logins![1] as string,
      password: logins![2] as string,
      officer: officer![1] as string,
      application: application![1] as string,
    };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shugai-demo-'));
    dataDir = path.join(dir, 'demo');
    await start();
  }, 180_000);

  afterAll(async () => {
    if (child && !exited()) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the simulator endpoints, the health and metrics URLs and the store', async () => {
    expect(out).toMatch(/^OPC UA {3}opc\.tcp:\/\/[^\s]+:\d+ {2}namespace urn:shugai:simulator/m);
    expect(out).toMatch(/^Modbus {3}tcp:\/\/127\.0\.0\.1:\d+ {2}unit ids 1=meter-main, 2=meter-furnace/m);
    expect(out).toMatch(/^MQTT {5}mqtt:\/\/127\.0\.0\.1:\d+ \(embedded broker\)$/m);
    expect(out).toContain('Sparkplug B  spBv1.0/yongkang-cups/+/packing-edge');
    expect(out).toContain(`store   ${path.join(dataDir, 'samples.db')}`);
    expect(out).toContain(`config  ${path.join(dataDir, 'plant.yaml')}`);
    const health = /health {2}(http:\/\/127\.0\.0\.1:\d+)\/readyz {4}metrics {2}\1\/metrics/.exec(out);
    expect(health).not.toBeNull();
    const readyz = await fetch(`${health![1]}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ ready: true, gateway: 'demo-gw' });
    const metrics = await (await fetch(`${health![1]}/metrics`)).text();
    expect(metrics).toContain('shugai_sink_samples_total');
  });

  it('fills the embedded store from OPC UA, Modbus, MQTT and Sparkplug B devices, with derived states', async () => {
    const file = path.join(dataDir, 'samples.db');
    const wanted = ['lathe-01', 'meter-main', 'env-workshop-01', 'packing-line-01'];
    let devices: string[] = [];
    let states: string[] = [];
    await until(
      () => {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        try {
          devices = db
            .prepare<[], { device: string }>('SELECT DISTINCT device FROM samples')
            .all()
            .map((r) => r.device);
          states = db
            .prepare<[], { value: string }>(
              "SELECT value FROM samples WHERE device = 'lathe-01' AND tag = 'machine_state' AND type = 's'",
            )
            .all()
            .map((r) => r.value);
        } finally {
          db.close();
        }
        return wanted.every((d) => devices.includes(d)) && states.length > 0;
      },
      30_000,
      'samples of every protocol in the store',
    );
    expect(devices).toEqual(expect.arrayContaining(wanted));
    for (const state of states)
      expect(['running', 'idle', 'planned_stop', 'fault', 'offline']).toContain(state);
    // A line every second; the first may come before the central sink's first write (a clean-clone
    // CI saw one naming only the embedded store), so a later one names both.
    const summary =
      /^\[\d\d:\d\d:\d\d\] stored: embedded [\d,]+, central [\d,]+ · buffer [\d.]+ (B|KiB|MiB) · \d+\/22 devices reporting$/m;
    await until(() => summary.test(out), 10_000, 'a summary line naming both sinks');
    expect(out).toMatch(summary);
  });

  it('runs the platform with the demo: the Yongkang application verified clean from the live gateway, exact payout', async () => {
    const ready = /^Ready in (\d+\.\d) s\.$/m.exec(out);
    expect(ready, out).not.toBeNull();
    const { url, password, officer, application } = printed();
    expect(out).toContain('These are demo accounts with a published password');
    await until(() => /verified application app_/.test(out), 90_000, 'the live verification').catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${out}\n${err}`);
      },
    );
    expect(out).toMatch(
      new RegExp(
        `verified application ${application} \\(ver_[0-9a-f]+\\) from demo-gw's data: integrity clean, level 1 → 2, payout 168000\\.00 yuan$`,
        'm',
      ),
    );
    const cookie = await login(url, officer, password);
    const read = await fetch(`${url}/api/v1/applications/${application}`, { headers: { cookie } });
    expect(read.status).toBe(200);
    const app = (await read.json()) as {
      enterpriseName: string;
      state: string;
      verification: { id: string; clean: boolean; eligible: boolean; amount: string };
    };
    expect(app).toMatchObject({
      enterpriseName: '永康市恒泰保温杯有限公司',
      state: 'submitted',
      verification: { clean: true, eligible: true, amount: '168000.00' },
    });
    const v = (await (
      await fetch(`${url}/api/v1/verifications/${app.verification.id}`, { headers: { cookie } })
    ).json()) as {
      integrity: {
        gateways: { gateway: string; store: string; clean: boolean; attestations: { source: string } }[];
      };
      payout: { explanation: string; case: { investment: { total: string } } };
    };
    expect(v.integrity.gateways).toEqual([
      expect.objectContaining({
        gateway: 'demo-gw',
        store: path.join(dataDir, 'samples.db'),
        clean: true,
        attestations: expect.objectContaining({ source: 'central' }),
      }),
    ]);
    expect(v.payout.case.investment.total).toBe('420000.00');
    expect(v.payout.explanation).toContain('永政办发〔2023〕40号');
    // The plant's pages read the gateway's store.
    const plant = await fetch(`${url}/plant/demo-gw`, { headers: { cookie } });
    expect(plant.status).toBe(200);
    expect(await plant.text()).toContain('lathe-01');
  }, 120_000);

  it('stops on SIGINT: the gateway flushes, the simulator stops, exit code 0', async () => {
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const asked = Date.now();
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(out).toContain(`stopped. The data stays in ${dataDir}.`);
  });

  it('starts again on the same data: nothing duplicated, the verification kept; SIGTERM stops it', async () => {
    const first = printed();
    await start();
    const again = printed();
    expect(again.application).toBe(first.application);
    const cookie = await login(again.url, 'demo-admin', again.password);
    const list = (await (
      await fetch(`${again.url}/api/v1/applications`, { headers: { cookie } })
    ).json()) as {
      verification: { amount: string } | null;
    }[];
    expect(list).toHaveLength(5);
    const yongkang = (await (
      await fetch(`${again.url}/api/v1/applications/${again.application}`, { headers: { cookie } })
    ).json()) as { verification: { amount: string; clean: boolean } };
    expect(yongkang.verification).toMatchObject({ amount: '168000.00', clean: true });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toContain(`stopped. The data stays in ${dataDir}.`);
  }, 180_000);
});
