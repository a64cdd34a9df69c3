/**
 * One poll cycle of one device: plan its reads, run the requests on the link, decode, and turn
 * failures into bad samples. An exception 02 splits the request and remembers the refused range;
 * a timeout or a lost link ends the cycle (the device's other requests would only wait too).
 */
import type { Sample } from '../../core/model.ts';
import { decodeRegisters } from './codec.ts';
import { EXCEPTION_ILLEGAL_DATA_ADDRESS, ModbusReadError, STATUS } from './errors.ts';
import type { ModbusLink, ReadResult } from './link.ts';
import {
  type BadRanges,
  type PlanLimits,
  planReads,
  type ReadRequest,
  requestFor,
  type TagRead,
} from './planner.ts';
import { placeholder, type ResolvedTag } from './resolve.ts';

export interface DeviceReads {
  id: string;
  unitId: number;
  timeoutMs: number;
  reads: TagRead<ResolvedTag>[];
  bad: BadRanges;
  /** The last plan and the bad-range version it was made for: planning runs only when that changes. */
  plan?: { version: number; requests: ReadRequest<ResolvedTag>[] };
}

export interface CycleResult {
  samples: Sample[];
  /** Why the cycle ended early: timeout, lost link, or a gateway's "target unreachable". */
  aborted?: ModbusReadError;
  /** Tags answered with an exception or a malformed response. */
  tagErrors: { tag: string; error: ModbusReadError }[];
  requests: number;
}

type Outcome = 'ok' | 'failed';

export async function readDevice(
  link: Pick<ModbusLink, 'read'>,
  device: DeviceReads,
  limits: PlanLimits,
  now: () => number,
): Promise<CycleResult> {
  const result: CycleResult = { samples: [], tagErrors: [], requests: 0 };
  const bad = (read: TagRead<ResolvedTag>, code: number, time: number) =>
    result.samples.push(sample(device.id, read.ref, placeholder(read.ref.type), 'bad', code, time));

  const execute = async (request: ReadRequest<ResolvedTag>): Promise<Outcome> => {
    let response: ReadResult;
    try {
      result.requests += 1;
      const { fn, address, count } = request;
      response = await link.read({ unitId: device.unitId, fn, address, count, timeoutMs: device.timeoutMs });
    } catch (error) {
      const failure = asReadError(error);
      if (failure.unreachable || failure.kind === 'disconnected') throw failure;
      if (failure.kind === 'exception' && failure.code === EXCEPTION_ILLEGAL_DATA_ADDRESS) {
        return splitRefused(request, failure);
      }
      const time = now();
      for (const read of request.reads) {
        bad(read, failure.code, time);
        result.tagErrors.push({ tag: read.ref.id, error: failure });
      }
      return 'failed';
    }
    decodeInto(request, response, now());
    return 'ok';
  };

  /** Exception 02: read the halves; a lone tag refused is a bad range, two good halves mean the gap is. */
  const splitRefused = async (
    request: ReadRequest<ResolvedTag>,
    failure: ModbusReadError,
  ): Promise<Outcome> => {
    const { unitId, fn } = request;
    if (request.reads.length === 1) {
      const read = request.reads[0]!;
      device.bad.add(unitId, fn, read.address, read.address + read.count);
      bad(read, failure.code, now());
      result.tagErrors.push({ tag: read.ref.id, error: failure });
      return 'failed';
    }
    const at = splitPoint(request.reads);
    const left = requestFor(request.reads.slice(0, at));
    const right = requestFor(request.reads.slice(at));
    const outcomes = [await execute(left), await execute(right)];
    const leftEnd = left.address + left.count;
    if (outcomes.every((o) => o === 'ok') && leftEnd <= right.address) {
      device.bad.add(unitId, fn, leftEnd, right.address);
    }
    return outcomes.every((o) => o === 'ok') ? 'ok' : 'failed';
  };

  const decodeInto = (request: ReadRequest<ResolvedTag>, response: ReadResult, time: number) => {
    for (const read of request.reads) {
      const at = read.address - request.address;
      try {
        if (response.kind === 'bits') {
          const bit = response.bits[at];
          if (bit === undefined) throw new Error(`response holds ${response.bits.length} bits`);
          result.samples.push(sample(device.id, read.ref, bit, 'good', STATUS.good, time));
        } else {
          const raw = response.bytes.subarray(at * 2, (at + read.count) * 2);
          if (raw.length !== read.count * 2)
            throw new Error(`response holds ${response.bytes.length / 2} registers`);
          const decoded = decodeRegisters(read.ref.spec, raw);
          result.samples.push(
            sample(device.id, read.ref, decoded.value, decoded.quality, decoded.statusCode, time),
          );
        }
      } catch (error) {
        bad(read, STATUS.malformed, time);
        result.tagErrors.push({
          tag: read.ref.id,
          error: new ModbusReadError('malformed', STATUS.malformed, (error as Error).message),
        });
      }
    }
  };

  if (device.plan?.version !== device.bad.version) {
    device.plan = { version: device.bad.version, requests: planReads(device.reads, limits, device.bad) };
  }
  const plan = device.plan.requests;
  for (let i = 0; i < plan.length; i++) {
    try {
      await execute(plan[i]!);
    } catch (error) {
      result.aborted = asReadError(error);
      const time = now();
      const done = new Set(result.samples.map((s) => s.tag));
      for (const request of plan.slice(i)) {
        for (const read of request.reads) if (!done.has(read.ref.id)) bad(read, result.aborted.code, time);
      }
      break;
    }
  }
  return result;
}

/** Splits where consecutive reads are furthest apart (holes sit in gaps), else in the middle. */
function splitPoint(reads: readonly TagRead<unknown>[]): number {
  let best = Math.floor(reads.length / 2);
  let widest = 0;
  let end = reads[0]!.address + reads[0]!.count;
  for (let i = 1; i < reads.length; i++) {
    const gap = reads[i]!.address - end;
    if (gap > widest) {
      widest = gap;
      best = i;
    }
    end = Math.max(end, reads[i]!.address + reads[i]!.count);
  }
  return best;
}

function asReadError(error: unknown): ModbusReadError {
  return error instanceof ModbusReadError
    ? error
    : new ModbusReadError(
        'malformed',
        STATUS.malformed,
        error instanceof Error ? error.message : String(error),
      );
}

function sample(
  device: string,
  tag: ResolvedTag,
  value: Sample['value'],
  quality: Sample['quality'],
  statusCode: number,
  time: number,
): Sample {
  return { device, tag: tag.id, value, quality, statusCode, sourceTime: time, receivedAt: time };
}
