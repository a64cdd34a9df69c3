import { z } from 'zod';
import type { CollectorPlugin } from '../../collector/collector.ts';
import { connectionIdSchema } from '../../collector/schema.ts';
import { explainIssue } from '../../core/input.ts';
import type { Protocol } from '../../core/model.ts';
import { derivedOutputs } from '../derived/engine.ts';
import { derivedSchema } from '../derived/schema.ts';
import { DEFAULT_FORWARDER_OPTIONS } from '../forward/forwarder.ts';
import { centralSinkSchema } from '../sinks/central/schema.ts';
import { embeddedSinkSchema } from '../sinks/embedded/schema.ts';
import { influxSinkSchema } from '../sinks/influxdb/schema.ts';
import { victoriaSinkSchema } from '../sinks/victoriametrics/schema.ts';
import { ConfigError, type ConfigIssue, formatPath } from './errors.ts';
import { lineOf, type ParsedYaml, readYaml, zodIssues } from './load.ts';
import { byteSize, duration, freeSpace } from './units.ts';

export type AnyPlugin = CollectorPlugin<{ id: string; protocol: Protocol }>;

/** How long a slice of points runs before its attestation is sealed, unless gateway.attestEvery says. */
export const DEFAULT_ATTEST_EVERY_MS = 10_000;

export const gatewaySectionSchema = z
  .object({
    id: connectionIdSchema.describe('Gateway id as registered with the bureau, e.g. yk-cups-gw01'),
    name: z.string().optional().describe('A name for people, e.g. the plant and the box location'),
    dataDir: z
      .string()
      .default('./data')
      .describe('Folder for the buffer, keys and embedded store (relative to the config file)'),
    attest: z
      .boolean()
      .default(true)
      .describe(
        'Sign hash-chained attestations of what the gateway stores with its key, so a bureau can verify the store (shugai verify)',
      ),
    attestEvery: duration
      .default(DEFAULT_ATTEST_EVERY_MS)
      .describe(
        'An attestation covers the points of this long, or 5,000 points, whichever comes first, e.g. 10s. Shorter: findings name a shorter span; longer: fewer attestations to store (each is ~0.5 KB + 0.2 KB a device)',
      ),
  })
  .strict();

export const bufferSchema = z
  .object({
    maxBytes: byteSize.default(1024 ** 3).describe('Disk space the buffer may use, e.g. 1GiB'),
    maxAge: duration
      .default(7 * 86_400_000)
      .describe('Samples older than this are dropped and counted, e.g. 7d; 0 = no limit'),
    segmentBytes: byteSize
      .default(16 * 1024 ** 2)
      .describe('Segment file size; drops happen a segment at a time'),
    minFree: freeSpace
      .prefault('5%, 256MiB')
      .describe(
        'Free space the buffer leaves on its filesystem: a share (5%), a size (256MiB) or both (the smaller); the disk bounds the buffer like maxBytes',
      ),
    fsync: z
      .union([z.enum(['always', 'never']), z.object({ intervalMs: z.number().int().positive() }).strict()])
      .default('always')
      .describe(
        'always: a sample is on disk before it counts as accepted; {intervalMs}: up to that much may be lost in a power cut; never: the OS decides',
      ),
    whenFull: z
      .enum(['drop-oldest', 'refuse-new'])
      .default('drop-oldest')
      .describe('What to do when maxBytes is reached; every drop is counted'),
  })
  .strict();

export const sinkSchema = z.discriminatedUnion('type', [
  influxSinkSchema,
  victoriaSinkSchema,
  embeddedSinkSchema,
  centralSinkSchema,
]);

export const forwardSchema = z
  .object({
    batchMaxSamples: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_FORWARDER_OPTIONS.batchMaxSamples)
      .describe('Most samples in one write'),
    flushInterval: duration
      .default(DEFAULT_FORWARDER_OPTIONS.flushIntervalMs)
      .describe('Live data waits at most this long, e.g. 1s'),
    backlogRate: z
      .number()
      .positive()
      .default(DEFAULT_FORWARDER_OPTIONS.backlogRate)
      .describe('Backlog samples per second written beside live data after an outage'),
    liveWindow: duration
      .default(DEFAULT_FORWARDER_OPTIONS.liveWindowMs)
      .describe('After an outage, data younger than this is sent first as live'),
    retryInitial: duration.default(DEFAULT_FORWARDER_OPTIONS.retryInitialMs),
    retryMax: duration.default(DEFAULT_FORWARDER_OPTIONS.retryMaxMs),
    authRetry: duration
      .default(DEFAULT_FORWARDER_OPTIONS.authRetryMs)
      .describe('Wait after 401/403 before trying again'),
  })
  .strict();

