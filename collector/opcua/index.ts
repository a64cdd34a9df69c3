/** The OPC UA collector plugin: registered in collector/registry.ts as `opcua`. */
import type { CollectorPlugin } from '../collector.ts';
import { toModelDevices } from '../schema.ts';
import { OpcuaCollector } from './opcua-collector.ts';
import { quietOpcuaLogs } from './opcua-log.ts';
import { type OpcuaConnectionConfig, opcuaConnectionSchema } from './schema.ts';

export type { OpcuaConnectionConfig } from './schema.ts';

export const opcuaPlugin: CollectorPlugin<OpcuaConnectionConfig> = {
  protocol: 'opcua',
  schema: opcuaConnectionSchema,
  devices: (config) => toModelDevices('opcua', config.devices),
  create: (config, context) => {
    quietOpcuaLogs(context.log.child({ component: 'node-opcua' }));
    return new OpcuaCollector(config, context);
  },
};
