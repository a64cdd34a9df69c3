// Regression cases for DataValue → sample (testcases/<case>/input.yaml → expected.yaml): real
// node-opcua DataValues through the Sampler (convert.ts), no server. Each case is a sequence, so a
// bad value can carry the last good one.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { coerceStatusCode, DataType, DataValue, Variant, VariantArrayType } from 'node-opcua';
import { describe, expect } from 'vitest';
import { z } from 'zod';
import { DATA_TYPES } from '../../core/model.ts';
import { caseTests, withExpectations } from '../testcases.ts';
import { convertValue } from './convert.ts';
import type { PlannedTag } from './plan.ts';
import { Sampler } from './sampler.ts';
import { collectingContext, plannedTag } from './test-server.ts';

const CASES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testcases');
const time = z.iso.datetime({ offset: true }).transform((t) => Date.parse(t));
const timestampChoice = z.enum(['source', 'server', 'gateway']);

const caseInput = z.object({
  description: z.string(),
  tag: z.object({ type: z.enum(DATA_TYPES), timestamp: timestampChoice.default('source') }),
  receivedAt: time,
  values: z.array(
    z
      .object({
        dataType: z.string().refine((name) => typeof DataType[name as keyof typeof DataType] === 'number'),
        array: z.boolean().default(false),
        value: z.unknown().optional(),
        status: z.number().int().default(0),
        source: time.optional(),
        server: time.optional(),
        /** Per-value overrides of the case's tag (a different tag, with its own last value). */
        tagType: z.enum(DATA_TYPES).optional(),
        tagTimestamp: timestampChoice.optional(),
      })
      .strict(),
  ),
});
const caseExpected = z.array(
  z.union([
    z
      .object({
        value: z.union([z.number(), z.string(), z.boolean()]),
        quality: z.enum(['good', 'uncertain', 'bad']),
        statusCode: z.number().int(),
        sourceTime: time,
        overflow: z.boolean().default(false),
      })
      .strict(),
    z.object({ skipped: z.string() }).strict(),
  ]),
);
type Input = z.infer<typeof caseInput>['values'][number];

function dataValue(input: Input): DataValue {
  const dataType = DataType[input.dataType as keyof typeof DataType];
  // DateTime values are written as ISO text in the YAML.
  const value =
    dataType === DataType.DateTime && typeof input.value === 'string' ? new Date(input.value) : input.value;
  return new DataValue({
    value: new Variant({
      dataType,
      arrayType: input.array ? VariantArrayType.Array : VariantArrayType.Scalar,
      value,
    }),
    statusCode: coerceStatusCode(input.status),
    sourceTimestamp: input.source === undefined ? null : new Date(input.source),
    serverTimestamp: input.server === undefined ? null : new Date(input.server),
  });
}

describe('DataValue conversion regression cases (testcases/<case>/input.yaml → expected.yaml)', () => {
  caseTests(CASES, { input: caseInput, expected: caseExpected }, 6, async (input, expected) => {
    const values = withExpectations(input.values, expected, 'input value');
    const context = collectingContext();
    const sampler = new Sampler(context);
    const tags = new Map<string, PlannedTag>();
    const tagFor = (value: Input): PlannedTag => {
      const type = value.tagType ?? input.tag.type;
      const timestamp = value.tagTimestamp ?? input.tag.timestamp;
      const key = `${type}/${timestamp}`;
      const tag = tags.get(key) ?? plannedTag({ tag: key, type, timestamp });
      tags.set(key, tag);
      return tag;
    };
    const errors = (kind: string) => context.metrics.count(context.metrics.errors, { device: 'd', kind });
    for (const [i, [value, want]] of values.entries()) {
      const tag = tagFor(value);
      const where = `${input.description} (value ${i + 1})`;
      const overflowBefore = await errors('overflow');
      const unsupportedBefore = await errors('unsupported_value');
      const dv = dataValue(value);
      const sample = sampler.toSample(tag, dv, input.receivedAt);
      if ('skipped' in want) {
        expect(sample, where).toBeUndefined();
        const converted = convertValue(dv.value.dataType, dv.value.arrayType, dv.value.value, tag.type);
        expect(converted, where).toEqual({ ok: false, reason: want.skipped });
        expect(await errors('unsupported_value'), where).toBe(unsupportedBefore + 1);
        continue;
      }
      expect(sample, where).toEqual({
        device: 'd',
        tag: tag.tag,
        value: want.value,
        quality: want.quality,
        statusCode: want.statusCode,
        sourceTime: want.sourceTime,
        receivedAt: input.receivedAt,
      });
      expect(await errors('overflow'), where).toBe(overflowBefore + (want.overflow ? 1 : 0));
    }
  });
});
