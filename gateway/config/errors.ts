import { InputError, type InputIssue } from '../../core/input.ts';

export { formatIssue, formatPath } from '../../core/input.ts';

/** A config problem at a place in a file: `plant.yaml:42 devices[3].tags[7].type: expected one of …`. */
export type ConfigIssue = InputIssue;

export class ConfigError extends InputError {
  override readonly name = 'ConfigError';
  override readonly code = 'SHUGAI_CONFIG_INVALID';
}
