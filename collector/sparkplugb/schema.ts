/** Config schema of a Sparkplug B host application connection; documented in README.md. */
import { z } from 'zod';
import { brokerFields, checkBrokerConfig } from '../mqtt/connection.ts';
import { connectionIdSchema, deviceConfigBase, tagConfigBase } from '../schema.ts';
import { isValidElement } from './topic.ts';

const elementSchema = (what: string) =>
  z.string().refine(isValidElement, { message: `${what} must be non-empty without / + #` });

const tagSchema = tagConfigBase.extend({
  metric: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Sparkplug metric name; default: the metric whose name, sanitized (/ and spaces → _), is the tag id',
    ),
});

const deviceSchema = deviceConfigBase
  .extend({
    group: elementSchema('group')
      .optional()
      .describe('Sparkplug group id; default: the only entry of groups'),
    node: elementSchema('node')
      .optional()
      .describe('Sparkplug edge node id; default: the device id up to its first "." (or all of it)'),
    device: elementSchema('device')
      .optional()
      .describe(
        'Sparkplug device id under the node; default: the device id after its first "."; none: node metrics',
      ),
    tags: z.array(tagSchema).min(1).describe('Tags, each one Sparkplug metric of this node or device'),
  })
  .describe('A shugai device: the metrics of one Sparkplug edge node, or of one device under it');

export const sparkplugbConfigSchema = z
  .object({
    id: connectionIdSchema,
    protocol: z.literal('sparkplugb').describe('Sparkplug B, read as a host application'),
    ...brokerFields,
    groups: z
      .array(elementSchema('group'))
      .min(1)
      .describe('Sparkplug group ids to subscribe to (spBv1.0/<group>/#)'),
    hostId: elementSchema('hostId')
      .optional()
      .describe(
        'Host application id for the STATE topic; set it when edge nodes name this gateway as primary host',
      ),
    spec: z
      .enum(['3.0', '2.2'])
      .default('3.0')
      .describe(
        'STATE format: 3.0 spBv1.0/STATE/<hostId> with JSON, or 2.2 STATE/<hostId> with ONLINE/OFFLINE',
      ),
    rebirthMinIntervalMs: z
      .number()
      .int()
      .min(0)
      .default(5000)
      .describe('At most one rebirth request per edge node within this interval'),
    devices: z.array(deviceSchema).min(1).describe('Devices read over this connection'),
  })
  .superRefine((config, ctx) => {
    checkBrokerConfig(config, ctx);
    const seen = new Map<string, string>();
    config.devices.forEach((device, i) => {
      const address = sparkplugAddress(config, device);
      const path = ['devices', i];
      if (address.group === undefined) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `device ${device.id}: give group (several groups are configured)`,
        });
        return;
      }
      if (!config.groups.includes(address.group)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `device ${device.id}: group ${address.group} is not in groups`,
        });
      }
      const key = addressKey(address.group, address.node, address.device);
      const other = seen.get(key);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `devices ${other} and ${device.id} map to the same Sparkplug address`,
        });
      }
      seen.set(key, device.id);
      if (new Set(device.tags.map((t) => t.id)).size !== device.tags.length) {
        ctx.addIssue({ code: 'custom', path, message: `tag ids of device ${device.id} must be unique` });
      }
    });
  });
export type SparkplugbConfig = z.infer<typeof sparkplugbConfigSchema>;
export type SparkplugbDevice = SparkplugbConfig['devices'][number];

/** Where a shugai device lives in the Sparkplug namespace (group undefined: ambiguous config). */
export function sparkplugAddress(
  config: { groups: readonly string[] },
  device: { id: string; group?: string | undefined; node?: string | undefined; device?: string | undefined },
): { group: string | undefined; node: string; device: string | undefined } {
  const group = device.group ?? (config.groups.length === 1 ? config.groups[0] : undefined);
  if (device.node !== undefined) return { group, node: device.node, device: device.device };
  const dot = device.id.indexOf('.');
  return dot < 0
    ? { group, node: device.id, device: device.device }
    : { group, node: device.id.slice(0, dot), device: device.device ?? device.id.slice(dot + 1) };
}

export function addressKey(group: string, node: string, device?: string): string {
  return `${group}/${node}/${device ?? ''}`;
}
