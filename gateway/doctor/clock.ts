/**
 * Clock sync. Every attestation carries the gateway's clock and every sample without a device time
 * its receive time: a box whose clock is off signs wrong times, and `shugai verify` then sees points
 * from the future or a clock running backwards. The check asks what the box has: a time server given
 * with --ntp (an SNTP query), else systemd's view (`timedatectl`), else chrony's (`chronyc tracking`).
 */
import { execFile } from 'node:child_process';
import { type Finding, fail, ok, warn } from './findings.ts';
import { parseServer, sntpQuery } from './sntp.ts';

const CHECK = 'clock';
/** Within this the clock is fine for signed times (samples at 1 s are still in order across boxes). */
export const CLOCK_OK_MS = 1000;
/** Beyond this a signed time is plainly wrong. */
export const CLOCK_FAIL_MS = 10_000;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; `undefined` when it is not installed. */
export type RunCommand = (command: readonly string[]) => Promise<CommandResult | undefined>;

export const runCommand: RunCommand = (command) =>
  new Promise((resolve) => {
    execFile(
      command[0] as string,
      command.slice(1),
      { timeout: 5000, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return resolve(undefined);
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });

export interface ClockOptions {
  /** A time server, `HOST[:PORT]`: compare with it instead of asking the box. */
  ntp?: string;
  timeoutMs?: number;
  run?: RunCommand;
  /** The commands asked, in order (tests point chronyc at their own chronyd with `-h SOCKET`). */
  timedatectl?: readonly string[];
  chronyc?: readonly string[];
}

export async function checkClock(options: ClockOptions = {}): Promise<Finding> {
  if (options.ntp !== undefined) return compareWithServer(options.ntp, options.timeoutMs ?? 3000);
  const run = options.run ?? runCommand;
  const silent: string[] = [];
  const timedatectl = options.timedatectl ?? [
    'timedatectl',
    'show',
    '--property=NTP',
    '--property=NTPSynchronized',
  ];
  const fromSystemd = await run(timedatectl);
  const systemd = fromSystemd && readTimedatectl(fromSystemd);
  if (systemd) return systemd;
  silent.push(`timedatectl: ${answerOf(fromSystemd)}`);
  const chronyc = options.chronyc ?? ['chronyc', '-n', 'tracking'];
  const fromChrony = await run(chronyc);
  const chrony = fromChrony && readChronyTracking(fromChrony);
  if (chrony) return chrony;
  silent.push(`chronyc: ${answerOf(fromChrony)}`);
  return warn(
    CHECK,
    `cannot tell whether the clock is synchronised (${silent.join('; ')}); install chrony or systemd-timesyncd, or give --ntp HOST to compare with a time server`,
  );
}

function answerOf(result: CommandResult | undefined): string {
  if (result === undefined) return 'not installed';
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? '';
  return text === '' ? `exit code ${result.code}` : text;
}

function offsetFinding(offsetMs: number, source: string): Finding {
  const text = `${Math.abs(offsetMs) < 1000 ? `${Math.abs(offsetMs).toFixed(1)} ms` : `${(Math.abs(offsetMs) / 1000).toFixed(1)} s`} ${offsetMs > 0 ? 'behind' : 'ahead of'} ${source}`;
  if (Math.abs(offsetMs) >= CLOCK_FAIL_MS)
    return fail(CHECK, `${text}: signed times would be wrong; set the clock and enable time synchronisation`);
  if (Math.abs(offsetMs) > CLOCK_OK_MS) return warn(CHECK, `${text} (more than ${CLOCK_OK_MS} ms)`);
  return ok(CHECK, text);
}

async function compareWithServer(text: string, timeoutMs: number): Promise<Finding> {
  let server: { host: string; port: number };
  try {
    server = parseServer(text);
  } catch (error) {
    return fail(CHECK, (error as Error).message);
  }
  const name = `${server.host}:${server.port}`;
  try {
    const answer = await sntpQuery(server, timeoutMs);
    if (answer.serverUnsynchronised) return fail(CHECK, `the time server ${name} is not synchronised itself`);
    return offsetFinding(answer.offsetMs, `the time server ${name} (stratum ${answer.stratum})`);
  } catch (error) {
    return fail(CHECK, `cannot reach the time server ${name}: ${(error as Error).message}`);
  }
}

/** `timedatectl show`: NTPSynchronized says whether the kernel clock is synchronised, NTP whether a service is on. */
export function readTimedatectl(result: CommandResult): Finding | undefined {
  if (result.code !== 0) return undefined;
  const values = Object.fromEntries(
    result.stdout
      .split('\n')
      .map((line) => line.split('='))
      .filter((pair) => pair.length === 2)
      .map(([k, v]) => [k?.trim(), v?.trim()]),
  );
  if (values.NTPSynchronized === 'yes') return ok(CHECK, 'synchronised (timedatectl: NTPSynchronized=yes)');
  if (values.NTPSynchronized !== 'no') return undefined;
  return fail(
    CHECK,
    values.NTP === 'yes'
      ? 'not synchronised yet (timedatectl: NTP service on, NTPSynchronized=no): check that a time server is reachable'
      : 'not synchronised and no time synchronisation service is on (timedatectl: NTP=no): timedatectl set-ntp true, or install chrony',
  );
}

/** `chronyc -n tracking`: the leap status says whether chrony is synchronised; "System time" its offset. */
export function readChronyTracking(result: CommandResult): Finding | undefined {
  if (result.code !== 0) return undefined;
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(result.stdout)?.[1]?.trim();
  const leap = field('Leap status');
  if (leap === undefined) return undefined;
  if (leap === 'Not synchronised')
    return fail(
      CHECK,
      'not synchronised (chronyc: Leap status Not synchronised): check its sources with chronyc sources',
    );
  const reference = field('Reference ID') ?? '';
  // 7F7F0101 is chrony's own clock (the `local` directive): served to others, synchronised to nothing.
  if (reference.startsWith('7F7F0101'))
    return warn(CHECK, 'chrony follows only its own clock (local reference 7F7F0101), not a time server');
  const system = /^([\d.]+) seconds (fast|slow) of NTP time$/.exec(field('System time') ?? '');
  if (!system) return ok(CHECK, `synchronised (chronyc: Leap status ${leap})`);
  // chrony says "fast" when our clock is ahead; offsetFinding takes "server minus ours".
  const offsetMs = Number(system[1]) * 1000 * (system[2] === 'fast' ? -1 : 1);
  return offsetFinding(offsetMs, `chrony's reference ${reference.split(' ')[0]}`);
}
