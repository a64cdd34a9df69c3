// The Grafana dashboards, without Grafana (not installable here). First their structure against what
// exists: every panel reads a datasource the site provisions; every InfluxQL query names the fields
// and tags the gateway's line protocol writes; every PromQL query names metrics and labels the
// gateway's registry has. Then each query runs, with Grafana's variables filled in as Grafana does,
// against a real InfluxDB and a real VictoriaMetrics fed by a real gateway reading a pymodbus PLC.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import modbusSerial from 'modbus-serial';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CollectorMetrics } from '../../collector/metrics.ts';
import { PLUGINS } from '../../collector/registry.ts';
import { ATTESTATION_DEVICE, ATTESTATION_TAG } from '../../gateway/attest/attestation.ts';
import { loadGatewayConfig } from '../../gateway/config/schema.ts';
import { derivedOutputs } from '../../gateway/derived/engine.ts';
import { GatewayMetrics } from '../../gateway/metrics.ts';
import { toLine } from '../../gateway/sinks/line-protocol.ts';
import type { StoredSample } from '../../gateway/sinks/sink.ts';
import { type InfluxDB, influxdBinary, startInfluxDB } from '../../test/services/influxdb.ts';
import { freePort } from '../../test/services/ports.ts';
import { ServiceProcess } from '../../test/services/process.ts';
import { type PymodbusServer, pymodbusBinary, startPymodbusTcp } from '../../test/services/pymodbus.ts';
import {
  startVictoriaMetrics,
  type VictoriaMetrics,
  victoriaBinary,
} from '../../test/services/victoriametrics.ts';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(DIR, '../..');

// biome-ignore lint/suspicious/noExplicitAny: dashboards are JSON, checked field by field
type Json = Record<string, any>;
interface Query {
  dashboard: string;
  panel: string;
  /** The target's refId; absent for variables. */
  ref?: string;
  kind: 'influxdb' | 'prometheus';
  text: string;
  legend?: string;
}

const dashboards = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, json: JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Json }));

const provisioned = (
  parse(
    readFileSync(path.join(REPO, 'deploy/compose/grafana/provisioning/datasources/shugai.yaml'), 'utf8'),
  ) as {
    datasources: { uid: string; type: string }[];
  }
).datasources;

/** Every query of every dashboard: the panels' targets and the template variables. */
const queries: Query[] = dashboards.flatMap(({ file, json }) => [
  ...json.panels.flatMap((p: Json) =>
    p.targets.map(
      (t: Json): Query => ({
        dashboard: file,
        panel: p.title,
        ref: t.refId,
        kind: t.datasource.type,
        text: t.query ?? t.expr,
        legend: t.legendFormat ?? t.alias,
      }),
    ),
  ),
  ...json.templating.list.map(
    (v: Json): Query => ({
      dashboard: file,
      panel: `$${v.name}`,
      kind: v.datasource.type,
      text: typeof v.query === 'string' ? v.query : v.query.query,
    }),
  ),
]);

/** The fields and tag keys the gateway writes, from its own line protocol code. */
function lineProtocolNames(): { fields: Set<string>; tags: Set<string> } {
  const base = {
    device: 'd',
    tag: 't',
    quality: 'good' as const,
    statusCode: 0,
    sourceTime: 1,
    receivedAt: 2,
  };
  const samples: StoredSample[] = [
    { ...base, type: 'number', value: 1.5, statusCode: 3 },
    { ...base, type: 'number', value: Number.NaN, quality: 'bad' },
    { ...base, type: 'integer', value: 2 },
    { ...base, type: 'boolean', value: true },
    { ...base, type: 'string', value: 'x' },
  ];
  const fields = new Set<string>();
  const tags = new Set<string>();
  for (const sample of samples) {
    const [series, fieldSet] = toLine(sample, { measurement: 'samples', gatewayId: 'g' }).split(' ');
    for (const pair of (series as string).split(',').slice(1)) tags.add(pair.split('=')[0] as string);
    for (const pair of (fieldSet as string).split(',')) fields.add(pair.split('=')[0] as string);
  }
  return { fields, tags };
}

/** Metric name → label names, from the gateway's real registry (its metrics, the collectors', Node's). */
async function registryMetrics(): Promise<Map<string, { type: string; labels: Set<string> }>> {
  const registry = new Registry();
  new GatewayMetrics(registry);
  new CollectorMetrics(registry);
  const out = new Map<string, { type: string; labels: Set<string> }>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const single = registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] };
    const labels = new Set([
      ...(single.labelNames ?? []),
      ...metric.values.flatMap((v) => Object.keys(v.labels)),
    ]);
    out.set(metric.name, { type: String(metric.type), labels });
  }
  return out;
}

