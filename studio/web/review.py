"""The client's review page, outside the sign-in gate: `GET /review/{token}` shows what the link shares (the client
report of services/report.py, with a vote and comment form under each chosen design); `POST /review/{token}/note`
takes one form and redirects back (post, redirect, get).

The token is the only key, and the engine decides what it opens (engine/review_actions.py): every token that opens
nothing (expired, revoked, unknown, malformed) gets the same page. Images reach the page inside it (data URIs), read
only for the candidates the link shows; no other route is opened. Who a client is, without an account: a random id
in a cookie of this path (`dc_review`), which the engine stores only hashed. A form carries a token made from that id
and the link (HMAC with a secret of this process), and must come from this origin: another site cannot post one.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from html import escape
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from studio.core import limits
from studio.core.messages import Message, language_of
from studio.core.reviews import ReviewView, client_tag, tally
from studio.core.session import Candidate, Round
from studio.engine import StudioError
from studio.services.report import render_report
from studio.ui.locales import words

CLIENT_COOKIE = "dc_review"
MAX_FORM_BYTES = 16 * 1024
HEADERS = {  # no referrer (the token is in the address), nothing from elsewhere, nothing kept by a cache
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "x-robots-tag": "noindex, nofollow",
}
CSS = """<style>
.shared { background: #f6f5f2; border-left: 4px solid #1d1d1f; padding: 10px 14px; margin-bottom: 18px; }
.flash { padding: 10px 14px; margin-bottom: 18px; border-left: 4px solid #1a7f37; background: #eef7f0; }
.flash.refused { border-color: #b3261e; background: #fbeeed; }
.review { margin-top: 12px; padding: 10px 12px; border: 1px solid #e5e5ea; border-radius: 6px; }
.review ul { list-style: none; padding: 0; } .review textarea { width: 100%; min-height: 3em; }
.review form label { margin-right: 12px; } .review input[name=name] { width: 50%; }
@media print { .review form { display: none; } }
</style>"""


class ReviewPages:
    def __init__(self, studio):
        self.studio = studio
        self.secret = secrets.token_bytes(32)  # a restart makes open forms stale: a reload mends them

    def routes(self) -> list[Route]:
        return [Route("/review/{token}", self.page, methods=["GET"]),
                Route("/review/{token}/note", self.note, methods=["POST"])]

    async def page(self, request: Request) -> Response:
        lang = language_of(request.headers.get("accept-language"))
        flash = words("rpage.sent", lang) if request.query_params.get("sent") == "1" else ""
        return self._shown(request, lang, flash, refused=False)

    async def note(self, request: Request) -> Response:
        lang = language_of(request.headers.get("accept-language"))
        token = request.path_params["token"]
        form = await _form(request)
        client = request.cookies.get(CLIENT_COOKIE, "")
        try:
            view = self.studio.review(token)  # a link that opens nothing says so before anything else
            if form is None or not _same_origin(request) or not hmac.compare_digest(
                    form.get("csrf", ""), self._csrf(view.link.id, client)):
                raise StudioError("review.form_expired")
            self.studio.client_note(token, _whole(form.get("round")), _whole(form.get("candidate")),
                                    _whole(form.get("vote", "0")), form.get("comment", ""), form.get("name", ""),
                                    client)
        except StudioError as err:
            if err.message.code == "review.gone":
                return _gone(lang)
            return self._shown(request, lang, err.message.text(lang), refused=True, status=400)
        return RedirectResponse(f"/review/{token}?sent=1", status_code=303, headers=HEADERS)

    # ------------------------------------------------------------ the page
    def _shown(self, request: Request, lang: str, flash: str, refused: bool, status: int = 200) -> Response:
        token = request.path_params["token"]
        try:
            view = self.studio.review(token)
        except StudioError:
            return _gone(lang)
        client = request.cookies.get(CLIENT_COOKIE, "")
        if not limits.REVIEW_CLIENT.fullmatch(client):
            client = secrets.token_urlsafe(24)
        html = render_report(view.session, _images(self.studio, view), lang, self._form_for(view, token, client, lang))
        top = f'<div class="shared">{_markdown_bold(words("rpage.banner", lang, title=escape(view.session.title)))}</div>'
        if flash:
            top += f'<div class="flash{" refused" if refused else ""}" role="status">{escape(flash)}</div>'
        html = html.replace("</head>", CSS + "</head>", 1).replace("<main>", "<main>" + top, 1)
        response = HTMLResponse(html, status_code=status, headers=HEADERS)
        response.set_cookie(CLIENT_COOKIE, client, max_age=365 * 24 * 3600, path="/review/", httponly=True,
                            samesite="lax")  # lax: a link opened from an e-mail still knows its client
        return response

    def _form_for(self, view: ReviewView, token: str, client: str, lang: str):
        """`extra(round, candidate)` for the report: the votes so far, this link's notes, and the form."""
        csrf = self._csrf(view.link.id, client)
        mine = client_tag(client)
        votes = tally(view.session.reviews)

        def extra(r: Round, c: Candidate) -> str:
            notes = [n for n in view.session.reviews if (n.round_index, n.candidate) == (r.index, c.index)]
            said = "".join(f"<li>{'▲ ' if n.vote > 0 else '▼ ' if n.vote < 0 else ''}"
                           f"{escape(n.name + ': ') if n.name else ''}{escape(n.comment)}"
                           f"{' (' + words('rpage.your_vote', lang) + ')' if n.client == mine and n.vote else ''}"
                           f"</li>" for n in notes)
            tallied = words("rpage.tally", lang, up=votes[(r.index, c.index, 1)], down=votes[(r.index, c.index, -1)])
            choices = "".join(f'<label><input type="radio" name="vote" value="{v}"{" checked" if v == 0 else ""}> '
                              f"{words(key, lang)}</label>"
                              for v, key in ((1, "rpage.for"), (-1, "rpage.against"), (0, "rpage.no_vote")))
            return (f'<div class="review" id="review-{r.index + 1}-{c.index + 1}"><div class="muted">{tallied}</div>'
                    f"<ul>{said}</ul><form method=\"post\" action=\"/review/{escape(token)}/note\">"
                    f'<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="round" '
                    f'value="{r.index}"><input type="hidden" name="candidate" value="{c.index}"><div>{choices}</div>'
                    f'<textarea name="comment" maxlength="{limits.MAX_REVIEW_COMMENT_CHARS}" '
                    f'placeholder="{words("rpage.comment", lang)}"></textarea>'
                    f'<input name="name" maxlength="{limits.MAX_REVIEW_NAME_CHARS}" '
                    f'placeholder="{words("rpage.name", lang)}"> <button type="submit">{words("rpage.send", lang)}'
                    f"</button></form></div>")
        return extra

    def _csrf(self, link_id: str, client: str) -> str:
        return hmac.new(self.secret, f"{link_id}:{client}".encode(), hashlib.sha256).hexdigest()


def review_routes(studio) -> list[Route]:
    return ReviewPages(studio).routes()


def _images(studio, view: ReviewView):
    """`image_data` for the report: the files of the candidates the link shows, and nothing else."""
    shown = {c.image for r in view.session.rounds for c in r.candidates}

    def image_data(relative: str) -> bytes:
        if relative not in shown:
            raise KeyError(relative)
        return studio.store.image_path(relative).read_bytes()
    return image_data


def _gone(lang: str) -> Response:
    """The one page for every token that opens nothing."""
    said = escape(Message("review.gone").text(lang))
    html = (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>'
            f'{escape(words("rpage.gone_title", lang))}</title></head><body style="font: 16px/1.5 system-ui, '
            f'sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em"><p>{said}</p></body></html>\n')
    return HTMLResponse(html, status_code=404, headers=HEADERS)


async def _form(request: Request) -> dict[str, str] | None:
    """The posted form's fields (the first of each), or None when it is too large or not a form."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _same_origin(request: Request) -> bool:
    """A form from this site: the browser's Origin (or Sec-Fetch-Site) names no other."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin", "null")  # "null": the page sends no referrer, so no origin either
    return origin == "null" or urlsplit(origin).netloc == request.headers.get("host", "")


def _whole(value):
    """A form's number as the engine checks it (a word that is no number goes on as it is, and is refused)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _markdown_bold(text: str) -> str:
    """The banner's **title** in bold (the title is escaped before)."""
    parts = text.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
