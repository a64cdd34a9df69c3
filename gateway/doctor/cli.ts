import type { Command } from 'commander';
import { exitCode, formatFinding } from './findings.ts';

const usage = (message: string) => Object.assign(new Error(message), { exitCode: 2 });

/** `shugai doctor --config plant.yaml`: checks the box, one line per finding. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check an edge box: config, clock sync, disk for the buffer, permissions, the health port, each device and sink; one line per finding',
    )
    .requiredOption('-c, --config <file>', 'the plant config (YAML)')
    .option(
      '--ntp <host[:port]>',
      'compare the clock with this time server (SNTP) instead of asking timedatectl or chronyc',
    )
    .option('-t, --timeout <ms>', 'how long a device, a sink or the time server may take to answer', '5000')
    .option(
      '--unit <file>',
      'the installed gateway unit, whose writable paths dataDir and OPC UA pkiDirs must be in (checked when it exists)',
      '/etc/systemd/system/shugai-gateway.service',
    )
    .option('--json', 'print the findings as JSON')
    .addHelpText(
      'after',
      "\nEach line: ok|warn|fail <check>: <finding>. Exit code 0: all ok; 1: warnings only; 2: something failed.\nRun it as the gateway's user (sudo -u shugai shugai doctor …), so permissions are checked as the gateway sees them.",
    )
    .action(async (o: { config: string; ntp?: string; timeout: string; unit: string; json?: boolean }) => {
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
        throw usage(`--timeout must be a positive number of ms, not "${o.timeout}"`);
      const { PLUGINS } = await import('../../collector/registry.ts');
      const { runDoctor } = await import('./doctor.ts');
      const findings = await runDoctor(
        {
          config: o.config,
          timeoutMs,
          unitFile: o.unit,
          ...(o.ntp === undefined ? {} : { clock: { ntp: o.ntp } }),
        },
        PLUGINS,
      );
      const code = exitCode(findings);
      if (o.json) console.log(JSON.stringify({ findings, exitCode: code }, null, 2));
      else for (const finding of findings) console.log(formatFinding(finding));
      process.exitCode = code;
    });
}
