/**
 * Opening one OPC UA session the secure way: discover the endpoints, insist on the configured
 * security mode and policy (never fall back to None), check a pinned server certificate before any
 * secure channel or credential, let the PKI refuse unknown server certificates, then read the
 * NamespaceArray and operation limits the collector plans with. node-opcua's own reconnection is
 * off (maxRetry 0): the collector rebuilds sessions itself with a bounded, jittered backoff.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  AttributeIds,
  type ClientSession,
  type EndpointDescription,
  MessageSecurityMode,
  OPCUAClient,
  readOperationLimits,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
  VariableIds,
} from 'node-opcua-client';
import './opcua-log.ts';
import { fingerprint, matchesFingerprint, readCertificateFile } from './pki.ts';
import type { OpcuaConnectionConfig } from './schema.ts';

/** Server.ServerCapabilities.MaxSubscriptionsPerSession (optional: older servers lack it). */
const MAX_SUBSCRIPTIONS_PER_SESSION = `i=${VariableIds.Server_ServerCapabilities_MaxSubscriptionsPerSession}`;

/** Why a connect attempt failed, for metrics and for deciding how loudly to log. */
export type ConnectFailure = 'unreachable' | 'security' | 'untrusted' | 'pinned' | 'auth' | 'session';

export class OpcuaConnectError extends Error {
  constructor(
    readonly failure: ConnectFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OpcuaConnectError';
  }
}

export interface SessionHandle {
  client: OPCUAClient;
  session: ClientSession;
  namespaceArray: string[];
  maxMonitoredItemsPerCall: number;
  maxNodesPerRead: number;
  /** The server's MaxSubscriptionsPerSession (0 when it does not say). */
  maxSubscriptionsPerSession: number;
  /** SHA-256 fingerprint of the server certificate (undefined with security None and no certificate). */
  serverFingerprint?: string;
}

type SecuritySettings = Pick<
  OpcuaConnectionConfig,
  | 'endpoint'
  | 'securityMode'
  | 'securityPolicy'
  | 'auth'
  | 'serverCertificateFingerprint'
  | 'applicationName'
  | 'sessionTimeoutMs'
  | 'requestTimeoutMs'
  | 'pkiDir'
>;

function clientOptions(
  settings: SecuritySettings,
  pki: OPCUACertificateManager,
  mode: string,
  policy: string,
) {
  return {
    applicationName: settings.applicationName,
    clientName: settings.applicationName,
    clientCertificateManager: pki,
    securityMode: MessageSecurityMode[mode as keyof typeof MessageSecurityMode],
    securityPolicy: SecurityPolicy[policy as keyof typeof SecurityPolicy],
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    endpointMustExist: false,
    requestedSessionTimeout: settings.sessionTimeoutMs,
    defaultTransactionTimeout: settings.requestTimeoutMs,
    transportTimeout: settings.requestTimeoutMs,
    keepSessionAlive: false,
  };
}

/** The endpoints a server offers, fetched over an unsecured discovery channel (always allowed). */
export async function discoverEndpoints(
  settings: SecuritySettings,
  pki: OPCUACertificateManager,
): Promise<EndpointDescription[]> {
  const discovery = OPCUAClient.create(clientOptions(settings, pki, 'None', 'None'));
  try {
    await withTimeout(discovery.connect(settings.endpoint), settings.requestTimeoutMs, 'connect');
    return await withTimeout(discovery.getEndpoints(), settings.requestTimeoutMs, 'GetEndpoints');
  } catch (error) {
    throw new OpcuaConnectError(
      'unreachable',
      `cannot reach ${settings.endpoint}: ${(error as Error).message}`,
    );
  } finally {
    await discovery.disconnect().catch(() => undefined);
  }
}