export const httpSchema = z
  .object({
    host: z
      .string()
      .default('127.0.0.1')
      .describe('Address for /healthz, /readyz and /metrics; loopback by default'),
    port: z.number().int().min(0).max(65535).default(9273),
  })
  .strict();

/** The top level of plant.yaml; each connection is then validated by its protocol's own schema. */
const topLevelSchema = z
  .object({
    gateway: gatewaySectionSchema,
    buffer: bufferSchema.prefault({}).describe('The durable buffer on disk'),
    sinks: z
      .array(sinkSchema)
      .default([{ name: 'embedded', type: 'embedded', file: 'samples.db' }])
      .describe('Where samples go; the embedded store when none is given'),
    forward: forwardSchema.prefault({}).describe('Batching, retries and backlog drain'),
    http: httpSchema.prefault({}).describe('Health and metrics endpoint'),
    derived: derivedSchema
      .prefault({})
      .describe('Machine state, counter totals and OEE computed at the edge'),
    connections: z
      .array(z.looseObject({ id: connectionIdSchema, protocol: z.string() }))
      .default([])
      .describe(
        'Connections to machines: Modbus links, OPC UA endpoints, MQTT brokers, each with its devices',
      ),
  })
  .strict();

export type TopLevelConfig = z.infer<typeof topLevelSchema>;

export interface GatewayConfig extends Omit<TopLevelConfig, 'connections'> {
  file: string;
  connections: { id: string; protocol: Protocol }[];
}

/** Loads and validates a gateway config file; throws ConfigError listing every problem with its line. */
export function loadGatewayConfig(
  file: string,
  plugins: readonly AnyPlugin[],
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  return validateGatewayConfig(readYaml(file, env), plugins);
}

