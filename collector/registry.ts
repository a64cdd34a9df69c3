/** Every protocol the gateway can read, one line each (as Telegraf's `inputs.Add`). */
import type { AnyPlugin } from '../gateway/config/schema.ts';
import { modbusPlugin } from './modbus/modbus.ts';
import { mqttPlugin } from './mqtt/mqtt.ts';
import { opcuaPlugin } from './opcua/index.ts';
import { sparkplugbPlugin } from './sparkplugb/sparkplugb.ts';

export const PLUGINS: readonly AnyPlugin[] = [
  opcuaPlugin as unknown as AnyPlugin,
  modbusPlugin as unknown as AnyPlugin,
  mqttPlugin as unknown as AnyPlugin,
  sparkplugbPlugin as unknown as AnyPlugin,
];
