/**
 * The gateway config's devices mapped onto the register by their asset numbers. A production device
 * without one, an asset number the register does not have, two devices on one entry and a device
 * whose production flag the register contradicts are errors, each naming the device's place in the
 * config file: a rate against the register is only as good as this mapping.
 */
import type { Device } from '../../core/model.ts';
import { type ConfigIssue, formatPath } from '../../gateway/config/errors.ts';
import { lineOf, type ParsedYaml } from '../../gateway/config/load.ts';
import { devicePath } from '../../gateway/config/schema.ts';
import { RegisterError } from '../errors.ts';
import type { Register, RegisterEntry } from './schema.ts';

/** Where a device's `asset` is (or would be) in its config file. */
export type DevicePlace = Omit<ConfigIssue, 'message'>;

export interface RegisterMatch {
  register: Register;
  /** The config device mapped to each asset number that has one. */
  deviceOf: ReadonlyMap<string, Device>;
}

const where = (p: DevicePlace) => (p.line === undefined ? p.file : `${p.file}:${p.line}`);
const yesNo = (production: boolean) => (production ? '是' : '否');

export function matchRegister(
  register: Register,
  devices: readonly Device[],
  placeOf: (device: Device) => DevicePlace,
): RegisterMatch {
  const entries = new Map<string, RegisterEntry>(register.entries.map((e) => [e.asset, e]));
  const deviceOf = new Map<string, Device>();
  const issues: ConfigIssue[] = [];
  for (const device of devices) {
    const place = placeOf(device);
    const problem = (message: string) => issues.push({ ...place, message });
    if (device.asset === undefined) {
      if (device.production)
        problem(
          `production device "${device.id}" has no asset number; with a register (${register.file}) every production device names its entry`,
        );
      continue;
    }
    const entry = entries.get(device.asset);
    const other = deviceOf.get(device.asset);
    if (!entry)
      problem(
        `asset number ${device.asset} of device "${device.id}" is not in the register ${register.file}`,
      );
    else if (other)
      problem(
        `asset number ${device.asset} is mapped to device "${other.id}" too (${where(placeOf(other))}); one register entry is one device`,
      );
    else if (entry.production !== device.production)
      problem(
        `device "${device.id}" is ${device.production ? '' : 'not '}a production device here, but the register ${register.file} ` +
          `lists ${entry.asset} (${entry.name}) with 生产设备: ${yesNo(entry.production)}; one of them is wrong`,
      );
    else deviceOf.set(device.asset, device);
  }
  if (issues.length > 0) throw new RegisterError('SHUGAI_REGISTER_MISMATCH', issues);
  return { register, deviceOf };
}

/** Places in a gateway config file: a device's `asset` line (the device's own when it has none). */
export function placeInConfig(config: ParsedYaml): (device: Device) => DevicePlace {
  return (device) => {
    const at = [...(devicePath(config, device.id) ?? []), 'asset'];
    return { file: config.file, line: lineOf(config, at), path: formatPath(at) };
  };
}
