/**
 * One physical link (a TCP connection or a serial port) shared by every device on it: requests
 * run one at a time in FIFO order with a silence between them, the link reconnects with backoff
 * when it drops, and a slave that does not answer never closes the link for the others.
 */
import type { EventEmitter } from 'node:events';
import modbusSerial from 'modbus-serial';
import { type BackoffSettings, backoffDelay } from './backoff.ts';
import { exceptionName, ModbusReadError, STATUS } from './errors.ts';
import type { FunctionCode } from './planner.ts';

export type LinkSettings = (
  | { transport: 'tcp' | 'rtu-over-tcp'; host: string; port: number }
  | {
      transport: 'rtu';
      path: string;
      baudRate: number;
      parity: 'none' | 'even' | 'odd';
      dataBits: 7 | 8;
      stopBits: 1 | 2;
    }
) & {
  interRequestDelayMs: number;
  connectTimeoutMs: number;
  backoff: BackoffSettings;
};

export interface LinkEvents {
  connected(): void;
  /** The link dropped or a connection attempt failed; it retries by itself after `retryInMs`. */
  disconnected(reason: string, retryInMs: number): void;
}

/** Timeouts in a row, with no answer from any slave in between, after which the link is reopened. */
export const SILENT_LINK_TIMEOUTS = 3;

export interface ReadCall {
  unitId: number;
  fn: FunctionCode;
  /** Protocol address (0-based). */
  address: number;
  /** Registers or bits. */
  count: number;
  timeoutMs: number;
}

export type ReadResult = { kind: 'bits'; bits: boolean[] } | { kind: 'registers'; bytes: Buffer };

// modbus-serial is CommonJS: its class is module.exports, which it also exposes as `.default`.
const ModbusClient = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusClient>;

export function linkLabel(settings: LinkSettings): string {
  return settings.transport === 'rtu'
    ? `rtu:${settings.path}`
    : `${settings.transport}://${settings.host}:${settings.port}`;
}

