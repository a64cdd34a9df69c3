"""A pymodbus (3.0.0rc1) server for shugai's tests: Modbus TCP on a port, or RTU on a serial port/pty.

The register layout comes as JSON (see pymodbus.ts). Typed values are encoded here by pymodbus's own
BinaryPayloadBuilder, so the tests check shugai's decoder against an independent encoder. Addresses
are protocol addresses (zero_mode); addresses not in the layout answer exception 02, and unit ids
not in the layout do not answer at all (ignore_missing_slaves), as a dead slave on a bus.

Prints "READY" on stdout once serving.
"""

import argparse
import asyncio
import json
import logging

from pymodbus.constants import Endian
from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

ENDIAN = {"big": Endian.Big, "little": Endian.Little}
ADDERS = {
    "int16": "add_16bit_int",
    "uint16": "add_16bit_uint",
    "int32": "add_32bit_int",
    "uint32": "add_32bit_uint",
    "int64": "add_64bit_int",
    "uint64": "add_64bit_uint",
    "float16": "add_16bit_float",
    "float32": "add_32bit_float",
    "float64": "add_64bit_float",
}


def encode(item):
    """Registers for one typed value: {type, value, byteorder, wordorder} or {type: string, ...}."""
    if item["type"] == "string":
        raw = item["value"].encode(item.get("encoding", "utf-8"))
        raw = raw + b"\x00" * (2 * item["length"] - len(raw))
        if item.get("swapBytes"):
            raw = b"".join(raw[i + 1 : i + 2] + raw[i : i + 1] for i in range(0, len(raw), 2))
        return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    builder = BinaryPayloadBuilder(
        byteorder=ENDIAN[item.get("byteorder", "big")], wordorder=ENDIAN[item.get("wordorder", "big")]
    )
    value = item["value"]
    # 64-bit integers travel as decimal strings: JSON numbers lose precision beyond 2^53.
    getattr(builder, ADDERS[item["type"]])(int(value) if item["type"].endswith("int64") else value)
    return builder.to_registers()


def block(table):
    values = {}
    for start, items in table.get("blocks", {}).items():
        for i, v in enumerate(items):
            values[int(start) + i] = int(v)
    for item in table.get("values", []):
        for i, v in enumerate(encode(item)):
            values[item["address"] + i] = v
    return ModbusSparseDataBlock(values)


def context(layout):
    slaves = {}
    for unit, tables in layout["units"].items():
        slaves[int(unit)] = ModbusSlaveContext(
            co=block(tables.get("coils", {})),
            di=block(tables.get("discrete", {})),
            hr=block(tables.get("holding", {})),
            ir=block(tables.get("input", {})),
            zero_mode=True,
        )
    return ModbusServerContext(slaves=slaves, single=False)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layout", required=True)
    parser.add_argument("--tcp-port", type=int)
    parser.add_argument("--serial")
    parser.add_argument("--baud", type=int, default=19200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with open(args.layout, encoding="utf-8") as f:
        ctx = context(json.load(f))
    if args.serial:
        server = ModbusSerialServer(
            ctx, framer=ModbusRtuFramer, port=args.serial, baudrate=args.baud, ignore_missing_slaves=True
        )
        await server.start()
        print("READY", flush=True)
        await server.serve_forever()
    else:
        server = ModbusTcpServer(
            ctx,
            ModbusSocketFramer,
            None,
            ("127.0.0.1", args.tcp_port),
            allow_reuse_address=True,
            ignore_missing_slaves=True,
        )
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        print("READY", flush=True)
        await task


if __name__ == "__main__":
    asyncio.run(main())
