import { z } from 'zod';
import type { CollectorPlugin } from '../../collector/collector.ts';
import { connectionIdSchema } from '../../collector/schema.ts';
import type { Protocol } from '../../core/model.ts';
import { ConfigError, type ConfigIssue, formatPath } from './errors.ts';
import { lineOf, type ParsedYaml, readYaml, zodIssues } from './load.ts';

export type AnyPlugin = CollectorPlugin<{ id: string; protocol: Protocol }>;

export const gatewaySectionSchema = z
  .object({
    id: connectionIdSchema.describe('Gateway id as registered with the bureau, e.g. yk-cups-gw01'),
    name: z.string().optional().describe('A name for people, e.g. the plant and the box location'),
    dataDir: z
      .string()
      .default('./data')
      .describe('Folder for the buffer, keys and embedded store (relative to the config file)'),
  })
  .strict();

/** The top level of plant.yaml; each connection is then validated by its protocol's own schema. */
const topLevelSchema = z
  .object({
    gateway: gatewaySectionSchema,
    connections: z
      .array(z.looseObject({ id: connectionIdSchema, protocol: z.string() }))
      .default([])
      .describe(
        'Connections to machines: Modbus links, OPC UA endpoints, MQTT brokers, each with its devices',
      ),
  })
  .strict();

export interface GatewayConfig {
  file: string;
  gateway: z.infer<typeof gatewaySectionSchema>;
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
  const top = topLevelSchema.safeParse(parsed.value ?? {});
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
    const result = plugin.schema.safeParse(raw);
    if (result.success) connections.push(result.data);
    else issues.push(...zodIssues(parsed, result.error, ['connections', index]));
  });
  if (issues.length === 0) issues.push(...duplicateIds(parsed, connections, plugins));
  if (issues.length > 0) throw new ConfigError(issues);
  return { file: parsed.file, gateway: top.data.gateway, connections };
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
