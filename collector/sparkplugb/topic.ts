/**
 * Sparkplug B topics (spec 3.0 §4.1): `spBv1.0/<group>/<type>/<edge node>[/<device>]`, the host
 * STATE topic `spBv1.0/STATE/<host id>` (3.0) and `STATE/<host id>` (2.2).
 */

export const NAMESPACE = 'spBv1.0';
export const MESSAGE_TYPES = [
  'NBIRTH',
  'NDEATH',
  'DBIRTH',
  'DDEATH',
  'NDATA',
  'DDATA',
  'NCMD',
  'DCMD',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export type ParsedTopic =
  | { kind: 'edge'; group: string; type: MessageType; node: string; device?: string }
  | { kind: 'state'; hostId: string };

/** Parses a topic; undefined when it is not a well-formed Sparkplug B topic. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] === 'STATE' && levels.length === 2 && levels[1]) return { kind: 'state', hostId: levels[1] };
  if (levels[0] !== NAMESPACE) return undefined;
  if (levels[1] === 'STATE')
    return levels.length === 3 && levels[2] ? { kind: 'state', hostId: levels[2] } : undefined;
  const [, group, type, node, device] = levels;
  if (!group || !node || !(MESSAGE_TYPES as readonly string[]).includes(type ?? '')) return undefined;
  const deviceLevel = (type as string).startsWith('D');
  if (deviceLevel ? levels.length !== 5 || !device : levels.length !== 4) return undefined;
  return { kind: 'edge', group, type: type as MessageType, node, ...(deviceLevel ? { device } : {}) };
}

/** Topic of a node command, e.g. a rebirth request. */
export function ncmdTopic(group: string, node: string): string {
  return `${NAMESPACE}/${group}/NCMD/${node}`;
}

/** A Sparkplug id element: no empty text and none of / + #. */
export function isValidElement(text: string): boolean {
  return text !== '' && !/[/+#]/.test(text);
}

/** A metric name as a tag id: characters outside A–Z a–z 0–9 _ . - become _ ("Motor/Speed" → "Motor_Speed"). */
export function sanitizeMetricName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
}
