/** Resolving and formatting node ids against a server's NamespaceArray (loads node-opcua). */
import { NodeId, NodeIdType } from 'node-opcua-nodeid';
import type { NodeAddress } from './node-address.ts';

const TYPES = { i: NodeIdType.NUMERIC, s: NodeIdType.STRING, g: NodeIdType.GUID, b: NodeIdType.BYTESTRING };

/** The NodeId of an address on a server with this NamespaceArray; throws if the server lacks the namespace. */
export function resolveNodeId(address: NodeAddress, namespaceArray: readonly string[]): NodeId {
  const index = namespaceArray.indexOf(address.namespaceUri);
  if (index < 0) throw new Error(`the server has no namespace "${address.namespaceUri}"`);
  const value = address.type === 'b' ? Buffer.from(address.value as string, 'base64') : address.value;
  return new NodeId(TYPES[address.type], value, index);
}

/** The `nsu=` form of a server NodeId, for `shugai browse` and config snippets. */
export function formatNodeId(nodeId: NodeId, namespaceArray: readonly string[]): string {
  const uri = namespaceArray[nodeId.namespace] ?? `urn:unknown-namespace-${nodeId.namespace}`;
  let id: string;
  switch (nodeId.identifierType) {
    case NodeIdType.NUMERIC:
      id = `i=${nodeId.value}`;
      break;
    case NodeIdType.GUID:
      id = `g=${String(nodeId.value)}`;
      break;
    case NodeIdType.BYTESTRING:
      id = `b=${(nodeId.value as Buffer).toString('base64')}`;
      break;
    default:
      id = `s=${String(nodeId.value)}`;
  }
  return nodeId.namespace === 0 ? id : `nsu=${uri};${id}`;
}
