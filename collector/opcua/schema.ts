/**
 * The OPC UA connection config: one endpoint, its security, and the devices whose tags are read
 * from it, grouped into subscriptions or cyclic reads. Every field is described: the descriptions
 * feed the JSON Schema and the README's reference.
 */
import path from 'node:path';
import { z } from 'zod';
import { idSchema } from '../../core/model.ts';
import { connectionIdSchema, deviceConfigBase, reconnectSchema, tagConfigBase } from '../schema.ts';
import { parseNodeAddress } from './node-address.ts';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
  'Basic128Rsa15',
  'Basic256',
] as const;
/** Policies OPC UA 1.04 deprecated (SHA-1): still accepted for old PLCs, with a warning. */
export const DEPRECATED_POLICIES: readonly string[] = ['Basic128Rsa15', 'Basic256'];

const nodeIdSchema = z
  .union([
    z.string().describe('nsu=<namespace URI>;<i|s|g|b>=<identifier>, e.g. nsu=urn:acme:plc;s=Line1.Speed'),
    z
      .object({
        namespaceUri: z.string().min(1).describe('Namespace URI, as listed in the server NamespaceArray'),
        id: z
          .union([z.string(), z.number().int().nonnegative()])
          .describe(
            'Identifier: a number (i=), or a string: s=…, g=… (GUID), b=… (base64), else a string id',
          ),
      })
      .strict(),
  ])
  .superRefine((value, ctx) => {
    try {
      parseNodeAddress(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  })
  .describe('The node, addressed by namespace URI (never by index: indices change when a server restarts)');

const deadbandSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none').describe('Report every sampled change, even an unchanged value') }),
    z.object({
      type: z.literal('absolute').describe('Report when |new − last reported| > value'),
      value: z.number().nonnegative().describe('Threshold in the value unit; 0 drops exact duplicates only'),
    }),
    z.object({
      type: z.literal('percent').describe("Report when the change exceeds value % of the node's EURange"),
      value: z
        .number()
        .min(0)
        .max(100)
        .describe('Percent of the EURange (needs an analog item with EURange)'),
    }),
  ])
  .describe('Data-change filter evaluated by the server');

const timestampSchema = z
  .enum(['source', 'server', 'gateway'])
  .describe(
    'Which time becomes the sample time: source (the device), server, or gateway (receive time). A null or ' +
      'zero time falls back: source → server → gateway; server → source → gateway',
  );

/** Monitoring settings a tag may set and a group or device may default. */
const monitoringFields = {
  samplingIntervalMs: z
    .number()
    .nonnegative()
    .optional()
    .describe('How often the server samples the node (ms); default: the group interval; 0 = fastest'),
  queueSize: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Server-side queue of changes per item between publishes; default 1 (latest only)'),
  discardOldest: z
    .boolean()
    .optional()
    .describe('When the queue is full, drop the oldest change (true, default) or the newest'),
  deadband: deadbandSchema
    .optional()
    .describe('Data-change filter; default absolute 0 (drop exact duplicates)'),
  timestamp: timestampSchema.optional().describe('Sample time; default source'),
};

export const tagSchema = tagConfigBase
  .extend({
    nodeId: nodeIdSchema,
    group: idSchema.optional().describe("The group that reads this tag; default: its device's group"),
    ...monitoringFields,
  })
  .strict();

export const deviceSchema = deviceConfigBase
  .extend({
    group: idSchema.optional().describe('Default group of the tags of this device; default: the first group'),
    tags: z.array(tagSchema).min(1).describe('Tags read from this device'),
  })
  .strict();

export const groupSchema = z
  .object({
    id: idSchema.describe('Group id, referenced by devices and tags'),
    mode: z
      .enum(['subscribe', 'read'])
      .default('subscribe')
      .describe('subscribe: the server pushes changes (monitored items); read: cyclic Read of every tag'),
    intervalMs: z
      .number()
      .int()
      .min(10)
      .default(1000)
      .describe('Publishing interval (subscribe) or read period (read), ms'),
    ...monitoringFields,
  })
  .strict();

const authSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('anonymous') }).strict(),
    z
      .object({
        type: z.literal('username'),
        username: z.string().min(1).describe('User name'),
        password: z
          .string()
          .describe('Password; write ${ENV_VAR} or ${file:path} rather than the secret itself; never logged'),
      })
      .strict(),
    z
      .object({
        type: z.literal('certificate'),
        certFile: z.string().describe('User certificate (PEM or DER)'),
        keyFile: z.string().describe('Private key of the user certificate (PEM)'),
      })
      .strict(),
  ])
  .default({ type: 'anonymous' })
  .describe('User authentication: anonymous, username/password, or an X.509 user certificate');

