"""Analysis of scope captures (CSV) for engineers.

Format: optional ``# key=value`` comment lines (``sample_rate_hz``, ``nominal_hz``), an optional
header row, then rows of ``time_s | sample_index, voltage, current[, current...]``. A first
column named ``time``/``t``/``time_s`` is a time axis (the rate is derived from it if not given);
otherwise it is a sample index.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartpdu.metering.window import WindowMetrics, measure_window

__all__ = ["CaptureAnalysis", "CaptureError", "analyze_capture"]


class CaptureError(ValueError):
    """The capture cannot be analysed; the message names the file line and what to fix."""


@dataclass(frozen=True, slots=True)
class CaptureAnalysis:
    channels: tuple[str, ...]
    sample_rate_hz: float
    nominal_hz: float
    n_samples: int
    metrics: WindowMetrics


def analyze_capture(
    path: str | Path, rate: float | None = None, nominal_hz: float | None = None
) -> CaptureAnalysis:
    """Parse a capture CSV and measure it as one window (all samples)."""
    meta: dict[str, str] = {}
    header: list[str] | None = None
    rows: list[list[float]] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read capture ({exc.strerror})") from None
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip():
            continue
        if row[0].lstrip().startswith("#"):
            body = ",".join(row).lstrip()[1:]
            for part in body.split(","):
                if "=" in part:
                    k, val = part.split("=", 1)
                    meta[k.strip()] = val.strip()
            continue
        try:
            values = [float(x) for x in row]
        except ValueError:
            if header is None and not rows:
                header = [x.strip() for x in row]
                continue
            raise CaptureError(f"line {lineno}: non-numeric value in {row!r}") from None
        width = len(header) if header else (len(rows[0]) if rows else len(values))
        if len(values) != width:
            raise CaptureError(f"line {lineno}: expected {width} columns, found {len(values)}")
        if len(values) < 3:
            raise CaptureError(
                f"line {lineno}: need time/index, voltage and at least one current column"
            )
        rows.append(values)
    if len(rows) < 16:
        raise CaptureError(f"{path}: only {len(rows)} sample rows; need several cycles")
    data = np.asarray(rows)
    names = header or ["index", "voltage", *(f"current{k}" for k in range(1, data.shape[1] - 1))]
    is_time = names[0].lower() in {"time", "t", "time_s", "seconds"}
    fs = rate
    if fs is None and "sample_rate_hz" in meta:
        try:
            fs = float(meta["sample_rate_hz"])
        except ValueError:
            raise CaptureError("header: sample_rate_hz is not a number") from None
    if fs is None and is_time:
        dt = np.diff(data[:, 0])
        step = float(np.median(dt))
        if step <= 0 or np.max(np.abs(dt - step)) > 1e-3 * step:
            raise CaptureError("time column is not uniformly increasing; give --rate")
        fs = 1.0 / step
    if fs is None or fs <= 0:
        raise CaptureError(
            "no sample rate: add '# sample_rate_hz=6400', a time column, or give --rate"
        )
    nominal = nominal_hz or float(meta.get("nominal_hz", 50.0))
    metrics = measure_window(data[:, 1], data[:, 2:].T, fs, nominal)
    return CaptureAnalysis(tuple(names[2:]), fs, nominal, data.shape[0], metrics)
