/** JSON schemas of the central service's routes: they validate input, serialise output and document the API. */

const SAFE = Number.MAX_SAFE_INTEGER;
const HEX64 = '^[0-9a-f]{64}$';
/** The gateway id grammar of the config (collector/schema.ts connectionIdSchema). */
export const GATEWAY_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';

const count = { type: 'integer', minimum: 0, maximum: SAFE } as const;

/** An attestation v1 exactly as gateway/attest/attestation.ts makes it: no field more, none less. */
export const attestationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'gateway', 'seq', 'prev', 'time', 'devices', 'dropped', 'sig'],
  properties: {
    v: { const: 1 },
    gateway: { type: 'string', pattern: GATEWAY_ID_PATTERN },
    seq: { type: 'integer', minimum: 1, maximum: SAFE },
    prev: { type: 'string', pattern: HEX64 },
    time: { type: 'integer', minimum: 0, maximum: SAFE },
    devices: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['device', 'count', 'from', 'to', 'digest'],
        properties: {
          device: { type: 'string', minLength: 1, maxLength: 256 },
          count,
          from: { type: 'number' },
          to: { type: 'number' },
          digest: { type: 'string', pattern: HEX64 },
        },
      },
    },
    dropped: {
      type: 'object',
      additionalProperties: false,
      required: ['full', 'age', 'refused'],
      properties: { full: count, age: count, refused: count },
    },
    // Ed25519 signatures are 64 bytes: 88 base64 characters.
    sig: { type: 'string', pattern: '^[A-Za-z0-9+/]{86}==$' },
  },
} as const;

export const ingestBodySchema = (maxItems: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        maxItems,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['stamp', 'attestation'],
          properties: {
            stamp: { type: 'integer', minimum: 0, maximum: SAFE },
            attestation: attestationSchema,
          },
        },
      },
    },
  }) as const;

export const ingestResultSchema = {
  type: 'object',
  required: ['accepted', 'duplicates', 'forks'],
  properties: {
    accepted: { type: 'integer', description: 'attestations stored now' },
    duplicates: { type: 'integer', description: 'attestations already held (same gateway, seq and hash)' },
    forks: { type: 'integer', description: 'attestations with a held seq but another hash, stored as forks' },
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'code'],
  properties: { error: { type: 'string' }, code: { type: 'string' } },
} as const;

export const gatewayParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: GATEWAY_ID_PATTERN } },
} as const;

/** Milliseconds since the epoch, as integers in the query string. */
const millis = { type: 'string', pattern: '^-?[0-9]{1,15}$' } as const;

export const attestationsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: { from: millis, to: millis },
} as const;

const nullableInt = { type: ['integer', 'null'] } as const;

export const chainSchema = {
  type: 'object',
  required: ['gateway', 'fingerprint', 'count', 'firstSeq', 'lastSeq', 'lastTime', 'missing', 'forks'],
  properties: {
    gateway: { type: 'string' },
    fingerprint: { type: 'string' },
    count: { type: 'integer', description: 'attestations in the chain (fork records not counted)' },
    firstSeq: nullableInt,
    lastSeq: nullableInt,
    lastTime: { ...nullableInt, description: "the gateway's clock at its last attestation (ms)" },
    missing: {
      type: 'array',
      description: 'seq ranges [from, to], both included, never received between 1 and lastSeq',
      items: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 },
    },
    missingSeqs: { type: 'integer' },
    missingTruncated: { type: 'boolean' },
    forks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['seq', 'stamp', 'hash', 'firstHash', 'receivedAt'],
        properties: {
          seq: { type: 'integer' },
          stamp: { type: 'integer' },
          hash: { type: 'string' },
          firstHash: { type: 'string' },
          receivedAt: { type: 'integer' },
        },
      },
    },
    forkCount: { type: 'integer' },
  },
} as const;
