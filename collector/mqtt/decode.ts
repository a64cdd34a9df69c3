/**
 * Turns one MQTT message into samples, or into problems to count and log: a pure function of the
 * config, the topic, the payload and the time, tested without a broker.
 */
import type { Sample, SampleValue, Tag } from '../../core/model.ts';
import { coerce, parseTimestamp } from './coerce.ts';
import { FlatNumbers } from './flat-json.ts';
import { compilePath, type FieldPath, getPath } from './path.ts';
import type { Problem } from './problems.ts';
import type { MqttConfig, MqttSubscription } from './schema.ts';
import { compileTemplate, type TopicTemplate } from './topic.ts';

export interface Decoded {
  samples: Sample[];
  problems: Problem[];
}

interface Compiled {
  template: TopicTemplate;
  sub: MqttSubscription;
  /** [tag, path] pairs when the subscription names its tags (fields or a fixed tag). */
  targets?: [string, FieldPath][];
  value: FieldPath;
  timestamp?: FieldPath;
  readings?: FieldPath;
  /**
   * When every value and the timestamp are top-level keys of a JSON object: their numbers read
   * straight from the payload (flat-json.ts), slots by key; a payload it refuses goes to JSON.parse.
   */
  flat?: { numbers: FlatNumbers; slots: Map<string, number> };
}

/** Where a topic's messages go: found once per topic, then looked up. */
interface Route {
  compiled: Compiled;
  device: string;
  /** The device's tags; undefined when the device is not configured. */
  tags: Map<string, Tag> | undefined;
  targets: [Tag, FieldPath][];
  /** Tag ids the topic names that the device does not have. */
  unknownTags: string[];
  /** The flat-number slot of each target, and of the timestamp (compiled.flat). */
  flatSlots?: { targets: number[]; time: number };
}

/** Routes remembered at most; past this the cache starts again (topics are normally a fixed set). */
const MAX_ROUTES = 10_000;

export class MqttDecoder {
  private readonly subscriptions: Compiled[];
  private readonly tags: Map<string, Map<string, Tag>>;
  /** Routes by topic; null: no subscription matches the topic. */
  private readonly routes = new Map<string, Route | null>();

  constructor(private readonly config: MqttConfig) {
    this.tags = new Map(config.devices.map((d) => [d.id, new Map(d.tags.map((t) => [t.id, t]))]));
    this.subscriptions = config.subscriptions.map((sub) => {
      const value = compilePath(sub.value ?? '$');
      const compiled: Compiled = { template: compileTemplate(sub.topic), sub, value };
      if (sub.fields) compiled.targets = Object.entries(sub.fields).map(([tag, p]) => [tag, compilePath(p)]);
      else if (sub.tag !== undefined) compiled.targets = [[sub.tag, value]];
      if (sub.timestamp !== undefined) compiled.timestamp = compilePath(sub.timestamp);
      if (sub.readings !== undefined) compiled.readings = compilePath(sub.readings);
      compiled.flat = flatKeys(compiled);
      return compiled;
    });
  }

  /** The subscription filters with their QoS. */
  get filters(): Record<string, { qos: 0 | 1 | 2 }> {
    return Object.fromEntries(this.subscriptions.map((s) => [s.template.filter, { qos: s.sub.qos }]));
  }

  decode(topic: string, payload: Buffer, receivedAt: number): Decoded {
    const out: Decoded = { samples: [], problems: [] };
    const route = this.route(topic);
    if (!route) {
      this.problem(out, topic, {
        device: this.config.id,
        kind: 'unknown_topic',
        reason: 'no_subscription',
        message: 'message on a topic no subscription matches',
      });
      return out;
    }
    const { compiled, device, targets } = route;
    if (!route.tags) {
      this.problem(out, topic, {
        device: this.config.id,
        kind: 'unknown_topic',
        reason: 'unknown_device',
        message: 'message for a device that is not configured',
        detail: { unknownDevice: device },
      });
      return out;
    }
    for (const tagId of route.unknownTags)
      this.problem(out, topic, {
        device,
        kind: 'unknown_topic',
        reason: 'unknown_tag',
        message: 'message for a tag the device does not have',
        detail: { unknownTag: tagId },
      });
    if (targets.length === 0) return out;

    if (compiled.sub.format === 'plain') {
      for (const [tag] of targets)
        this.emit(out, topic, device, tag, payload.toString('utf8').trim(), receivedAt, receivedAt);
      return out;
    }
    const flat = compiled.flat?.numbers;
    if (flat && route.flatSlots && flat.read(payload)) {
      const slots = route.flatSlots;
      const sourceTime = this.sourceTime(out, topic, device, compiled, receivedAt, flat.value(slots.time));
      if (sourceTime !== undefined)
        for (let i = 0; i < targets.length; i++) {
          const [tag] = targets[i] as [Tag, FieldPath];
          this.emit(out, topic, device, tag, flat.value(slots.targets[i] as number), sourceTime, receivedAt);
        }
      return out;
    }
    let root: unknown;
    try {
      root = JSON.parse(payload.toString('utf8'));
    } catch (error) {
      this.problem(out, topic, {
        device,
        kind: 'malformed_payload',
        reason: 'invalid_json',
        message: 'payload is not valid JSON',
        detail: { error: (error as Error).message },
      });
      return out;
    }
    let items: unknown[] = [root];
    if (compiled.readings) {
      const readings = getPath(root, compiled.readings);
      if (!Array.isArray(readings)) {
        this.problem(out, topic, {
          device,
          kind: 'malformed_payload',
          reason: 'no_readings',
          message: 'payload lacks the readings array',
        });
        return out;
      }
      items = readings;
    }
    for (const item of items) {
      const rawTime = compiled.timestamp && getPath(item, compiled.timestamp);
      const sourceTime = this.sourceTime(out, topic, device, compiled, receivedAt, rawTime);
      if (sourceTime === undefined) continue;
      for (const [tag, path] of targets)
        this.emit(out, topic, device, tag, getPath(item, path), sourceTime, receivedAt);
    }
    return out;
  }