export function validateGatewayConfig(parsed: ParsedYaml, plugins: readonly AnyPlugin[]): GatewayConfig {
  const top = topLevelSchema.safeParse(parsed.value ?? {}, { error: explainIssue });
  if (!top.success) throw new ConfigError(zodIssues(parsed, top.error));
  const byProtocol = new Map(plugins.map((p) => [p.protocol as string, p]));
  const issues: ConfigIssue[] = [];
  const connections: GatewayConfig['connections'] = [];
  top.data.connections.forEach((raw, index) => {
    const plugin = byProtocol.get(raw.protocol);
    if (!plugin) {
      const at = ['connections', index, 'protocol'];
      issues.push({
        file: parsed.file,
        line: lineOf(parsed, at),
        path: formatPath(at),
        message: `unknown protocol "${raw.protocol}"; expected one of ${[...byProtocol.keys()].join(', ')}`,
      });
      return;
    }
    const result = plugin.schema.safeParse(raw, { error: explainIssue });
    if (result.success) connections.push(result.data);
    else issues.push(...zodIssues(parsed, result.error, ['connections', index]));
  });
  if (issues.length === 0) issues.push(...duplicateIds(parsed, connections, plugins));
  if (issues.length === 0) issues.push(...derivedReferences(parsed, top.data.derived, connections, plugins));
  if (issues.length > 0) throw new ConfigError(issues);
  const sinkNames = new Set<string>();
  top.data.sinks.forEach((sink, i) => {
    if (sinkNames.has(sink.name)) {
      const at = ['sinks', i, 'name'];
      issues.push({
        file: parsed.file,
        line: lineOf(parsed, at),
        path: formatPath(at),
        message: `duplicate sink name "${sink.name}"`,
      });
    }
    sinkNames.add(sink.name);
    // VictoriaMetrics holds no attestations (encoding.ts): another sink must, the bureau's copy best.
    if (
      sink.type === 'victoriametrics' &&
      top.data.gateway.attest &&
      top.data.sinks.every((s) => s.type === 'victoriametrics')
    ) {
      const at = ['sinks', i, 'type'];
      issues.push({
        file: parsed.file,
        line: lineOf(parsed, at),
        path: formatPath(at),
        message:
          "a victoriametrics sink keeps no attestations (it holds numbers, and text in labels): add a central sink (the bureau's copy, what verify --central reads) or another store beside it",
      });
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { ...top.data, file: parsed.file, connections };
}

/** Connection ids and device ids are unique across the file; tag ids within a device. */
function duplicateIds(
  parsed: ParsedYaml,
  connections: GatewayConfig['connections'],
  plugins: readonly AnyPlugin[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, string>();
  const claim = (key: string, at: PropertyKey[], what: string) => {
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({
        file: parsed.file,
        line: lineOf(parsed, at),
        path: formatPath(at),
        message: `duplicate ${what}; first used at ${first}`,
      });
    } else seen.set(key, formatPath(at));
  };
  connections.forEach((connection, c) => {
    claim(`connection:${connection.id}`, ['connections', c, 'id'], `connection id "${connection.id}"`);
    const plugin = plugins.find((p) => p.protocol === connection.protocol);
    plugin?.devices(connection).forEach((device, d) => {
      claim(`device:${device.id}`, ['connections', c, 'devices', d, 'id'], `device id "${device.id}"`);
      device.tags.forEach((tag, t) => {
        claim(
          `tag:${device.id}/${tag.id}`,
          ['connections', c, 'devices', d, 'tags', t, 'id'],
          `tag id "${tag.id}" in device "${device.id}"`,
        );
      });
    });
  });
  return issues;
}

/**
 * Derived data must name devices (and raw tags) that the connections declare, must not write a tag
 * the device reads (both would share one series), and OEE needs the device's machine state.
 */
function derivedReferences(
  parsed: ParsedYaml,
  derived: TopLevelConfig['derived'],
  connections: GatewayConfig['connections'],
  plugins: readonly AnyPlugin[],
): ConfigIssue[] {
  const tags = new Map<string, Set<string>>();
  for (const connection of connections) {
    for (const device of plugins.find((p) => p.protocol === connection.protocol)?.devices(connection) ?? []) {
      tags.set(device.id, new Set(device.tags.map((t) => t.id)));
    }
  }
  const issues: ConfigIssue[] = [];
  const report = (at: PropertyKey[], message: string) =>
    issues.push({ file: parsed.file, line: lineOf(parsed, at), path: formatPath(at), message });
  const check = (at: PropertyKey[], device: string, tag?: string) => {
    const known = tags.get(device);
    if (!known) report(at, `no device "${device}" in the connections`);
    else if (tag !== undefined && !known.has(tag)) report(at, `device "${device}" has no tag "${tag}"`);
  };
  for (const [i, rule] of derived.machineState.entries())
    check(['derived', 'machineState', i, 'device'], rule.device);
  for (const [i, counter] of derived.counters.entries())
    check(['derived', 'counters', i, 'tag'], counter.device, counter.tag);
  for (const [i, oee] of derived.oee.entries()) {
    check(['derived', 'oee', i, 'device'], oee.device);
    if (!derived.machineState.some((m) => m.device === oee.device)) {
      report(
        ['derived', 'oee', i, 'device'],
        `OEE of "${oee.device}" needs a derived.machineState entry for it`,
      );
    }
  }
  for (const output of derivedOutputs(derived)) {
    if (tags.get(output.device)?.has(output.tag)) {
      report(
        output.at,
        `derived tag "${output.tag}" is also a tag device "${output.device}" reads; choose another name`,
      );
    }
  }
  return issues;
}

/**
 * The keys of device `id` in the file, `['connections', c, 'devices', d]`, for messages that name its
 * line (`lineOf`); undefined when no connection lists it.
 */
export function devicePath(parsed: ParsedYaml, id: string): PropertyKey[] | undefined {
  const connections = (parsed.value as { connections?: unknown } | null)?.connections;
  if (!Array.isArray(connections)) return undefined;
  for (const [c, connection] of connections.entries()) {
    const devices = (connection as { devices?: unknown } | null)?.devices;
    const d = Array.isArray(devices)
      ? devices.findIndex((x) => (x as { id?: unknown } | null)?.id === id)
      : -1;
    if (d >= 0) return ['connections', c, 'devices', d];
  }
  return undefined;
}

/** A JSON Schema of the whole file, for editors (descriptions included). */
export function gatewayConfigJsonSchema(plugins: readonly AnyPlugin[]): unknown {
  const connection =
    plugins.length === 1
      ? plugins[0]!.schema
      : z.union(plugins.map((p) => p.schema) as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  const schema = topLevelSchema.extend({
    connections: z
      .array(connection)
      .default([])
      .describe(topLevelSchema.shape.connections.description ?? ''),
  });
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}
