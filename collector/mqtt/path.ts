/**
 * Field paths into JSON payloads: `$` is the whole payload, `$.data.temperature`, `data.temperature`
 * (the `$.` is optional), `readings[0].v`. Keys containing `.` or `[` cannot be addressed.
 */

export type FieldPath = readonly (string | number)[];

const SEGMENT = /^([^.[\]]+)((?:\[\d+\])*)$/;

/** Compiles a path; throws an Error naming the path when it is malformed. */
export function compilePath(path: string): FieldPath {
  const body = path === '$' ? '' : path.startsWith('$.') ? path.slice(2) : path;
  if (body === '') return [];
  const segments: (string | number)[] = [];
  for (const part of body.split('.')) {
    const match = SEGMENT.exec(part);
    if (!match?.[1]) throw new Error(`field path "${path}": empty or malformed segment "${part}"`);
    segments.push(match[1]);
    for (const index of match[2]?.match(/\d+/g) ?? []) segments.push(Number(index));
  }
  return segments;
}

/** The value at `path`, or undefined when any step is missing. */
export function getPath(root: unknown, path: FieldPath): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

/** Whether a string is a well-formed path (for config validation). */
export function isValidPath(path: string): boolean {
  try {
    compilePath(path);
    return true;
  } catch {
    return false;
  }
}
