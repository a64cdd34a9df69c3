import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { opcuaConnectionSchema } from './schema.ts';

const here = (file: string) => new URL(file, import.meta.url);

describe('README and sample.yaml', () => {
  const sample = readFileSync(here('sample.yaml'), 'utf8');

  it('the README config block is sample.yaml, verbatim', () => {
    const readme = readFileSync(here('README.md'), 'utf8');
    const block = /<!-- sample\.yaml -->\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(sample);
  });

  it('sample.yaml is a valid OPC UA connection config', () => {
    const config = opcuaConnectionSchema.parse(parse(sample));
    expect(config.devices[0]?.tags.map((t) => t.id)).toEqual([
      'spindle_speed',
      'running',
      'alarm_text',
      'parts_total',
      'energy',
    ]);
  });

  it('refuses a namespace index, an unknown group and a mismatched mode/policy, naming them', () => {
    const base = parse(sample);
    const withIndex = structuredClone(base);
    withIndex.devices[0].tags[0].nodeId = 'ns=2;s=Speed';
    expect(JSON.stringify(opcuaConnectionSchema.safeParse(withIndex).error?.issues)).toContain(
      'namespace index',
    );
    const badGroup = structuredClone(base);
    badGroup.devices[0].group = 'nope';
    expect(JSON.stringify(opcuaConnectionSchema.safeParse(badGroup).error?.issues)).toContain(
      'unknown group',
    );
    const mismatch = { ...base, securityMode: 'None' };
    expect(JSON.stringify(opcuaConnectionSchema.safeParse(mismatch).error?.issues)).toContain(
      'securityMode None',
    );
  });
});
