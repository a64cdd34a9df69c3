/**
 * Building blocks for the collectors' config schemas. A connection config is
 * `{ id, protocol, ...connection settings, devices: [{ id, production, businessLinks, ...device
 * settings, tags: [{ id, type, unit, ...address }] }] }`; each collector extends these shapes so
 * every protocol's YAML reads alike.
 */
import { z } from 'zod';
import { type Device, deviceSchema, idSchema, type Protocol, type Tag, tagSchema } from '../core/model.ts';

/** The protocol-independent fields of a tag in a config file. */
export const tagConfigBase = tagSchema;

/** The protocol-independent fields of a device in a config file (its protocol comes from the connection). */
export const deviceConfigBase = deviceSchema.omit({ protocol: true, tags: true });

export const connectionIdSchema = idSchema.describe('Connection id, unique within the gateway');

/** Reconnect backoff shared by the collectors that hold a connection (MQTT, OPC UA). */
export const reconnectSchema = z
  .object({
    initialDelayMs: z
      .number()
      .int()
      .min(10)
      .default(1000)
      .describe('Delay before the first reconnect attempt (ms); doubles after every failed attempt'),
    maxDelayMs: z.number().int().min(10).default(60_000).describe('Upper bound of the reconnect delay (ms)'),
  })
  .strict()
  .refine((r) => r.maxDelayMs >= r.initialDelayMs, { message: 'maxDelayMs must be >= initialDelayMs' })
  .describe('Reconnect backoff: exponential from initialDelayMs to maxDelayMs, each delay jittered');

type DeviceConfigLike = z.infer<typeof deviceConfigBase> & { tags: Tag[] };

/** The shared-model view of the devices of a connection config. */
export function toModelDevices(protocol: Protocol, devices: readonly DeviceConfigLike[]): Device[] {
  return devices.map((device) => ({
    id: device.id,
    protocol,
    businessLinks: device.businessLinks,
    production: device.production,
    ...(device.asset === undefined ? {} : { asset: device.asset }),
    ...(device.description === undefined ? {} : { description: device.description }),
    tags: device.tags.map((tag) => ({
      id: tag.id,
      type: tag.type,
      ...(tag.unit === undefined ? {} : { unit: tag.unit }),
      ...(tag.description === undefined ? {} : { description: tag.description }),
      ...(tag.businessLinks === undefined ? {} : { businessLinks: tag.businessLinks }),
    })),
  }));
}
