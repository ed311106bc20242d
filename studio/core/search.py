"""Search across a designer's sessions, as data: what of a session is searchable (`documents`), a query's terms, a
hit and its snippet. Pure: no I/O, no torch, no gradio. The index and the queries are studio/services/search.py's.

`documents` reads a session in its stored JSON form (studio/core/session_json.py, schema 5): the store indexes the
dict it is about to write, and the migration that builds the index reads the same rows, without the studio's classes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

# What a hit says matched. Notes are the designer's messages, questions and answers, and clients' review comments.
FIELDS = ("title", "brief", "prompt", "caption", "critique", "reason", "note")
SHORT_TERM = 3  # a trigram index finds substrings of 3 characters or more; shorter terms are matched by LIKE
SNIPPET_CHARS = 80


@dataclass(frozen=True)
class Document:
    """One searchable text of a session: where it belongs (a round, a candidate of it, or the session) and what."""

    round: int | None  # 0-based; None: the session's own (title, brief, a reference's caption)
    candidate: int | None  # 0-based; None: the round's own (its prompt, the designer's message)
    field: str  # one of FIELDS
    text: str


@dataclass(frozen=True)
class SearchHit:
    """One result, best first in a list: it opens `session_id` at `round` (and selects `candidate`)."""

    session_id: str
    title: str
    round: int | None  # 0-based, None: the session as a whole matched (its brief or title)
    candidate: int | None  # 0-based
    image: str | None  # the candidate's image (or the round's first), relative to the data folder; None: no image
    field: str  # what matched: one of FIELDS, or "image" for a search by image
    snippet: str  # the matched words in their context ("" for a search by image)
    score: float  # higher is better; comparable only within one search


@dataclass(frozen=True)
class SearchResults:
    hits: tuple[SearchHit, ...]
    unindexed: int = 0  # a search by image: candidates not embedded yet (the next search embeds more of them)


def documents(session: dict[str, Any]) -> set[Document]:
    """Every searchable text of a session in its stored JSON form (blank texts left out)."""
    return {doc for doc in _documents(session) if doc.text.strip()}


def _documents(s: dict[str, Any]) -> Iterator[Document]:
    yield Document(None, None, "title", s.get("title", ""))
    yield Document(None, None, "brief", s.get("brief", ""))
    for ref in s.get("references", ()):
        yield Document(None, None, "caption", ref.get("caption", ""))
    for r in s.get("rounds", ()):
        index = r["index"]
        yield Document(index, None, "note", r.get("message", ""))
        yield Document(index, None, "prompt", r.get("prompt", ""))
        yield Document(index, None, "prompt", r.get("rationale", ""))  # the refiner's words on its prompt
        for c in r.get("candidates", ()):
            yield Document(index, c["index"], "prompt", c.get("prompt", ""))
            yield Document(index, c["index"], "caption", c.get("caption", ""))
            critique = c.get("critique") or {}
            yield Document(index, c["index"], "critique", critique.get("summary", ""))
            for check in critique.get("checks", ()):
                yield Document(index, c["index"], "critique", check.get("evidence", ""))
    for fb in s.get("feedback", ()):  # pick and reject reasons, corrections
        yield Document(fb["round_index"], fb.get("candidate"), "reason", fb.get("text", ""))
    for q in s.get("questions", ()):
        yield Document(q["round_index"], q["candidate"], "note", q.get("question", ""))
        yield Document(q["round_index"], q["candidate"], "note", q.get("answer", ""))
    for note in s.get("reviews", ()):
        yield Document(note["round_index"], note["candidate"], "note", note.get("comment", ""))


def query_terms(query: str) -> tuple[str, ...]:
    """The words of a query, each searched as a substring (in any order), without repeats. Chinese is written
    without spaces: "爵士海报" is one term, found as it is written."""
    return tuple(dict.fromkeys(term.lower() for term in query.split()))


def snippet(text: str, terms: tuple[str, ...], width: int = SNIPPET_CHARS) -> str:
    """`text` around the first term found in it, cut to about `width` characters, with "…" where it was cut."""
    text = " ".join(text.split())
    folded = text.lower()
    found = [at for at in (folded.find(term) for term in terms) if at >= 0]
    start = max(0, min(found, default=0) - width // 3)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
