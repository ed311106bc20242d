"""When the disk refuses: full, read-only (or not ours to write), or failing, whether an image file or the database
met it.

SQLite reports a full or failing disk in its own words ('database or disk is full', 'disk I/O error'); the store
raises those as the `OSError` they are (`DiskError`, with the errno a file write would have had), so one rule says
every disk failure to a person: `disk_message`.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import contextmanager
from typing import Iterator

from studio.core.messages import Message

# SQLite's primary result codes (the low byte of an extended code) -> the errno a file write fails with.
_SQLITE_ERRNO = {sqlite3.SQLITE_FULL: errno.ENOSPC, sqlite3.SQLITE_IOERR: errno.EIO,
                 sqlite3.SQLITE_READONLY: errno.EROFS}
_MESSAGES = {errno.ENOSPC: "disk.full", errno.EDQUOT: "disk.full", errno.EROFS: "disk.read_only",
             errno.EACCES: "disk.read_only", errno.EPERM: "disk.read_only", errno.EIO: "disk.failing"}


class DiskError(OSError):
    """A database read or write the disk refused, as an OSError: its errno says which way."""


def from_sqlite(err: sqlite3.Error) -> DiskError | None:
    """The disk failure behind a SQLite error; None when the error is not the disk's."""
    code = getattr(err, "sqlite_errorcode", None)
    number = _SQLITE_ERRNO.get(code & 0xFF) if isinstance(code, int) else None
    return DiskError(number, os.strerror(number)) if number else None


@contextmanager
def disk_errors() -> Iterator[None]:
    """SQLite's disk errors raised as `DiskError`; any other error as it is."""
    try:
        yield
    except sqlite3.Error as err:
        disk = from_sqlite(err)
        if disk is None:
            raise
        raise disk from err


def disk_message(err: OSError) -> Message | None:
    """What a person is told when the disk refused (what happened, what to do); None for other OSErrors."""
    code = _MESSAGES.get(err.errno)
    return Message(code) if code else None