const policyName = (uri: string | null) => (uri ?? '').replace(/^.*#/, '');

/** The endpoint matching the configured mode and policy, or an error naming what the server offers. */
export function selectEndpoint(
  endpoints: EndpointDescription[],
  settings: SecuritySettings,
): EndpointDescription {
  const mode = MessageSecurityMode[settings.securityMode];
  const found = endpoints.find(
    (e) => e.securityMode === mode && policyName(e.securityPolicyUri) === settings.securityPolicy,
  );
  if (found) return found;
  const offered = [
    ...new Set(
      endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${policyName(e.securityPolicyUri)}`),
    ),
  ];
  throw new OpcuaConnectError(
    'security',
    `${settings.endpoint} does not offer securityMode ${settings.securityMode} with securityPolicy ` +
      `${settings.securityPolicy}; it offers: ${offered.join(', ')}`,
  );
}

/** The first certificate of a DER chain (a server may send its issuers after its own certificate). */
export function firstCertificate(chain: Buffer): Buffer {
  if (chain.length < 4 || chain[0] !== 0x30) return chain;
  const lengthByte = chain[1] as number;
  if (lengthByte < 0x80) return chain.subarray(0, 2 + lengthByte);
  const octets = lengthByte & 0x7f;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (chain[2 + i] as number);
  return chain.subarray(0, 2 + octets + length);
}

function userIdentity(auth: OpcuaConnectionConfig['auth']): UserIdentityInfo {
  switch (auth.type) {
    case 'anonymous':
      return { type: UserTokenType.Anonymous };
    case 'username':
      return { type: UserTokenType.UserName, userName: auth.username, password: auth.password };
    case 'certificate':
      return {
        type: UserTokenType.Certificate,
        certificateData: readCertificateFile(auth.certFile),
        privateKey: readFileSync(auth.keyFile, 'utf8'),
      };
  }
}

const TOKEN_TYPES: Record<OpcuaConnectionConfig['auth']['type'], UserTokenType> = {
  anonymous: UserTokenType.Anonymous,
  username: UserTokenType.UserName,
  certificate: UserTokenType.Certificate,
};

/** Opens a client and session; throws OpcuaConnectError. The caller closes it with closeSession. */
export async function openSession(
  settings: SecuritySettings,
  pki: OPCUACertificateManager,
): Promise<SessionHandle> {
  let identity: UserIdentityInfo;
  try {
    // Read the user certificate and key before any network traffic: a missing file is a local error.
    identity = userIdentity(settings.auth);
  } catch (error) {
    throw new OpcuaConnectError(
      'auth',
      `cannot read the user certificate or key for ${settings.endpoint}: ${(error as Error).message}`,
    );
  }
  await pki.reloadCertificates();
  const endpoints = await discoverEndpoints(settings, pki);
  const endpoint = selectEndpoint(endpoints, settings);
  const serverCertificate = endpoint.serverCertificate?.length
    ? firstCertificate(endpoint.serverCertificate)
    : undefined;
  const serverFingerprint = serverCertificate ? fingerprint(serverCertificate) : undefined;
  const pin = settings.serverCertificateFingerprint;
  if (pin !== undefined && (!serverCertificate || !matchesFingerprint(serverCertificate, pin))) {
    throw new OpcuaConnectError(
      'pinned',
      `server certificate of ${settings.endpoint} (${serverFingerprint ?? 'none'}) does not match the pinned ` +
        `serverCertificateFingerprint ${pin}; refusing to connect`,
    );
  }
  const tokenType = TOKEN_TYPES[settings.auth.type];
  if (!(endpoint.userIdentityTokens ?? []).some((token) => token.tokenType === tokenType)) {
    const offered = (endpoint.userIdentityTokens ?? []).map((t) => UserTokenType[t.tokenType]).join(', ');
    throw new OpcuaConnectError(
      'auth',
      `${settings.endpoint} does not accept ${settings.auth.type} users on this endpoint; it accepts: ${offered}`,
    );
  }
  const client = OPCUAClient.create(
    clientOptions(settings, pki, settings.securityMode, settings.securityPolicy),
  );
  try {
    await withTimeout(client.connect(settings.endpoint), settings.requestTimeoutMs, 'connect');
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    throw connectError(error as Error, settings, serverFingerprint);
  }
  let session: ClientSession;
  try {
    session = await withTimeout(client.createSession(identity), settings.requestTimeoutMs, 'CreateSession');
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    const message = (error as Error).message;
    const failure = /BadUserAccessDenied|BadIdentityToken|BadUser/i.test(message) ? 'auth' : 'session';
    // The message is node-opcua's status text; it never contains the password.
    throw new OpcuaConnectError(failure, `session on ${settings.endpoint} refused: ${message}`);
  }
  try {
    const namespaceArray = await withTimeout(
      session.readNamespaceArray(),
      settings.requestTimeoutMs,
      'NamespaceArray',
    );
    const limits = await withTimeout(
      readOperationLimits(session),
      settings.requestTimeoutMs,
      'OperationLimits',
    );
    const maxSubscriptions = await withTimeout(
      session.read({ nodeId: MAX_SUBSCRIPTIONS_PER_SESSION, attributeId: AttributeIds.Value }),
      settings.requestTimeoutMs,
      'MaxSubscriptionsPerSession',
    );
    return {
      client,
      session,
      namespaceArray,
      maxMonitoredItemsPerCall: limits.maxMonitoredItemsPerCall ?? 0,
      maxNodesPerRead: limits.maxNodesPerRead ?? 0,
      maxSubscriptionsPerSession: maxSubscriptions.statusCode.isGood()
        ? Number(maxSubscriptions.value.value) || 0
        : 0,
      ...(serverFingerprint === undefined ? {} : { serverFingerprint }),
    };
  } catch (error) {
    await closeSession({ client, session });
    throw new OpcuaConnectError(
      'session',
      `reading the server's namespaces failed: ${(error as Error).message}`,
    );
  }
}

function connectError(
  error: Error,
  settings: SecuritySettings,
  serverFingerprint?: string,
): OpcuaConnectError {
  const message = error.message;
  if (/BadCertificateUntrusted|BadCertificate/i.test(message)) {
    return new OpcuaConnectError(
      'untrusted',
      `server certificate ${serverFingerprint ?? ''} of ${settings.endpoint} is not trusted (${message.trim()}); ` +
        `it is kept in ${path.join(settings.pkiDir, 'rejected')}. Check it, then run ` +
        `\`shugai pki trust ${serverFingerprint ?? '<fingerprint>'} --pki ${settings.pkiDir}\``,
    );
  }
  return new OpcuaConnectError('unreachable', `cannot connect to ${settings.endpoint}: ${message.trim()}`);
}

/** Closes the session (deleting its subscriptions server-side) and the client; never throws. */
export async function closeSession(handle: Pick<SessionHandle, 'client' | 'session'>): Promise<void> {
  await withTimeout(handle.session.close(true), 2000, 'CloseSession').catch(() => undefined);
  await withTimeout(handle.client.disconnect(), 2000, 'disconnect').catch(() => undefined);
}

/** Rejects after ms: node-opcua calls can hang on a half-open socket. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
