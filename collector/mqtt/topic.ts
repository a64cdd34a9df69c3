/**
 * Topic templates: an MQTT topic filter whose levels may be `{device}` or `{tag}` (the level's text
 * is the device or tag id), `+` (any one level, ignored) or a final `#` (any remaining levels).
 * `plant/{device}/sensors/{tag}` subscribes to `plant/+/sensors/+`; a message on
 * `plant/press-01/sensors/temp` is device press-01, tag temp.
 */

export interface TopicTemplate {
  /** The MQTT subscription filter. */
  readonly filter: string;
  readonly hasDevice: boolean;
  readonly hasTag: boolean;
  /** The device and tag levels of a matching topic, or undefined when the topic does not match. */
  match(topic: string): { device?: string; tag?: string } | undefined;
}

type Level = { kind: 'literal'; text: string } | { kind: 'device' | 'tag' | 'any' };

/** Compiles a template; throws an Error naming the template when it is malformed. */
export function compileTemplate(template: string): TopicTemplate {
  const fail = (why: string): never => {
    throw new Error(`topic template "${template}": ${why}`);
  };
  if (template === '') fail('empty');
  const parts = template.split('/');
  const multi = parts[parts.length - 1] === '#';
  if (multi) parts.pop();
  const levels: Level[] = parts.map((part) => {
    if (part === '{device}') return { kind: 'device' };
    if (part === '{tag}') return { kind: 'tag' };
    if (part === '+') return { kind: 'any' };
    if (/[{}+#]/.test(part)) fail(`level "${part}" must be {device}, {tag}, +, a final #, or plain text`);
    return { kind: 'literal', text: part };
  });
  const count = (kind: Level['kind']) => levels.filter((l) => l.kind === kind).length;
  if (count('device') > 1 || count('tag') > 1) fail('{device} and {tag} may appear once each');
  const filter = [...levels.map((l) => (l.kind === 'literal' ? l.text : '+')), ...(multi ? ['#'] : [])].join(
    '/',
  );
  const hasDevice = count('device') === 1;
  const hasTag = count('tag') === 1;
  return {
    filter,
    hasDevice,
    hasTag,
    match(topic) {
      const got = topic.split('/');
      if (multi ? got.length < levels.length : got.length !== levels.length) return undefined;
      const result: { device?: string; tag?: string } = {};
      for (let i = 0; i < levels.length; i++) {
        const level = levels[i] as Level;
        const text = got[i] as string;
        if (level.kind === 'literal') {
          if (level.text !== text) return undefined;
        } else if (level.kind === 'device') {
          result.device = text;
        } else if (level.kind === 'tag') {
          result.tag = text;
        }
      }
      return result;
    },
  };
}
