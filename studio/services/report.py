"""The client report: one self-contained HTML file a studio sends its client. It opens offline (images as data URIs,
CSS inline, no script, no font or URL from elsewhere), prints well (a page per section, no image cut), and tells the
design's story: the brief, the checklist and how the chosen designs did on it, the chosen designs large, then round
by round how the prompt and the critique moved, with the designer's reasons and corrections.

Pure rendering: the images come from `image_data(relative_path) -> bytes`; every stored text is escaped (a brief is
data, never markup). `extra(round, candidate) -> str` lets the review-link page put its own HTML under each chosen
design (it must escape what it puts there).
"""
from __future__ import annotations

import base64
import io
import time
from html import escape
from typing import Callable

from PIL import Image

from studio.core.recipe import STUDIO_NAME
from studio.core.session import Candidate, FeedbackKind, Mark, Round, RoundStatus, Session
from studio.core.texts_archive import REPORT

THUMB_PX = 160  # the other designs of a round: small, as JPEG
THUMB_QUALITY = 80
CHOSEN_MAX_PX = 1600  # a chosen design larger than this is scaled down for the file (JPEG at CHOSEN_QUALITY)
CHOSEN_QUALITY = 92

ImageData = Callable[[str], bytes]
Extra = Callable[[Round, Candidate], str]

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
       color: #1d1d1f; background: #f6f5f2; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 40px 32px 64px; background: #fff; }
