import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isPair, isScalar, isSeq, visit } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../../core/input.ts';
import { parseYaml, type YamlFile, yamlValue } from '../../core/yaml.ts';
import { ConfigError, type ConfigIssue, formatPath } from './errors.ts';
import { substitute } from './substitute.ts';

export interface ParsedYaml extends YamlFile {
  /** The plain value after substitution. */
  value: unknown;
}

/**
 * Reads a YAML file keeping positions, so every later error can name its line; syntax errors,
 * duplicate keys and alias bombs are config errors (core/yaml.ts).
 */
export function readYaml(file: string, env: NodeJS.ProcessEnv = process.env): ParsedYaml {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([
      {
        file,
        path: '',
        message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      },
    ]);
  }
  return parseYamlText(text, file, env);
}

/**
 * Parses YAML keeping positions (core/yaml.ts: duplicate keys and alias bombs refused, every error
 * with its line); no `${…}` substitution (for files that are data, not config, such as an equipment
 * register).
 */
export function parseYamlPositions(text: string, file: string): ParsedYaml {
  let parsed: YamlFile;
  try {
    parsed = parseYaml(text, file);
  } catch (error) {
    if (error instanceof InputError) throw new ConfigError(error.issues);
    throw error;
  }
  return { file, doc: parsed.doc, lines: parsed.lines, value: yamlValue(parsed) };
}

export function parseYamlText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ParsedYaml {
  const { doc, lines } = parseYamlPositions(text, file);
  const issues: ConfigIssue[] = [];
  const baseDir = path.dirname(path.resolve(file));
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      try {
        node.value = substitute(node.value, env, baseDir);
      } catch (error) {
        issues.push({
          file,
          line: node.range ? lines.linePos(node.range[0]).line : undefined,
          path: formatPath(keyPath(ancestors, node)),
          message: (error as Error).message,
        });
      }
    },
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { file, doc, lines, value: yamlValue({ file, doc, lines }) };
}

/** The 1-based line of the value at `keys`, or of its nearest existing parent. */
export function lineOf(parsed: ParsedYaml, keys: readonly PropertyKey[]): number | undefined {
  for (let n = keys.length; n >= 0; n--) {
    const node = parsed.doc.getIn(keys.slice(0, n) as unknown[], true) as
      | { range?: [number, number, number] }
      | undefined;
    if (node?.range) return parsed.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Turns zod issues into ConfigIssues with lines; `prefix` is where the validated value sits in the file. */
export function zodIssues(
  parsed: ParsedYaml,
  error: z.ZodError,
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  return error.issues.map((issue) => {
    const keys = [...prefix, ...issue.path];
    return { file: parsed.file, line: lineOf(parsed, keys), path: formatPath(keys), message: issue.message };
  });
}

/** The keys leading to `node`, from the ancestors `visit` passes (pairs give keys, sequences give indices). */
function keyPath(ancestors: readonly unknown[], node: unknown): PropertyKey[] {
  const keys: PropertyKey[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const item = chain[i];
    const next = chain[i + 1];
    if (isPair(item) && item.value === next)
      keys.push(isScalar(item.key) ? String(item.key.value) : String(item.key));
    else if (isSeq(item)) keys.push(item.items.indexOf(next as never));
  }
  return keys;
}
