import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, loadConcerns, registerCommands } from './commands.ts';

const names = (program: Command) => program.commands.map((c) => c.name());

describe('shugai commands', () => {
  it('names for each concern exactly the top-level commands its module registers', async () => {
    const concerns = await loadConcerns();
    expect(concerns).toHaveLength(COMMAND_NAMES.length);
    concerns.forEach((register, i) => {
      const program = new Command('shugai');
      register(program);
      expect(names(program)).toEqual(COMMAND_NAMES[i]);
    });
  });

  it("registers only the named command's concern, and every concern for help or an unknown command", async () => {
    const gateway = new Command('shugai');
    await registerCommands(gateway, ['gateway', '--config', 'plant.yaml']);
    expect(names(gateway)).toEqual(['gateway', 'config']);
    const serve = new Command('shugai');
    await registerCommands(serve, ['export', 'payouts', '--batch', '3']);
    expect(names(serve)).toEqual(['serve', 'accounts', 'audit', 'central', 'export']);
    for (const args of [[], ['--help'], ['help', 'gateway'], ['gatway']]) {
      const all = new Command('shugai');
      await registerCommands(all, args);
      expect(names(all), args.join(' ')).toEqual(COMMAND_NAMES.flat());
    }
  });
});