header { border-bottom: 3px solid #1d1d1f; padding-bottom: 16px; margin-bottom: 28px; }
header .studio { letter-spacing: .14em; text-transform: uppercase; font-size: 12px; color: #6e6e73; }
h1 { font-size: 34px; line-height: 1.15; margin: 6px 0 4px; }
h2 { font-size: 21px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid #d2d2d7; }
h3 { font-size: 17px; margin: 22px 0 8px; }
.muted { color: #6e6e73; font-size: 13px; }
.brief { font-size: 17px; white-space: pre-wrap; background: #f6f5f2; padding: 14px 18px;
         border-left: 4px solid #b08d57; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e5e5ea; vertical-align: top; }
th { font-weight: 600; background: #fafafa; }
.pass { color: #1a7f37; } .fail { color: #b3261e; } .unsure { color: #8a6d00; }
figure.chosen { margin: 18px 0 30px; break-inside: avoid; page-break-inside: avoid; }
figure.chosen img { display: block; width: min(100%, 600px); height: auto; margin: 0 auto; border-radius: 4px;
                    box-shadow: 0 2px 14px rgba(0,0,0,.12); }
figcaption { margin-top: 10px; }
.label { font-weight: 600; }
.prompt { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px;
          white-space: pre-wrap; background: #fafafa; padding: 8px 10px; border-radius: 4px; }
.round { break-inside: avoid-page; }
.thumbs { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 8px; }
.thumbs figure { margin: 0; width: 160px; font-size: 12px; break-inside: avoid; page-break-inside: avoid; }
.thumbs img { width: 160px; height: auto; border-radius: 3px; border: 2px solid transparent; }
.thumbs .picked img { border-color: #1a7f37; } .thumbs .rejected img { opacity: .55; }
ul { padding-left: 20px; margin: 6px 0; }
@media print {
  body { background: #fff; font-size: 12pt; }
  main { max-width: none; padding: 0; }
  section.chapter { break-before: page; page-break-before: always; }
  figure.chosen img { width: min(100%, 160mm); max-height: 200mm; object-fit: contain; box-shadow: none; }
  img { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
}
@page { margin: 16mm; }
"""


def render_report(session: Session, image_data: ImageData, lang: str = "en", extra: Extra | None = None) -> str:
    """The session as a client report (HTML), in `lang` ("en" or "zh")."""
    say = _words(lang)
    parts = [_header(session, say), _brief(session, say), _checklist(session, say),
             _chosen(session, image_data, say, extra), _rounds(session, image_data, say)]
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(session.title)} · {say('title')}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body><main>\n{''.join(parts)}</main></body>\n</html>\n")


def _words(lang: str) -> Callable[..., str]:
    column = 1 if lang == "zh" else 0

    def say(code: str, **args) -> str:  # the arguments are escaped by the caller where they are stored text
        return REPORT[code][column].format(**args)
    return say


def _header(session: Session, say) -> str:
    date = time.strftime("%Y-%m-%d", time.gmtime(session.updated or session.created))
    return (f'<header><div class="studio">{escape(STUDIO_NAME)} · {say("title")}</div>'
            f"<h1>{escape(session.title)}</h1>"
            f'<div class="muted">{say("prepared", studio=escape(STUDIO_NAME), date=date)}</div></header>\n')


def _brief(session: Session, say) -> str:
    return f'<section><h2>{say("brief")}</h2><div class="brief">{escape(session.brief)}</div></section>\n'


def chosen_candidates(session: Session) -> tuple[list[tuple[Round, Candidate]], bool]:
    """The designer's picks, oldest first; with none, the critic's best of the last round that rendered images.
    (the designs, whether they were picked)."""
    picks = [(r, c) for r in session.rounds for c in r.candidates if c.mark is Mark.PICKED]
    if picks:
        return picks, True
    rendered = [r for r in session.rounds if r.status is RoundStatus.DONE and r.candidates]
    if not rendered:
        return [], False
    last = rendered[-1]
    return [(last, max(last.candidates, key=lambda c: c.score if c.score is not None else -1))], False


def _checklist(session: Session, say) -> str:
    if not session.checklist:
        return f'<section><h2>{say("checklist")}</h2><p class="muted">{say("no_checklist")}</p></section>\n'
    chosen, _picked = chosen_candidates(session)
    head = "".join(f"<th>{say('candidate', label=_label(r, c))}</th>" for r, c in chosen)
    rows = []
    for item in session.checklist:
        cells = []
        for _r, c in chosen:
            check = next((k for k in (c.critique.checks if c.critique else ()) if k.item == item.text), None)
            verdict = check.verdict if check and check.verdict in ("pass", "fail", "unsure") else None
            said = say("verdict." + (verdict or "none"))
            cells.append(f'<td class="{verdict or ""}">{said}</td>')
        kind = say(f"kind.{item.kind}") if f"kind.{item.kind}" in REPORT else escape(item.kind)
        rows.append(f"<tr><td>{escape(item.text)}</td><td class=\"muted\">{kind}</td>{''.join(cells)}</tr>")
    return (f'<section><h2>{say("checklist")}</h2><table><tr><th>{say("item")}</th><th></th>{head}</tr>'
            f"{''.join(rows)}</table></section>\n")


def _chosen(session: Session, image_data: ImageData, say, extra: Extra | None) -> str:
    chosen, picked = chosen_candidates(session)
    if not chosen:
        return f'<section class="chapter"><h2>{say("chosen")}</h2><p>{say("nothing")}</p></section>\n'
    heading = say("picked") if picked else say("best", round=chosen[0][0].index + 1)
    figures = []
    for r, c in chosen:
        reason = f'<div>{say("why", reason=escape(c.mark_reason))}</div>' if c.mark_reason else ""
        score = f'<div class="muted">{say("score", score=f"{c.score:.0f}")}</div>' if c.score is not None else ""
        caption = f'<div class="muted">{escape(c.caption)}</div>' if c.caption else ""
        added = extra(r, c) if extra else ""
        figures.append(
            f'<figure class="chosen">{_img(image_data, c.image, say, None)}<figcaption>'
            f'<div class="label">{say("candidate", label=_label(r, c))}</div>{reason}{score}{caption}'
            f'<div class="prompt">{escape(c.prompt or r.prompt)}</div>{added}</figcaption></figure>')
    return f'<section class="chapter"><h2>{say("chosen")}</h2><p class="muted">{heading}</p>{"".join(figures)}' \
           f"</section>\n"


def _rounds(session: Session, image_data: ImageData, say) -> str:
    return (f'<section class="chapter"><h2>{say("rounds")}</h2>'
            f"{''.join(_round(session, r, image_data, say) for r in session.rounds)}</section>\n")


def _round(session: Session, r: Round, image_data: ImageData, say) -> str:
    kind = say(f"kind.{r.kind.value}")
    title = say("round", round=r.index + 1) + (f" · {kind}" if kind else "")
    parts = [f"<h3>{title}</h3>"]
    if r.status not in (RoundStatus.DONE,):
        parts.append(f'<p class="muted">{say("status", status=say(f"status.{r.status.value}"))}</p>')
    if r.message:
        parts.append(f'<div><span class="label">{say("asked")}:</span> {escape(r.message)}</div>')
    if r.prompt:
        negative = f'<div class="muted">{say("negative")}: {escape(r.negative_prompt)}</div>' if r.negative_prompt \
            else ""
        parts.append(f'<div class="label">{say("prompt")}</div><div class="prompt">{escape(r.prompt)}</div>{negative}')
    if r.rationale:
        parts.append(f'<div><span class="label">{say("rationale")}:</span> {escape(r.rationale)}</div>')
    best = max((c for c in r.candidates if c.critique), key=lambda c: c.critique.score, default=None)
    if best is not None:
        words = best.critique.summary or best.critique.caption
        parts.append(f'<div><span class="label">{say("critique")} ({_label(r, best)}):</span> {escape(words)}</div>')
    parts.append(_reactions(session, r, say))
    if r.candidates:
        thumbs = "".join(f'<figure class="{c.mark.value}">{_img(image_data, c.image, say, THUMB_PX)}'
                         f'<figcaption>{_label(r, c)}{" ✓" if c.mark is Mark.PICKED else ""}'
                         f'{" ✗" if c.mark is Mark.REJECTED else ""}</figcaption></figure>' for c in r.candidates)
        parts.append(f'<div class="muted">{say("others")}</div><div class="thumbs">{thumbs}</div>')
    return f'<div class="round">{"".join(parts)}</div>'


def _reactions(session: Session, r: Round, say) -> str:
    said = [f for f in session.feedback if f.round_index == r.index and not f.auto]
    corrections = [f"<li>{escape(f.text)}</li>" for f in said if f.kind is FeedbackKind.CORRECTION]
    marks = []
    for f in said:
        if f.kind is FeedbackKind.CORRECTION or f.candidate is None:
            continue
        label = f"{r.index + 1}.{f.candidate + 1}"
        reason = f" — {escape(f.text)}" if f.text else ""
        marks.append(f"<li>{say(f.kind.value, label=label)}{reason}</li>")
    out = ""
    if corrections:
        out += f'<div class="label">{say("corrections")}</div><ul>{"".join(corrections)}</ul>'
    if marks:
        out += f'<div class="label">{say("reactions")}</div><ul>{"".join(marks)}</ul>'
    return out


def _label(r: Round, c: Candidate) -> str:
    return f"{r.index + 1}.{c.index + 1}"


def _img(image_data: ImageData, relative: str, say, thumb_px: int | None) -> str:
    """The image as a data URI: a thumbnail as JPEG; a chosen design as it is stored (PNG), or as a good JPEG where
    it is larger than the file needs."""
    try:
        data = image_data(relative)
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except (OSError, KeyError, ValueError):  # lost since, or a placeholder the import could not fill
        return f'<div class="muted">{say("missing")}</div>'
    if thumb_px is None and max(image.size) <= CHOSEN_MAX_PX and data[:8] == b"\x89PNG\r\n\x1a\n":
        return f'<img alt="" src="data:image/png;base64,{base64.b64encode(data).decode()}">'
    image.thumbnail((thumb_px or CHOSEN_MAX_PX,) * 2, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=THUMB_QUALITY if thumb_px else CHOSEN_QUALITY)
    return f'<img alt="" src="data:image/jpeg;base64,{base64.b64encode(buffer.getvalue()).decode()}">'
