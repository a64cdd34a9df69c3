import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BILLION_LAUGHS_REFUSAL, BILLION_LAUGHS as LAUGHS } from '../test/bad-input.ts';
import { InputError } from './input.ts';
import { ALIAS_EXPANSION_LIMIT, parseYamlValue } from './yaml.ts';

function refusal(text: string, file = 'plant.yaml'): string {
  try {
    parseYamlValue(text, file);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${text}`);
}

const BILLION_LAUGHS = ['gateway:', '  id: gw-01', LAUGHS].join('\n');

describe('parseYaml', () => {
  it('refuses an alias bomb at the alias where the expansion passes the limit', () => {
    // a..f expand to 9 + 81·… values: the first *f, on line 9 (in g's list), passes a million.
    expect(refusal(BILLION_LAUGHS)).toBe(`plant.yaml:9: ${BILLION_LAUGHS_REFUSAL}`);
    // yaml's own refusal (what shugai printed before) names no line and exits as a crash.
    expect(() => parse(BILLION_LAUGHS)).toThrow(
      'Excessive alias count indicates a resource exhaustion attack',
    );
  });

  it('accepts an anchor reused a thousand times, which yaml alone refuses past 100', () => {
    const devices = Array.from({ length: 1000 }, (_, i) => `  - { id: press-${i}, tags: *press-tags }`);
    const text = [
      'tagsLibrary: &press-tags',
      '  - { id: strokes, type: integer }',
      'devices:',
      ...devices,
    ].join('\n');
    const value = parseYamlValue(text, 'plant.yaml') as { devices: { tags: unknown[] }[] };
    expect(value.devices).toHaveLength(1000);
    expect(value.devices[999]!.tags).toEqual([{ id: 'strokes', type: 'integer' }]);
    expect(() => parse(text)).toThrow('Excessive alias count');
    expect(ALIAS_EXPANSION_LIMIT).toBe(1_000_000);
  });

  it('refuses an alias inside its own anchor, and one with no anchor, at their lines', () => {
    expect(refusal('gateway:\n  id: gw\nloop: &loop\n  again: *loop\n')).toBe(
      'plant.yaml:4: alias *loop is inside its own anchor, an endless value',
    );
    expect(refusal('gateway:\n  id: gw\n  name: *nowhere\n')).toBe(
      'plant.yaml:3: alias *nowhere has no anchor &nowhere before it',
    );
  });

  it('refuses duplicate keys and syntax errors at their lines', () => {
    expect(refusal('gateway:\n  id: gw-01\n  id: gw-02\n')).toBe('plant.yaml:3: Map keys must be unique');
    expect(refusal('gateway:\n  id: [gw-01\n')).toMatch(/^plant\.yaml:3: /);
  });

  it('reads JSON, which YAML includes', () => {
    expect(parseYamlValue('{"edition": "2024", "scenes": {"a": 1}}', 'answers.json')).toEqual({
      edition: '2024',
      scenes: { a: 1 },
    });
    expect(refusal('{"edition": "2024",\n "edition": "2022"}', 'answers.json')).toBe(
      'answers.json:2: Map keys must be unique',
    );
  });
});
