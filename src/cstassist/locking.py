"""Who may write the data directory.

An embedded Chroma store (PersistentClient) is not process-safe: one process writing while another
reads can hang or corrupt it. So writers (ingest, restore) take an exclusive lock on the data
directory, and the embedded-mode service holds a shared lock while it runs. In server mode
(CSTASSIST_CHROMA__URL) Chroma arbitrates, and the service takes no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import CSTAssistError


class DataDirBusy(CSTAssistError):
    code = "data_dir_busy"
    http_status = 409


class DataDirLock:
    def __init__(self, data_dir: Path, exclusive: bool, what: str) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / ".lock"
        self.exclusive = exclusive
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> DataDirLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirBusy(
                f"{self.what}: the data directory {self.path.parent} is in use by another process "
                "(a running service with embedded Chroma, or another ingest). Stop it first, or run Chroma as a "
                "server (CSTASSIST_CHROMA__URL) so ingest and the service can share the index."
            ) from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @contextlib.contextmanager
    def exclusively(self, what: str) -> Iterator[None]:
        """Turn the shared lock this process holds into the exclusive one for the block, then back: how the serving
        process writes its own embedded index (the staff console's uploads). Refused with ``DataDirBusy`` while any
        other process (another service, an evaluation) holds the data directory, so nothing reads it mid-write.

        flock converts a lock by dropping it and taking the new one, so a refusal (or the way back) re-takes the
        shared lock, waiting for it if an ingest slipped in between."""
        if self._fd is None or self.exclusive:
            raise RuntimeError("exclusively() needs a held shared lock")
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            raise DataDirBusy(
                f"{what}: another process also has the data directory {self.path.parent} open (a second service or an "
                "evaluation); stop it, or run Chroma as a server (CSTASSIST_CHROMA__URL)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
