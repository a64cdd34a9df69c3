/**
 * The OPC UA collector: one endpoint, its session, subscriptions and cyclic reads.
 *
 * Recovery is owned here rather than left to node-opcua (whose reconnection has no jitter and
 * re-creates monitored items with the old namespace indices): any lost channel, closed session,
 * failed read or silent subscription tears the session down and rebuilds it after a bounded,
 * jittered backoff; every rebuild re-reads the NamespaceArray and resolves node ids afresh.
 */
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AttributeIds,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  type NodeId,
  StatusCodes,
  TimestampsToReturn,
} from 'node-opcua-client';
import type { Device, Sample } from '../../core/model.ts';
import type { Collector, CollectorContext } from '../collector.ts';
import { toModelDevices } from '../schema.ts';
import { resolveNodeId } from './node-id.ts';
import { openPki } from './pki.ts';
import {
  dataChangeFilter,
  monitoredItemBatches,
  type PlannedGroup,
  type PlannedTag,
  planGroups,
} from './plan.ts';
import { Sampler } from './sampler.ts';
import { DEPRECATED_POLICIES, type OpcuaConnectionConfig, withAbsolutePaths } from './schema.ts';
import { closeSession, OpcuaConnectError, openSession, type SessionHandle, withTimeout } from './session.ts';

interface Watched {
  group: string;
  subscription: ClientSubscription;
  lastSeen: number;
  silenceMs: number;
}

interface Live {
  handle: SessionHandle;
  timers: NodeJS.Timeout[];
  watched: Watched[];
  broken: (reason: string, kind?: string) => void;
}