export class ModbusLink {
  readonly label: string;
  private client: ModbusRTU | undefined;
  private stopped = true;
  private attempts = 0;
  private silentTimeouts = 0;
  private lastIoEnd = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<(error: ModbusReadError) => void>();
  private readonly connectWaiters = new Set<() => void>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: LinkSettings,
    private readonly events: LinkEvents,
  ) {
    this.label = linkLabel(settings);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Starts connecting (and reconnecting) in the background. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.failInFlight('link stopped');
    for (const wake of this.connectWaiters) wake();
    if (client) await closeClient(client);
  }

  /** Resolves true once connected, false after timeoutMs or when stopped. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.connectWaiters.delete(done);
        resolve(this.connected);
      };
      const timer = setTimeout(done, timeoutMs);
      this.connectWaiters.add(done);
    });
  }

  /** Runs `job` with the link to itself; jobs run in the order they were queued. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** One read request; call it inside exclusive(). Rejects with a ModbusReadError. */
  async read(call: ReadCall): Promise<ReadResult> {
    const { timeoutMs } = call;
    const wait = this.lastIoEnd + this.settings.interRequestDelayMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const client = this.client;
    if (!client)
      throw new ModbusReadError('disconnected', STATUS.disconnected, `${this.label} is not connected`);
    client.setTimeout(timeoutMs);
    try {
      const result = await this.request(client, call);
      this.silentTimeouts = 0;
      return result;
    } catch (error) {
      const failure = classify(error, this.label, timeoutMs);
      if (failure.kind === 'timeout') this.noteTimeout(client);
      else if (failure.kind !== 'disconnected') this.silentTimeouts = 0;
      throw failure;
    } finally {
      this.lastIoEnd = Date.now();
    }
  }

  private request(
    client: ModbusRTU,
    { unitId, fn, address, count, timeoutMs }: ReadCall,
  ): Promise<ReadResult> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: unknown, result?: ReadResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.inFlight.delete(drop);
        if (result) resolve(result);
        else reject(error);
      };
      const drop = (error: ModbusReadError) => settle(error);
      // modbus-serial times out by itself; the guard covers a port that never calls back at all.
      const guard = setTimeout(
        () => settle(new ModbusReadError('timeout', STATUS.timeout, `no response within ${timeoutMs} ms`)),
        timeoutMs + 500,
      );
      this.inFlight.add(drop);
      const onBits = (err: unknown, res?: { data: boolean[] }) =>
        settle(err, res && { kind: 'bits', bits: res.data.slice(0, count) });
      const onRegisters = (err: unknown, res?: { buffer: Buffer }) =>
        settle(err, res && { kind: 'registers', bytes: res.buffer });
      if (fn === 1) client.writeFC1(unitId, address, count, onBits);
      else if (fn === 2) client.writeFC2(unitId, address, count, onBits);
      else if (fn === 3) client.writeFC3(unitId, address, count, onRegisters);
      else client.writeFC4(unitId, address, count, onRegisters);
    });
  }

  /** Timeouts from every slave in a row mean the link itself is dead (e.g. a half-open TCP connection). */
  private noteTimeout(client: ModbusRTU): void {
    this.silentTimeouts += 1;
    if (this.silentTimeouts >= SILENT_LINK_TIMEOUTS) {
      this.dropped(client, `${this.silentTimeouts} timeouts in a row with no answer from any device`);
    }
  }

  private async connect(): Promise<void> {
    while (!this.stopped) {
      const client = new ModbusClient();
      try {
        await withTimeout(this.open(client), this.settings.connectTimeoutMs, `connecting to ${this.label}`);
      } catch (error) {
        void closeClient(client);
        this.attempts += 1;
        const delay = backoffDelay(this.attempts, this.settings.backoff);
        this.events.disconnected(errorMessage(error), delay);
        if (this.stopped) return;
        await new Promise<void>((resolve) => {
          this.retryTimer = setTimeout(resolve, delay);
        });
        continue;
      }
      if (this.stopped) {
        await closeClient(client);
        return;
      }
      client.on('close', () => this.dropped(client, 'connection closed'));
      client.on('error', (error: unknown) => this.dropped(client, errorMessage(error)));
      this.client = client;
      this.attempts = 0;
      this.silentTimeouts = 0;
      this.events.connected();
      for (const wake of this.connectWaiters) wake();
      return;
    }
  }

  private open(client: ModbusRTU): Promise<void> {
    const s = this.settings;
    if (s.transport === 'tcp') return client.connectTCP(s.host, { port: s.port });
    // modbus-serial's "TcpRTUBuffered" port speaks MBAP; raw RTU frames over TCP are its telnet port.
    if (s.transport === 'rtu-over-tcp') return client.connectTelnet(s.host, { port: s.port });
    if (s.transport !== 'rtu') throw new Error('unknown transport');
    return client.connectRTUBuffered(s.path, {
      baudRate: s.baudRate,
      parity: s.parity,
      dataBits: s.dataBits,
      stopBits: s.stopBits,
    });
  }

  private dropped(client: ModbusRTU, reason: string): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.failInFlight(reason);
    void closeClient(client);
    if (this.stopped) return;
    this.attempts += 1;
    const delay = backoffDelay(this.attempts, this.settings.backoff);
    this.events.disconnected(reason, delay);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private failInFlight(reason: string): void {
    const error = new ModbusReadError('disconnected', STATUS.disconnected, `${this.label}: ${reason}`);
    for (const drop of [...this.inFlight]) drop(error);
  }
}

function classify(error: unknown, label: string, timeoutMs: number): ModbusReadError {
  if (error instanceof ModbusReadError) return error;
  const e = error as { modbusCode?: number; errno?: string; name?: string; message?: string };
  if (typeof e.modbusCode === 'number') {
    return new ModbusReadError(
      'exception',
      e.modbusCode,
      `exception ${e.modbusCode} (${exceptionName(e.modbusCode)})`,
    );
  }
  if (e.errno === 'ETIMEDOUT')
    return new ModbusReadError('timeout', STATUS.timeout, `no response within ${timeoutMs} ms`);
  if (e.name === 'PortNotOpenError') {
    return new ModbusReadError('disconnected', STATUS.disconnected, `${label} is not connected`);
  }
  return new ModbusReadError('malformed', STATUS.malformed, `bad response: ${e.message ?? String(error)}`);
}

async function closeClient(client: ModbusRTU): Promise<void> {
  (client as unknown as EventEmitter).removeAllListeners();
  // A late 'error' from the socket after we stopped listening must not crash the process.
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      // TCP ports can be destroyed at once; a serial port has only close(), which drains and releases it.
      const port = (client as unknown as { _port?: { destroy?: unknown; isOpen?: boolean } })._port;
      if (typeof port?.destroy === 'function') client.destroy(done);
      else if (port?.isOpen) client.close(done);
      else done();
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error);
}
