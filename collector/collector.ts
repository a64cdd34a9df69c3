/**
 * The collector interface: what every protocol driver under collector/<protocol>/ implements.
 *
 * A collector serves one connection (a Modbus link, an OPC UA endpoint, an MQTT broker) and the
 * devices configured on it. Construction validates and does no I/O (as Telegraf's Init); start()
 * connects and keeps reconnecting by itself: a dead peer is never an exception to the caller.
 */
import type { z } from 'zod';
import type { Logger } from '../core/log.ts';
import type { Device, Protocol, Sample } from '../core/model.ts';
import type { ConditionLog } from './conditions.ts';
import type { CollectorMetrics } from './metrics.ts';

export interface CollectorContext {
  log: Logger;
  conditions: ConditionLog;
  metrics: CollectorMetrics;
  /** Receives samples as they are read. Must not throw; the gateway buffers them durably. */
  onSamples(samples: Sample[]): void;
  /** Current time in ms; injectable so tests can control timestamps. */
  now(): number;
  /** The folder relative file paths in the connection's config are read from: the config file's. */
  baseDir: string;
  /**
   * Resolves once every sample delivered so far is held durably (the gateway's buffer, under its
   * fsync policy). A collector whose source redelivers what it did not acknowledge (MQTT QoS 1 with a
   * persistent session) acknowledges only then. Absent outside the gateway (`shugai read`, tests).
   */
  durable?(): Promise<void>;
  /**
   * Undefined while the gateway keeps up with what it is given; else resolves once it does again. A
   * push collector stops reading its source meanwhile. Absent outside the gateway.
   */
  relieved?(): Promise<void> | undefined;
  /**
   * The connection to these devices is lost: their last values no longer hold. The gateway marks
   * each tag's last value bad once (gateway/stale.ts). Absent outside the gateway.
   */
  linkLost?(devices: readonly string[]): void;
}

export interface Collector {
  /** The connection id from the config. */
  readonly id: string;
  /** The devices this collector reads, in the shared model. */
  readonly devices: readonly Device[];
  /** Connects and starts delivering samples through the context; resolves once started, not once connected. */
  start(): Promise<void>;
  /** Reads every configured tag once and returns the samples (for `shugai read --once`). */
  readOnce(options?: { deviceId?: string; timeoutMs?: number }): Promise<Sample[]>;
  /** Stops, closing sessions and sockets; never throws. */
  stop(): Promise<void>;
}

/** One protocol's entry in the registry (collector/registry.ts). */
export interface CollectorPlugin<Config extends { id: string; protocol: Protocol }> {
  protocol: Config['protocol'];
  /** The connection's config schema, with its devices and tags; descriptions feed the JSON Schema. */
  schema: z.ZodType<Config>;
  /** The devices a connection config declares, in the shared model (no I/O). */
  devices(config: Config): Device[];
  create(config: Config, context: CollectorContext): Collector;
  /**
   * Why a sample of this protocol with `statusCode` is bad or uncertain, in words, for `shugai read`
   * (Modbus 2: "exception 2 ILLEGAL DATA ADDRESS"; OPC UA 0x80340000: "BadNodeIdUnknown (…)").
   * May load the driver's tables on demand; absent, the code is shown in hex.
   */
  describeStatus?(statusCode: number, config: Config, deviceId: string): string | Promise<string>;
}
