/**
 * The gateway on the edge box: collectors → ingest → durable log → forwarders → sinks, plus the
 * health endpoint. `shugai gateway --config plant.yaml` runs one of these.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Registry } from 'prom-client';
import type { Collector } from '../collector/collector.ts';
import { ConditionLog } from '../collector/conditions.ts';
import { CollectorMetrics } from '../collector/metrics.ts';
import type { Logger } from '../core/log.ts';
import { ATTESTATION_DEVICE, ATTESTATION_TAG, type Attestation } from './attest/attestation.ts';
import { Attestor } from './attest/attestor.ts';
import { digestEngine } from './attest/digest-batch.ts';
import { identityFiles, initIdentity } from './attest/identity.ts';
import { DurableLog } from './buffer/log.ts';
import { recordSamples } from './buffer/payload.ts';
import { writeFileAtomic } from './buffer/segment.ts';
import type { AnyPlugin, GatewayConfig } from './config/schema.ts';
import { DerivedEngine, derivedTypes } from './derived/engine.ts';
import { SinkForwarder } from './forward/forwarder.ts';
import { startHealthServer } from './http.ts';
import { Ingest } from './ingest/ingest.ts';
import { judge, readRecentFile, recentFileBytes, restoreRecent } from './ingest/recent.ts';
import { GatewayMetrics } from './metrics.ts';
import { CentralSink } from './sinks/central/sink.ts';
import { EmbeddedStore } from './sinks/embedded/store.ts';
import { InfluxSink } from './sinks/influxdb/sink.ts';
import type { Sink, StoredSample } from './sinks/sink.ts';
import { VictoriaSink } from './sinks/victoriametrics/sink.ts';

type ConnectionConfig = GatewayConfig['connections'][number];
type SinkConfig = GatewayConfig['sinks'][number];

interface RunningSink {
  config: SinkConfig;
  sink: Sink;
  forwarder: SinkForwarder;
}

export class Gateway {
  readonly registry = new Registry();
  readonly collectorMetrics = new CollectorMetrics(this.registry);
  readonly metrics = new GatewayMetrics(this.registry);
  private readonly collectors = new Map<string, { config: ConnectionConfig; collector: Collector }>();
  private readonly sinks = new Map<string, RunningSink>();
  // Set by open(); stop() also runs after a failed open, so it checks what exists.
  private ingest!: Ingest;
  private log!: DurableLog;
  private server: Server | undefined;
  private derived!: DerivedEngine;
  private ticker: NodeJS.Timeout | undefined;
  private lastTotalsSave = 0;
  private lastRecentSave = 0;
  private started = false;
  httpPort = 0;

  private constructor(
    private config: GatewayConfig,
    private readonly plugins: readonly AnyPlugin[],
    private readonly logger: Logger,
  ) {}

  static async start(config: GatewayConfig, plugins: readonly AnyPlugin[], logger: Logger): Promise<Gateway> {
    const gateway = new Gateway(config, plugins, logger);
    try {
      await gateway.open();
    } catch (error) {
      await gateway.stop(0).catch(() => undefined);
      throw error;
    }
    return gateway;
  }

  /** The folder for buffer, keys and embedded store: gateway.dataDir relative to the config file. */
  get dataDir(): string {
    return path.resolve(path.dirname(this.config.file), this.config.gateway.dataDir);
  }

  private async open(): Promise<void> {
    const buffer = this.config.buffer;
    this.log = await DurableLog.open({
      dir: path.join(this.dataDir, 'buffer'),
      maxBytes: buffer.maxBytes,
      maxAgeMs: buffer.maxAge,
      segmentBytes: buffer.segmentBytes,
      minFree: buffer.minFree,
      fsync:
        typeof buffer.fsync === 'string'
          ? { mode: buffer.fsync }
          : { mode: 'interval', intervalMs: buffer.fsync.intervalMs },
      whenFull: buffer.whenFull,
      log: this.logger.child({ component: 'buffer' }),
      onDrop: (reason, samples) => {
        this.metrics.bufferDropped.inc({ reason }, samples);
        // Attestations (v1) explain chain gaps as full, age or refused: a full disk is a full buffer.
        this.ingest?.attestor?.noteDropped(reason === 'disk' ? 'full' : reason, samples);
      },
      // What the records to be freed carried: the chain head, the readings last accepted per tag.
      beforeRelease: async () => {
        await this.ingest?.attestor?.save();
        await this.saveRecent();
      },
    });
    const stats = this.log.stats();
    this.metrics.bufferCorruptTails.set(stats.corrupt.tails);
    const attestor = this.config.gateway.attest ? await this.openAttestor() : undefined;
    this.log.sealer = attestor;
    this.ingest = new Ingest(this.log, this.metrics, this.logger, this.config.gateway.id, attestor);
    this.setTypes(this.config);
    await this.loadRecent();
    this.ingest.onAppended((n) => {
      for (const running of this.sinks.values()) running.forwarder.notify(n);
      const stats = this.log.stats();
      this.metrics.bufferBytes.set(stats.bytes);
      this.metrics.bufferCapacity.set(stats.capacity);
    });
    // Points the buffer holds that no attestation covers yet (the gateway died before sealing them).
    if (attestor?.slicePoints) await this.ingest.settle();
    for (const sink of this.config.sinks) await this.startSink(sink);
    this.derived = this.createDerived(this.config, this.loadTotals());
    this.ingest.onAccepted(
      (samples) => this.derived.observe(samples),
      () => this.derived.hasRules,
    );
    this.ticker = setInterval(() => this.tick(), 1000);
    for (const connection of this.config.connections) await this.startCollector(connection);
    const { server, port } = await startHealthServer(
      this.config.http.host,
      this.config.http.port,
      this.registry,
      () => this.health(),
    );
    this.server = server;
    this.httpPort = port;
    this.started = true;
    this.logger.info(
      {
        gateway: this.config.gateway.id,
        connections: this.collectors.size,
        sinks: [...this.sinks.keys()],
        http: `http://${this.config.http.host}:${port}`,
        dataDir: this.dataDir,
        // The point digests' SHA-256: 'javascript' where the native one was not built (slower).
        ...(this.ingest?.attestor ? { digests: digestEngine } : {}),
      },
      'gateway started',
    );
  }

  /**
   * The signing side of the evidence chain: the key is made on first start (`shugai gateway init`
   * prints it for registration); the chain resumes from the newest attestation in the buffer, or
   * from the head saved before the buffer last freed records. Points in the buffer after that
   * attestation go into the first slice.
   */
  private async openAttestor(): Promise<Attestor> {
    const { identity, created } = initIdentity(this.dataDir);
    if (created) {
      this.logger.warn(
        { fingerprint: identity.fingerprint, publicKey: identityFiles(this.dataDir).publicKey },
        'gateway identity created: register this public key with the bureau',
      );
    }
    const attestor = new Attestor(
      identity,
      this.config.gateway.id,
      path.join(identityFiles(this.dataDir).dir, 'chain.json'),
      Date.now,
      this.config.gateway.attestEvery,
    );
    const { attestation, after } = await newestAttestation(this.log);
    if (attestation)
      attestor.resumeFrom(JSON.parse(String(attestation.value)) as Attestation, attestation.sourceTime);
    for (let records = await this.log.readFrom(after, 256); records.length > 0; ) {
      for (const record of records) attestor.addStored(recordSamples(record));
      records = await this.log.readFrom((records.at(-1) as { seq: number }).seq + 1, 256);
    }
    return attestor;
  }

  private get totalsFile(): string {
    return path.join(this.dataDir, 'derived-totals.json');
  }

  private get recentFile(): string {
    return path.join(this.dataDir, 'recent-readings.json');
  }

  /**
   * The readings accepted last per tag, as saved, then brought up to date from the buffer's records
   * appended since: after a crash, a resent reading is still known as one already stored.
   */
  private async loadRecent(): Promise<void> {
    let from = this.log.firstSeq;
    try {
      const saved = readRecentFile(readFileSync(this.recentFile, 'utf8'));
      restoreRecent(this.ingest.series, saved.readings);
      from = Math.max(from, saved.seq);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(
          { err: (error as Error).message },
          'recent readings unreadable; rebuilt from the buffer',
        );
    }
    for (let records = await this.log.readFrom(from, 256); records.length > 0; ) {
      for (const record of records)
        for (const s of recordSamples(record))
          if (s.device !== ATTESTATION_DEVICE) judge(this.ingest.series.get(s.device, s.tag, s.value), s);
      records = await this.log.readFrom((records.at(-1) as { seq: number }).seq + 1, 256);
    }
  }

  private async saveRecent(): Promise<void> {
    if (!this.ingest) return;
    await writeFileAtomic(this.recentFile, recentFileBytes(this.log.stats().nextSeq, this.ingest.series));
  }

  /** Counter totals survive restarts, so a running total never falls back to 0. */
  private loadTotals(): Record<string, number> {
    try {
      return JSON.parse(readFileSync(this.totalsFile, 'utf8')) as Record<string, number>;
    } catch {
      return {};
    }
  }

  private async saveTotals(): Promise<void> {
    this.lastTotalsSave = Date.now();
    await writeFileAtomic(this.totalsFile, JSON.stringify(this.derived.totals())).catch((error: Error) =>
      this.logger.warn({ err: error.message }, 'could not save counter totals'),
    );
  }

  private createDerived(config: GatewayConfig, totals: Record<string, number>): DerivedEngine {
    return new DerivedEngine(config.derived, this.ingest.accept, Date.now, totals);
  }

  private tick(): void {
    this.derived.tick();
    if (Date.now() - this.lastTotalsSave >= 60_000) void this.saveTotals();
    // Only readings already written: a saved reading whose record a crash then loses would make the
    // broker's resend of it (unacknowledged) a repeat, dropped. Busy now, the next tick tries again.
    if (Date.now() - this.lastRecentSave >= 60_000 && this.ingest.written) {
      this.lastRecentSave = Date.now();
      void this.saveRecent().catch((error: Error) =>
        this.logger.warn({ err: error.message }, 'could not save the recent readings'),
      );
    }
  }

  private setTypes(config: GatewayConfig): void {
    const devices = this.allDevices(config);
    this.ingest.setTypes(devices, derivedTypes(config.derived, devices));
  }

  private allDevices(config: GatewayConfig) {
    return config.connections.flatMap((c) => this.pluginFor(c).devices(c));
  }

  private pluginFor(connection: ConnectionConfig): AnyPlugin {
    const plugin = this.plugins.find((p) => p.protocol === connection.protocol);
    if (!plugin) throw new Error(`no collector for protocol ${connection.protocol}`);
    return plugin;
  }

  private async startCollector(connection: ConnectionConfig): Promise<void> {
    const log = this.logger.child({ connection: connection.id, protocol: connection.protocol });
    const collector = this.pluginFor(connection).create(connection, {
      log,
      conditions: new ConditionLog(log),
      metrics: this.collectorMetrics,
      onSamples: this.ingest.accept,
      linkLost: this.ingest.linkLost,
      now: Date.now,
      baseDir: path.resolve(path.dirname(this.config.file)),
      durable: this.ingest.durable,
      relieved: this.ingest.relieved,
    });
    this.collectors.set(connection.id, { config: connection, collector });
    await collector.start();
  }

  private async startSink(config: SinkConfig): Promise<void> {
    let sink: Sink;
    if (config.type === 'influxdb') {
      const influx = new InfluxSink(config, this.config.gateway.id);
      await influx
        .prepare()
        .catch((error: Error) =>
          this.logger.warn(
            { sink: config.name, err: error.message },
            'sink preparation failed; writes will retry',
          ),
        );
      sink = influx;
    } else if (config.type === 'victoriametrics') {
      sink = new VictoriaSink(config, this.config.gateway.id);
    } else if (config.type === 'central') {
      sink = new CentralSink(config, path.dirname(this.config.file));
    } else {
      sink = new EmbeddedStore(config.name, path.resolve(this.dataDir, config.file));
    }
    const f = this.config.forward;
    const forwarder = new SinkForwarder(
      this.log,
      sink,
      {
        batchMaxSamples: f.batchMaxSamples,
        flushIntervalMs: f.flushInterval,
        backlogRate: f.backlogRate,
        liveWindowMs: f.liveWindow,
        retryInitialMs: f.retryInitial,
        retryMaxMs: f.retryMax,
        authRetryMs: f.authRetry,
        gatewayId: this.config.gateway.id,
      },
      this.metrics,
      this.logger.child({ sink: config.name }),
    );
    await forwarder.start();
    this.sinks.set(config.name, { config, sink, forwarder });
  }

  private async stopSink(name: string, flushUntil?: number): Promise<void> {
    const running = this.sinks.get(name);
    if (!running) return;
    this.sinks.delete(name);
    await running.forwarder.stop(flushUntil === undefined ? {} : { flushUntil });
    await running.sink.close();
  }

  /**
   * Applies a new, already validated config: only connections that changed are restarted, sinks
   * that changed get a new forwarder (their buffer position is kept), the buffer is untouched.
   */
  async reload(next: GatewayConfig): Promise<{ restarted: string[]; added: string[]; removed: string[] }> {
    const changes = { restarted: [] as string[], added: [] as string[], removed: [] as string[] };
    if (
      !isDeepStrictEqual(next.buffer, this.config.buffer) ||
      next.gateway.dataDir !== this.config.gateway.dataDir ||
      !isDeepStrictEqual(next.http, this.config.http)
    ) {
      this.logger.warn('buffer, dataDir and http settings take effect at the next start');
    }
    const previous = this.config;
    this.config = {
      ...next,
      buffer: previous.buffer,
      http: previous.http,
      gateway: { ...next.gateway, dataDir: previous.gateway.dataDir },
    };
    this.setTypes(next);
    if (!isDeepStrictEqual(next.derived, previous.derived))
      this.derived = this.createDerived(next, this.derived.totals());
    const wanted = new Map(next.connections.map((c) => [c.id, c]));
    for (const [id, running] of [...this.collectors]) {
      const replacement = wanted.get(id);
      if (replacement && isDeepStrictEqual(replacement, running.config)) continue;
      this.collectors.delete(id);
      await running.collector.stop();
      if (replacement) changes.restarted.push(id);
      else changes.removed.push(id);
    }
    for (const connection of next.connections) {
      if (this.collectors.has(connection.id)) continue;
      if (!changes.restarted.includes(connection.id)) changes.added.push(connection.id);
      await this.startCollector(connection);
    }
    const wantedSinks = new Map(next.sinks.map((s) => [s.name, s]));
    for (const [name, running] of [...this.sinks]) {
      if (
        !isDeepStrictEqual(wantedSinks.get(name), running.config) ||
        !isDeepStrictEqual(next.forward, previous.forward)
      )
        await this.stopSink(name);
    }
    for (const sink of next.sinks) if (!this.sinks.has(sink.name)) await this.startSink(sink);
    this.logger.info(changes, 'config reloaded');
    return changes;
  }

  health() {
    const sinks = Object.fromEntries(
      [...this.sinks.keys()].map((name) => [
        name,
        (({ samples, records }) => ({ backlogSamples: samples, backlogRecords: records }))(
          this.log.backlog(this.log.readerPosition(name)),
        ),
      ]),
    );
    const stats = this.log.stats();
    return {
      ready: this.started,
      gateway: this.config.gateway.id,
      buffer: {
        bytes: stats.bytes,
        capacity: stats.capacity,
        records: stats.records,
        appended: stats.nextSeq,
        dropped: stats.dropped,
        corrupt: stats.corrupt,
      },
      sinks,
      connections: [...this.collectors.keys()],
    };
  }

  /**
   * Stops collectors, appends what they delivered, lets sinks write what they can, closes the log.
   * Every step runs whatever the one before did (a full disk fails saving files): a stop that hangs
   * or leaves the port open turns a service restart into a restart loop.
   */
  async stop(flushTimeoutMs = 10_000): Promise<void> {
    let failures = 0;
    const step = async (what: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (error) {
        failures++;
        this.logger.error({ step: what, err: (error as Error).message }, 'stop: a step failed; going on');
      }
    };
    clearInterval(this.ticker);
    for (const [id, { collector }] of this.collectors) await step(`collector ${id}`, () => collector.stop());
    this.collectors.clear();
    if (this.derived) await this.saveTotals();
    if (this.ingest) await step('ingest', () => this.ingest.settle());
    const attestor = this.ingest?.attestor;
    // When it cannot be saved, the newest record in the buffer still carries it (buffer/log.ts).
    if (attestor) await step('attestation chain head', () => attestor.save());
    await step('recent readings', () => this.saveRecent());
    const flushUntil = Date.now() + flushTimeoutMs;
    await Promise.all(
      [...this.sinks.keys()].map((name) => step(`sink ${name}`, () => this.stopSink(name, flushUntil))),
    );
    if (this.log) await step('buffer', () => this.log.close());
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.logger.info({ failedSteps: failures }, 'gateway stopped; unsent samples stay in the buffer');
  }
}

/**
 * The newest attestation the buffer holds and the sequence number after its record, read backwards
 * a few records at a time: it is at most a slice (about a second) from the end.
 */
async function newestAttestation(log: DurableLog): Promise<{ attestation?: StoredSample; after: number }> {
  const marker = Buffer.from(`device=${ATTESTATION_DEVICE},`);
  for (let end = log.stats().nextSeq; end > log.firstSeq; ) {
    const from = Math.max(log.firstSeq, end - 64);
    for (const record of (await log.readFrom(from, end - from)).reverse()) {
      // A line-protocol record without the marker holds no attestation; only a few need parsing.
      if (record.format === 'lines' && !record.payload.includes(marker)) continue;
      const attestation = recordSamples(record).findLast(
        (s) => s.device === ATTESTATION_DEVICE && s.tag === ATTESTATION_TAG,
      );
      if (attestation) return { attestation, after: record.seq + 1 };
    }
    end = from;
  }
  return { after: log.firstSeq };
}
