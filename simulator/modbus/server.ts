/**
 * A Modbus TCP server for the simulated plant (read functions 01–04; the plant is read-only).
 * Written on node:net rather than a library server so that exceptions, unit-id handling and
 * one-instant reads behave exactly as documented in simulator/README.md.
 */
import net from 'node:net';
import type { Logger } from '../../core/log.ts';
import type { SimClock } from '../clock.ts';
import type { Plant } from '../model/plant.ts';
import type { ModbusTable } from '../plant/types.ts';
import { EXCEPTION, RegisterImage } from './registers.ts';

const FUNCTIONS: Record<number, { table: ModbusTable; max: number }> = {
  1: { table: 'coil', max: 2000 },
  2: { table: 'discrete-input', max: 2000 },
  3: { table: 'holding', max: 125 },
  4: { table: 'input', max: 125 },
};
const MBAP_LENGTH = 7;
const MAX_ADU = 260;

export interface ModbusServer {
  host: string;
  port: number;
  unitIds: number[];
  close(): Promise<void>;
}

export async function startModbusServer(options: {
  plant: Plant;
  clock: SimClock;
  host: string;
  port: number;
  logger: Logger;
}): Promise<ModbusServer> {
  const { clock, logger } = options;
  const image = new RegisterImage(options.plant);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= MBAP_LENGTH) {
        const length = pending.readUInt16BE(4);
        if (pending.readUInt16BE(2) !== 0 || length < 2 || length + 6 > MAX_ADU) {
          logger.warn({ peer: socket.remoteAddress }, 'modbus: malformed MBAP header, closing connection');
          socket.destroy();
          return;
        }
        if (pending.length < length + 6) break;
        const frame = pending.subarray(0, length + 6);
        pending = pending.subarray(length + 6);
        socket.write(answer(frame));
      }
    });
    socket.on('error', (error) => logger.debug({ err: error }, 'modbus: client socket error'));
    socket.on('close', () => sockets.delete(socket));
  });

  const answer = (frame: Buffer): Buffer => {
    const unitId = frame.readUInt8(6);
    const fc = frame.readUInt8(7);
    const reply = (pdu: Buffer) => {
      const head = Buffer.alloc(MBAP_LENGTH);
      frame.copy(head, 0, 0, 4);
      head.writeUInt16BE(pdu.length + 1, 4);
      head.writeUInt8(unitId, 6);
      return Buffer.concat([head, pdu]);
    };
    const exception = (code: number) => reply(Buffer.from([fc | 0x80, code]));
    const fn = FUNCTIONS[fc];
    if (!fn) return exception(EXCEPTION.illegalFunction);
    if (frame.length < 12) return exception(EXCEPTION.illegalDataValue);
    const start = frame.readUInt16BE(8);
    const count = frame.readUInt16BE(10);
    if (count < 1 || count > fn.max) return exception(EXCEPTION.illegalDataValue);
    let result: ReturnType<RegisterImage['read']>;
    try {
      result = image.read(unitId, fn.table, start, count, clock.now());
    } catch (error) {
      // A model error (e.g. a time before the plant epoch) answers like a failing device, never crashes.
      logger.error({ err: error, unitId }, 'modbus: could not compute the registers');
      return exception(EXCEPTION.serverDeviceFailure);
    }
    if (!result.ok) return exception(result.exception);
    if (fc === 3 || fc === 4) {
      const pdu = Buffer.alloc(2 + count * 2);
      pdu.writeUInt8(fc, 0);
      pdu.writeUInt8(count * 2, 1);
      result.values.forEach((v, i) => {
        pdu.writeUInt16BE(v, 2 + i * 2);
      });
      return reply(pdu);
    }
    const pdu = Buffer.alloc(2 + Math.ceil(count / 8));
    pdu.writeUInt8(fc, 0);
    pdu.writeUInt8(pdu.length - 2, 1);
    result.values.forEach((bit, i) => {
      if (bit) pdu[2 + (i >> 3)]! |= 1 << (i & 7);
    });
    return reply(pdu);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Modbus port ${options.port} on ${options.host} is in use (choose another with --modbus-port, 0 = any free port)`
            : `Modbus server could not listen on ${options.host}:${options.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: options.host,
    port: address.port,
    unitIds: image.unitIds,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
