/**
 * The `shugai` command line. Each concern registers its own subcommands here, in one explicit list,
 * so `shugai --help` is the table of contents of the project.
 */
import { Command } from 'commander';
import { registerCommands } from './commands.ts';
import { exitQuietlyOnClosedPipes } from './pipes.ts';

exitQuietlyOnClosedPipes();

const program = new Command('shugai')
  .description(
    '数改 shugai: read factory machines, keep their data safe, assess digital levels, compute subsidies',
  )
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions()
  .configureHelp({ sortSubcommands: false });

await registerCommands(program, process.argv.slice(2));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Expected failures (bad config, bad arguments) carry their own clear message; no stack trace.
  console.error(`shugai: ${(error as Error).message}`);
  process.exitCode =
    typeof (error as { exitCode?: number }).exitCode === 'number'
      ? (error as { exitCode: number }).exitCode
      : 1;
}
