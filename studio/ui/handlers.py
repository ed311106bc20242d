"""What each page action does: plain functions over the engine, testable without a page.

Every handler takes plain values (the owner first) and returns, or yields, a view: a dict from a component's name
in the layout to its new value, written in the reader's language (`Handlers.reading(lang)`). `wiring` turns names
into components and engine refusals into the page's toast or the API's error. No handler opens a file or reaches
the store: images come from the engine. Text people typed goes into Markdown only through `presenters.plain`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import gradio as gr

from studio.core.history import on_branch
from studio.core.params import ROUND_SETTINGS, SETTING_NAMES, default_settings, start_label
from studio.core.session import Candidate, Round, Session, find_round, last_round
from studio.engine import Studio, StudioError
from studio.engine.validation import chosen_candidate, whole
from studio.core.messages import field_name
from studio.engine.events import AutoStopped, Finished, Refining, Rendering, Started, throttled
from studio.ui import presenters as show
from studio.ui.components import owned
from studio.ui.critique_presenters import scorecard
from studio.ui.history_presenters import tree_view
from studio.ui.image_presenters import references_markdown
from studio.ui.locales import I18N, words
from studio.ui.review_presenters import client_info

View = dict[str, Any]
KEPT_SETTINGS = tuple(s.name for s in ROUND_SETTINGS if s.kind not in ("image", "start"))


class Handlers:
    """`grants` (studio.web.files.FileGrants) learn whose each shown image is, and forget a deleted session's."""

    def __init__(self, studio: Studio, lang: str = "en", grants=None):
        self.studio, self.lang, self.grants = studio, lang, grants

    def reading(self, lang: str) -> Handlers:
        """These handlers for a reader of `lang` ("en" or "zh")."""
        return Handlers(self.studio, lang, self.grants)

    def shown_to(self, owner: str, session_id: str) -> Callable[[str], None] | None:
        """What a shown image tells once Gradio has cached it: that copy is the owner's."""
        if self.grants is None:
            return None
        return lambda path: self.grants.grant(owner, path, session_id)

    # ------------------------------------------------------------ views
    def session_view(self, owner: str, session: Session | None, round_number: int | None = None) -> View:
        """Everything that shows a session: the conversation, the strip, the round shown, the design tabs."""
        r = self.round_shown(session, round_number)
        lang = self.lang
        return {"session_id": session.id if session else "", "chat": show.conversation(session, lang=lang),
                **self.tables(session), "insights": show.insights(session, lang),
                "references": references_markdown(session, lang), "tree": tree_view(session, lang),
                "send": gr.Button(I18N("send.next" if session else "send.start")),  # Gradio says it, as its label
                "status": show.session_line(session, r, lang), **self.round_view(owner, session, r)}

    def tables(self, session: Session | None) -> View:
        """The checklist and the preferences, their headers in the reader's language."""
        headers = {"checklist": ("item", "kind", "pinned"), "preferences": ("taste", "polarity")}
        rows = {"checklist": show.checklist_rows(session), "preferences": show.preference_rows(session)}
        return {name: {"headers": [words(f"header.{h}", self.lang) for h in headers[name]], "data": rows[name]}
                for name in headers}

    def round_view(self, owner: str, session: Session | None, r: Round | None) -> View:
        images = self.studio.round_images(owner, session.id, r.index) if session and r else []
        lang = self.lang
        return {"rounds": gr.Radio(choices=show.round_choices(session, lang), value=r.index + 1 if r else None),
                "shown_round": r.index + 1 if r else 0,
                "gallery": [(owned(image, self.shown_to(owner, session.id)), show.candidate_caption(c, lang))
                            for image, c in images],
                "selected": gr.Radio(choices=[(str(c.index + 1), c.index + 1) for c in (r.candidates if r else ())],
                                     value=None),
                "candidate": 0, "candidate_info": show.candidate_info(r, None, lang), "answer": "",
                "details": show.round_details(r, lang), "scorecard": scorecard(r, lang)}

    def settings_view(self, session: Session | None) -> View:
        """The session's own round settings (kept per session), or the preset's defaults."""
        preset = self.studio.preset
        values = {**default_settings(preset.steps, preset.size, preset.guidance),
                  **(session.settings if session else {})}
        return {name: values[name] for name in KEPT_SETTINGS} | {"style_note": self.style_note(values["style"])}

    def style_note(self, key: str) -> str:
        style = self.studio.styles.get(key) if isinstance(key, str) and key else None
        if style is None:
            return ""
        hint = ", ".join(words("style.hint", self.lang, setting=field_name(k), value=v)
                         for k, v in style.suggested.items())
        return words("style.suggests" if hint else "style.plain", self.lang, name=style.name, hint=hint)

    @staticmethod
    def round_shown(session: Session | None, number: int | None) -> Round | None:
        if session is None:
            return None
        if number:
            found = find_round(session, int(number) - 1)
            if found is not None:
                return found
        return last_round(on_branch(session))  # the round the designer is on

    # ------------------------------------------------------------ sessions
    def start_session(self, owner: str, brief: str) -> View:
        session = self.studio.start_session(owner, brief)
        return {**self.session_view(owner, session), **self.sessions_list(owner, session.id),
                **self.settings_view(session)}

    def open_session(self, owner: str, session_id: str) -> View:
        session = self.studio.open_session(owner, session_id)
        return {**self.session_view(owner, session), **self.sessions_list(owner, session.id),
                **self.settings_view(session)}

    def show_round(self, owner: str, session_id: str, round_number) -> View:
        session = self.studio.open_session(owner, session_id)
        index = counted("round", round_number)
        r = find_round(session, index)
        if r is None:
            raise StudioError("round.missing_strip", round=index + 1)
        return {**self.round_view(owner, session, r), "status": show.session_line(session, r, self.lang)}

    def sessions_list(self, owner: str, selected: str | None = None) -> View:
        summaries = self.studio.list_sessions(owner) if owner else []  # nobody yet: a visitor before signing in
        return {"sessions": gr.Radio(choices=show.session_choices(summaries, self.lang), value=selected or None),
                "sessions_data": [{"id": s.id, "title": s.title, "rounds": s.rounds, "updated": s.updated}
                                  for s in summaries]}

    def new_session(self) -> View:
        return {**self.session_view("", None), "sessions": gr.Radio(value=None), "start_from": "",
                "start_note": "", "start_row": gr.Row(visible=False)}

    def rename(self, owner: str, session_id: str, title: str) -> View:
        self.studio.rename(owner, session_id, title)
        return {**self.sessions_list(owner, session_id), "title": "", "status": words("renamed", self.lang)}

    def ask_to_delete(self, owner: str, session_id: str) -> View:
        session = self.studio.open_session(owner, session_id)
        rounds = len(session.rounds)
        code = "ask_delete" if rounds != 1 else "ask_delete_one"
        return {"confirm_row": gr.Group(visible=True),
                "confirm_text": words(code, self.lang, title=show.plain(session.title), rounds=rounds)}

    def delete(self, owner: str, session_id: str) -> View:
        self.studio.delete(owner, session_id)
        if self.grants is not None:  # and every copy Gradio served of its images
            self.grants.forget_session(session_id)
        return {**self.session_view(owner, None), **self.sessions_list(owner), "status": words("deleted", self.lang),
                "confirm_row": gr.Group(visible=False)}

    # ------------------------------------------------------------ rounds
    def run_round(self, owner: str, session_id: str, text: str, settings: dict) -> Iterator[View]:
        session = self._open_for_round(owner, session_id)
        params = self.studio.round_params(settings)
        # Round 1 is the brief itself: words sent before it are the brief's, already stored.
        yield from self.stream(owner, session.id, self.studio.run_round(owner, session.id,
                                                                        text if session.rounds else "", params))

    def send(self, owner: str, session_id: str, text: str, settings: dict) -> Iterator[View]:
        """The composer: with no session open, the words are a brief and start one; inside one, a correction."""
        if not session_id:
            self.studio.round_params(settings)  # bad settings are refused before a session is made
            started = self.start_session(owner, text)
            yield started
            session_id, text = started["session_id"], ""
        yield from self.run_round(owner, session_id, text, settings)

    def run_auto(self, owner: str, session_id: str, rounds, settings: dict) -> Iterator[View]:
        session = self._open_for_round(owner, session_id)
        yield from self.stream(owner, session.id,
                               self.studio.run_auto(owner, session.id, rounds, self.studio.round_params(settings)))

    def inspire(self, owner: str, session_id: str, directions, settings: dict) -> Iterator[View]:
        session = self._open_for_round(owner, session_id)
        params = self.studio.round_params({**settings, "directions": directions})
        yield from self.stream(owner, session.id, self.studio.run_round(owner, session.id, "", params))

    def _open_for_round(self, owner: str, session_id: str) -> Session:
        if not session_id:
            raise StudioError("session.none_open")
        return self.studio.open_session(owner, session_id)

    def stream(self, owner: str, session_id: str, events) -> Iterator[View]:
        """A round's (or an auto run's) events as views: only what changed is sent."""
        session, live, lang = self.studio.open_session(owner, session_id), None, self.lang
        for event in throttled(events):
            status = {"status": show.progress_line(event, lang)}
            if isinstance(event, Started):
                live, session = event.round, self.studio.open_session(owner, session_id)
                yield {"chat": show.conversation(session, live, lang=lang), **status, "message": "",
                       "start_from": "", "start_note": "", "start_row": gr.Row(visible=False),
                       "rounds": gr.Radio(choices=show.round_choices(session, lang), value=live.index + 1)}
            elif isinstance(event, Refining):
                yield {"chat": show.conversation(session, live, event.text, lang), **status}
            elif isinstance(event, Rendering) and event.previews:
                yield {"gallery": [(owned(image, self.shown_to(owner, session_id)),
                                    words("preview", lang, candidate=i + 1, step=event.step, total=event.total))
                                   for i, image in enumerate(event.previews)], **status}
            elif isinstance(event, Finished):
                done = self.studio.open_session(owner, session_id)
                yield {**self.session_view(owner, done, event.round.index + 1), **status,
                       **self.sessions_list(owner, session_id)}
            elif isinstance(event, AutoStopped):
                yield {**status, "chat": show.conversation(self.studio.open_session(owner, session_id), lang=lang)}
            else:
                yield status

    def cancel(self, owner: str, session_id: str) -> View:
        stopping = bool(session_id) and self.studio.cancel(owner, session_id)  # nothing open: nothing runs
        return {"status": words("stopping" if stopping else "nothing_running", self.lang)}

    def keep_settings(self, owner: str, session_id: str, settings: dict) -> View:
        if session_id:  # settings before a session are kept by the page until it starts one
            self.studio.keep_settings(owner, session_id, settings)
        return {"style_note": self.style_note(settings.get("style") or "")}

    def choose_style(self, key: str) -> View:
        """A style fills in the settings it suggests; the designer may change them afterwards."""
        style = self.studio.styles.get(key) if isinstance(key, str) and key else None
        suggested = {k: v for k, v in (style.suggested if style else {}).items() if k in SETTING_NAMES}
        return {**suggested, "style_note": self.style_note(key)}

    # ------------------------------------------------------------ candidates
    def select_candidate(self, owner: str, session_id: str, round_number, candidate) -> View:
        if not session_id:  # the page was cleared for a new session: nothing to describe
            return {"candidate_info": show.candidate_info(None, None, self.lang), "answer": ""}
        session = self.studio.open_session(owner, session_id)
        r = self.round_shown(session, round_number)
        chosen = next((c for c in r.candidates if c.index + 1 == candidate), None) if r else None
        return self.candidate_view(session, r, chosen)

    def candidate_view(self, session: Session, r: Round | None, chosen: Candidate | None) -> View:
        """What the selected candidate's panel says: the studio's account of it, and what clients said of it."""
        return {"candidate_info": show.candidate_info(r, chosen, self.lang) + client_info(session, r, chosen, self.lang),
                "answer": ""}

    def feedback(self, owner: str, kind: str, session_id: str, round_number, candidate, reason: str) -> View:
        if not candidate:
            raise StudioError("candidate.choose_first")
        round_index, index = counted("round", round_number), counted("candidate", candidate)
        session = self.studio.give_feedback(owner, session_id, round_index, kind, index, reason or "")
        shown = self.session_view(owner, session, round_index + 1)
        chosen = find_round(session, round_index).candidates[index]
        return {**shown, "selected": gr.Radio(value=index + 1), "candidate": index + 1,
                "candidate_info": show.candidate_info(find_round(session, round_index), chosen, self.lang),
                "status": words(f"noted.{kind}", self.lang, candidate=index + 1), "reason": ""}

    def ask(self, owner: str, session_id: str, round_number, candidate, question: str) -> View:
        if not candidate:
            raise StudioError("candidate.choose_first")
        round_index, index = counted("round", round_number), counted("candidate", candidate)
        asked = self.studio.ask(owner, session_id, round_index, index, question)
        return {"chat": show.conversation(self.studio.open_session(owner, session_id), lang=self.lang), "question": "",
                "answer": f"**{show.plain(asked.question)}** {show.plain(asked.answer)}",
                "status": words("answered", self.lang, answer=show.plain(asked.answer))}

    def start_from(self, owner: str, session_id: str, round_number, candidate) -> View:
        if not candidate:
            raise StudioError("candidate.choose_first")
        round_index, index = counted("round", round_number), counted("candidate", candidate)
        # Refuses a session, round or candidate that is not theirs, without opening any image.
        chosen_candidate(self.studio.open_session(owner, session_id), round_index, index)
        return {"start_from": start_label(round_index, index),
                "start_note": words("start_note.text", self.lang, candidate=index + 1, round=round_index + 1),
                "start_row": gr.Row(visible=True)}


def counted(what: str, number) -> int:
    """A round or candidate as people count it (from 1) -> its index (from 0); refused if not a whole number."""
    return whole(what, number, 1, 10**6) - 1
