/** `shugai browse` and `shugai pki`: the OPC UA commands. */
import { type Command, Option } from 'commander';
import { silentLogger } from '../../core/log.ts';
import { opcuaConnectionSchema, SECURITY_MODES, SECURITY_POLICIES } from './schema.ts';

// node-opcua takes seconds to load on a small box: only the command that needs it loads it.
const opcua = async () => {
  const [browse, log, pki, session] = await Promise.all([
    import('./browse.ts'),
    import('./opcua-log.ts'),
    import('./pki.ts'),
    import('./session.ts'),
  ]);
  log.quietOpcuaLogs(silentLogger);
  return { ...browse, ...pki, ...session };
};

const PKI_HELP = 'PKI folder of the gateway (own/, trusted/, rejected/)';

interface BrowseOptions {
  depth: string;
  format: 'tree' | 'yaml';
  root?: string;
  securityMode: string;
  securityPolicy: string;
  user?: string;
  certFile?: string;
  keyFile?: string;
  pki: string;
  fingerprint?: string;
}

function auth(options: BrowseOptions) {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) throw new Error('--cert-file and --key-file go together');
    return { type: 'certificate' as const, certFile: options.certFile, keyFile: options.keyFile };
  }
  if (options.user) {
    const password = process.env.SHUGAI_OPCUA_PASSWORD;
    if (password === undefined)
      throw new Error('--user needs the password in the SHUGAI_OPCUA_PASSWORD environment variable');
    return { type: 'username' as const, username: options.user, password };
  }
  return { type: 'anonymous' as const };
}

export function registerOpcuaCommands(program: Command): void {
  program
    .command('browse')
    .description('Browse an OPC UA server: node ids (nsu= form) and data types, or a tag config snippet')
    .argument('<endpoint>', 'server endpoint, e.g. opc.tcp://192.168.1.10:4840')
    .option('--depth <n>', 'levels below the root', '3')
    .addOption(new Option('--format <format>', 'output').choices(['tree', 'yaml']).default('tree'))
    .option('--root <nodeId>', 'start node (nsu=…;s=…), default the Objects folder')
    .addOption(new Option('--security-mode <mode>').choices([...SECURITY_MODES]).default('SignAndEncrypt'))
    .addOption(
      new Option('--security-policy <policy>').choices([...SECURITY_POLICIES]).default('Basic256Sha256'),
    )
    .option('--user <name>', 'user name; the password is read from SHUGAI_OPCUA_PASSWORD')
    .option('--cert-file <file>', 'X.509 user certificate')
    .option('--key-file <file>', 'private key of the user certificate')
    .option('--pki <dir>', PKI_HELP, './pki')
    .option('--fingerprint <sha>', 'pinned server certificate fingerprint (sha256:… or sha1:…)')
    .action(async (endpoint: string, options: BrowseOptions) => {
      const { browseTree, closeSession, formatTree, openPki, openSession, toConfigYaml } = await opcua();
      const depth = Number(options.depth);
      if (!Number.isInteger(depth) || depth < 1 || depth > 20)
        throw new Error('--depth must be an integer 1–20');
      const parsed = opcuaConnectionSchema.safeParse({
        id: 'browse',
        protocol: 'opcua',
        endpoint,
        securityMode: options.securityMode,
        securityPolicy: options.securityPolicy,
        auth: auth(options),
        pkiDir: options.pki,
        ...(options.fingerprint ? { serverCertificateFingerprint: options.fingerprint } : {}),
        devices: [
          {
            id: 'x',
            production: false,
            businessLinks: ['生产管控'],
            tags: [{ id: 'x', type: 'number', nodeId: 'i=2258' }],
          },
        ],
      });
      if (!parsed.success)
        throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const pki = await openPki(options.pki);
      try {
        const handle = await openSession(parsed.data, pki);
        try {
          const tree = await browseTree(handle.session, handle.namespaceArray, {
            depth,
            ...(options.root ? { root: options.root } : {}),
          });
          process.stdout.write(
            `${options.format === 'yaml' ? toConfigYaml(tree, endpoint) : formatTree(tree)}\n`,
          );
        } finally {
          await closeSession(handle);
        }
      } finally {
        await pki.dispose();
      }
    });

  const pki = program
    .command('pki')
    .description('Manage the OPC UA PKI: trusted and rejected server certificates');
  pki
    .command('list')
    .description('List trusted and rejected server certificates with fingerprints and subjects')
    .option('--pki <dir>', PKI_HELP, './pki')
    .action(async (options: { pki: string }) => {
      const { listCertificates } = await opcua();
      const unreadable: string[] = [];
      const entries = listCertificates(options.pki, unreadable);
      for (const entry of entries) {
        process.stdout.write(
          `${entry.status.padEnd(8)} ${entry.sha256}\n         ${entry.sha1}\n         ${entry.subject}\n` +
            `         valid to ${entry.validTo}  ${entry.file}\n`,
        );
      }
      if (entries.length === 0) process.stdout.write(`no certificates in ${options.pki}\n`);
      for (const problem of unreadable) process.stderr.write(`unreadable: ${problem}\n`);
    });
  const moves = [
    [
      'trust',
      'trusted',
      'trustCertificate',
      'Trust a server certificate: move it from rejected/ to trusted/ (or add a file)',
    ],
    [
      'reject',
      'rejected',
      'rejectCertificate',
      'Stop trusting a server certificate: move it from trusted/ to rejected/',
    ],
  ] as const;
  for (const [name, done, move, description] of moves) {
    pki
      .command(name)
      .description(description)
      .argument('<fingerprint-or-file>', 'sha256:…/sha1:… (or a unique hex prefix), or a certificate file')
      .option('--pki <dir>', PKI_HELP, './pki')
      .action(async (selector: string, options: { pki: string }) => {
        const lib = await opcua();
        const entry = await lib[move](options.pki, selector);
        process.stdout.write(`${done} ${lib.fingerprint(entry.der)}\n`);
      });
  }
}
