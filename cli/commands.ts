import type { Command } from 'commander';
import { registerOpcuaCommands } from '../collector/opcua/cli.ts';
import { registerRead } from '../collector/read-cli.ts';
import { registerGatewayCommands } from '../gateway/cli.ts';
import { registerSimulate } from '../simulator/cli.ts';

/** Every subcommand, in the order `shugai --help` lists them. */
export function registerCommands(program: Command): void {
  registerGatewayCommands(program);
  registerRead(program);
  registerOpcuaCommands(program);
  registerSimulate(program);
}
