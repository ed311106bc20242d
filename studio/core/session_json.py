"""A session as JSON, and back, without loss: `session_to_dict` / `session_from_dict`. The JSON carries
`SCHEMA_VERSION` (the session's and each round's); a newer one than this studio knows is refused. Pure."""
from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from studio.core.critique import ChecklistItem, Critique, ItemCheck
from studio.core.messages import Message
from studio.core.session import (SCHEMA_VERSION, BranchState, Candidate, ClientNote, Feedback, FeedbackKind, Mark,
                                 Preference, Question, Reference, RenderParams, Round, RoundKind, RoundStatus, Session)


def session_to_dict(session: Session) -> dict[str, Any]:
    d = _plain(dataclasses.asdict(session))
    for r in d["rounds"]:
        r["schema"] = SCHEMA_VERSION
    return {"schema": SCHEMA_VERSION, **d}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def critique_from_dict(d: dict | None) -> Critique | None:
    if d is None:
        return None
    return Critique(**{**d, "matches": tuple(d["matches"]), "missing": tuple(d["missing"]),
                       "checks": tuple(ItemCheck(**c) for c in d.get("checks", ())),
                       "preference_hits": tuple(d.get("preference_hits", ()))})


def candidate_from_dict(d: dict) -> Candidate:
    source = d.get("source")
    return Candidate(**{**d, "mark": Mark(d["mark"]), "critique": critique_from_dict(d["critique"]),
                        "source": tuple(source) if source else None})


def params_from_dict(d: dict | None) -> RenderParams | None:
    if d is None:
        return None
    start = d.get("start_from")
    return RenderParams(**{**d, "seeds": tuple(d["seeds"]), "start_from": tuple(start) if start else None,
                           "environment": dict(d.get("environment", {}))})


def state_from_dict(d: dict | None) -> BranchState | None:
    if d is None:
        return None
    return BranchState(**{**d, "checklist": tuple(ChecklistItem(**i) for i in d["checklist"]),
                          "preferences": tuple(Preference(**p) for p in d["preferences"])})


def _current(d: dict) -> dict:
    """`d` without its schema version, refused if a newer studio wrote it."""
    d = dict(d)
    version = d.pop("schema", SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise ValueError(f"Stored data of schema {version} is newer than this studio knows ({SCHEMA_VERSION}).")
    return d


def round_from_dict(d: dict) -> Round:
    d = _current(d)
    return Round(**{
        **d,
        "status": RoundStatus(d["status"]),
        "error": Message.from_dict(d["error"]) if d.get("error") else None,
        "params": params_from_dict(d["params"]),
        "candidates": tuple(candidate_from_dict(c) for c in d["candidates"]),
        "left_out": tuple(d.get("left_out", ())),
        "kind": RoundKind(d.get("kind", "round")),
        "notes": tuple(Message.from_dict(n) for n in d.get("notes", ())),
        "state": state_from_dict(d.get("state")),
    })


def feedback_from_dict(d: dict) -> Feedback:
    return Feedback(**{**d, "kind": FeedbackKind(d["kind"])})


def session_from_dict(d: dict) -> Session:
    d = _current(d)
    return Session(**{
        **d,
        "rounds": tuple(round_from_dict(r) for r in d["rounds"]),
        "feedback": tuple(feedback_from_dict(f) for f in d["feedback"]),
        "checklist": tuple(ChecklistItem(**i) for i in d.get("checklist", ())),
        "preferences": tuple(Preference(**p) for p in d.get("preferences", ())),
        "questions": tuple(Question(**q) for q in d.get("questions", ())),
        "settings": dict(d.get("settings", {})),
        "references": tuple(Reference(**{**r, "answers": tuple(tuple(a) for a in r.get("answers", ()))})
                            for r in d.get("references", ())),
        "redo": tuple(d.get("redo", ())),
        "reviews": tuple(ClientNote(**n) for n in d.get("reviews", ())),
    })