  /** An item's source time: its timestamp field's, or the time received; undefined when invalid (reported). */
  private sourceTime(
    out: Decoded,
    topic: string,
    device: string,
    compiled: Compiled,
    receivedAt: number,
    raw: unknown,
  ): number | undefined {
    if (!compiled.timestamp || !compiled.sub.timestampFormat) return receivedAt;
    const time =
      raw === undefined
        ? { error: 'payload lacks the timestamp field' }
        : parseTimestamp(raw, compiled.sub.timestampFormat, receivedAt);
    if (typeof time === 'number') return time;
    this.problem(out, topic, {
      device,
      kind: 'malformed_payload',
      reason: 'bad_timestamp',
      message: 'payload timestamp is missing or invalid',
      detail: { error: time.error },
    });
    return undefined;
  }

  /** The topic's route, matched against the subscriptions once and remembered. */
  private route(topic: string): Route | undefined {
    const known = this.routes.get(topic);
    if (known !== undefined) return known ?? undefined;
    let route: Route | null = null;
    for (const compiled of this.subscriptions) {
      const match = compiled.template.match(topic);
      if (!match) continue;
      const device = match.device ?? compiled.sub.device ?? '';
      const tags = this.tags.get(device);
      const targets: [Tag, FieldPath][] = [];
      const unknownTags: string[] = [];
      for (const [tagId, path] of compiled.targets ?? [[match.tag ?? '', compiled.value]]) {
        const tag = tags?.get(tagId);
        if (tag) targets.push([tag, path]);
        else unknownTags.push(tagId);
      }
      route = { compiled, device, tags, targets, unknownTags };
      const flat = compiled.flat;
      if (flat)
        route.flatSlots = {
          targets: targets.map(([, path]) => flat.slots.get(path[0] as string) as number),
          time: compiled.timestamp ? (flat.slots.get(compiled.timestamp[0] as string) as number) : -1,
        };
      break;
    }
    if (this.routes.size >= MAX_ROUTES) this.routes.clear();
    this.routes.set(topic, route);
    return route ?? undefined;
  }

  private problem(
    out: Decoded,
    topic: string,
    p: Omit<Problem, 'detail'> & { detail?: Record<string, unknown> },
  ): void {
    out.problems.push({ ...p, detail: { topic, ...p.detail } });
  }

  private emit(
    out: Decoded,
    topic: string,
    device: string,
    tag: Tag,
    raw: unknown,
    sourceTime: number,
    receivedAt: number,
  ): void {
    if (raw === undefined || raw === null) {
      this.problem(out, topic, {
        device,
        tag: tag.id,
        kind: 'malformed_payload',
        reason: 'missing_field',
        message: 'payload lacks the field of the tag',
      });
      return;
    }
    // A JSON number for a float tag is what coerce would return: taken without a result object.
    let value: SampleValue;
    if (typeof raw === 'number' && tag.type === 'number') value = raw;
    else {
      const result = coerce(raw, tag.type);
      if ('error' in result) {
        this.problem(out, topic, {
          device,
          tag: tag.id,
          kind: 'malformed_payload',
          reason: 'wrong_type',
          message: `value does not fit type ${tag.type}`,
          detail: { error: result.error },
        });
        return;
      }
      value = result.value;
    }
    out.samples.push({
      device,
      tag: tag.id,
      value,
      quality: 'good',
      statusCode: 0,
      sourceTime,
      receivedAt,
    });
  }
}

/** The flat-number reader of a subscription whose values and timestamp are all top-level keys. */
function flatKeys(compiled: Compiled): Compiled['flat'] {
  if (compiled.sub.format === 'plain' || compiled.readings) return undefined;
  const paths = [...(compiled.targets?.map(([, path]) => path) ?? [compiled.value])];
  if (compiled.timestamp) paths.push(compiled.timestamp);
  // Keys are matched as printable ASCII without a quote or backslash, as flat-json.ts reads them.
  const plainKey = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
  if (!paths.every((p) => p.length === 1 && typeof p[0] === 'string' && plainKey.test(p[0])))
    return undefined;
  const keys = [...new Set(paths.map((p) => p[0] as string))];
  return { numbers: new FlatNumbers(keys), slots: new Map(keys.map((k, slot) => [k, slot])) };
}