describe('Grafana dashboards: structure', () => {
  it('are the plant overview, device detail and gateway health, each with a stable uid', () => {
    expect(dashboards.map((d) => [d.file, d.json.uid]).sort()).toEqual([
      ['device-detail.json', 'shugai-device-detail'],
      ['gateway-health.json', 'shugai-gateway-health'],
      ['plant-overview.json', 'shugai-plant-overview'],
    ]);
    for (const { json } of dashboards) {
      const ids = json.panels.map((p: Json) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of json.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('every panel, target and variable reads a datasource the site provisions, by uid and type', () => {
    const known = new Map(provisioned.map((d) => [d.uid, d.type]));
    expect([...known.keys()].sort()).toEqual(['shugai-influxdb', 'shugai-metrics']);
    for (const { file, json } of dashboards) {
      const sources = [
        ...json.panels.flatMap((p: Json) => [p.datasource, ...p.targets.map((t: Json) => t.datasource)]),
        ...json.templating.list.map((v: Json) => v.datasource),
      ];
      for (const source of sources) expect(known.get(source.uid), `${file} ${source.uid}`).toBe(source.type);
    }
  });

  it('InfluxQL reads the measurement, fields and tag keys the gateway writes, and tag values it uses', () => {
    const { fields, tags } = lineProtocolNames();
    expect([...fields].sort()).toEqual([
      'received',
      'status',
      'value',
      'value_bool',
      'value_int',
      'value_raw',
      'value_str',
    ]);
    const sample = loadGatewayConfig(path.join(REPO, 'gateway/sample.yaml'), PLUGINS, {
      INFLUX_PASSWORD: 'x',
    });
    const derived = new Set(derivedOutputs(sample.derived).map((o) => o.tag));
    const influx = queries.filter((q) => q.kind === 'influxdb');
    expect(influx.length).toBeGreaterThan(10);
    for (const q of influx) {
      const where = `${q.dashboard} ${q.panel}: ${q.text}`;
      expect(
        [...q.text.matchAll(/FROM "(\w+)"/g)].map((m) => m[1]),
        where,
      ).toEqual(['samples']);
      for (const [, field] of q.text.matchAll(/\w+\("(\w+)"\)/g)) expect(fields, where).toContain(field);
      for (const [, key] of q.text.matchAll(/"(\w+)" (?:=|=~|!~|!=) /g)) expect(tags, where).toContain(key);
      for (const [, key] of q.text.matchAll(/WITH KEY = "(\w+)"/g)) expect(tags, where).toContain(key);
      const groupBy = /GROUP BY (.*?)(?: fill\(|$)/.exec(q.text)?.[1] ?? '';
      for (const [, key] of groupBy.matchAll(/"(\w+)"/g)) expect(tags, where).toContain(key);
      for (const [, value] of q.text.matchAll(/"tag_id" = '(\w+)'/g)) {
        expect([...derived, ATTESTATION_TAG], where).toContain(value);
      }
      for (const [, value] of q.text.matchAll(/"device" = '(\w+)'/g))
        expect(value, where).toBe(ATTESTATION_DEVICE);
    }
    const factors = /"tag_id" =~ \/\^oee_\((\w+)\|(\w+)\|(\w+)\)\$\//.exec(
      influx.map((q) => q.text).join('\n'),
    );
    for (const factor of factors?.slice(1) ?? ['missing']) expect(derived).toContain(`oee_${factor}`);
  });

  it("PromQL names metrics of the gateway's registry, with labels they have", async () => {
    const metrics = await registryMetrics();
    const prom = queries.filter((q) => q.kind === 'prometheus');
    expect(prom.length).toBeGreaterThan(15);
    for (const q of prom) {
      const where = `${q.dashboard} ${q.panel}: ${q.text}`;
      const names = [...q.text.matchAll(/\b((?:shugai|process|nodejs)_[a-z0-9_]+)/g)].map(
        (m) => m[1] as string,
      );
      expect(names.length, where).toBeGreaterThan(0);
      for (const name of names) {
        const histogram = /_bucket$/.test(name) ? name.replace(/_bucket$/, '') : undefined;
        const metric = metrics.get(histogram ?? name);
        expect(metric, `${where}: ${name}`).toBeDefined();
        if (histogram) expect(metric?.type).toBe('histogram');
        const allowed = new Set([
          ...(metric?.labels ?? []),
          'instance',
          'job',
          'site',
          ...(histogram ? ['le'] : []),
        ]);
        const selector = new RegExp(`${name}\\{([^}]*)\\}`).exec(q.text)?.[1] ?? '';
        for (const [, label] of selector.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g))
          expect(allowed, `${where}: ${label}`).toContain(label);
        for (const [, list] of q.text.matchAll(/by \(([^)]*)\)/g)) {
          for (const label of (list as string).split(',').map((l) => l.trim()))
            expect(allowed, `${where}: by ${label}`).toContain(label);
        }
      }
      for (const [, label] of (q.legend ?? '').matchAll(/\{\{(\w+)\}\}/g)) {
        expect(q.text, `${where}: legend {{${label}}}`).toMatch(
          new RegExp(`by \\([^)]*\\b${label}\\b|^${names[0]}\\{`),
        );
      }
    }
  });
});

const live = influxdBinary.available && victoriaBinary.available && pymodbusBinary.available;

describe.skipIf(!live)(
  'Grafana dashboards: every query against a real gateway, InfluxDB and VictoriaMetrics',
  { timeout: 180_000 },
  () => {
    let dir: string;
    let influx: InfluxDB;
    let vm: VictoriaMetrics;
    let plc: PymodbusServer;
    let gateway: ServiceProcess;
    let writer: InstanceType<typeof modbusSerial.default>;
    let strokes: NodeJS.Timeout;

    /** Grafana's variables, filled in as Grafana does for the values the gateway wrote. */
    const fill = (text: string) =>
      text
        .replaceAll('$timeFilter', 'time > now() - 1h')
        .replaceAll('$__interval', '5s')
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '10m')
        .replaceAll('/^$gateway$/', '/^(site-gw01)$/')
        .replaceAll('/^$device$/', '/^(press-3)$/')
        .replaceAll("'$device'", "'press-3'")
        .replaceAll('/^$tag$/', '/^(oil_temp|stroke_count|strokes_total|spindle_on|machine_state)$/')
        .replaceAll('"$instance"', '".*"');

    async function influxQuery(q: string): Promise<Json> {
      const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db: 'plant', q, epoch: 'ms' })}`);
      return (await res.json()) as Json;
    }
    async function promQuery(q: string): Promise<Json> {
      const res = await fetch(`${vm.url}/api/v1/query?${new URLSearchParams({ query: q })}`);
      return (await res.json()) as Json;
    }

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'shugai-grafana-'));
      const httpPort = await freePort();
      await writeFile(
        path.join(dir, 'scrape.yaml'),
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: shugai-gateway\n    static_configs:\n      - targets: ["127.0.0.1:${httpPort}"]\n`,
      );
      [influx, vm, plc] = await Promise.all([
        startInfluxDB(),
        startVictoriaMetrics([`-promscrape.config=${path.join(dir, 'scrape.yaml')}`]),
        startPymodbusTcp({
          units: {
            1: {
              coils: { blocks: { 0: [1, 0] } },
              holding: { values: [{ address: 10, type: 'uint16', value: 100 }] },
              input: { values: [{ address: 5, type: 'int16', value: 412 }] },
            },
          },
        }),
      ]);
      // The gateway of gateway/sample.yaml, reading the PLC into InfluxDB, OEE figures every second.
      const config = readFileSync(path.join(REPO, 'gateway/sample.yaml'), 'utf8')
        .replace('id: yk-cups-gw01', 'id: site-gw01\n  attestEvery: 1s')
        .replace('dataDir: /var/lib/shugai', `dataDir: ${path.join(dir, 'data')}`)
        .replace('url: http://10.0.0.5:8086', `url: ${influx.url}`)
        .replace('    username: shugai\n    password: ${INFLUX_PASSWORD}\n', '')
        .replace('port: 9273', `port: ${httpPort}`)
        .replace('host: 192.168.1.21\n    port: 502', `host: 127.0.0.1\n    port: ${plc.port}`)
        .replace('idealCycleTime: 12s', 'idealCycleTime: 1s\n      every: 1s')
        .replace("{ name: day, start: '08:00', end: '20:00' }", "{ name: day, start: '00:00', end: '12:00' }")
        .replace(
          "{ name: night, start: '20:00', end: '08:00' }",
          "{ name: night, start: '12:00', end: '00:00' }",
        );
      await writeFile(path.join(dir, 'plant.yaml'), config);
      gateway = new ServiceProcess(
        'gateway',
        process.execPath,
        [path.join(REPO, 'bin/shugai.mjs'), 'gateway', '--config', path.join(dir, 'plant.yaml')],
        { cwd: REPO, env: { ...process.env, SHUGAI_LOG_LEVEL: 'warn' } },
      );
      await gateway.waitUntil(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok, 60_000);
      // The press makes a part a second: its stroke counter rises, so OEE has parts to count.
      writer = new modbusSerial.default();
      await writer.connectTCP('127.0.0.1', { port: plc.port });
      writer.setID(1);
      let count = 100;
      strokes = setInterval(() => {
        count++;
        writer.writeRegister(10, count).catch(() => {});
      }, 1000);
      // Until the slowest figure (OEE quality needs parts in the shift) is stored and scraped.
      await gateway.waitUntil(async () => {
        const oee = await influxQuery(`SELECT count("value") FROM "samples" WHERE "tag_id" = 'oee_quality'`);
        // rate() needs two scrapes in its range: one scrape answers the counter, not the panels' rates.
        const scraped = await promQuery('rate(shugai_sink_samples_total[1m])');
        const attested = await influxQuery(
          `SELECT count("value_str") FROM "samples" WHERE "device" = '_gateway' AND "tag_id" = 'attestation'`,
        );
        return (
          oee.results?.[0]?.series !== undefined &&
          attested.results?.[0]?.series !== undefined &&
          scraped.data?.result?.length > 0
        );
      }, 90_000);
    }, 180_000);

    afterAll(async () => {
      clearInterval(strokes);
      writer?.close(() => {});
      await gateway?.stop();
      await Promise.all([influx?.stop(), vm?.stop(), plc?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /**
     * Panels (or one target, `title#refId`) that must show data from this plant; the others (drops,
     * errors, bad samples, conflicts) may be empty, never an error.
     */
    const MUST_HAVE_DATA = new Set([
      'Machine state',
      'OEE, current shift',
      'Availability, performance, quality',
      'Samples stored per minute',
      'Attestations per minute, by gateway',
      'Latest reading per tag',
      'Numeric tags',
      'Counters and integer tags',
      'Switches and states',
      'Samples by quality',
      '$gateway',
      '$device',
      '$tag',
      'Samples in, by device',
      'Device links',
      'Stored, by sink',
      'Backlog, by sink',
      'Sink write latency, p95',
      'Buffer on disk',
      'Readings refused at ingest#A',
      'Process',
      'CPU and event loop',
      '$instance',
    ]);

    const mustHaveData = (q: Query) =>
      MUST_HAVE_DATA.has(q.panel) || MUST_HAVE_DATA.has(`${q.panel}#${q.ref}`);

    it('every InfluxQL query runs without an error; those of this plant return its series', async () => {
      for (const q of queries.filter((x) => x.kind === 'influxdb')) {
        const answer = await influxQuery(fill(q.text));
        const result = answer.results?.[0];
        expect(result?.error, `${q.panel}: ${fill(q.text)}`).toBeUndefined();
        if (mustHaveData(q)) expect(result?.series?.length, `${q.panel}: ${fill(q.text)}`).toBeGreaterThan(0);
      }
    });

    it('the variables list what the gateway wrote', async () => {
      const values = async (name: string) => {
        const q = queries.find((x) => x.panel === name && x.dashboard === 'plant-overview.json') as Query;
        const answer = await influxQuery(fill(q.text));
        return answer.results[0].series[0].values.map((v: string[]) => v[1]);
      };
      expect(await values('$gateway')).toEqual(['site-gw01']);
      expect(await values('$device')).toEqual(['press-3']);
    });

    it('every PromQL query runs; those of a working gateway return its series', async () => {
      for (const q of queries.filter((x) => x.kind === 'prometheus')) {
        // Variables' label_values() is Grafana's, not PromQL: asked as the series API does.
        const text = q.text.startsWith('label_values(')
          ? q.text.replace(/^label_values\((\w+), \w+\)$/, '$1')
          : fill(q.text);
        const answer = await promQuery(text);
        expect(answer.status, `${q.panel}: ${text} ${JSON.stringify(answer)}`).toBe('success');
        if (mustHaveData(q)) expect(answer.data.result.length, `${q.panel}: ${text}`).toBeGreaterThan(0);
      }
    });
  },
);
