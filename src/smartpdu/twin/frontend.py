"""Analog front-end errors of a metering channel (gain, phase delay, offset) and a calibration bench.

A real PDU's shunts, CTs and ADC channels are a little off; factory calibration measures a known
reference load and stores coefficients. Here the "unit on the bench" has deterministic per-channel
errors drawn from a seed, so the calibration routine can be exercised end to end: the bench
produces what the ADC of this unit would sample for a reference point, and
:class:`FrontEndTwin` makes a twin sample through the same errors for the calibrated channels.

Convention (the calibration convention of a metering front end): physical = gain · (raw − offset);
the raw signal lags the true one by ``phase_deg`` at the nominal frequency (a pure delay). The
twin describes its precision source with its own :class:`SourcePoint` and imports nothing of the
meter: any object with the same four fields (e.g. the meter's own reference point) drives it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from smartpdu.hardware import Acquisition, LeverAction, RackHardware, SampleBlock

__all__ = [
    "FrontEndError",
    "FrontEndTwin",
    "SourcePoint",
    "SourceSetting",
    "front_end_errors",
    "reference_samples",
    "through",
]

FArray = npt.NDArray[np.float64]


class SourceSetting(Protocol):
    """What a precision source is set to: rms voltage and current, displacement, frequency."""

    @property
    def v_rms_v(self) -> float: ...
    @property
    def i_rms_a(self) -> float: ...
    @property
    def phase_deg(self) -> float: ...
    @property
    def frequency_hz(self) -> float: ...


@dataclass(frozen=True, slots=True)
class SourcePoint:
    """One setting of the bench's precision source (current lags voltage by ``phase_deg``)."""

    v_rms_v: float
    i_rms_a: float
    phase_deg: float
    frequency_hz: float


@dataclass(frozen=True, slots=True)
class FrontEndError:
    gain: float = 1.0
    """Calibration gain that restores the physical value (raw = physical / gain + offset)."""
    phase_deg: float = 0.0
    offset: float = 0.0


def front_end_errors(
    channels: Sequence[str],
    seed: int,
    *,
    gain_pct: float = 0.6,
    phase_deg: float = 0.4,
    offset: float = 0.004,
) -> dict[str, FrontEndError]:
    """Deterministic errors per channel name (independent of which other channels are asked)."""
    out = {}
    for name in channels:
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        g, p, o = rng.uniform(-1.0, 1.0, 3)
        scale = 0.5 if name.startswith("voltage/") else 1.0  # voltage dividers are tighter
        off = o * offset * (50.0 if name.startswith("voltage/") else 1.0)
        out[name] = FrontEndError(1.0 + g * gain_pct / 100.0, p * phase_deg * scale, off)
    return out


def _delay(x: FArray, delay_samples: float) -> FArray:
    """Delay rows of ``x`` by a fractional number of samples (periodic FFT shift)."""
    n = x.shape[-1]
    spec = np.fft.rfft(x, axis=-1)
    k = np.arange(spec.shape[-1])
    spec = spec * np.exp(-2j * np.pi * k * delay_samples / n)
    return np.fft.irfft(spec, n=n, axis=-1)


def through(x: FArray, err: FrontEndError, sample_rate_hz: float, nominal_hz: float) -> FArray:
    """What the ADC samples for the physical signal ``x`` (last axis is time)."""
    delay = err.phase_deg / 360.0 / nominal_hz * sample_rate_hz
    return _delay(np.asarray(x, dtype=np.float64), delay) / err.gain + err.offset


def reference_samples(
    point: SourceSetting,
    v_err: FrontEndError,
    i_err: FrontEndError,
    *,
    nominal_hz: float,
    samples_per_cycle: int = 128,
    cycles: int = 10,
    noise_a: float = 2e-4,
    seed: int = 0,
) -> tuple[FArray, FArray, float]:
    """Samples of a precision source driving ``point`` into one outlet channel of the unit."""
    fs = nominal_hz * samples_per_cycle
    n = samples_per_cycle * cycles
    t = np.arange(n) / fs
    w = 2 * np.pi * point.frequency_hz
    v = np.sqrt(2) * point.v_rms_v * np.sin(w * t)
    i = np.sqrt(2) * point.i_rms_a * np.sin(w * t - np.radians(point.phase_deg))
    rng = np.random.default_rng(seed)
    v_raw = through(v, v_err, fs, nominal_hz) + rng.normal(0, noise_a * 100, n)
    i_raw = through(i, i_err, fs, nominal_hz) + rng.normal(0, noise_a, n)
    return v_raw, i_raw, fs


class FrontEndTwin:
    """A twin whose listed channels sample through front-end errors (the unit as calibrated).

    ``errors`` maps ``(pdu_id, channel)`` to an error; channels are ``voltage/L1``.. for voltage
    rows and the block's current channel names (``outlet/7``) otherwise.
    """

    def __init__(self, inner: RackHardware, errors: Mapping[tuple[str, str], FrontEndError]):
        self._inner = inner
        self._errors = dict(errors)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def set_errors(self, errors: Mapping[tuple[str, str], FrontEndError]) -> None:
        """Sample through ``errors`` from the next acquisition on (a unit just calibrated)."""
        self._errors = dict(errors)

    @property
    def pdu_ids(self) -> tuple[str, ...]:
        return self._inner.pdu_ids

    @property
    def window_samples(self) -> int:
        return self._inner.window_samples

    @property
    def window_s(self) -> float:
        return self._inner.window_s

    @property
    def now_s(self) -> float:
        return self._inner.now_s

    def set_outlet(self, pdu_id: str, outlet_id: str, on: bool) -> None:
        self._inner.set_outlet(pdu_id, outlet_id, on)

    def operate_lever(
        self, lever_id: str, action: LeverAction, hold_s: float | None = None
    ) -> None:
        self._inner.operate_lever(lever_id, action, hold_s)

    def acquire(self) -> Acquisition:
        acq = self._inner.acquire()
        if not self._errors:
            return acq
        blocks = {pid: self._distort(b) for pid, b in acq.blocks.items()}
        return replace(acq, blocks=blocks)

    def _distort(self, block: SampleBlock) -> SampleBlock:
        mine = {ch: e for (pid, ch), e in self._errors.items() if pid == block.pdu_id}
        if not mine:
            return block
        v = np.array(block.voltage_v, dtype=np.float64)
        i = np.array(block.current_a, dtype=np.float64)
        fs, f0 = block.sample_rate_hz, block.nominal_hz
        for row in range(v.shape[0]):
            err = mine.get(f"voltage/L{row + 1}")
            if err is not None:
                v[row] = through(v[row], err, fs, f0)
        for k, ch in enumerate(block.channels):
            err = mine.get(ch)
            if err is not None:
                i[k] = through(i[k], err, fs, f0)
        return replace(block, voltage_v=v, current_a=i)
