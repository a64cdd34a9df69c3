/**
 * mqtt-packet logs through `debug` several times a packet (`debug('parse: ...', ...)`): with DEBUG
 * unset nothing is printed, but each call still collects its arguments and asks whether it is on,
 * 8 % of what the gateway allocated in an MQTT burst; without it the gateway's CPU a point fell 8 %
 * (ten values a message) to 19 % (one value), bench/README.md.
 * Imported before mqtt (connection.ts), this hands mqtt-packet loggers that are switched off for
 * good, unless DEBUG is set when the process starts, so `DEBUG=mqtt-packet:*` still works.
 */
import { createRequire } from 'node:module';

if (!process.env.DEBUG) {
  try {
    // The copies mqtt itself would load: resolved from mqtt's folder, then from mqtt-packet's.
    const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
    const fromMqttPacket = createRequire(fromMqtt.resolve('mqtt-packet'));
    const path = fromMqttPacket.resolve('debug');
    const real = fromMqttPacket('debug') as (namespace: string) => unknown;
    const cached = fromMqttPacket.cache[path];
    if (cached) {
      const off = () => {};
      cached.exports = Object.assign(
        (namespace: string) => (namespace.startsWith('mqtt-packet:') ? off : real(namespace)),
        real,
      );
    }
  } catch {
    // Another layout of mqtt's dependencies: the loggers stay as they are, slower but correct.
  }
}
