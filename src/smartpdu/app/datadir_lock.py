"""One controller per data directory: an exclusive lock held while a process writes into it.

Two writers on one data directory (a running instance and ``smartpdu calibrate``, or two
instances) would interleave one event chain and break it. The lock is an advisory ``flock`` on
``<data_dir>/smartpdu.lock`` (released by the kernel when the process dies, even by kill -9);
the file names the holder's pid so the refusal can say who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

__all__ = ["LOCK_FILENAME", "DataDirBusyError", "DataDirLock"]

LOCK_FILENAME = "smartpdu.lock"


class DataDirBusyError(RuntimeError):
    """Another process holds the data directory."""


class DataDirLock:
    """``with DataDirLock(path, "calibrate"):`` — raises :class:`DataDirBusyError` when taken."""

    def __init__(self, data_dir: Path, purpose: str) -> None:
        self.path = Path(data_dir) / LOCK_FILENAME
        self.purpose = purpose
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise DataDirBusyError(
                f"{self.path.parent} is in use by {holder}; stop it first "
                "(one controller or tool writes a data directory at a time)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} ({self.purpose})".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
