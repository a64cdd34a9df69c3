/**
 * A real node-opcua server for the OPC UA collector's tests and bench (not the simulator): a plant
 * namespace with one variable per data type, bulk variables for batching, configurable security,
 * users, operation limits and namespace order (to move the plant namespace's index on restart).
 * Beside it the other helpers of those tests: a secure server and a connection to it, a collecting
 * context, a planned tag, and polling.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  OPCUAServer,
  SecurityPolicy,
  type StatusCode,
  StatusCodes,
  type UAVariable,
  Variant,
  VariantArrayType,
} from 'node-opcua';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { DataValue } from 'node-opcua-data-value';
import pino from 'pino';
import { silentLogger } from '../../core/log.ts';
import type { Sample } from '../../core/model.ts';
import { freePort } from '../../test/services/ports.ts';
import type { CollectorContext } from '../collector.ts';
import { ConditionLog } from '../conditions.ts';
import { CollectorMetrics } from '../metrics.ts';
import { quietOpcuaLogs } from './opcua-log.ts';
import type { PlannedTag } from './plan.ts';
import { type OpcuaConnectionConfig, opcuaConnectionSchema } from './schema.ts';

quietOpcuaLogs(silentLogger);

export const PLANT_NS = 'urn:shugai:test:plant';
export const OTHER_NS = 'urn:shugai:test:other';

export interface TestServerOptions {
  port: number;
  /** Server PKI folder; reuse one per test file so the server certificate is created once. */
  pkiDir: string;
  securityModes?: MessageSecurityMode[];
  securityPolicies?: SecurityPolicy[];
  allowAnonymous?: boolean;
  users?: Record<string, string>;
  maxMonitoredItemsPerCall?: number;
  /** Registers an extra namespace before the plant one, so the plant namespace gets index 3, not 2. */
  otherNamespaceFirst?: boolean;
  /** Number of Bulk.<n> Double variables (for batching and the bench). */
  bulk?: number;
  /**
   * PKI folder of the X.509 users the server accepts (trusted/certs); unknown user certificates are
   * refused. Without it node-opcua uses a shared default folder outside the test's temp dir.
   */
  userPkiDir?: string;
}

/** The scalar variables every test server has, by browse name: [data type, initial value]. */
const SCALARS: Record<string, [DataType, unknown]> = {
  Temperature: [DataType.Double, 21.5],
  Speed: [DataType.Float, 1.5],
  Count: [DataType.Int32, -7],
  Big: [DataType.UInt64, [0x0020_0000, 1]],
  Signed64: [DataType.Int64, [0xffff_ffff, 0xffff_fffe]],
  Running: [DataType.Boolean, true],
  Name: [DataType.String, 'lathe'],
  Label: [DataType.LocalizedText, { text: 'Drehbank', locale: 'de' }],
  When: [DataType.DateTime, new Date('2024-05-01T08:00:00.000Z')],
  Counter: [DataType.UInt32, 0],
  Broken: [DataType.Double, 0],
};

export class TestServer {
  readonly server: OPCUAServer;
  readonly variables = new Map<string, UAVariable>();
  private readonly certificateManager: OPCUACertificateManager;

  private constructor(
    readonly options: TestServerOptions,
    server: OPCUAServer,
    certificateManager: OPCUACertificateManager,
  ) {
    this.server = server;
    this.certificateManager = certificateManager;
  }

