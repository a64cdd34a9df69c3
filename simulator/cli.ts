/** `shugai simulate`: runs the factory simulator until Ctrl-C / SIGTERM. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../core/log.ts';
import { DEFAULT_PORTS, DEFAULT_SEED, type RunningSimulator, startSimulator } from './index.ts';
import { DEFAULT_SCENARIO, SCENARIOS } from './plant/scenarios.ts';

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

function nonNegative(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError('expected a number ≥ 0');
  return value;
}

const port = integer(0, 65535);

interface SimulateOptions {
  scenario: string;
  seed: number;
  speed: number;
  start?: string;
  host: string;
  opcuaPort: number;
  modbusPort: number;
  mqttPort: number;
  mqttUrl?: string;
  interval: number;
  pki?: string;
  opcuaSecureOnly?: boolean;
  trustClientCertificates?: boolean;
  opcua: boolean;
  modbus: boolean;
  mqtt: boolean;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run a simulated factory (OPC UA, Modbus TCP, MQTT/Sparkplug B) on local ports')
    .addOption(
      new Option('--scenario <name>', 'plant to simulate')
        .choices(Object.keys(SCENARIOS))
        .default(DEFAULT_SCENARIO),
    )
    .option(
      '--seed <n>',
      'random seed: the same seed gives the same plant history',
      integer(0, 0xffffffff),
      DEFAULT_SEED,
    )
    .option('--speed <x>', 'simulated seconds per real second (0 freezes time at --start)', nonNegative, 1)
    .option('--start <iso>', 'simulated start time with zone, e.g. 2025-03-12T10:00:00+08:00 (default: now)')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--opcua-port <port>', 'OPC UA port (0 = any free port)', port, DEFAULT_PORTS.opcua)
    .option('--modbus-port <port>', 'Modbus TCP port (0 = any free port)', port, DEFAULT_PORTS.modbus)
    .option(
      '--mqtt-port <port>',
      'embedded MQTT broker port when no --mqtt-url (0 = any free port)',
      port,
      DEFAULT_PORTS.mqtt,
    )
    .option(
      '--mqtt-url <url>',
      'publish to this MQTT broker instead of an embedded one, e.g. mqtt://127.0.0.1:1883',
    )
    .option('--interval <ms>', 'MQTT publish interval in real milliseconds', integer(10, 3_600_000), 1000)
    .option('--pki <dir>', 'OPC UA server PKI folder (default: a temporary folder, removed on exit)')
    .option(
      '--opcua-secure-only',
      'offer only Basic256Sha256 Sign/SignAndEncrypt endpoints, no security None',
    )
    .option(
      '--trust-client-certificates',
      'trust every OPC UA client certificate (insecure; by default unknown ones are rejected and kept in <pki>/rejected)',
    )
    .option('--no-opcua', 'do not start the OPC UA server')
    .option('--no-modbus', 'do not start the Modbus TCP server')
    .option('--no-mqtt', 'do not publish over MQTT')
    .action(async (options: SimulateOptions) => {
      const logger = createLogger('simulate');
      // Listen before starting: a Ctrl-C during start-up then stops cleanly once the servers are up.
      const signalled = waitForSignal();
      const simulator = await startSimulator({
        scenario: options.scenario,
        seed: options.seed,
        speed: options.speed,
        ...(options.start === undefined ? {} : { start: options.start }),
        host: options.host,
        opcua: options.opcua && {
          port: options.opcuaPort,
          ...(options.pki === undefined ? {} : { pkiDir: options.pki }),
          allowSecurityNone: !options.opcuaSecureOnly,
          trustClientCertificates: options.trustClientCertificates === true,
        },
        modbus: options.modbus && { port: options.modbusPort },
        mqtt: options.mqtt && {
          ...(options.mqttUrl === undefined ? { port: options.mqttPort } : { url: options.mqttUrl }),
          intervalMs: options.interval,
        },
        logger,
      });
      console.log(describeSimulator(simulator));
      await signalled;
      console.log('stopping simulator…');
      await simulator.stop();
    });
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** What runs and where, for people. */
export function describeSimulator(sim: RunningSimulator): string {
  const { plant, clock } = sim;
  const production = plant.definition.machines.length;
  const networked = plant.devices.filter((d) => d.production).length;
  const lines = [
    `shugai simulator: ${plant.definition.title}`,
    `  scenario ${plant.definition.scenario}, seed ${plant.seed}, speed ${clock.speed}×, simulated start ${new Date(clock.start).toISOString()}`,
    `  ${networked} of ${production} production machines networked, ${plant.devices.length} devices served`,
  ];
  if (sim.opcua) {
    lines.push(
      `OPC UA   ${sim.opcua.endpointUrl}  namespace ${sim.opcua.namespaceUri}, objects under Objects/Plant`,
      `         security: ${sim.opcua.securityPolicies.join('; ')}; PKI ${sim.opcua.pkiDir}`,
    );
  }
  if (sim.modbus) {
    const units = sim.modbus.unitIds.map((unit) => {
      const device = plant.devices.find(
        (d) => d.endpoint.protocol === 'modbus' && d.endpoint.unitId === unit,
      );
      return `${unit}=${device?.id}`;
    });
    lines.push(`Modbus   tcp://${sim.modbus.host}:${sim.modbus.port}  unit ids ${units.join(', ')}`);
  }
  if (sim.mqtt) {
    lines.push(`MQTT     ${sim.mqtt.url}${sim.mqtt.embedded ? ' (embedded broker)' : ''}`);
    for (const topic of sim.mqtt.sensorTopics) lines.push(`         JSON  ${topic}`);
    for (const node of sim.mqtt.sparkplug) {
      lines.push(
        `         Sparkplug B  spBv1.0/${node.groupId}/+/${node.edgeNode}[/device]  devices ${node.devices.join(', ')}`,
      );
    }
  }
  lines.push('Press Ctrl-C to stop.');
  return lines.join('\n');
}
