/**
 * `shugai browse`: walks a server's address space from a root (default Objects) and prints the
 * tree with node ids in the nsu= form and data types, or a devices/tags YAML snippet for the
 * connection config: first-level objects become devices, their variables tags.
 */
import {
  AttributeIds,
  BrowseDirection,
  browseAll,
  type ClientSession,
  resolveNodeId as coerceNodeId,
  DataType,
  NodeClass,
  NodeClassMask,
  type NodeId,
} from 'node-opcua-client';
import { stringify } from 'yaml';
import type { DataType as TagType } from '../../core/model.ts';
import { parseNodeAddress } from './node-address.ts';
import { formatNodeId, resolveNodeId } from './node-id.ts';

export interface BrowsedNode {
  name: string;
  nodeId: string;
  nodeClass: 'Object' | 'Variable';
  /** Built-in data type name of a variable (Double, Int32, …), or the DataType node id if not built in. */
  dataType?: string;
  isArray?: boolean;
  children: BrowsedNode[];
}

/** The Server object: thousands of diagnostics nodes nobody wants in a tag list. */
const SERVER_OBJECT = 'i=2253';

export async function browseTree(
  session: ClientSession,
  namespaceArray: string[],
  options: { root?: string; depth: number },
): Promise<BrowsedNode[]> {
  const root = options.root
    ? resolveNodeId(parseNodeAddress(options.root), namespaceArray)
    : coerceNodeId('ObjectsFolder');
  return browseLevel(session, namespaceArray, [root], options.depth, options.root === undefined).then(
    (r) => r[0] ?? [],
  );
}

async function browseLevel(
  session: ClientSession,
  namespaceArray: string[],
  parents: NodeId[],
  depth: number,
  skipServer: boolean,
): Promise<BrowsedNode[][]> {
  if (depth <= 0 || parents.length === 0) return parents.map(() => []);
  const results = await browseAll(
    session,
    parents.map((nodeId) => ({
      nodeId,
      browseDirection: BrowseDirection.Forward,
      referenceTypeId: 'HierarchicalReferences',
      includeSubtypes: true,
      nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
      resultMask: 0x3f,
    })),
  );
  const levels = results.map((result) =>
    (result.references ?? [])
      .filter((ref) => !(skipServer && formatNodeId(ref.nodeId, namespaceArray) === SERVER_OBJECT))
      .map((ref) => ({
        id: ref.nodeId as unknown as NodeId,
        node: {
          name: ref.browseName.name ?? '',
          nodeId: formatNodeId(ref.nodeId, namespaceArray),
          nodeClass: ref.nodeClass === NodeClass.Variable ? 'Variable' : 'Object',
          children: [],
        } as BrowsedNode,
      })),
  );
  const all = levels.flat();
  const variables = all.filter((entry) => entry.node.nodeClass === 'Variable');
  if (variables.length > 0) {
    const attributes = await session.read(
      variables.flatMap((v) => [
        { nodeId: v.id, attributeId: AttributeIds.DataType },
        { nodeId: v.id, attributeId: AttributeIds.ValueRank },
      ]),
    );
    variables.forEach((v, i) => {
      const dataType = attributes[2 * i]?.value.value as NodeId | null;
      v.node.dataType =
        dataType && dataType.namespace === 0 && typeof dataType.value === 'number' && DataType[dataType.value]
          ? DataType[dataType.value]
          : dataType
            ? formatNodeId(dataType, namespaceArray)
            : 'unknown';
      v.node.isArray = (attributes[2 * i + 1]?.value.value as number | null) !== -1;
    });
  }
  const children = await browseLevel(
    session,
    namespaceArray,
    all.map((entry) => entry.id),
    depth - 1,
    false,
  );
  all.forEach((entry, i) => {
    entry.node.children = children[i] ?? [];
  });
  return levels.map((level) => level.map((entry) => entry.node));
}

export function formatTree(nodes: BrowsedNode[], indent = ''): string {
  return nodes
    .map((node) => {
      const type = node.nodeClass === 'Variable' ? `  ${node.dataType}${node.isArray ? '[]' : ''}` : '';
      const line = `${indent}${node.name}  ${node.nodeId}${type}`;
      return node.children.length ? `${line}\n${formatTree(node.children, `${indent}  `)}` : line;
    })
    .join('\n');
}

const TAG_TYPES: Record<string, TagType> = {
  Double: 'number',
  Float: 'number',
  SByte: 'integer',
  Byte: 'integer',
  Int16: 'integer',
  UInt16: 'integer',
  Int32: 'integer',
  UInt32: 'integer',
  Int64: 'integer',
  UInt64: 'integer',
  DateTime: 'integer',
  Boolean: 'boolean',
  String: 'string',
  LocalizedText: 'string',
};

/** An id shugai accepts (letters, digits, _ . -), from a browse name. */
function toId(name: string, fallback: string): string {
  const id = name
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return id || fallback;
}

/** A `devices:` snippet: each first-level object a device, its scalar variables (any depth) its tags. */
export function toConfigYaml(nodes: BrowsedNode[], endpoint: string): string {
  const devices = nodes
    .filter((node) => node.nodeClass === 'Object')
    .map((object, d) => {
      const tags: Record<string, string>[] = [];
      const skipped: string[] = [];
      const walk = (node: BrowsedNode, prefix: string) => {
        for (const child of node.children) {
          const path = prefix ? `${prefix}.${child.name}` : child.name;
          if (child.nodeClass === 'Variable') {
            const type = child.dataType ? TAG_TYPES[child.dataType] : undefined;
            if (type && !child.isArray)
              tags.push({ id: toId(path, `tag${tags.length}`), type, nodeId: child.nodeId });
            else skipped.push(`${path} (${child.dataType}${child.isArray ? '[]' : ''})`);
          }
          walk(child, path);
        }
      };
      walk(object, '');
      return { id: toId(object.name, `device${d}`), tags, skipped };
    })
    .filter((device) => device.tags.length > 0);
  const body = stringify(
    {
      devices: devices.map((device) => ({
        id: device.id,
        production: true,
        businessLinks: ['生产管控'],
        tags: device.tags,
      })),
    },
    { lineWidth: 0 },
  );
  const skipped = devices.flatMap((d) => d.skipped.map((s) => `#   ${d.id}: ${s}`));
  return [
    `# Devices and tags browsed from ${endpoint}. Review ids, production and businessLinks before use.`,
    ...(skipped.length ? ['# Skipped (arrays and types shugai does not store):', ...skipped] : []),
    body.trimEnd(),
  ].join('\n');
}
