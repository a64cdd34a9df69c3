/**
 * Turns DataValues (from notifications or reads) into samples: conversion, quality, timestamps,
 * the queue-overflow bit, counting by quality and error kind, and batching delivery so one publish
 * response of thousands of changes reaches the gateway as one onSamples call.
 */

import type { DataValue } from 'node-opcua-client';
import type { Sample, SampleValue } from '../../core/model.ts';
import type { CollectorContext } from '../collector.ts';
import { convertValue, hasOverflow, placeholder, qualityOf, sampleTime } from './convert.ts';
import type { PlannedTag } from './plan.ts';

export class Sampler {
  private readonly lastValue = new Map<PlannedTag, SampleValue>();
  private pending: Sample[] = [];
  private flushScheduled = false;

  constructor(private readonly context: CollectorContext) {}

  /** Converts one DataValue; returns the sample, or undefined when the value cannot be stored. */
  toSample(tag: PlannedTag, dataValue: DataValue, receivedAt: number): Sample | undefined {
    const { metrics, conditions } = this.context;
    const subject = { device: tag.device, tag: tag.tag };
    const statusCode = dataValue.statusCode.value;
    if (hasOverflow(statusCode)) {
      metrics.errors.inc({ device: tag.device, kind: 'overflow' });
      conditions.raise(
        subject,
        'overflow',
        'server queue overflowed: changes were dropped before publishing',
        {
          queueSize: tag.queueSize,
        },
      );
    }
    const quality = qualityOf(statusCode);
    const variant = dataValue.value;
    const converted = convertValue(variant.dataType, variant.arrayType, variant.value, tag.type);
    let value: SampleValue;
    if (converted.ok) {
      value = converted.value;
      this.lastValue.set(tag, value);
      conditions.clear(subject, 'unsupported_value');
    } else if (quality === 'bad') {
      // A bad sample carries the last known value, or a typed zero (core/README.md).
      value = this.lastValue.get(tag) ?? placeholder(tag.type);
    } else {
      metrics.errors.inc({ device: tag.device, kind: 'unsupported_value' });
      conditions.raise(subject, 'unsupported_value', `value skipped: ${converted.reason}`, {
        nodeId: tag.nodeIdText,
      });
      return undefined;
    }
    if (quality === 'bad') {
      metrics.errors.inc({ device: tag.device, kind: 'bad_status' });
      conditions.raise(subject, 'bad_status', `bad status ${dataValue.statusCode.name}`, { statusCode });
    } else {
      conditions.clear(subject, 'bad_status');
    }
    metrics.delivered(tag.device, quality);
    return {
      device: tag.device,
      tag: tag.tag,
      value,
      quality,
      statusCode,
      sourceTime: sampleTime(dataValue, tag.timestamp, receivedAt),
      receivedAt,
    };
  }

  /** Queues a sample; everything queued in the same event-loop turn is delivered together. */
  push(sample: Sample): void {
    this.pending.push(sample);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.context.onSamples(batch);
  }
}
