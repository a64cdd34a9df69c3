/**
 * The OPC UA server of the simulated plant (node-opcua). Security: endpoints for Basic256Sha256
 * Sign and SignAndEncrypt always; security None too unless disabled. The server's PKI lives in
 * `pkiDir` (a temporary folder, removed on stop, when none is given). Client certificates are
 * never trusted automatically unless `trustClientCertificates` is set: a client with an unknown
 * certificate lands in <pki>/rejected and can be moved to <pki>/trusted/certs by hand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy } from 'node-opcua';
import type { Logger } from '../../core/log.ts';
import type { SimClock } from '../clock.ts';
import type { Plant } from '../model/plant.ts';
import { OPCUA_NAMESPACE_URI } from '../plant/devices.ts';
import { buildAddressSpace } from './address-space.ts';

export interface OpcuaServerOptions {
  plant: Plant;
  clock: SimClock;
  host: string;
  port: number;
  /** PKI folder; a temporary one (removed on stop) when absent. */
  pkiDir?: string;
  /** Offer the security-None endpoint (default true: the simulator is for tests and demos). */
  allowSecurityNone?: boolean;
  /** Trust every client certificate (default false). */
  trustClientCertificates?: boolean;
  logger: Logger;
}

export interface OpcuaServer {
  endpointUrl: string;
  port: number;
  namespaceUri: string;
  pkiDir: string;
  securityPolicies: string[];
  close(): Promise<void>;
}

export async function startOpcuaServer(options: OpcuaServerOptions): Promise<OpcuaServer> {
  const temporaryPki = options.pkiDir === undefined;
  const pkiDir = options.pkiDir ?? (await mkdtemp(path.join(tmpdir(), 'shugai-sim-pki-')));
  const allowNone = options.allowSecurityNone ?? true;
  const certificateManager = new OPCUACertificateManager({
    rootFolder: pkiDir,
    automaticallyAcceptUnknownCertificate: options.trustClientCertificates ?? false,
  });
  // Without its own user-certificate manager node-opcua would create one under the user's home.
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pkiDir, 'user'),
    automaticallyAcceptUnknownCertificate: false,
  });
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  const server = new OPCUAServer({
    host: options.host,
    port: options.port,
    hostname: wildcard ? hostname() : options.host,
    serverCertificateManager: certificateManager,
    userCertificateManager,
    securityPolicies: [...(allowNone ? [SecurityPolicy.None] : []), SecurityPolicy.Basic256Sha256],
    securityModes: [
      ...(allowNone ? [MessageSecurityMode.None] : []),
      MessageSecurityMode.Sign,
      MessageSecurityMode.SignAndEncrypt,
    ],
    allowAnonymous: true,
    disableDiscovery: true,
    buildInfo: { productName: 'shugai simulator', manufacturerName: 'shugai' },
  });
  const cleanUp = async () => {
    if (temporaryPki) await rm(pkiDir, { recursive: true, force: true });
  };
  try {
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('no address space after initialize');
    const namespace = addressSpace.registerNamespace(OPCUA_NAMESPACE_URI);
    buildAddressSpace(addressSpace, namespace, options.plant, options.clock, options.logger);
    await server.start();
  } catch (error) {
    await server.shutdown(0).catch(() => undefined);
    await cleanUp();
    const reason =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `port ${options.port} is in use (choose another with --opcua-port, 0 = any free port)`
        : (error as Error).message;
    throw new Error(`OPC UA server could not start on ${options.host}:${options.port}: ${reason}`);
  }
  const port = server.endpoints[0]?.port ?? options.port;
  return {
    endpointUrl: server.getEndpointUrl(),
    port,
    namespaceUri: OPCUA_NAMESPACE_URI,
    pkiDir,
    securityPolicies: [...(allowNone ? ['None'] : []), 'Basic256Sha256 (Sign, SignAndEncrypt)'],
    close: async () => {
      await server.shutdown(0);
      await certificateManager.dispose();
      await userCertificateManager.dispose();
      await cleanUp();
    },
  };
}
