/**
 * What a buffer record holds since records version 2: the samples as InfluxDB line protocol, exactly
 * as the InfluxDB sink sends them (gateway/sinks/line-protocol.ts names the fields), so the sink posts
 * the records' bytes without decoding and encoding them again. Other sinks parse them back here.
 *
 *   samples,device=<d>,gateway=<g>,quality=<q>,tag_id=<t> <field>=<value>,received=<ms>i[,status=<code>i] <ms>
 *
 * The parser reads what the encoder writes (and any line of that shape): tag values with `\,` `\=`
 * `\ ` `\\` escapes, string fields in quotes with `\"` and `\\`, newlines inside quotes included.
 */
import type { DataType, Quality } from '../../core/model.ts';
import { RAW_VALUE_FIELD, VALUE_FIELDS } from '../sinks/line-protocol.ts';
import type { StoredSample } from '../sinks/sink.ts';

const TYPE_OF_FIELD: Record<string, DataType> = Object.fromEntries(
  Object.entries(VALUE_FIELDS).map(([type, field]) => [field, type as DataType]),
);

export class LineSyntaxError extends Error {
  override readonly name = 'LineSyntaxError';
}

/** The samples of line-protocol text, in order. */
export function parseLines(payload: Uint8Array): StoredSample[] {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  const out: StoredSample[] = [];
  let at = 0;
  while (at < text.length) {
    if (text.charCodeAt(at) === 10) {
      at++;
      continue;
    }
    at = parseLine(text, at, out);
  }
  return out;
}

/** Reads one line from `start`; returns where the next begins. */
function parseLine(text: string, start: number, out: StoredSample[]): number {
  let at = start;
  // The measurement, then the tags, up to the first unescaped space.
  const tags: Record<string, string> = {};
  at = indexUnescapedAny(text, at);
  while (text.charCodeAt(at) === 44) {
    const eq = indexUnescaped(text, at + 1, '=');
    const key = unescapeTag(text.slice(at + 1, eq));
    const end = indexUnescapedAny(text, eq + 1);
    tags[key] = unescapeTag(text.slice(eq + 1, end));
    at = end;
  }
  if (text.charCodeAt(at) !== 32) throw new LineSyntaxError(`no fields at offset ${start}`);
  at++;
  let type: DataType = 'number';
  let value: StoredSample['value'] = 0;
  let received: number | undefined;
  let status = 0;
  for (;;) {
    const eq = text.indexOf('=', at);
    if (eq < 0) throw new LineSyntaxError(`field without a value at offset ${at}`);
    const key = text.slice(at, eq);
    let raw: string | number | boolean;
    let next: number;
    if (text.charCodeAt(eq + 1) === 34) {
      const [string, end] = readQuoted(text, eq + 1);
      raw = string;
      next = end;
    } else {
      let end = eq + 1;
      while (end < text.length && text.charCodeAt(end) !== 44 && text.charCodeAt(end) !== 32) end++;
      const token = text.slice(eq + 1, end);
      raw = token.endsWith('i')
        ? Number(token.slice(0, -1))
        : token === 'true'
          ? true
          : token === 'false'
            ? false
            : Number(token);
      next = end;
    }
    if (key === 'received') received = Number(raw);
    else if (key === 'status') status = Number(raw);
    else if (key === RAW_VALUE_FIELD) {
      type = 'number';
      value = Number(raw); // NaN or ±Infinity, kept as text
    } else {
      const fieldType = TYPE_OF_FIELD[key];
      if (fieldType === undefined) throw new LineSyntaxError(`unknown field ${key} at offset ${at}`);
      type = fieldType;
      value = raw;
    }
    at = next;
    if (text.charCodeAt(at) === 44) {
      at++;
      continue;
    }
    break;
  }
  if (text.charCodeAt(at) !== 32) throw new LineSyntaxError(`no timestamp at offset ${at}`);
  let end = at + 1;
  while (end < text.length && text.charCodeAt(end) !== 10) end++;
  const time = Number(text.slice(at + 1, end));
  out.push({
    device: tags.device ?? '',
    tag: tags.tag_id ?? '',
    type,
    value,
    quality: (tags.quality as Quality | undefined) ?? 'bad',
    statusCode: status,
    sourceTime: time,
    receivedAt: received ?? time,
  });
  return end + 1;
}

/** The first unescaped comma or space from `at`. */
function indexUnescapedAny(text: string, at: number): number {
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 44 || c === 32) return i;
    else i++;
  }
  return i;
}

function indexUnescaped(text: string, at: number, char: string): number {
  const code = char.charCodeAt(0);
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === code) return i;
    else i++;
  }
  throw new LineSyntaxError(`missing "${char}" after offset ${at}`);
}

function unescapeTag(value: string): string {
  return value.includes('\\') ? value.replace(/\\([\\, =])/g, '$1') : value;
}

/** A quoted string from the quote at `open`: its text and the index after the closing quote. */
function readQuoted(text: string, open: number): [string, number] {
  let i = open + 1;
  let escaped = false;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      escaped = true;
      i += 2;
    } else if (c === 34) {
      const body = text.slice(open + 1, i);
      return [escaped ? body.replace(/\\(["\\])/g, '$1') : body, i + 1];
    } else i++;
  }
  throw new LineSyntaxError(`unterminated string at offset ${open}`);
}