/** Exponential backoff with equal jitter: half the capped delay, plus a random part of the other half. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const capped = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped / 2 + random() * (capped / 2));
}

export class OpcuaCollector implements Collector {
  readonly id: string;
  readonly devices: readonly Device[];
  /** Connections rebuilt after having been up (also in metrics as errors{kind="reconnect"}). */
  reconnects = 0;
  private readonly groups: PlannedGroup[];
  private readonly sampler: Sampler;
  private pki: OPCUACertificateManager | undefined;
  private live: Live | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  private readonly config: OpcuaConnectionConfig;

  constructor(
    config: OpcuaConnectionConfig,
    private readonly context: CollectorContext,
  ) {
    // A config file means the same files wherever the gateway is started from.
    this.config = withAbsolutePaths(config, context.baseDir);
    this.id = config.id;
    this.devices = toModelDevices('opcua', config.devices);
    this.groups = planGroups(config);
    this.sampler = new Sampler(context);
    if (DEPRECATED_POLICIES.includes(config.securityPolicy)) {
      context.log.warn(
        { connection: config.id, securityPolicy: config.securityPolicy },
        'deprecated OPC UA security policy (SHA-1); use Basic256Sha256 or an Aes policy when the server allows',
      );
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.live?.broken('stopping');
    this.wake?.();
    await this.running?.catch(() => undefined);
    this.running = undefined;
    await this.pki?.dispose().catch(() => undefined);
    this.pki = undefined;
  }

  async readOnce(options: { deviceId?: string; timeoutMs?: number } = {}): Promise<Sample[]> {
    const tags = this.groups
      .flatMap((g) => g.tags)
      .filter((t) => !options.deviceId || t.device === options.deviceId);
    if (options.deviceId && tags.length === 0)
      throw new Error(`connection ${this.id} has no device "${options.deviceId}"`);
    const timeoutMs = options.timeoutMs ?? this.config.requestTimeoutMs * 2;
    const read = async () => {
      const own = this.live === undefined;
      const handle = this.live?.handle ?? (await openSession(this.config, await this.openPki()));
      try {
        return await this.readTags(handle, tags);
      } finally {
        if (own) await closeSession(handle);
      }
    };
    return withTimeout(read(), timeoutMs, `reading ${this.id}`);
  }

  private async openPki(): Promise<OPCUACertificateManager> {
    this.pki ??= await openPki(this.config.pkiDir);
    return this.pki;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let wasUp = false;
    while (!this.stopping) {
      try {
        const handle = await openSession(this.config, await this.openPki());
        if (this.stopping) {
          await closeSession(handle);
          break;
        }
        if (wasUp) {
          this.reconnects += 1;
          this.countAll('reconnect');
        }
        const reason = await this.serve(handle);
        wasUp = true;
        attempt = 0;
        if (this.stopping) break;
        this.countAll(reason.kind);
        this.raiseAll(reason.kind, `connection to ${this.config.endpoint} lost: ${reason.text}`);
        this.context.linkLost?.(this.devices.map((d) => d.id));
      } catch (error) {
        const failure = error instanceof OpcuaConnectError ? error.failure : 'session';
        this.countAll('connect_failed');
        this.raiseAll(`connect_${failure}`, (error as Error).message);
      }
      if (this.stopping) break;
      await this.sleep(
        backoffDelay(attempt++, this.config.reconnect.initialDelayMs, this.config.reconnect.maxDelayMs),
      );
    }
  }

  /** Builds subscriptions and reads on a fresh session; resolves with the reason it broke, after teardown. */
  private async serve(handle: SessionHandle): Promise<{ kind: string; text: string }> {
    let resolveBroken!: (reason: { kind: string; text: string }) => void;
    const broken = new Promise<{ kind: string; text: string }>((resolve) => {
      resolveBroken = resolve;
    });
    const live: Live = {
      handle,
      timers: [],
      watched: [],
      broken: (text, kind = 'disconnected') => resolveBroken({ kind, text }),
    };
    this.live = live;
    handle.client.on('connection_lost', () => live.broken('connection lost'));
    handle.client.on('close', () => live.broken('connection closed'));
    handle.session.on('session_closed', () => live.broken('session closed by the server'));
    try {
      const resolved = this.resolveTags(handle.namespaceArray);
      const subscribeGroups = this.groups.filter((g) => g.mode === 'subscribe');
      const subscribed = subscribeGroups.reduce((n, g) => n + g.tags.length, 0);
      // Each subscribe group needs one subscription; the rest of the server's allowance is shared.
      const maxSubscriptions = handle.maxSubscriptionsPerSession
        ? Math.max(1, handle.maxSubscriptionsPerSession - subscribeGroups.length + 1)
        : 0;
      for (const group of this.groups) {
        const tags = group.tags.filter((tag) => resolved.has(tag));
        if (tags.length === 0) continue;
        if (group.mode === 'subscribe') {
          // One subscription carries only so many notifications per publishing interval (node-opcua
          // keeps 5 Publish requests in flight per subscription, servers cap notifications per
          // Publish): split big groups, but never beyond the server's MaxSubscriptionsPerSession.
          const per = Math.max(
            this.config.maxItemsPerSubscription,
            Math.ceil(subscribed / (maxSubscriptions || Number.POSITIVE_INFINITY)),
          );
          for (let i = 0; i < tags.length; i += per) {
            await this.subscribe(live, group, tags.slice(i, i + per), resolved);
          }
        } else this.startReads(live, group, tags, resolved);
      }
      this.startWatchdog(live);
      this.setConnected(1);
      for (const device of this.devices) {
        for (const kind of ['disconnected', 'watchdog'])
          this.context.conditions.clear({ device: device.id }, kind);
        for (const f of ['unreachable', 'security', 'untrusted', 'pinned', 'auth', 'session']) {
          this.context.conditions.clear({ device: device.id }, `connect_${f}`);
        }
      }
      return await broken;
    } catch (error) {
      live.broken((error as Error).message, 'subscription_failed');
      return await broken;
    } finally {
      for (const timer of live.timers) clearInterval(timer);
      this.live = undefined;
      this.setConnected(0);
      this.sampler.flush();
      handle.client.removeAllListeners('connection_lost');
      handle.client.removeAllListeners('close');
      await closeSession(handle);
    }
  }

  /** Node ids for this session's namespace indices; a tag whose namespace is missing is skipped, loudly. */
  private resolveTags(namespaceArray: readonly string[]): Map<PlannedTag, NodeId> {
    const resolved = new Map<PlannedTag, NodeId>();
    for (const tag of this.groups.flatMap((g) => g.tags)) {
      const subject = { device: tag.device, tag: tag.tag };
      try {
        resolved.set(tag, resolveNodeId(tag.address, namespaceArray));
        this.context.conditions.clear(subject, 'bad_node');
      } catch (error) {
        this.context.metrics.errors.inc({ device: tag.device, kind: 'bad_node' });
        this.context.conditions.raise(subject, 'bad_node', (error as Error).message, {
          nodeId: tag.nodeIdText,
        });
      }
    }
    return resolved;
  }

  private async subscribe(live: Live, group: PlannedGroup, tags: PlannedTag[], ids: Map<PlannedTag, NodeId>) {
    const { keepAliveCount, missedKeepAlives } = this.config.watchdog;
    const subscription = await live.handle.session.createSubscription2({
      requestedPublishingInterval: group.intervalMs,
      requestedMaxKeepAliveCount: keepAliveCount,
      // The server drops a subscription after lifetimeCount silent intervals; keep it well above keep-alive.
      requestedLifetimeCount: keepAliveCount * Math.max(3, missedKeepAlives + 1) * 2,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    const watched: Watched = {
      group: group.id,
      subscription,
      lastSeen: Date.now(),
      silenceMs: missedKeepAlives * keepAliveCount * Math.max(subscription.publishingInterval, 10) + 1000,
    };
    live.watched.push(watched);
    subscription.on('raw_notification', () => {
      watched.lastSeen = Date.now();
    });
    subscription.on('status_changed', (status) => {
      if (status.isNotGood())
        live.broken(`subscription ${group.id} status ${status.name}`, 'subscription_failed');
    });
    let batchSize = live.handle.maxMonitoredItemsPerCall || this.config.monitoredItemBatchSize;
    const queue = monitoredItemBatches(tags, batchSize);
    while (queue.length > 0) {
      const batch = queue.shift() as PlannedTag[];
      try {
        await this.monitorBatch(subscription, batch, ids);
      } catch (error) {
        // A server that states no limit may still refuse a large call: halve and retry.
        if (!/BadTooManyOperations/.test((error as Error).message) || batch.length === 1) throw error;
        batchSize = Math.max(1, Math.floor(batch.length / 2));
        queue.unshift(batch.slice(0, batchSize), batch.slice(batchSize));
      }
    }
  }

  private async monitorBatch(
    subscription: ClientSubscription,
    batch: PlannedTag[],
    ids: Map<PlannedTag, NodeId>,
  ) {
    const first = batch[0] as PlannedTag;
    const spec = dataChangeFilter(first);
    const itemGroup = await subscription.monitorItems(
      batch.map((tag) => ({ nodeId: ids.get(tag) as NodeId, attributeId: AttributeIds.Value })),
      {
        samplingInterval: first.samplingIntervalMs,
        queueSize: first.queueSize,
        discardOldest: first.discardOldest,
        filter: new DataChangeFilter({
          trigger: DataChangeTrigger[spec.trigger],
          deadbandType: DeadbandType[spec.deadbandType],
          deadbandValue: spec.deadbandValue,
        }),
      },
      TimestampsToReturn.Both,
    );
    itemGroup.on('changed', (_item, dataValue, index) => {
      const tag = batch[index];
      if (!tag) return;
      const sample = this.sampler.toSample(tag, dataValue, this.context.now());
      if (sample) this.sampler.push(sample);
    });
    itemGroup.monitoredItems.forEach((item, index) => {
      const tag = batch[index] as PlannedTag;
      const subject = { device: tag.device, tag: tag.tag };
      if (item.statusCode.isGood()) {
        this.context.conditions.clear(subject, 'subscription_failed');
        return;
      }
      this.context.metrics.errors.inc({ device: tag.device, kind: 'subscription_failed' });
      this.context.conditions.raise(
        subject,
        'subscription_failed',
        `monitored item refused: ${item.statusCode.name}`,
        {
          nodeId: tag.nodeIdText,
        },
      );
    });
  }

  private startReads(live: Live, group: PlannedGroup, tags: PlannedTag[], ids: Map<PlannedTag, NodeId>) {
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const samples = await this.readTags(live.handle, tags, ids);
        for (const sample of samples) this.sampler.push(sample);
      } catch (error) {
        live.broken(`read of group ${group.id} failed: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
    };
    void tick();
    live.timers.push(setInterval(() => void tick(), group.intervalMs));
  }

  private async readTags(
    handle: SessionHandle,
    tags: PlannedTag[],
    ids?: Map<PlannedTag, NodeId>,
  ): Promise<Sample[]> {
    const resolved = ids ?? this.resolveTags(handle.namespaceArray);
    const readable = tags.filter((tag) => resolved.has(tag));
    const batchSize = handle.maxNodesPerRead || this.config.readBatchSize;
    const samples: Sample[] = [];
    for (let i = 0; i < readable.length; i += batchSize) {
      const batch = readable.slice(i, i + batchSize);
      const values = await withTimeout(
        handle.session.read(
          batch.map((tag) => ({ nodeId: resolved.get(tag) as NodeId, attributeId: AttributeIds.Value })),
          0,
        ),
        this.config.requestTimeoutMs,
        'Read',
      );
      const receivedAt = this.context.now();
      batch.forEach((tag, index) => {
        const dataValue = values[index];
        if (dataValue?.statusCode.value === StatusCodes.BadNodeIdUnknown.value) {
          this.context.metrics.errors.inc({ device: tag.device, kind: 'bad_node' });
          this.context.conditions.raise(
            { device: tag.device, tag: tag.tag },
            'bad_node',
            'node unknown to the server',
            {
              nodeId: tag.nodeIdText,
            },
          );
        }
        const sample = dataValue && this.sampler.toSample(tag, dataValue, receivedAt);
        if (sample) samples.push(sample);
      });
    }
    return samples;
  }

  /** A subscription with neither data nor keep-alive for missedKeepAlives keep-alive periods is dead. */
  private startWatchdog(live: Live) {
    if (live.watched.length === 0) return;
    const period = Math.max(100, Math.min(1000, ...live.watched.map((w) => w.silenceMs / 4)));
    const timer = setInterval(() => {
      const now = Date.now();
      for (const watched of live.watched) {
        if (now - watched.lastSeen <= watched.silenceMs) continue;
        for (const device of this.devices) {
          this.context.conditions.raise(
            { device: device.id },
            'watchdog',
            'subscription silent: rebuilding the session',
            {
              group: watched.group,
              silentMs: now - watched.lastSeen,
            },
          );
        }
        live.broken(`subscription ${watched.group} silent for ${now - watched.lastSeen} ms`, 'watchdog');
        return;
      }
    }, period);
    live.timers.push(timer);
  }

  private countAll(kind: string) {
    for (const device of this.devices) this.context.metrics.errors.inc({ device: device.id, kind });
  }

  private raiseAll(kind: string, message: string) {
    for (const device of this.devices) {
      this.context.conditions.raise({ device: device.id }, kind, message, { endpoint: this.config.endpoint });
    }
  }

  private setConnected(value: 0 | 1) {
    for (const device of this.devices) this.context.metrics.connected.set({ device: device.id }, value);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
