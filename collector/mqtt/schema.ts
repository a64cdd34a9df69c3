/** Config schema of an MQTT (JSON / plain payload) connection; documented in README.md. */
import { z } from 'zod';
import { connectionIdSchema, deviceConfigBase, tagConfigBase } from '../schema.ts';
import { TIMESTAMP_FORMATS } from './coerce.ts';
import { brokerFields, checkBrokerConfig } from './connection.ts';
import { isValidPath } from './path.ts';
import { compileTemplate } from './topic.ts';

const pathSchema = z.string().refine(isValidPath, { message: 'not a field path like $.data.temperature' });

const subscriptionSchema = z
  .object({
    topic: z
      .string()
      .min(1)
      .describe('Topic template: MQTT filter whose levels may be {device}, {tag}, + or a final #'),
    format: z
      .enum(['json', 'plain'])
      .default('json')
      .describe(
        'json: parse the payload as JSON; plain: the whole payload is one value (23.5, true, running)',
      ),
    device: z.string().optional().describe('Fixed device id, when the topic has no {device} level'),
    tag: z
      .string()
      .optional()
      .describe('Fixed tag id, when the topic has no {tag} level and no fields are given'),
    value: pathSchema
      .optional()
      .describe('JSON: field path of the value of the single tag (default $, the whole payload or reading)'),
    fields: z
      .record(z.string(), pathSchema)
      .optional()
      .describe('JSON: several tags per message, as tag id → field path (instead of {tag}/tag and value)'),
    timestamp: pathSchema
      .optional()
      .describe('JSON: field path of the time the value was taken; default: the time it was received'),
    timestampFormat: z
      .enum(TIMESTAMP_FORMATS)
      .optional()
      .describe(
        'Format of the timestamp field: epoch_ms, epoch_s (may be fractional) or iso8601 (with zone)',
      ),
    readings: pathSchema
      .optional()
      .describe(
        'JSON: field path of an array of readings; value, fields and timestamp are then read per reading',
      ),
    qos: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(1)
      .describe('Subscription QoS; 1 or 2 lets the broker keep messages for the session while offline'),
  })
  .superRefine((sub, ctx) => {
    let template: ReturnType<typeof compileTemplate>;
    try {
      template = compileTemplate(sub.topic);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['topic'], message: (error as Error).message });
      return;
    }
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (template.hasDevice === (sub.device !== undefined)) {
      issue('device', 'give either a {device} level in the topic or a fixed device, not both');
    }
    const tagSources = [template.hasTag, sub.tag !== undefined, sub.fields !== undefined].filter(
      Boolean,
    ).length;
    if (tagSources !== 1) issue('tag', 'give exactly one of: a {tag} level, a fixed tag, or fields');
    if ((sub.timestamp === undefined) !== (sub.timestampFormat === undefined)) {
      issue('timestampFormat', 'timestamp and timestampFormat go together');
    }
    if (sub.format === 'plain') {
      for (const key of ['value', 'fields', 'timestamp', 'readings'] as const) {
        if (sub[key] !== undefined) issue(key, `${key} applies to JSON payloads only`);
      }
    }
    if (sub.fields !== undefined && sub.value !== undefined)
      issue('value', 'value and fields exclude each other');
  })
  .describe('One subscription: which topics to read and how to map them to devices and tags');
export type MqttSubscription = z.infer<typeof subscriptionSchema>;

const deviceSchema = deviceConfigBase
  .extend({
    tags: z
      .array(tagConfigBase)
      .min(1)
      .describe('Tags of the device; ids as they appear in topics or fields'),
  })
  .describe('A device whose values arrive over this connection');

export const mqttConfigSchema = z
  .object({
    id: connectionIdSchema,
    protocol: z.literal('mqtt').describe('MQTT with JSON or plain payloads'),
    ...brokerFields,
    sessionExpirySeconds: z
      .number()
      .int()
      .min(60)
      .default(86_400)
      .describe(
        'MQTT 5: how long the broker keeps the session (subscriptions, queued QoS 1 messages) while offline',
      ),
    subscriptions: z
      .array(subscriptionSchema)
      .min(1)
      .describe('Subscriptions, tried in order: the first matching one wins'),
    devices: z.array(deviceSchema).min(1).describe('Devices read over this connection'),
  })
  .superRefine((config, ctx) => {
    checkBrokerConfig(config, ctx);
    const devices = new Map(config.devices.map((d) => [d.id, new Set(d.tags.map((t) => t.id))]));
    if (devices.size !== config.devices.length) {
      ctx.addIssue({ code: 'custom', path: ['devices'], message: 'device ids must be unique' });
    }
    for (const device of config.devices) {
      if (new Set(device.tags.map((t) => t.id)).size !== device.tags.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices'],
          message: `tag ids of device ${device.id} must be unique`,
        });
      }
    }
    config.subscriptions.forEach((sub, i) => {
      if (sub.device === undefined) return;
      const tags = devices.get(sub.device);
      const path = ['subscriptions', i];
      if (!tags) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'device'],
          message: `no device ${sub.device} is configured`,
        });
        return;
      }
      for (const tag of [...(sub.tag === undefined ? [] : [sub.tag]), ...Object.keys(sub.fields ?? {})]) {
        if (!tags.has(tag)) {
          ctx.addIssue({ code: 'custom', path, message: `device ${sub.device} has no tag ${tag}` });
        }
      }
    });
  });
export type MqttConfig = z.infer<typeof mqttConfigSchema>;
