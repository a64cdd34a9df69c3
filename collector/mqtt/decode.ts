/**
 * Turns one MQTT message into samples, or into problems to count and log: a pure function of the
 * config, the topic, the payload and the time, tested without a broker.
 */
import type { Sample, Tag } from '../../core/model.ts';
import { coerce, parseTimestamp } from './coerce.ts';
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
}

export class MqttDecoder {
  private readonly subscriptions: Compiled[];
  private readonly tags: Map<string, Map<string, Tag>>;

  constructor(private readonly config: MqttConfig) {
    this.tags = new Map(config.devices.map((d) => [d.id, new Map(d.tags.map((t) => [t.id, t]))]));
    this.subscriptions = config.subscriptions.map((sub) => {
      const value = compilePath(sub.value ?? '$');
      const compiled: Compiled = { template: compileTemplate(sub.topic), sub, value };
      if (sub.fields) compiled.targets = Object.entries(sub.fields).map(([tag, p]) => [tag, compilePath(p)]);
      else if (sub.tag !== undefined) compiled.targets = [[sub.tag, value]];
      if (sub.timestamp !== undefined) compiled.timestamp = compilePath(sub.timestamp);
      if (sub.readings !== undefined) compiled.readings = compilePath(sub.readings);
      return compiled;
    });
  }

  /** The subscription filters with their QoS. */
  get filters(): Record<string, { qos: 0 | 1 | 2 }> {
    return Object.fromEntries(this.subscriptions.map((s) => [s.template.filter, { qos: s.sub.qos }]));
  }

  decode(topic: string, payload: Buffer, receivedAt: number): Decoded {
    const out: Decoded = { samples: [], problems: [] };
    const problem = (p: Omit<Problem, 'detail'> & { detail?: Record<string, unknown> }) =>
      out.problems.push({ ...p, detail: { topic, ...p.detail } });
    let found: { compiled: Compiled; device?: string; tag?: string } | undefined;
    for (const compiled of this.subscriptions) {
      const match = compiled.template.match(topic);
      if (match) {
        found = { compiled, ...match };
        break;
      }
    }
    if (!found) {
      problem({
        device: this.config.id,
        kind: 'unknown_topic',
        reason: 'no_subscription',
        message: 'message on a topic no subscription matches',
      });
      return out;
    }
    const { compiled } = found;
    const device = found.device ?? compiled.sub.device ?? '';
    const tags = this.tags.get(device);
    if (!tags) {
      problem({
        device: this.config.id,
        kind: 'unknown_topic',
        reason: 'unknown_device',
        message: 'message for a device that is not configured',
        detail: { unknownDevice: device },
      });
      return out;
    }
    const targets: [Tag, FieldPath][] = [];
    for (const [tagId, path] of compiled.targets ?? [[found.tag ?? '', compiled.value]]) {
      const tag = tags.get(tagId);
      if (tag) targets.push([tag, path]);
      else {
        problem({
          device,
          kind: 'unknown_topic',
          reason: 'unknown_tag',
          message: 'message for a tag the device does not have',
          detail: { unknownTag: tagId },
        });
      }
    }
    if (targets.length === 0) return out;
    const emit = (tag: Tag, raw: unknown, sourceTime: number) => {
      if (raw === undefined || raw === null) {
        problem({
          device,
          tag: tag.id,
          kind: 'malformed_payload',
          reason: 'missing_field',
          message: 'payload lacks the field of the tag',
        });
        return;
      }
      const result = coerce(raw, tag.type);
      if ('error' in result) {
        problem({
          device,
          tag: tag.id,
          kind: 'malformed_payload',
          reason: 'wrong_type',
          message: `value does not fit type ${tag.type}`,
          detail: { error: result.error },
        });
        return;
      }
      out.samples.push({
        device,
        tag: tag.id,
        value: result.value,
        quality: 'good',
        statusCode: 0,
        sourceTime,
        receivedAt,
      });
    };

    if (compiled.sub.format === 'plain') {
      for (const [tag] of targets) emit(tag, payload.toString('utf8').trim(), receivedAt);
      return out;
    }
    let root: unknown;
    try {
      root = JSON.parse(payload.toString('utf8'));
    } catch (error) {
      problem({
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
        problem({
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
      let sourceTime = receivedAt;
      if (compiled.timestamp && compiled.sub.timestampFormat) {
        const raw = getPath(item, compiled.timestamp);
        const time =
          raw === undefined
            ? { error: 'payload lacks the timestamp field' }
            : parseTimestamp(raw, compiled.sub.timestampFormat, receivedAt);
        if (typeof time !== 'number') {
          problem({
            device,
            kind: 'malformed_payload',
            reason: 'bad_timestamp',
            message: 'payload timestamp is missing or invalid',
            detail: { error: time.error },
          });
          continue;
        }
        sourceTime = time;
      }
      for (const [tag, path] of targets) emit(tag, getPath(item, path), sourceTime);
    }
    return out;
  }
}
