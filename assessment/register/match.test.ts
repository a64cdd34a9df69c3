/**
 * A real gateway config (the loader and the collectors' schemas) mapped onto a register: what maps,
 * and every way it cannot, each named with the device's line in the config file.
 */
import { describe, expect, it } from 'vitest';
import { PLUGINS } from '../../collector/registry.ts';
import { parseYamlText } from '../../gateway/config/load.ts';
import { validateGatewayConfig } from '../../gateway/config/schema.ts';
import type { RegisterError } from '../errors.ts';
import { modbusPress as device, modbusLink } from '../fixtures.ts';
import { matchRegister, placeInConfig } from './match.ts';
import { parseRegister } from './read.ts';

const REGISTER = `devices:
  - { asset: ZC-0001, name: 数控车床, type: machine-tool, production: true }
  - { asset: ZC-0002, name: 液压机, type: forming, production: true }
  - { asset: ZC-0003, name: 总电表, type: instrument, production: false }
  - { asset: ZC-0004, name: 注塑机, type: moulding, production: true }
`;

async function match(config: string) {
  const register = await parseRegister(Buffer.from(REGISTER), 'register.yaml');
  const parsed = parseYamlText(config, 'plant.yaml');
  const connections = validateGatewayConfig(parsed, PLUGINS).connections;
  const devices = connections.flatMap((c) => PLUGINS.find((p) => p.protocol === c.protocol)!.devices(c));
  return matchRegister(register, devices, placeInConfig(parsed));
}

function mismatch(config: string): Promise<string[]> {
  return match(config).then(
    () => {
      throw new Error('accepted');
    },
    (error: RegisterError) => {
      expect([error.code, error.exitCode]).toEqual(['SHUGAI_REGISTER_MISMATCH', 2]);
      return error.message.split('\n');
    },
  );
}

describe('matchRegister', () => {
  it('maps each device to its entry; a meter needs no asset number', async () => {
    const m = await match(
      modbusLink('gw', [
        device('lathe-1', 1, true, 'ZC-0001'),
        device('press-2', 2, true, 'ＺＣ－０００２'), // full-width, typed in Chinese input mode
        device('meter-9', 9, false),
      ]),
    );
    expect([...m.deviceOf].map(([asset, d]) => [asset, d.id])).toEqual([
      ['ZC-0001', 'lathe-1'],
      ['ZC-0002', 'press-2'],
    ]);
  });

  it('refuses an unknown asset number, a production device without one, two devices on one entry and a contradicted production flag', async () => {
    const config = modbusLink('gw', [
      device('lathe-1', 1, true, 'ZC-0001'), // asset on line 14
      device('press-2', 2, true, 'ZC-0099'), // asset on line 20
      device('press-3', 3, true), // from line 23, no asset
      device('lathe-4', 4, true, 'ZC-0001'), // asset on line 31
      device('meter-5', 5, false, 'ZC-0004'), // asset on line 37
    ]);
    expect(await mismatch(config)).toEqual([
      'plant.yaml:20 connections[0].devices[1].asset: asset number ZC-0099 of device "press-2" is not in the register register.yaml',
      'plant.yaml:23 connections[0].devices[2].asset: production device "press-3" has no asset number; with a register (register.yaml) every production device names its entry',
      'plant.yaml:31 connections[0].devices[3].asset: asset number ZC-0001 is mapped to device "lathe-1" too (plant.yaml:14); one register entry is one device',
      'plant.yaml:37 connections[0].devices[4].asset: device "meter-5" is not a production device here, but the register register.yaml lists ZC-0004 (注塑机) with 生产设备: 是; one of them is wrong',
    ]);
  });

  it('describes asset in the config schema that `shugai config schema` prints', async () => {
    const { gatewayConfigJsonSchema } = await import('../../gateway/config/schema.ts');
    const schema = JSON.stringify(gatewayConfigJsonSchema(PLUGINS));
    expect(schema).toContain(
      '"asset":{"description":"The device\'s asset number (资产编号) in the enterprise\'s equipment register (设备台账), e.g. ZC-0007.',
    );
  });
});
