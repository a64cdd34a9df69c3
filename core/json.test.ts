import { describe, expect, it } from 'vitest';
import { InputError } from './input.ts';
import { parseJsonStrict } from './json.ts';

function refusal(text: string, file = 'case.json', firstLine?: number): string {
  try {
    parseJsonStrict(text, file, firstLine);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${text}`);
}

const CASE = `{
  "asOf": "2025-03-01",
  "enterprise": {
    "name": "永康杯业",
    "region": "永康市",
    "industry": "C3381",
    "industry": "C1234"
  }
}`;

describe('parseJsonStrict', () => {
  it('reads what JSON.parse reads, to the same value', () => {
    const texts = [
      CASE.replace('    "industry": "C1234"\n', '').replace('"C3381",', '"C3381"'),
      '[1, -0.5e3, 0, true, false, null, "a\\"b\\\\c\\u00e9\\n", [], {}, [[]], {"a": {"b": [1, {"c": 2}]}}]',
      '  "just a string"  ',
      '{"a": 1, "A": 2, "a ": 3, "\\u0062": 4, "b2": 5}',
      '\uFEFF{"bom": true}',
    ];
    for (const text of texts)
      expect(parseJsonStrict(text, 'x.json')).toEqual(JSON.parse(text.replace(/^\uFEFF/, '')));
  });

  it('refuses a duplicate key, naming the file, the line of the second and the key path', () => {
    expect(refusal(CASE)).toBe('case.json:7 enterprise.industry: duplicate key');
    expect(refusal('[{"a": 1}, {"a": 1, "b": {"c": [0, {"d": 1, "d": 1}]}}]', 'b.json')).toBe(
      'b.json:1 [1].b.c[1].d: duplicate key',
    );
    // The same key written with an escape is the same key.
    expect(refusal('{"amount": "1",\n "\\u0061mount": "900000"}')).toBe('case.json:2 amount: duplicate key');
    // A line of a JSON Lines file: the line in that file.
    expect(refusal('{"case": {"x": 1, "x": 2}}', 'batch.jsonl', 41)).toBe(
      'batch.jsonl:41 case.x: duplicate key',
    );
  });

  it('finds duplicates among many keys too, and not among keys of sibling objects', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `"k${i}": ${i}`);
    const many = `{${keys.join(', ')}}`;
    expect(parseJsonStrict(`[${many}, ${many}]`, 'x')).toHaveLength(2);
    expect(refusal(`{${keys.join(', ')}, "k3": 0}`)).toBe('case.json:1 k3: duplicate key');
    expect(refusal(`[{"a": [{${keys.join(',')}}]}, {${keys.slice(0, 30).join(',')}, "k29": 1}]`)).toBe(
      'case.json:1 [1].k29: duplicate key',
    );
  });

  it('refuses __proto__ and constructor.prototype, as Fastify does', () => {
    const forbidden = 'a forbidden key (merged into an object, it would change every object)';
    expect(refusal('{"a": {"__proto__": {"x": 1}}}')).toBe(`case.json:1 a.__proto__: ${forbidden}`);
    expect(refusal('{"constructor": {"prototype": {}}}')).toBe(
      `case.json:1 constructor.prototype: ${forbidden}`,
    );
    expect(parseJsonStrict('{"constructor": 1, "prototype": 2}', 'x')).toEqual({
      constructor: 1,
      prototype: 2,
    });
  });

  it.each([
    ['', 'case.json:1: not JSON: empty: expected a JSON value (column 1)'],
    ['{"a": 1,}', 'case.json:1: not JSON: expected a key in double quotes (column 9)'],
    ['{\n  "a": 1\n  "b": 2\n}', "case.json:3 a: not JSON: expected ',' or '}' (column 3)"],
    ['{"a": [1, 2,]}', 'case.json:1 a[2]: not JSON: expected a value (column 13)'],
    ['{"a" 1}', "case.json:1 a: not JSON: expected ':' after the key (column 6)"],
    ['{"a": 01}', "case.json:1 a: not JSON: expected ',' or '}' (column 8)"],
    ['{"a": tru}', 'case.json:1 a: not JSON: expected a value (column 7)'],
    ['{"a": "b\n"}', 'case.json:1 a: not JSON: a string runs over a line break (column 9)'],
    ['{"a": "\\x"}', 'case.json:1 a: not JSON: a string has a bad escape (column 8)'],
    ['{"a": "open', 'case.json:1 a: not JSON: a string is not closed (column 12)'],
    ['{"a": ', 'case.json:1 a: not JSON: the text ends where a value should be (column 7)'],
    ['{"a": 1} {"b": 2}', 'case.json:1: not JSON: more text after the JSON value (column 10)'],
    ['{"a": -}', 'case.json:1 a: not JSON: a number is malformed (column 7)'],
  ])('refuses %j with line, column and path', (text, message) => {
    expect(refusal(text)).toBe(message);
  });

  it('checks any depth without recursion', () => {
    const depth = 200_000;
    expect(() => parseJsonStrict(`${'['.repeat(depth)}${']'.repeat(depth)}`, 'deep.json')).not.toThrow();
    // One brace short: only the outermost object is still open at the end.
    expect(refusal(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth - 1)}`, 'deep.json')).toBe(
      `deep.json:1 a: not JSON: expected ',' or '}' (column ${depth * 5 + 1 + depth - 1 + 1})`,
    );
  });
});
