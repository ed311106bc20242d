"""A session read from an imported session.json, checked as strictly as the engine checks what people type: every
field of every record is of its declared type (no bool for a number, no NaN, no lone surrogate or NUL in a text),
every text and list within its limit, every round, candidate and message it points to is there. A session that
passes can be stored, shown and continued as if this studio had made it.
"""
from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from studio.core import limits
from studio.core.messages import LANGUAGES, Message
from studio.core.session import Session
from studio.core.texts import ENGINE
from studio.services.archive import ArchiveRefused

MAX_TEXT_CHARS = 20_000  # a prompt, a caption, a rationale: far above what the studio writes
MAX_ITEMS = 10_000  # any list in a session
MAX_DEPTH = 8  # free-form values (kept settings, a message's arguments)
TEXT_LIMITS = {"brief": limits.MAX_BRIEF_CHARS, "title": limits.MAX_TITLE_CHARS}


def check_session(session: Session) -> None:
    """Raise `ArchiveRefused("archive.field", ...)` naming the first field that is not what a session holds."""
    _check(session, Session, "session")
    _check_links(session)


def _refuse(where: str, problem: str) -> typing.NoReturn:
    raise ArchiveRefused("archive.field", field=where, problem=problem)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _check(value: Any, kind: Any, where: str, depth: int = 0) -> None:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return _free(value, where, depth)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return
        return _check(value, next(a for a in args if a is not type(None)), where, depth)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, kind):
            _refuse(where, f"a {kind.__name__} was expected")
        for name, hint in _hints(kind).items():
            _check(getattr(value, name), hint, f"{where}.{name}", depth + 1)
        if kind is Message:
            _renders(value, where)
        return None
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        if not isinstance(value, kind):
            _refuse(where, f"one of {[e.value for e in kind]} was expected")
        return None
    if origin is tuple:
        return _sequence(value, args, where, depth)
    if origin in (dict, Mapping) or kind in (dict, Mapping):
        return _mapping(value, args, where, depth)
    return _scalar(value, kind, where)


def _sequence(value: Any, args: tuple, where: str, depth: int) -> None:
    if not isinstance(value, tuple) or len(value) > MAX_ITEMS:
        _refuse(where, f"a list of at most {MAX_ITEMS:,} was expected")
    if len(args) == 2 and args[1] is Ellipsis:
        for i, item in enumerate(value):
            _check(item, args[0], f"{where}[{i}]", depth + 1)
    elif len(value) != len(args):
        _refuse(where, f"{len(args)} values were expected")
    else:
        for i, (item, arg) in enumerate(zip(value, args)):
            _check(item, arg, f"{where}[{i}]", depth + 1)


def _mapping(value: Any, args: tuple, where: str, depth: int) -> None:
    if not isinstance(value, Mapping) or len(value) > MAX_ITEMS:
        _refuse(where, "a table of names was expected")
    key_kind, value_kind = args or (str, Any)
    for key, item in value.items():
        _check(key, key_kind, f"{where} (a name)", depth + 1)
        _check(item, value_kind, f"{where}.{key}"[:80], depth + 1)


def _scalar(value: Any, kind: Any, where: str) -> None:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # JSON writes 2.0 as 2 in some tools
    if type(value) is not kind:
        _refuse(where, f"a {getattr(kind, '__name__', kind)} was expected, not {type(value).__name__}")
    if kind is float and not math.isfinite(value):
        _refuse(where, "a finite number was expected")
    if kind is int and abs(value) > 2**63:
        _refuse(where, "a smaller number was expected")
    if kind is str:
        most = TEXT_LIMITS.get(where.rsplit(".", 1)[-1], MAX_TEXT_CHARS)
        if len(value) > most:
            _refuse(where, f"at most {most:,} characters")
        if "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            _refuse(where, "a text without NUL bytes or lone surrogates was expected")


def _free(value: Any, where: str, depth: int) -> None:
    """A free-form value (a kept setting, a message's argument): plain JSON, shallow."""
    if depth > MAX_DEPTH:
        _refuse(where, "too deeply nested")
    if value is None or isinstance(value, (bool, int, float, str)):
        return _scalar(value, type(value), where) if value is not None else None
    if isinstance(value, (list, tuple)):
        return _sequence(tuple(value), (Any, ...), where, depth)
    if isinstance(value, Mapping):
        return _mapping(value, (str, Any), where, depth)
    if isinstance(value, Message):
        return _check(value, Message, where, depth)
    _refuse(where, f"{type(value).__name__} is not stored in a session")


def _renders(message: Message, where: str) -> None:
    """A stored message must be one this studio can say, in every language, with the arguments it carries."""
    if message.code not in ENGINE:
        _refuse(where, f"{limits.shown(message.code)} is not a message this studio knows")
    try:
        for lang in LANGUAGES:
            message.text(lang)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as err:
        _refuse(where, f"its arguments do not fit ({type(err).__name__})")


def _check_links(session: Session) -> None:
    """Everything a record points to is in the session: rounds, candidates, the head."""
    rounds = {}
    for r in session.rounds:
        if r.index < 0 or r.index in rounds:
            _refuse(f"rounds[{r.index}]", "round numbers must be distinct, from 0")
        indices = [c.index for c in r.candidates]
        if len(set(indices)) != len(indices) or any(i < 0 for i in indices):
            _refuse(f"rounds[{r.index}].candidates", "candidate numbers must be distinct, from 0")
        rounds[r.index] = set(indices)
    for r in session.rounds:
        if r.parent is not None and r.parent not in rounds:
            _refuse(f"rounds[{r.index}].parent", "no such round")
    named = [("feedback", f.round_index, f.candidate) for f in session.feedback]
    named += [("questions", q.round_index, q.candidate) for q in session.questions]
    named += [("reviews", n.round_index, n.candidate) for n in session.reviews]
    for field, round_index, candidate in named:
        if round_index not in rounds or (candidate is not None and candidate not in rounds[round_index]):
            _refuse(field, f"round {round_index + 1}, candidate {candidate} is not in the session")
    if session.head not in (None, -1) and session.head not in rounds:
        _refuse("head", "no such round")
    if any(i not in rounds for i in session.redo):
        _refuse("redo", "no such round")
