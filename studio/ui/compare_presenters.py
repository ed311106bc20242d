"""A comparison and a reproduction as the page shows them, in the reader's language. Every stored value is escaped
here, at the edge that shows it: prompts, captions and reasons are people's and models' words, never markup."""
from __future__ import annotations

from html import escape

from studio.core.compare import TRANSLATED, Comparison, CompareRow, Word, label
from studio.engine.reproduce import Reproduction
from studio.ui.locales import words

# A differing row is tinted and marked "≠" (the mark is there for readers who do not see the tint); a changed word
# of a prompt is highlighted with <mark>.
_DIFFERS = "background: rgba(255, 196, 0, 0.16);"
_CELL = "padding: 4px 8px; vertical-align: top; border-bottom: 1px solid rgba(128, 128, 128, 0.25);"


def comparison_table(comparison: Comparison, lang: str) -> str:
    """The aligned rows as an HTML table: a field, the first candidate's value, the second's."""
    head = "".join(f'<th style="{_CELL} text-align: left;">{escape(text)}</th>'
                   for text in ("", label(comparison.first), label(comparison.second)))
    body = "".join(_row(row, lang) for row in comparison.rows)
    return (f'<table id="compare-rows" style="width: 100%; border-collapse: collapse;"><thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>")


def _row(row: CompareRow, lang: str) -> str:
    name = words("cmp.row.verdict", lang, item=row.item) if row.item else words(f"cmp.row.{row.field}", lang)
    mark = f' <span title="{escape(words("cmp.differs", lang))}">≠</span>' if row.differs else ""
    cells = [_words(row.words_a), _words(row.words_b)] if row.words_a or row.words_b else \
        [_value(row.field, row.a, lang), _value(row.field, row.b, lang)]
    style = f' style="{_DIFFERS}"' if row.differs else ""
    klass = ' class="differs"' if row.differs else ""
    return (f"<tr{klass}{style}><th style=\"{_CELL} text-align: left; white-space: nowrap;\">{escape(name)}{mark}</th>"
            + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in cells) + "</tr>")


def _words(marked: tuple[Word, ...]) -> str:
    return " ".join(f"<mark>{escape(w.text)}</mark>" if w.changed else escape(w.text) for w in marked) or "—"


def _value(field: str, value: str, lang: str) -> str:
    if not value:
        return words("cmp.none", lang)
    if field in TRANSLATED:
        return escape(words(f"cmp.value.{value}", lang))
    return escape(value)


def comparison_status(comparison: Comparison, lang: str) -> str:
    differing = len(comparison.differing)
    return words("cmp.status.both", lang, first=label(comparison.first), second=label(comparison.second),
                 count=differing, rows=len(comparison.rows))


def reproduction_report(reproduction: Reproduction, lang: str) -> str:
    """A title, then one line per message of the report (the verdict, how, what changed)."""
    title = words("repro.title", lang, candidate=label((reproduction.round_index, reproduction.candidate)))
    return "\n".join([title, "", *(f"- {m.text(lang)}" for m in reproduction.messages)])
