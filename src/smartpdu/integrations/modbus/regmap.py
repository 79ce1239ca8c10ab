"""The Modbus register map, generated from the metric catalogue (pure: snapshot in, words out).

One Modbus unit (slave id) per PDU, numbered by the PDU's position in the configuration (1..8).
Input registers (function 4; mirrored read-only as holding registers, function 3, for gateways
that only read those) hold, per unit:

| address | block | size |
|---|---|---|
| 0 | header (map version, tick, counts, status) | 16 |
| 256 | inlet | 256 |
| 512 | phase k (1..3) at 512 + 256·(k-1) | 256 each |
| 2048 | branch k at 2048 + 256·(k-1), k ≤ 24 | 256 each |
| 8192 | sensor k at 8192 + 8·(k-1), k ≤ 64 | 8 each |
| 16384 | outlet k at 16384 + 256·(k-1), k ≤ 192 | 256 each |

Inside an entity block a catalogue metric sits at offset ``4 · number`` (its stable
:attr:`~smartpdu.model.metrics.Metric.number`; offsets below 40 are the block's status words).
Readings are IEEE-754 float32, big-endian word order (high word first), NaN when there is no
value; energy registers and other counters are uint64 (four words, high first) in whole units
(Wh, varh, VAh, cycles). A read must stay inside one block (else exception 2, illegal address).
Discrete inputs (function 2) are the sensed outlet states, coils (function 1/5/15) the
commanded ones — written only when switching is enabled and the client is allowed.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from smartpdu.model.metrics import CATALOGUE, Kind, Level, Metric, display
from smartpdu.model.snapshot import PduSnapshot, RackSnapshot
from smartpdu.model.states import BreakerState

__all__ = [
    "MAP_VERSION",
    "Block",
    "Field",
    "blocks_for",
    "entity_fields",
    "read_registers",
    "render_markdown",
]

MAP_VERSION: Final = 1
HEADER: Final = 0
HEADER_LEN: Final = 16
INLET: Final = 256
PHASE: Final = 512
BRANCH: Final = 2048
SENSOR: Final = 8192
OUTLET: Final = 16384
BLOCK: Final = 256
SENSOR_LEN: Final = 8
MAX_BRANCHES: Final = 24
MAX_SENSORS: Final = 64
MAX_OUTLETS: Final = 192

_NAN_WORDS: Final = (0x7FC0, 0x0000)
_SENSOR_VALUE: Final = next(m for m in CATALOGUE if Level.SENSOR in m.levels)


@dataclass(frozen=True, slots=True)
class Field:
    offset: int
    name: str
    kind: str
    """``float32``, ``uint64``, ``uint32``, ``uint16`` or ``bits``."""
    unit: str
    description: str
    metric: Metric | None = None


def _metric_kind(m: Metric) -> str:
    return "uint64" if m.kind is Kind.COUNTER or m.unit in ("Wh", "varh", "VAh") else "float32"


def entity_fields(level: Level) -> tuple[Field, ...]:
    """The status word(s) and the catalogue metrics of one entity block."""
    status = {
        Level.INLET: "bit0 feed present, bit1 breaker tripped",
        Level.PHASE: "bit0 phase present (voltage measured)",
        Level.BRANCH: "bit0 breaker tripped",
        Level.OUTLET: "bit0 on (sensed), bit1 commanded on, bit2 relay closed, bit3 locked out",
    }
    out = [Field(0, "status", "bits", "", status[level])] if level in status else []
    for m in CATALOGUE:
        if level in m.levels:
            out.append(Field(4 * m.number, m.key, _metric_kind(m), m.unit, m.description, m))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Block:
    start: int
    length: int
    words: tuple[int, ...]


def _f32(x: float | None) -> tuple[int, int]:
    if x is None or not math.isfinite(x):
        return _NAN_WORDS
    hi, lo = struct.unpack(">HH", struct.pack(">f", x))
    return hi, lo


def _u64(x: float | None) -> tuple[int, int, int, int]:
    v = 0 if x is None or not math.isfinite(x) or x < 0 else min(int(x), 2**64 - 1)
    return (v >> 48) & 0xFFFF, (v >> 32) & 0xFFFF, (v >> 16) & 0xFFFF, v & 0xFFFF


def _block(start: int, length: int, fields: tuple[Field, ...], values: dict[str, object]) -> Block:
    words = [0] * length
    for f in fields:
        raw = values.get(f.name)
        if f.kind == "bits":
            words[f.offset] = int(raw or 0) & 0xFFFF  # type: ignore[call-overload]
            continue
        if f.metric is not None:
            raw = display(f.metric, None if raw is None else float(raw))  # type: ignore[arg-type]
        if f.kind == "uint64":
            words[f.offset : f.offset + 4] = _u64(raw)  # type: ignore[arg-type]
        else:
            words[f.offset : f.offset + 2] = _f32(raw)  # type: ignore[arg-type]
    return Block(start, length, tuple(words))


def _values(entity: object, fields: tuple[Field, ...], status: int) -> dict[str, object]:
    out: dict[str, object] = {"status": status}
    for f in fields:
        if f.metric is None:
            continue
        m = f.metric
        obj = entity if isinstance(entity, m.source) else getattr(entity, "reading", entity)
        out[f.name] = getattr(obj, m.field)
    return out


def blocks_for(snap: RackSnapshot, pdu: PduSnapshot) -> Iterator[Block]:
    """Every readable block of one unit, from one snapshot."""
    inlet = pdu.inlet
    tripped = inlet.breaker_state is BreakerState.TRIPPED
    header = [MAP_VERSION, (snap.tick >> 16) & 0xFFFF, snap.tick & 0xFFFF, len(inlet.phases),
              min(len(pdu.branches), MAX_BRANCHES), min(len(pdu.outlets), MAX_OUTLETS),
              min(len(snap.sensors), MAX_SENSORS), int(inlet.feed_present) | (tripped << 1)]  # fmt: skip
    yield Block(HEADER, HEADER_LEN, tuple(header + [0] * (HEADER_LEN - len(header))))
    fields = entity_fields(Level.INLET)
    yield _block(INLET, BLOCK, fields, _values(inlet, fields, header[7]))
    fields = entity_fields(Level.PHASE)
    for k, reading in enumerate(inlet.phases.values()):
        present = int(reading.v_rms_v > 0)
        yield _block(PHASE + BLOCK * k, BLOCK, fields, _values(reading, fields, present))
    fields = entity_fields(Level.BRANCH)
    for k, branch in enumerate(list(pdu.branches.values())[:MAX_BRANCHES]):
        status = int(branch.breaker_state is BreakerState.TRIPPED)
        yield _block(BRANCH + BLOCK * k, BLOCK, fields, _values(branch, fields, status))
    for k, sensor in enumerate(list(snap.sensors.values())[:MAX_SENSORS]):
        hi, lo = _f32(display(_SENSOR_VALUE, sensor.value))
        yield Block(SENSOR + SENSOR_LEN * k, SENSOR_LEN,
                    (hi, lo, int(sensor.status == "ok"), 0, 0, 0, 0, 0))  # fmt: skip
    fields = entity_fields(Level.OUTLET)
    for k, o in enumerate(list(pdu.outlets.values())[:MAX_OUTLETS]):
        status = (int(o.state.value == "on") | int(o.commanded_on) << 1
                  | int(o.relay_closed) << 2 | int(o.locked_out) << 3)  # fmt: skip
        yield _block(OUTLET + BLOCK * k, BLOCK, fields, _values(o, fields, status))


def read_registers(blocks: list[Block], address: int, count: int) -> list[int] | None:
    """``count`` words from ``address``, or None when the range is not inside one block."""
    for b in blocks:
        if b.start <= address and address + count <= b.start + b.length:
            return list(b.words[address - b.start : address - b.start + count])
    return None


def render_markdown() -> str:
    """docs/modbus.md: the map as integrators read it (a test keeps the file equal to this)."""
    doc = __doc__ or ""
    lines = [
        "# Modbus TCP register map",
        "",
        "Generated from the metric catalogue by `smartpdu.integrations.modbus.regmap`; do not",
        "edit (regenerate: `python -m smartpdu.integrations.modbus.regmap > docs/modbus.md`).",
        f"Map version {MAP_VERSION} (header register 0). Offsets never move: new metrics are",
        "appended at the offset of their new catalogue number.",
        "",
        "## Configure",
        "",
        "```yaml",
        "modbus:",
        "  enabled: true",
        "  host: 0.0.0.0        # default 127.0.0.1",
        "  port: 502",
        "  coils: false         # true: allowed clients may switch outlets",
        "  write_clients: [192.0.2.20]",
        "```",
        "",
        "Modbus has no authentication: the server is read only unless `coils` is on, and then",
        "only the listed client addresses may write (refusals are audited `ACCESS_DENIED`,",
        "switching is the REST command audited as `modbus/<address>`). Changes take effect at",
        "the next start of `smartpdu run`.",
        "",
        "## Layout",
        "",
        *[line[0:] for line in doc.split("\n", 2)[2].strip().splitlines()],
        "",
        "## Header (every unit)",
        "",
        "| register | content |",
        "|---|---|",
        "| 0 | map version |",
        "| 1–2 | tick of the served snapshot (uint32, high word first) |",
        "| 3 | phases |",
        "| 4 | branches (≤ 24 served) |",
        "| 5 | outlets (≤ 192 served) |",
        "| 6 | sensors (≤ 64 served) |",
        "| 7 | inlet status: bit0 feed present, bit1 breaker tripped |",
        "",
        "## Sensor block (8 registers, sensor k at 8192 + 8·(k−1))",
        "",
        "| offset | type | content |",
        "|---|---|---|",
        "| 0 | float32 | value in the sensor's unit (REST `/sensors` gives unit and id) |",
        "| 2 | uint16 | 1 when the sensor status is ok |",
        "",
    ]
    titles = {Level.INLET: "Inlet block (256 registers at 256)",
              Level.PHASE: "Phase block (256 registers, phase k at 512 + 256·(k−1))",
              Level.BRANCH: "Branch block (256 registers, branch k at 2048 + 256·(k−1))",
              Level.OUTLET: "Outlet block (256 registers, outlet k at 16384 + 256·(k−1))"}  # fmt: skip
    for level, title in titles.items():
        lines += [f"## {title}", "", "| offset | type | unit | field | description |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for f in entity_fields(level):
            lines.append(f"| {f.offset} | {f.kind} | {f.unit} | `{f.name}` | {f.description} |")
        lines.append("")
    lines += [
        "## Bits",
        "",
        "- Discrete inputs (function 2), unit u: input k−1 = outlet k is on (sensed).",
        "- Coils (function 1, 5, 15), unit u: coil k−1 = outlet k commanded on. Writing switches the",
        "  outlet (audited as `modbus/<client address>`) only when `modbus.coils` is enabled and",
        "  the client address is in `modbus.write_clients`; otherwise exception 1 (illegal",
        "  function).",
        "",
        "## Exceptions",
        "",
        "- 1 illegal function: writes to registers, coil writes when not enabled/allowed.",
        "- 2 illegal data address: a read that leaves its block, an outlet/unit that does not exist.",
        "- a request that cannot be decoded (a count of 0 or above 125 registers / 2000 bits, an",
        "  unknown function) is answered with exception 1 by pymodbus's decoder.",
        "- 11 gateway target failed to respond: an unknown unit id.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_markdown())
