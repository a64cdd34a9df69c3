/** A config problem at a place in a file: `plant.yaml:42 devices[3].tags[7].type: expected one of …`. */
export interface ConfigIssue {
  file: string;
  /** 1-based line, when the place is known. */
  line?: number;
  /** The path as written in messages, e.g. `connections[0].devices[3].tags[7].type`. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'SHUGAI_CONFIG_INVALID';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** `['connections', 0, 'devices', 3, 'id']` → `connections[0].devices[3].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
