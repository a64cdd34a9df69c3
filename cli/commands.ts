import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every concern's subcommands, in the order `shugai --help` lists them, with the top-level names
 * each registers (commands.test.ts holds the names to what the modules register). A concern's module
 * loads only when its command runs: `shugai gateway` on an edge box does not carry the simulator's
 * MQTT broker or the assessment report in memory (~37 MB of RSS).
 */
const CONCERNS: { names: readonly string[]; load: () => Promise<Register> }[] = [
  {
    names: ['gateway', 'config'],
    load: async () => (await import('../gateway/cli.ts')).registerGatewayCommands,
  },
  { names: ['read'], load: async () => (await import('../collector/read-cli.ts')).registerRead },
  { names: ['doctor'], load: async () => (await import('../gateway/doctor/cli.ts')).registerDoctor },
  { names: ['verify'], load: async () => (await import('../gateway/attest/cli.ts')).registerVerify },
  {
    names: ['serve', 'accounts', 'audit', 'central', 'export'],
    load: async () => (await import('../dashboards/platform/cli.ts')).registerPlatformCommands,
  },
  {
    names: ['browse', 'pki'],
    load: async () => (await import('../collector/opcua/cli.ts')).registerOpcuaCommands,
  },
  { names: ['simulate'], load: async () => (await import('../simulator/cli.ts')).registerSimulate },
  {
    names: ['policy', 'payout'],
    load: async () => (await import('../policies/cli.ts')).registerPolicyCommands,
  },
  {
    names: ['industry'],
    load: async () => (await import('../policies/industry/cli.ts')).registerIndustryCommands,
  },
  { names: ['assess'], load: async () => (await import('../assessment/cli.ts')).registerAssess },
  { names: ['demo'], load: async () => (await import('./demo.ts')).registerDemo },
];

/** The top-level command names of every concern, in order. */
export const COMMAND_NAMES = CONCERNS.map((c) => c.names);

/**
 * Registers the concern whose command `args` (the arguments after `shugai`) names, or every concern
 * when they name none of them (`--help`, `help`, a mistyped command: help lists them all).
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const name = args.find((a) => !a.startsWith('-'));
  const named = CONCERNS.filter((c) => name !== undefined && c.names.includes(name));
  for (const concern of named.length > 0 ? named : CONCERNS) (await concern.load())(program);
}

/** Each concern's registration, loaded: for commands.test.ts. */
export const loadConcerns = (): Promise<Register[]> => Promise.all(CONCERNS.map((c) => c.load()));
