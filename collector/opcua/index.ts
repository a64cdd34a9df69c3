/** The OPC UA collector plugin: registered in collector/registry.ts as `opcua`. */
import type { CollectorPlugin } from '../collector.ts';
import { LazyCollector } from '../lazy.ts';
import { toModelDevices } from '../schema.ts';
import { type OpcuaConnectionConfig, opcuaConnectionSchema } from './schema.ts';

export type { OpcuaConnectionConfig } from './schema.ts';

export const opcuaPlugin: CollectorPlugin<OpcuaConnectionConfig> = {
  protocol: 'opcua',
  schema: opcuaConnectionSchema,
  devices: (config) => toModelDevices('opcua', config.devices),
  // The driver (node-opcua) loads when the collector starts, not when the registry is imported.
  create: (config, context) =>
    new LazyCollector(config.id, toModelDevices('opcua', config.devices), async () => {
      const [{ OpcuaCollector }, { quietOpcuaLogs }] = await Promise.all([
        import('./opcua-collector.ts'),
        import('./opcua-log.ts'),
      ]);
      quietOpcuaLogs(context.log.child({ component: 'node-opcua' }));
      return new OpcuaCollector(config, context);
    }),
  describeStatus: async (code) => (await import('./convert.ts')).statusText(code),
};