export const opcuaConnectionSchema = z
  .object({
    id: connectionIdSchema,
    protocol: z.literal('opcua').describe('OPC UA client connection'),
    endpoint: z
      .string()
      .regex(/^opc\.tcp:\/\/[^\s/:]+(:\d+)?(\/.*)?$/, 'an endpoint looks like opc.tcp://host:4840[/path]')
      .describe('Server endpoint URL, e.g. opc.tcp://192.168.1.10:4840'),
    securityMode: z
      .enum(SECURITY_MODES)
      .default('SignAndEncrypt')
      .describe(
        'Message security mode; the connection fails (never falls back) if the server does not offer it',
      ),
    securityPolicy: z
      .enum(SECURITY_POLICIES)
      .default('Basic256Sha256')
      .describe('Security policy; Basic128Rsa15 and Basic256 are deprecated (SHA-1) and warned about'),
    auth: authSchema,
    pkiDir: z
      .string()
      .default('./pki')
      .describe(
        'PKI folder, relative to the config file: own/ (the client certificate, created once), trusted/ and rejected/ server certificates',
      ),
    serverCertificateFingerprint: z
      .string()
      .regex(
        /^(sha1|sha256):([0-9A-Fa-f]{2}:?){19,31}[0-9A-Fa-f]{2}$/,
        'a fingerprint is sha256:<64 hex digits> or sha1:<40 hex digits> (colons allowed)',
      )
      .optional()
      .describe(
        'Pin the server certificate: sha256:… or sha1:… (as `shugai pki list` prints); a mismatch refuses',
      ),
    applicationName: z
      .string()
      .default('shugai-gateway')
      .describe('Client application name; the certificate subject and application URI derive from it'),
    sessionTimeoutMs: z
      .number()
      .int()
      .min(10_000)
      .default(60_000)
      .describe('Session timeout requested from the server (ms)'),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(10_000)
      .describe('Timeout of one request: connect, read, create items (ms)'),
    reconnect: reconnectSchema
      .default({ initialDelayMs: 1000, maxDelayMs: 60_000 })
      .describe('Reconnect backoff after a lost connection, a failed connect or a silent subscription'),
    watchdog: z
      .object({
        keepAliveCount: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe('Publishing intervals without data after which the server sends a keep-alive'),
        missedKeepAlives: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe('Keep-alive periods of complete silence after which the connection is rebuilt'),
      })
      .strict()
      .default({ keepAliveCount: 5, missedKeepAlives: 3 })
      .describe(
        'Silent-subscription watchdog: no notification nor keep-alive for too long forces a reconnect',
      ),
    monitoredItemBatchSize: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe('Monitored items per CreateMonitoredItems call when the server does not state its limit'),
    maxItemsPerSubscription: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe(
        'Monitored items per subscription: a group with more is split over several subscriptions, which ' +
          'multiplies the notifications the server can deliver per publishing interval',
      ),
    readBatchSize: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe('Nodes per Read call when the server does not state MaxNodesPerRead'),
    groups: z
      .array(groupSchema)
      .min(1)
      .default([{ id: 'default', mode: 'subscribe', intervalMs: 1000 }])
      .describe('Subscriptions and cyclic reads; default one subscription at 1 s'),
    devices: z.array(deviceSchema).min(1).describe('Devices read through this endpoint'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const groups = new Set(config.groups.map((g) => g.id));
    if (groups.size !== config.groups.length) {
      ctx.addIssue({ code: 'custom', path: ['groups'], message: 'group ids must be unique' });
    }
    if ((config.securityMode === 'None') !== (config.securityPolicy === 'None')) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: 'securityMode None goes with securityPolicy None, and only with it',
      });
    }
    config.devices.forEach((device, d) => {
      const check = (group: string | undefined, path: (string | number)[]) => {
        if (group !== undefined && !groups.has(group)) {
          ctx.addIssue({ code: 'custom', path, message: `unknown group "${group}"` });
        }
      };
      check(device.group, ['devices', d, 'group']);
      device.tags.forEach((tag, t) => {
        check(tag.group, ['devices', d, 'tags', t, 'group']);
      });
    });
  });

export type OpcuaConnectionConfig = z.infer<typeof opcuaConnectionSchema>;
export type OpcuaTagConfig = z.infer<typeof tagSchema>;
export type OpcuaGroupConfig = z.infer<typeof groupSchema>;
export type Deadband = z.infer<typeof deadbandSchema>;
export type TimestampSource = z.infer<typeof timestampSchema>;

/** The connection with its PKI folder and user certificate files resolved against `baseDir`. */
export function withAbsolutePaths(config: OpcuaConnectionConfig, baseDir: string): OpcuaConnectionConfig {
  const auth =
    config.auth.type === 'certificate'
      ? {
          ...config.auth,
          certFile: path.resolve(baseDir, config.auth.certFile),
          keyFile: path.resolve(baseDir, config.auth.keyFile),
        }
      : config.auth;
  return { ...config, pkiDir: path.resolve(baseDir, config.pkiDir), auth };
}
