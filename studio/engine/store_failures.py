"""When the store cannot serve an action: the disk is full, read-only or failing, or the studio has shut down.

The action is refused like any other (`StudioError`, what happened and what to do), never a raw `OSError` or
sqlite3 error; what the store held before stays as it was (a failed write is rolled back).
"""
from __future__ import annotations

import functools
import sqlite3
from typing import Callable, TypeVar

from studio.engine.validation import StudioError
from studio.services.disk import disk_message

Action = TypeVar("Action", bound=Callable)


def refusing_store_failures(action: Action) -> Action:
    """A `Studio` method whose store failures are refusals."""

    @functools.wraps(action)
    def refusing(studio, *args, **kwargs):
        if studio.store.closed:
            raise StudioError("studio.shutting_down")
        try:
            return action(studio, *args, **kwargs)
        except OSError as err:
            message = disk_message(err)
            if message is None:
                raise
            raise StudioError.of(message) from err
        except sqlite3.ProgrammingError as err:  # the store closed meanwhile
            if not studio.store.closed:
                raise
            raise StudioError("studio.shutting_down") from err

    return refusing  # type: ignore[return-value]
