"""What work on images looks like on the page: a round's kind and source, the references a designer brought.
Pure functions of stored values, in the reader's language (presenters.py calls them)."""
from __future__ import annotations

from studio.core.session import Candidate, Round, RoundKind, Session
from studio.ui.locales import words
from studio.ui.plain import plain as _plain


def source_label(source: tuple[int, int] | None) -> str:
    return f"{source[0] + 1}.{source[1] + 1}" if source else "?"


def work_title(r: Round, lang: str) -> str:
    """"Region redrawn on 1.2", "Subtle variations of 2.1", "Upscaled ×2: 1.1, 1.3": the kind of an image round."""
    if r.kind is RoundKind.ROUND:
        return ""
    sources = list(dict.fromkeys(c.source for c in r.candidates if c.source)) or \
        ([r.params.start_from] if r.params and r.params.start_from else [])
    source = ", ".join(source_label(s) for s in sources) or "?"
    if r.kind is RoundKind.VARY:
        how = words(f"vary.{r.params.variation or 'subtle'}", lang) if r.params else ""
        return words("kind.vary", lang, how=how, source=source)
    if r.kind is RoundKind.UPSCALE:
        return words("kind.upscale", lang, factor=r.params.upscale if r.params else "?", source=source)
    if r.kind is RoundKind.FIX:
        return words("kind.fix", lang, item=_plain(r.message), source=source)
    return words("kind.edit", lang, source=source)


def strip_mark(r: Round, lang: str) -> str:
    return words(f"strip.{r.kind.value}", lang) if r.kind is not RoundKind.ROUND else ""


def source_line(c: Candidate, lang: str) -> str:
    if c.source is None:
        return ""
    return words("info.source", lang, round=c.source[0] + 1, candidate=c.source[1] + 1)


def references_markdown(session: Session | None, lang: str) -> str:
    """The References tab: each image's caption, its answers, and how rounds use it."""
    if session is None or not session.references:
        return words("refs.none", lang)
    blocks = []
    for number, ref in enumerate(session.references, 1):
        use = words(f"refs.use.{ref.use}", lang)
        strength = words("refs.strength", lang, strength=ref.strength) if ref.use == "style" else ""
        lines = [words("refs.line", lang, number=number, caption=_plain(ref.caption) or "…", use=use,
                       strength=strength)]
        lines += [f"- {words('refs.answer', lang, question=_plain(q), answer=_plain(a))}" for q, a in ref.answers]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def reference_entries(session: Session, lang: str) -> list[tuple[float, str]]:
    """The conversation's lines for images brought: (when, what the designer brought and the models read)."""
    by_time: dict[float, list[int]] = {}
    for number, ref in enumerate(session.references, 1):
        by_time.setdefault(ref.created, []).append(number)
    entries = []
    for created, numbers in by_time.items():
        said = [words("chat.references", lang, count=len(numbers))]
        said += [words("chat.reference", lang, number=n, caption=_plain(session.references[n - 1].caption) or "…")
                 for n in numbers]
        entries.append((created, "\n\n".join(said)))
    return entries


def proposed_brief(session: Session, lang: str) -> list[tuple[float, str]]:
    """A session started from images, before its first round: the brief the studio proposed, said by the studio."""
    if session.rounds or not session.references:
        return []
    return [(session.references[0].created, words("chat.proposed_brief", lang, brief=_plain(session.brief)))]
