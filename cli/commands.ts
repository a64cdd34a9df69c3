import type { Command } from 'commander';
import { registerAssess } from '../assessment/cli.ts';
import { registerOpcuaCommands } from '../collector/opcua/cli.ts';
import { registerRead } from '../collector/read-cli.ts';
import { registerPlatformCommands } from '../dashboards/platform/cli.ts';
import { registerVerify } from '../gateway/attest/cli.ts';
import { registerGatewayCommands } from '../gateway/cli.ts';
import { registerDoctor } from '../gateway/doctor/cli.ts';
import { registerPolicyCommands } from '../policies/cli.ts';
import { registerIndustryCommands } from '../policies/industry/cli.ts';
import { registerSimulate } from '../simulator/cli.ts';
import { registerDemo } from './demo.ts';

/** Every subcommand, in the order `shugai --help` lists them. */
export function registerCommands(program: Command): void {
  registerGatewayCommands(program);
  registerRead(program);
  registerDoctor(program);
  registerVerify(program);
  registerPlatformCommands(program);
  registerOpcuaCommands(program);
  registerSimulate(program);
  registerPolicyCommands(program);
  registerIndustryCommands(program);
  registerAssess(program);
  registerDemo(program);
}
