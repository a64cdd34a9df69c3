/**
 * One YAML loader for every YAML (or JSON, which YAML includes) file people give shugai: gateway
 * configs, answers, outcomes, policy documents, catalogues, scenarios. It keeps positions, so every
 * error names its line, and refuses:
 * - syntax errors;
 * - duplicate keys (a second `port:` silently winning is how wrong machines get read);
 * - aliases expanding beyond ALIAS_EXPANSION_LIMIT values: a "billion laughs" of nested anchors is a
 *   few lines that every later reader (schema checks, JSON output) would walk a billion times.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isPair,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import { InputError, type InputIssue } from './input.ts';

/**
 * The values all aliases of a file may add up to: far above any real use of anchors (a list of 20
 * tags shared by 1,000 devices adds about 100,000), far below an alias bomb. yaml's own cap
 * (maxAliasCount, 100 uses of one anchor) refuses such real files and names no line.
 */
export const ALIAS_EXPANSION_LIMIT = 1_000_000;

export interface YamlFile {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** Parses and checks `text`; `file` names it in errors (InputError, every issue with its line). */
export function parseYaml(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const issues: InputIssue[] = doc.errors.map((error) => ({
    file,
    line: lines.linePos(error.pos[0]).line,
    path: '',
    message: error.message.split('\n')[0] ?? error.message,
  }));
  if (issues.length === 0) {
    const bad = aliasIssue(doc);
    if (bad)
      issues.push({
        file,
        line: lines.linePos(bad.alias.range?.[0] ?? 0).line,
        path: '',
        message: bad.message,
      });
  }
  if (issues.length > 0) throw new InputError(issues);
  return { file, doc, lines };
}

/** The plain value of a checked file. */
export function yamlValue(parsed: YamlFile): unknown {
  // parseYaml bounded the aliases; yaml's own per-anchor cap would refuse real files (see above).
  return parsed.doc.toJS({ maxAliasCount: -1 });
}

/** Reads the plain value of YAML (or JSON) text, checked as parseYaml does. */
export function parseYamlValue(text: string, file: string): unknown {
  return yamlValue(parseYaml(text, file));
}

/**
 * The first alias that has no anchor, is inside its own anchor (an endless value), or at which the
 * values added by aliases so far pass the limit. An alias is the last anchor of its name before it,
 * as yaml resolves it.
 */
function aliasIssue(doc: Document): { alias: Alias; message: string } | undefined {
  const aliases: Alias[] = [];
  const sourceOf = new Map<Alias, Node>();
  const anchors = new Map<string, Node>();
  let bad: { alias: Alias; message: string } | undefined;
  visit(doc, {
    Node(_key, node, ancestors) {
      if (isAlias(node)) {
        const source = anchors.get(node.source);
        if (!source)
          bad = { alias: node, message: `alias *${node.source} has no anchor &${node.source} before it` };
        else if (ancestors.includes(source))
          bad = { alias: node, message: `alias *${node.source} is inside its own anchor, an endless value` };
        if (bad) return visit.BREAK;
        aliases.push(node);
        sourceOf.set(node, source!);
      } else if (node.anchor) anchors.set(node.anchor, node);
      return undefined;
    },
  });
  if (bad || aliases.length === 0) return bad;
  const sizes = new Map<Node, number>();
  const size = (node: unknown): number => {
    if (isAlias(node)) return size(sourceOf.get(node));
    if (isPair(node)) return size(node.key) + size(node.value);
    if (!isCollection(node)) return 1;
    let total = sizes.get(node);
    if (total === undefined) {
      total = 1;
      for (const item of node.items) total += size(item);
      sizes.set(node, total);
    }
    return total;
  };
  let added = 0;
  for (const alias of aliases) {
    added += size(alias);
    if (added > ALIAS_EXPANSION_LIMIT)
      return {
        alias,
        message: `alias *${alias.source}: too many aliases: they expand to more than ${ALIAS_EXPANSION_LIMIT.toLocaleString('en')} values (the YAML alias expansion limit; is this an alias bomb?)`,
      };
  }
  return undefined;
}
