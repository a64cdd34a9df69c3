/**
 * The factory simulator: a plant model (pure functions of plant, seed and simulated time) served
 * over OPC UA, Modbus TCP and MQTT (JSON and Sparkplug B). `startSimulator` runs it; `createPlant`
 * gives the model alone, for tests and for generating gateway configs.
 */
import { type Logger, silentLogger } from '../core/log.ts';
import { createClock, parseStart, type SimClock } from './clock.ts';
import { type ModbusServer, startModbusServer } from './modbus/server.ts';
import { createPlant, type Plant } from './model/plant.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from './mqtt/broker.ts';
import { redactUrl } from './mqtt/client.ts';
import { type SensorPublisher, startSensorPublisher } from './mqtt/sensors.ts';
import { type SparkplugNode, startSparkplugNode } from './mqtt/sparkplug.ts';
import type { OpcuaServer } from './opcua/server.ts';
import { DEFAULT_SCENARIO } from './plant/scenarios.ts';
import type { PlantDefinition } from './plant/types.ts';

export { createClock, parseStart, type SimClock } from './clock.ts';
export { decodeRegisters, encodeRegisters, registerCount } from './modbus/codec.ts';
export { checkSeed, createPlant, type Plant, type Snapshot } from './model/plant.ts';
export { MACHINE_STATES, type MachineState } from './model/timeline.ts';
export { OPCUA_NAMESPACE_URI } from './plant/devices.ts';
export { aroundTheClock, DEFAULT_SCENARIO, getScenario, SCENARIOS } from './plant/scenarios.ts';
export type * from './plant/types.ts';

export const DEFAULT_PORTS = { opcua: 4840, modbus: 5020, mqtt: 1883 } as const;
export const DEFAULT_SEED = 1;

export interface SimulatorOptions {
  /** Scenario name or a plant definition (default yongkang-cups). */
  scenario?: string | PlantDefinition;
  seed?: number;
  /** Simulated seconds per real second; 0 freezes the plant at `start` (default 1). */
  speed?: number;
  /** Simulated start: ISO 8601 with a zone, a Date or ms (default: now). */
  start?: string | number | Date;
  /** Interface the servers listen on (default 127.0.0.1). */
  host?: string;
  /** OPC UA server options, or false for none. */
  opcua?:
    | false
    | { port?: number; pkiDir?: string; allowSecurityNone?: boolean; trustClientCertificates?: boolean };
  /** Modbus TCP server options, or false for none. */
  modbus?: false | { port?: number };
  /** MQTT: publish to `url`, or to an embedded broker on `port` when no URL is given; false for none. */
  mqtt?: false | { url?: string; port?: number; intervalMs?: number };
  logger?: Logger;
}

export interface RunningSimulator {
  plant: Plant;
  clock: SimClock;
  opcua?: Omit<OpcuaServer, 'close'>;
  modbus?: Omit<ModbusServer, 'close'>;
  mqtt?: {
    url: string;
    embedded: boolean;
    sensorTopics: string[];
    sparkplug: Omit<SparkplugNode, 'close'>[];
  };
  /** Stops everything started (sends NDEATH, closes servers); safe to call twice. */
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const logger = options.logger ?? silentLogger;
  const plant = createPlant(options.scenario ?? DEFAULT_SCENARIO, options.seed ?? DEFAULT_SEED);
  const start = options.start === undefined ? Date.now() : parseStart(options.start);
  if (start < plant.epochMs) {
    throw new Error(
      `simulated start ${new Date(start).toISOString()} is before the plant epoch ${plant.definition.epoch}`,
    );
  }
  const clock = createClock(start, options.speed ?? 1);
  // Fill the model's per-day sums up to now, so the first client request is answered at once.
  plant.snapshot(clock.now());
  const host = options.host ?? '127.0.0.1';
  const has = (protocol: string) => plant.devices.some((d) => d.protocol === protocol);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of stops.splice(0).reverse()) {
      await close().catch((error: unknown) => logger.warn({ err: error }, 'simulator: error while stopping'));
    }
  };
  const running: RunningSimulator = { plant, clock, stop };
  try {
    if (options.modbus !== false && has('modbus')) {
      const { close, ...info } = await startModbusServer({
        plant,
        clock,
        host,
        port: options.modbus?.port ?? DEFAULT_PORTS.modbus,
        logger,
      });
      stops.push(close);
      running.modbus = info;
    }
    if (options.opcua !== false && has('opcua')) {
      // node-opcua takes seconds to load: only when an OPC UA server is wanted.
      const { startOpcuaServer } = await import('./opcua/server.ts');
      const { close, ...info } = await startOpcuaServer({
        ...options.opcua,
        plant,
        clock,
        host,
        port: options.opcua?.port ?? DEFAULT_PORTS.opcua,
        logger,
      });
      stops.push(close);
      running.opcua = info;
    }
    if (options.mqtt !== false && (has('mqtt') || has('sparkplugb'))) {
      running.mqtt = await startMqtt(plant, clock, host, options.mqtt || {}, logger, stops);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return running;
}

async function startMqtt(
  plant: Plant,
  clock: SimClock,
  host: string,
  options: { url?: string; port?: number; intervalMs?: number },
  logger: Logger,
  stops: (() => Promise<void>)[],
): Promise<NonNullable<RunningSimulator['mqtt']>> {
  let url = options.url;
  if (url === undefined) {
    const broker: EmbeddedBroker = await startEmbeddedBroker(host, options.port ?? DEFAULT_PORTS.mqtt);
    stops.push(broker.close);
    url = broker.url;
  }
  const intervalMs = options.intervalMs ?? 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 10)
    throw new Error(`MQTT interval must be ≥ 10 ms, got ${intervalMs}`);
  let sensors: SensorPublisher | undefined;
  if (plant.devices.some((d) => d.protocol === 'mqtt')) {
    sensors = await startSensorPublisher({ plant, clock, url, intervalMs, logger });
    stops.push(sensors.close);
  }
  const nodes = new Map<string, { groupId: string; edgeNode: string }>();
  for (const d of plant.devices) {
    if (d.endpoint.protocol === 'sparkplugb')
      nodes.set(`${d.endpoint.groupId}/${d.endpoint.edgeNode}`, d.endpoint);
  }
  const sparkplug: SparkplugNode[] = [];
  for (const { groupId, edgeNode } of nodes.values()) {
    const node = await startSparkplugNode({ plant, clock, url, groupId, edgeNode, intervalMs, logger });
    stops.push(node.close);
    sparkplug.push(node);
  }
  return {
    url: redactUrl(url),
    embedded: options.url === undefined,
    sensorTopics: sensors?.topics ?? [],
    sparkplug,
  };
}
