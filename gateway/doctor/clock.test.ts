// The clock check against real time daemons: chronyd on loopback (never touching the system clock),
// unsynchronised, on its own reference, following another chronyd, and one whose clock is shifted by
// libfaketime, which is the only wrong clock that can be made here without changing the machine's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Chrony,
  chronycBinary,
  chronydBinary,
  faketimeBinary,
  startChrony,
} from '../../test/services/chrony.ts';
import { freePort } from '../../test/services/ports.ts';
import { checkClock, readTimedatectl } from './clock.ts';

const available = chronydBinary.available && chronycBinary.available && faketimeBinary.available;
const tracking = (chrony: Chrony) => [chronycBinary.path as string, '-h', chrony.socket, '-n', 'tracking'];
/** A timedatectl that does not answer, so chronyc is asked (as on a box without systemd). */
const noTimedatectl = ['/nonexistent/timedatectl'];

describe.skipIf(!available)('clock sync from chrony and from a time server', () => {
  let server: Chrony;
  let follower: Chrony;
  let unsynced: Chrony;
  let wrong: Chrony;

  beforeAll(async () => {
    server = await startChrony({ serve: true });
    [follower, unsynced, wrong] = await Promise.all([
      startChrony({ follow: server.ntpPort }),
      startChrony(),
      startChrony({ serve: true, shiftSeconds: 600 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server, follower, unsynced, wrong].map((c) => c?.stop()));
  });

  it('fails a chronyd that has no source', async () => {
    const finding = await checkClock({ timedatectl: noTimedatectl, chronyc: tracking(unsynced) });
    expect(finding).toEqual({
      status: 'fail',
      check: 'clock',
      finding:
        'not synchronised (chronyc: Leap status Not synchronised): check its sources with chronyc sources',
    });
  });

  it('warns when chrony follows only its own clock', async () => {
    const finding = await checkClock({ timedatectl: noTimedatectl, chronyc: tracking(server) });
    expect(finding.status).toBe('warn');
    expect(finding.finding).toContain('local reference 7F7F0101');
  });

  it('is ok when chrony is synchronised to a server, with its offset', async () => {
    // iburst takes a few polls of 0.25 s to select the source.
    let finding = await checkClock({ timedatectl: noTimedatectl, chronyc: tracking(follower) });
    for (let i = 0; i < 40 && finding.status !== 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      finding = await checkClock({ timedatectl: noTimedatectl, chronyc: tracking(follower) });
    }
    expect(finding.status).toBe('ok');
    expect(finding.finding).toMatch(/^\d+\.\d ms (behind|ahead of) chrony's reference 7F000001$/);
  });

  it('compares with a time server given by --ntp: ok within a second', async () => {
    const finding = await checkClock({ ntp: `127.0.0.1:${server.ntpPort}` });
    expect(finding.status).toBe('ok');
    expect(finding.finding).toMatch(
      new RegExp(
        `^\\d+\\.\\d ms (behind|ahead of) the time server 127\\.0\\.0\\.1:${server.ntpPort} \\(stratum 10\\)$`,
      ),
    );
  });

  it('fails a clock ten minutes off a time server', async () => {
    const finding = await checkClock({ ntp: `127.0.0.1:${wrong.ntpPort}` });
    expect(finding.status).toBe('fail');
    // The server runs 600 s ahead: our clock is behind it by about that.
    const seconds = Number(/^([\d.]+) s behind/.exec(finding.finding)?.[1]);
    expect(seconds).toBeGreaterThan(599);
    expect(seconds).toBeLessThan(601);
    expect(finding.finding).toContain('signed times would be wrong');
  });

  it('fails when the time server does not answer', async () => {
    const port = await freePort();
    const finding = await checkClock({ ntp: `127.0.0.1:${port}`, timeoutMs: 500 });
    expect(finding.status).toBe('fail');
    expect(finding.finding).toMatch(new RegExp(`^cannot reach the time server 127\\.0\\.0\\.1:${port}: `));
  });
});

describe('clock sync when nothing answers', () => {
  it('warns, naming what it asked, when neither timedatectl nor chronyc answers', async () => {
    const finding = await checkClock({
      timedatectl: noTimedatectl,
      chronyc: ['/nonexistent/chronyc', 'tracking'],
    });
    expect(finding).toEqual({
      status: 'warn',
      check: 'clock',
      finding:
        'cannot tell whether the clock is synchronised (timedatectl: not installed; chronyc: not installed); install chrony or systemd-timesyncd, or give --ntp HOST to compare with a time server',
    });
  });

  it('reads timedatectl: synchronised, not yet, and no service', () => {
    const run = (stdout: string) => readTimedatectl({ code: 0, stdout, stderr: '' });
    expect(run('NTP=yes\nNTPSynchronized=yes\n')?.status).toBe('ok');
    expect(run('NTP=yes\nNTPSynchronized=no\n')?.finding).toContain('NTP service on, NTPSynchronized=no');
    expect(run('NTP=no\nNTPSynchronized=no\n')?.finding).toContain('timedatectl set-ntp true');
    // Without a system bus (a container, this sandbox), timedatectl exits 1: no answer, not a verdict.
    expect(readTimedatectl({ code: 1, stdout: '', stderr: 'Failed to connect to bus' })).toBeUndefined();
  });
});