  static async start(options: TestServerOptions): Promise<TestServer> {
    mkdirSync(options.pkiDir, { recursive: true });
    const certificateManager = new OPCUACertificateManager({
      rootFolder: options.pkiDir,
      // The test server trusts any client; the client under test is the one that must not.
      automaticallyAcceptUnknownCertificate: true,
    });
    await certificateManager.initialize();
    let userCertificateManager: OPCUACertificateManager | undefined;
    if (options.userPkiDir) {
      userCertificateManager = new OPCUACertificateManager({
        rootFolder: options.userPkiDir,
        automaticallyAcceptUnknownCertificate: false,
      });
      await userCertificateManager.initialize();
    }
    const users = options.users ?? {};
    const server = new OPCUAServer({
      port: options.port,
      hostname: '127.0.0.1',
      alternateHostname: [],
      serverCertificateManager: certificateManager,
      certificateFile: path.join(options.pkiDir, 'server_cert.pem'),
      privateKeyFile: path.join(options.pkiDir, 'own/private/private_key.pem'),
      securityModes: options.securityModes ?? [MessageSecurityMode.None],
      securityPolicies: options.securityPolicies ?? [SecurityPolicy.None],
      allowAnonymous: options.allowAnonymous ?? true,
      userManager: { isValidUser: (user: string, password: string) => users[user] === password },
      ...(userCertificateManager ? { userCertificateManager } : {}),
      serverCapabilities: {
        maxMonitoredItemsQueueSize: 1000,
        operationLimits: { maxMonitoredItemsPerCall: options.maxMonitoredItemsPerCall ?? 0 },
      },
      serverInfo: { applicationUri: 'urn:shugai:test:server' },
    });
    const testServer = new TestServer(options, server, certificateManager);
    await server.initialize();
    testServer.populate();
    await server.start();
    return testServer;
  }

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.options.port}`;
  }

  get sessionCount(): number {
    return this.server.currentSessionCount;
  }

  /** DER of the server certificate (what a client sees and pins). */
  async certificate(): Promise<Buffer> {
    return (await this.server.getCertificate()) as Buffer;
  }

  /** Sets a variable's value, status and source time (default now). */
  set(
    name: string,
    value: unknown,
    statusCode: StatusCode = StatusCodes.Good,
    sourceTime = new Date(),
  ): void {
    const variable = this.variable(name);
    const dataType = variable.dataTypeObj.basicDataType;
    const isArray = variable.valueRank === 1;
    const dataValue = new DataValue({
      value: new Variant({
        dataType,
        arrayType: isArray ? VariantArrayType.Array : VariantArrayType.Scalar,
        value,
      }),
      statusCode,
      sourceTimestamp: sourceTime,
      serverTimestamp: new Date(),
    });
    // _internal_set_dataValue keeps the given times and status (setValueFromSource would stamp them now).
    (variable as unknown as { _internal_set_dataValue(dv: DataValue): void })._internal_set_dataValue(
      dataValue,
    );
  }

  variable(name: string): UAVariable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`test server has no variable ${name}`);
    return variable;
  }

  /** Deletes every subscription of every session server-side (what a silent subscription looks like). */
  silenceSubscriptions(): number {
    let deleted = 0;
    const engine = this.server.engine as unknown as {
      _sessions: Record<
        string,
        { publishEngine: { subscriptions: { id: number }[] }; deleteSubscription(id: number): void }
      >;
    };
    for (const session of Object.values(engine._sessions)) {
      for (const subscription of [...session.publishEngine.subscriptions]) {
        session.deleteSubscription(subscription.id);
        deleted += 1;
      }
    }
    return deleted;
  }

  async stop(): Promise<void> {
    await this.server.shutdown(0);
    await this.certificateManager.dispose();
  }

  private populate(): void {
    const addressSpace = this.server.engine.addressSpace;
    if (!addressSpace) throw new Error('test server has no address space');
    if (this.options.otherNamespaceFirst) addressSpace.registerNamespace(OTHER_NS);
    const namespace = addressSpace.registerNamespace(PLANT_NS);
    if (!this.options.otherNamespaceFirst) addressSpace.registerNamespace(OTHER_NS);
    const line = namespace.addObject({
      browseName: 'Line1',
      nodeId: 's=Line1',
      organizedBy: addressSpace.rootFolder.objects,
    });
    const add = (name: string, dataType: DataType, value: unknown, valueRank = -1) => {
      const variable = namespace.addVariable({
        componentOf: line,
        browseName: name,
        nodeId: `s=${name}`,
        dataType: DataType[dataType],
        valueRank,
        minimumSamplingInterval: 50,
        value: new Variant({
          dataType,
          arrayType: valueRank === 1 ? VariantArrayType.Array : VariantArrayType.Scalar,
          value,
        }),
      });
      this.variables.set(name, variable);
      return variable;
    };
    for (const [name, [dataType, value]] of Object.entries(SCALARS)) add(name, dataType, value);
    add('Vector', DataType.Double, [1, 2, 3], 1);
    this.set('Broken', 0, StatusCodes.BadSensorFailure);
    const numeric = namespace.addVariable({
      componentOf: line,
      browseName: 'Numeric',
      nodeId: 'i=1001',
      dataType: 'Double',
      minimumSamplingInterval: 50,
      value: new Variant({ dataType: DataType.Double, value: 3.25 }),
    });
    this.variables.set('Numeric', numeric);
    const bulk = namespace.addObject({ componentOf: line, browseName: 'Bulk', nodeId: 's=Bulk' });
    for (let i = 0; i < (this.options.bulk ?? 0); i++) {
      const variable = namespace.addVariable({
        componentOf: bulk,
        browseName: `Bulk.${i}`,
        nodeId: `s=Bulk.${i}`,
        dataType: 'Double',
        minimumSamplingInterval: 50,
        value: new Variant({ dataType: DataType.Double, value: i }),
      });
      this.variables.set(`Bulk.${i}`, variable);
    }
  }
}

/** The one user of the secure test servers: the `auth` of a connection that logs in as the operator. */
export const OPERATOR = { type: 'username', username: 'operator', password: 's3cret' } as const;

/**
 * For one test file: a server on a free port that speaks only SignAndEncrypt, with the given
 * policies, and admits only OPERATOR (no anonymous sessions), in a fresh temp folder `prefix…` (its
 * PKI in server-pki; with `userPki`, a user PKI in server-user-pki that accepts only the user
 * certificates the test trusts). Call `beforeAll(secure.start)` and `afterAll(secure.stop)` (which
 * also removes the folder); `server` and `dir` are there in between.
 */
export function secureServer(
  prefix: string,
  options: { securityPolicies: SecurityPolicy[]; userPki?: boolean },
) {
  let dir: string | undefined;
  let server: TestServer | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('the secure test server is not started (beforeAll(secure.start))');
    return value;
  };
  return {
    get dir(): string {
      return started(dir);
    },
    get server(): TestServer {
      return started(server);
    },
    async start(): Promise<void> {
      dir = await mkdtemp(path.join(tmpdir(), prefix));
      server = await TestServer.start({
        port: await freePort(),
        pkiDir: path.join(dir, 'server-pki'),
        securityModes: [MessageSecurityMode.SignAndEncrypt],
        securityPolicies: options.securityPolicies,
        allowAnonymous: false,
        users: { [OPERATOR.username]: OPERATOR.password },
        ...(options.userPki ? { userPkiDir: path.join(dir, 'server-user-pki') } : {}),
      });
    },
    async stop(): Promise<void> {
      await server?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A connection to `server` that logs in as OPERATOR and reads one tag, press-1/count (the Count
 * variable, -7), in a 100 ms group; `fields` give the rest (id, pkiDir, security, reconnect, …) and
 * may override any of these.
 */
export function operatorConnection(
  server: TestServer,
  fields: Record<string, unknown>,
): OpcuaConnectionConfig {
  return opcuaConnectionSchema.parse({
    protocol: 'opcua',
    endpoint: server.endpointUrl,
    auth: OPERATOR,
    groups: [{ id: 'fast', intervalMs: 100 }],
    devices: [
      {
        id: 'press-1',
        production: true,
        businessLinks: ['生产管控'],
        tags: [{ id: 'count', type: 'integer', nodeId: `nsu=${PLANT_NS};s=Count` }],
      },
    ],
    ...fields,
  });
}

/** A collector context that keeps every sample (and, if given, every log line), for assertions. */
export function collectingContext(logLines?: string[]): CollectorContext & { samples: Sample[] } {
  const samples: Sample[] = [];
  const log = logLines
    ? pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) })
    : silentLogger;
  return {
    log,
    conditions: new ConditionLog(log),
    metrics: new CollectorMetrics(),
    onSamples: (batch) => samples.push(...batch),
    now: () => Date.now(),
    baseDir: process.cwd(),
    samples,
  };
}

/** Polls until check() is truthy; fails with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The `connected` gauge of a device (1 while its link is up). */
export async function connectedGauge(context: CollectorContext, device: string): Promise<number> {
  const data = await context.metrics.connected.get();
  return data.values.find((v) => v.labels.device === device)?.value ?? 0;
}

/** A planned tag as the planner makes one (device d, tag t, a number at nsu=urn:x;s=a), with `over` on top. */
export function plannedTag(over: Partial<PlannedTag> = {}): PlannedTag {
  return {
    device: 'd',
    tag: 't',
    type: 'number',
    address: { namespaceUri: 'urn:x', type: 's', value: 'a' },
    nodeIdText: 'nsu=urn:x;s=a',
    samplingIntervalMs: 1000,
    queueSize: 1,
    discardOldest: true,
    deadband: { type: 'absolute', value: 0 },
    timestamp: 'source',
    ...over,
  };
}
