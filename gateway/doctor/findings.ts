/** What `shugai doctor` reports: one line per finding, `ok|warn|fail <check>: <finding>`. */

export type Status = 'ok' | 'warn' | 'fail';

export interface Finding {
  status: Status;
  /** What was checked: `config`, `clock`, `disk`, `permissions`, `port`, `device <id>`, `sink <name>`. */
  check: string;
  finding: string;
}

export const ok = (check: string, finding: string): Finding => ({ status: 'ok', check, finding });
export const warn = (check: string, finding: string): Finding => ({ status: 'warn', check, finding });
export const fail = (check: string, finding: string): Finding => ({ status: 'fail', check, finding });

export function formatFinding(f: Finding): string {
  return `${f.status} ${f.check}: ${f.finding}`;
}

/** As monitoring checks answer (Nagios): 0 all ok, 1 a warning and no failure, 2 a failure. */
export function exitCode(findings: readonly Finding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.status === 'fail')) return 2;
  if (findings.some((f) => f.status === 'warn')) return 1;
  return 0;
}

/** `1.5 GiB`, `300 MiB`, `12 KiB`: sizes as people read them in a finding. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
