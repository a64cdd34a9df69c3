/**
 * Node addresses by namespace URI. A config names a node as `nsu=<uri>;s=<id>` (or `{namespaceUri,
 * id}`), never by namespace index: a server assigns indices at start-up and may change them on
 * restart (Telegraf #13594), so indices are looked up in the server's NamespaceArray after every
 * (re)connect. Parsing is here, free of node-opcua, so loading a config does not load the driver.
 */
export const UA_NAMESPACE = 'http://opcfoundation.org/UA/';

export interface NodeAddress {
  namespaceUri: string;
  type: 'i' | 's' | 'g' | 'b';
  /** A number for i=, else the identifier text (GUID text, base64 for b=). */
  value: number | string;
}

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** Parses `nsu=urn:x;s=Foo`, `ns=0;i=2258`, `i=2258` or `{namespaceUri, id}`; throws naming what is wrong. */
export function parseNodeAddress(
  address: string | { namespaceUri: string; id: string | number },
): NodeAddress {
  if (typeof address !== 'string') {
    if (typeof address.id === 'number')
      return { namespaceUri: address.namespaceUri, type: 'i', value: address.id };
    const typed = /^([isgb])=(.+)$/s.exec(address.id);
    if (typed) return identifier(address.namespaceUri, `${typed[1]}=${typed[2]}`, address.id);
    return { namespaceUri: address.namespaceUri, type: 's', value: address.id };
  }
  const withUri = /^nsu=([^;]+);(.+)$/s.exec(address);
  if (withUri) return identifier(withUri[1] as string, withUri[2] as string, address);
  const withIndex = /^ns=(\d+);(.+)$/s.exec(address);
  if (withIndex) {
    if (withIndex[1] !== '0') {
      throw new Error(
        `node id "${address}" uses a namespace index; write nsu=<namespace URI>;… (run \`shugai browse\` to see it)`,
      );
    }
    return identifier(UA_NAMESPACE, withIndex[2] as string, address);
  }
  return identifier(UA_NAMESPACE, address, address);
}

function identifier(namespaceUri: string, text: string, whole: string): NodeAddress {
  const match = /^([isgb])=(.+)$/s.exec(text);
  if (!match)
    throw new Error(`node id "${whole}" has no identifier (expected i=, s=, g= or b= after the namespace)`);
  const type = match[1] as NodeAddress['type'];
  const value = match[2] as string;
  if (type === 'i') {
    if (!/^\d+$/.test(value) || Number(value) > 0xffff_ffff) {
      throw new Error(`node id "${whole}": i= needs an unsigned 32-bit number`);
    }
    return { namespaceUri, type, value: Number(value) };
  }
  if (type === 'g' && !GUID.test(value)) throw new Error(`node id "${whole}": g= needs a GUID`);
  return { namespaceUri, type, value };
}
