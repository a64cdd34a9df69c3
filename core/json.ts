/**
 * Strict JSON for every JSON input people give shugai (case and batch files, API bodies, records read
 * back). JSON.parse keeps the last of two equal keys without a word, so `{"amount": "1", "amount":
 * "900000"}` reads as the second; here a duplicate key is refused, as the YAML loader refuses it. So
 * are `__proto__` and `constructor.prototype` keys (Fastify's own parser refuses them too): merged
 * into another object they would change every object. Errors name the input, the line and the key
 * path: `case.json:7 enterprise.industry: duplicate key`.
 *
 * One pass checks the text without building anything (syntax and keys; lines are counted only for an
 * error); JSON.parse then builds the value natively. On a 5 MB body both together take 2–3 times
 * JSON.parse alone (bench/json-strict.ts).
 */
import { formatPath, InputError } from './input.ts';

/**
 * Parses `text` as JSON, refusing what JSON.parse lets through silently. `file` names the input in
 * errors; `firstLine` is the line the text starts on in it (a line of JSON Lines).
 */
export function parseJsonStrict(text: string, file: string, firstLine = 1): unknown {
  // A byte-order mark (Windows Notepad writes one) is not part of the JSON.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  new Checker(json, file, firstLine).check();
  return JSON.parse(json);
}

/** An open object or array; reused at its depth, so a large body allocates few. */
interface Frame {
  object: boolean;
  /** An object's first keys (`count` of them; a list is cheaper than a Set for the usual few)… */
  keys: string[];
  count: number;
  /** …and all its keys once it has more than SHORT_OBJECT. */
  many: Set<string> | undefined;
  /** The key being read in an object; undefined between a comma and the next key. */
  key: string | undefined;
  index: number;
}

const SHORT_OBJECT = 16;

const SPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters; this stops at them.
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NEWLINE = 0x0a;

