/**
 * The OPC UA address space of the plant: Objects/Plant/<Machine> objects with one variable per
 * tag (string node ids `s=<Machine>.<Variable>` in namespace urn:shugai:simulator), plus
 * Objects/Plant/Simulation with the simulated time. Every read is computed from the model at the
 * current simulated time, with that time as the source timestamp.
 */
import {
  type AddressSpace,
  DataType,
  DataValue,
  type Namespace,
  type NodeId,
  StatusCodes,
  Variant,
} from 'node-opcua';
import type { Logger } from '../../core/log.ts';
import type { SimClock } from '../clock.ts';
import type { Plant } from '../model/plant.ts';
import type { SignalValue } from '../model/signals.ts';
import { MACHINE_STATES } from '../model/timeline.ts';
import type { OpcuaAddress, OpcuaDataType } from '../plant/types.ts';

const BUILTIN: Record<Exclude<OpcuaDataType, 'MachineState'>, DataType> = {
  Double: DataType.Double,
  Float: DataType.Float,
  UInt16: DataType.UInt16,
  UInt32: DataType.UInt32,
  Int32: DataType.Int32,
  Boolean: DataType.Boolean,
  String: DataType.String,
};

/** Sampling faster than this gains nothing: states are constant within a simulated minute. */
const MINIMUM_SAMPLING_MS = 100;

export function buildAddressSpace(
  addressSpace: AddressSpace,
  namespace: Namespace,
  plant: Plant,
  clock: SimClock,
  logger: Logger,
): void {
  const stateType = namespace.addEnumerationType({
    browseName: 'MachineStateEnum',
    enumeration: MACHINE_STATES.map((name, value) => ({ displayName: name, value })),
  });
  const plantFolder = namespace.addFolder(addressSpace.rootFolder.objects, {
    nodeId: 's=Plant',
    browseName: 'Plant',
    description: plant.definition.title,
  });

  const dataValue = (value: Variant, t: number) =>
    new DataValue({
      value,
      statusCode: StatusCodes.Good,
      sourceTimestamp: new Date(t),
      serverTimestamp: new Date(),
    });

  for (const device of plant.devices) {
    if (device.endpoint.protocol !== 'opcua') continue;
    const object = namespace.addObject({
      organizedBy: plantFolder,
      nodeId: device.endpoint.objectNodeId,
      browseName: device.endpoint.objectNodeId.slice(2),
      description: device.description ?? device.id,
    });
    for (const tag of device.tags) {
      const address = tag.address as OpcuaAddress;
      const dataType: DataType | NodeId =
        address.dataType === 'MachineState' ? stateType.nodeId : BUILTIN[address.dataType];
      const variantType = address.dataType === 'MachineState' ? DataType.Int32 : BUILTIN[address.dataType];
      namespace.addVariable({
        componentOf: object,
        nodeId: address.nodeId,
        browseName: address.browseName,
        description: tag.description ?? tag.id,
        dataType,
        minimumSamplingInterval: MINIMUM_SAMPLING_MS,
        value: {
          timestamped_get: () => {
            const t = clock.now();
            try {
              return dataValue(
                new Variant({ dataType: variantType, value: plant.valueAt(device.id, tag.id, t) }),
                t,
              );
            } catch (error) {
              logger.error(
                { err: error, device: device.id, tag: tag.id },
                'opcua: could not compute a value',
              );
              return new DataValue({ statusCode: StatusCodes.BadInternalError, serverTimestamp: new Date() });
            }
          },
        },
      });
    }
  }

  const simulation = namespace.addObject({
    organizedBy: plantFolder,
    nodeId: 's=Simulation',
    browseName: 'Simulation',
    description: 'The simulator itself: scenario, seed, speed and simulated time',
  });
  const fixed: [string, DataType, SignalValue | number][] = [
    ['Scenario', DataType.String, plant.definition.scenario],
    ['Seed', DataType.UInt32, plant.seed],
    ['Speed', DataType.Double, clock.speed],
  ];
  for (const [name, dataType, value] of fixed) {
    namespace.addVariable({
      componentOf: simulation,
      nodeId: `s=Simulation.${name}`,
      browseName: name,
      dataType,
      value: { dataType, value },
    });
  }
  namespace.addVariable({
    componentOf: simulation,
    nodeId: 's=Simulation.SimulatedTime',
    browseName: 'SimulatedTime',
    dataType: DataType.DateTime,
    minimumSamplingInterval: MINIMUM_SAMPLING_MS,
    value: {
      timestamped_get: () => {
        const t = clock.now();
        return dataValue(new Variant({ dataType: DataType.DateTime, value: new Date(t) }), t);
      },
    },
  });
}
