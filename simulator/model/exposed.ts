/**
 * A signal value as the device exposes it: counters wrapped to their width, numbers rounded to the
 * wire type (float32, scaled integers, JSON decimals). This is exactly what a correct client reads.
 */
import { fromRaw, toRaw } from '../modbus/codec.ts';
import type { SimTag, TagAddress } from '../plant/types.ts';
import type { SignalValue } from './signals.ts';

export function exposedValue(tag: SimTag, value: SignalValue): SignalValue {
  const counter = tag.signal.counter;
  const wrapped = counter && typeof value === 'number' ? value % 2 ** counter.bits : value;
  return onTheWire(tag.address, wrapped, tag);
}

function onTheWire(address: TagAddress, value: SignalValue, tag: SimTag): SignalValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') {
    if (address.protocol === 'modbus' && address.type !== 'bool') return value ? 1 : 0;
    return value;
  }
  switch (address.protocol) {
    case 'modbus':
      return address.type === 'bool' ? value !== 0 : fromRaw(address, toRaw(address, value));
    case 'opcua':
      return numberAs(address.dataType, value);
    case 'mqtt': {
      if (tag.type !== 'number') return value;
      const factor = 10 ** address.decimals;
      return Math.round(value * factor) / factor;
    }
    case 'sparkplugb':
      return numberAs(address.datatype, value);
  }
}

/** A number in an OPC UA or Sparkplug B type (the two name theirs alike). */
function numberAs(type: string, value: number): SignalValue {
  if (type === 'Double') return value;
  if (type === 'Float') return Math.fround(value);
  if (type === 'Boolean') return value !== 0;
  if (type === 'String') return String(value);
  return Math.round(value);
}