class Checker {
  private i = 0;
  /** Frames by depth; those below `depth` are open, innermost last. */
  private readonly frames: Frame[] = [];
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly firstLine: number,
  ) {}

  check(): void {
    const { text, frames } = this;
    this.skipSpace();
    if (this.i >= text.length) this.fail('empty: expected a JSON value');
    for (;;) {
      // A non-empty container is entered and its first value is next: a loop, not recursion, so
      // any depth is checked.
      if (this.value()) continue;
      // After a value: a comma and the next member, or the end of the innermost container.
      for (;;) {
        this.skipSpace();
        if (this.depth === 0) {
          if (this.i < text.length) this.fail('more text after the JSON value');
          return;
        }
        const frame = frames[this.depth - 1]!;
        const c = text.charCodeAt(this.i);
        if (c === COMMA) {
          this.i++;
          this.skipSpace();
          if (frame.object) {
            frame.key = undefined;
            this.member(frame);
          } else frame.index++;
          break;
        }
        if (c === (frame.object ? CLOSE_BRACE : CLOSE_BRACKET)) {
          this.i++;
          this.depth--;
          continue;
        }
        this.fail(frame.object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

  /** One value; true when it opened a non-empty container (pushed, its first key read). */
  private value(): boolean {
    this.skipSpace();
    const { text } = this;
    const c = text.charCodeAt(this.i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      this.i++;
      this.skipSpace();
      const object = c === OPEN_BRACE;
      if (text.charCodeAt(this.i) === (object ? CLOSE_BRACE : CLOSE_BRACKET)) {
        this.i++;
        return false;
      }
      const frame = this.open(object);
      if (object) this.member(frame);
      return true;
    }
    if (c === QUOTE) {
      this.string();
      return false;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = this.i;
      if (!NUMBER.test(text)) this.fail('a number is malformed');
      this.i = NUMBER.lastIndex;
      return false;
    }
    const literal = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
    if (text.startsWith(literal, this.i)) {
      this.i += literal.length;
      return false;
    }
    this.fail(Number.isNaN(c) ? 'the text ends where a value should be' : 'expected a value');
  }

  /** A member's key and colon; the value follows. */
  private member(frame: Frame): void {
    if (this.text.charCodeAt(this.i) !== QUOTE) this.fail('expected a key in double quotes');
    const start = this.i;
    const escaped = this.string();
    const key = escaped
      ? (JSON.parse(this.text.slice(start, this.i)) as string)
      : this.text.slice(start + 1, this.i - 1);
    frame.key = key;
    if (frame.many) {
      if (frame.many.has(key)) this.refuse('duplicate key');
      frame.many.add(key);
    } else {
      for (let k = 0; k < frame.count; k++) if (frame.keys[k] === key) this.refuse('duplicate key');
      frame.keys[frame.count++] = key;
      if (frame.count > SHORT_OBJECT) frame.many = new Set(frame.keys.slice(0, frame.count));
    }
    const parent = this.depth > 1 ? this.frames[this.depth - 2] : undefined;
    if (key === '__proto__' || (key === 'prototype' && parent?.object && parent.key === 'constructor'))
      this.refuse('a forbidden key (merged into an object, it would change every object)');
    this.skipSpace();
    if (this.text.charCodeAt(this.i) !== COLON) this.fail("expected ':' after the key");
    this.i++;
  }

  private open(object: boolean): Frame {
    let frame = this.frames[this.depth];
    if (frame === undefined) {
      frame = { object, keys: [], count: 0, many: undefined, key: undefined, index: 0 };
      this.frames.push(frame);
    } else {
      frame.object = object;
      frame.count = 0;
      frame.many = undefined;
      frame.key = undefined;
      frame.index = 0;
    }
    this.depth++;
    return frame;
  }

  /** A string from its opening quote; true when it holds escapes. */
  private string(): boolean {
    const { text } = this;
    let escaped = false;
    this.i++;
    for (;;) {
      STRING_RUN.lastIndex = this.i;
      STRING_RUN.test(text);
      this.i = STRING_RUN.lastIndex;
      const c = text.charCodeAt(this.i);
      if (c === QUOTE) {
        this.i++;
        return escaped;
      }
      if (c === BACKSLASH) {
        escaped = true;
        const next = text.charCodeAt(this.i + 1);
        if (SIMPLE_ESCAPES.has(next)) this.i += 2;
        else {
          HEX4.lastIndex = this.i + 2;
          if (next !== 0x75 || !HEX4.test(text)) this.fail('a string has a bad escape');
          this.i += 6;
        }
        continue;
      }
      if (Number.isNaN(c)) this.fail('a string is not closed');
      this.fail(c === NEWLINE ? 'a string runs over a line break' : 'a string holds a control character');
    }
  }

  private skipSpace(): void {
    const c = this.text.charCodeAt(this.i);
    if (c !== 0x20 && c !== NEWLINE && c !== 0x0d && c !== 0x09) return;
    SPACE.lastIndex = this.i;
    SPACE.test(this.text);
    this.i = SPACE.lastIndex;
  }

  /** A syntax error, at the line and column where the text stops being JSON. */
  private fail(reason: string): never {
    this.refuse(`not JSON: ${reason} (column ${this.i - this.text.lastIndexOf('\n', this.i - 1)})`);
  }

  /** An error at the current line and key path. */
  private refuse(message: string): never {
    const path = formatPath(
      this.frames
        .slice(0, this.depth)
        .flatMap((f): PropertyKey[] => (f.object ? (f.key === undefined ? [] : [f.key]) : [f.index])),
    );
    // Lines are counted only here: the scan itself stays a few regular expressions and comparisons.
    let line = this.firstLine;
    for (let at = this.text.indexOf('\n'); at !== -1 && at < this.i; at = this.text.indexOf('\n', at + 1))
      line++;
    throw new InputError([{ file: this.file, line, path, message }]);
  }
}
