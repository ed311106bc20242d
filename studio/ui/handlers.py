"""What each page action does: plain functions over the engine, testable without a page.

Every handler takes plain values (the owner first) and returns, or yields, a view: a dict from a component's name
in the layout to its new value. `wiring` turns names into components and engine refusals into the page's toast or
the API's error. No handler opens a file or reaches the store: images come from the engine.
"""
from __future__ import annotations

from typing import Any, Iterator

import gradio as gr

from studio.core.params import ROUND_SETTINGS, SETTING_NAMES, default_settings, start_label
from studio.core.session import Round, Session, find_round, last_round
from studio.engine import Studio, StudioError
from studio.engine.validation import chosen_candidate, whole
from studio.engine.events import AutoProgress, AutoStopped, Finished, Refining, Rendering, Started, throttled
from studio.ui import presenters as show

View = dict[str, Any]
KEPT_SETTINGS = tuple(s.name for s in ROUND_SETTINGS if s.kind not in ("image", "start"))


class Handlers:
    def __init__(self, studio: Studio):
        self.studio = studio

    # ------------------------------------------------------------ views
    def session_view(self, owner: str, session: Session | None, round_number: int | None = None) -> View:
        """Everything that shows a session: the conversation, the strip, the round shown, the design tabs."""
        r = self._round(session, round_number)
        view = {"session_id": session.id if session else "", "chat": show.conversation(session),
                "checklist": show.checklist_rows(session), "preferences": show.preference_rows(session),
                "insights": show.insights(session), "send": gr.Button("Next round" if session else "Start"),
                "status": show.session_line(session, r), **self.round_view(owner, session, r)}
        return view

    def round_view(self, owner: str, session: Session | None, r: Round | None) -> View:
        images = self.studio.round_images(owner, session.id, r.index) if session and r else []
        return {"rounds": gr.Radio(choices=show.round_choices(session), value=r.index + 1 if r else None),
                "shown_round": r.index + 1 if r else 0,
                "gallery": [(image, show.candidate_caption(c)) for image, c in images],
                "selected": gr.Radio(choices=[(str(c.index + 1), c.index + 1) for c in (r.candidates if r else ())],
                                     value=None),
                "candidate": 0, "candidate_info": show.candidate_info(r, None), "answer": "",
                "details": show.round_details(r), "scorecard": show.scorecard(r)}

    def settings_view(self, session: Session | None) -> View:
        """The session's own round settings (kept per session), or the preset's defaults."""
        preset = self.studio.preset
        values = {**default_settings(preset.steps, preset.size, preset.guidance),
                  **(session.settings if session else {})}
        return {name: values[name] for name in KEPT_SETTINGS} | {"style_note": self.style_note(values["style"])}

    def style_note(self, key: str) -> str:
        style = self.studio.styles.get(key) if key else None
        if style is None:
            return ""
        hint = ", ".join(f"{k} {v:g}" for k, v in style.suggested.items())
        return f"**{style.name}** suggests {hint}: set above, change them freely." if hint else f"**{style.name}**."

    @staticmethod
    def _round(session: Session | None, number: int | None) -> Round | None:
        if session is None:
            return None
        if number:
            found = find_round(session, int(number) - 1)
            if found is not None:
                return found
        return last_round(session)

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
        r = find_round(session, counted("The round", round_number))
        if r is None:
            raise StudioError(f"There is no round {round_number} in this session: choose one in the strip.")
        return {**self.round_view(owner, session, r), "status": show.session_line(session, r)}

    def sessions_list(self, owner: str, selected: str | None = None) -> View:
        summaries = self.studio.list_sessions(owner)
        return {"sessions": gr.Radio(choices=show.session_choices(summaries), value=selected or None),
                "sessions_data": [{"id": s.id, "title": s.title, "rounds": s.rounds, "updated": s.updated}
                                  for s in summaries]}

    def new_session(self) -> View:
        return {**self.session_view("", None), "sessions": gr.Radio(value=None), "start_from": "",
                "start_note": "", "start_row": gr.Row(visible=False)}

    def rename(self, owner: str, session_id: str, title: str) -> View:
        self.studio.rename(owner, session_id, title)
        return {**self.sessions_list(owner, session_id), "title": "", "status": "Renamed."}

    def ask_to_delete(self, owner: str, session_id: str) -> View:
        session = self.studio.open_session(owner, session_id)
        rounds = len(session.rounds)
        return {"confirm_row": gr.Group(visible=True),
                "confirm_text": f"Delete **{session.title}** and its {rounds} round{'s' * (rounds != 1)}? "
                                "This cannot be undone."}

    def delete(self, owner: str, session_id: str) -> View:
        self.studio.delete(owner, session_id)
        return {**self.session_view(owner, None), **self.sessions_list(owner), "status": "Session deleted.",
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
            raise StudioError("No session is open: write a brief and press Start, or pick a session.")
        return self.studio.open_session(owner, session_id)

    def stream(self, owner: str, session_id: str, events) -> Iterator[View]:
        """A round's (or an auto run's) events as views: only what changed is sent."""
        session, live = self.studio.open_session(owner, session_id), None
        for event in throttled(events):
            if isinstance(event, Started):
                live, session = event.round, self.studio.open_session(owner, session_id)
                yield {"chat": show.conversation(session, live), "status": event.message, "message": "",
                       "start_from": "", "start_note": "", "start_row": gr.Row(visible=False),
                       "rounds": gr.Radio(choices=show.round_choices(session), value=live.index + 1)}
            elif isinstance(event, Refining):
                yield {"chat": show.conversation(session, live, event.text), "status": event.message}
            elif isinstance(event, Rendering) and event.previews:
                yield {"gallery": [(image, f"#{i + 1} · step {event.step}/{event.total}")
                                   for i, image in enumerate(event.previews)], "status": show.progress_line(event)}
            elif isinstance(event, Finished):
                done = self.studio.open_session(owner, session_id)
                yield {**self.session_view(owner, done, event.round.index + 1), "status": event.message,
                       **self.sessions_list(owner, session_id)}
            elif isinstance(event, (AutoProgress, AutoStopped)):
                chat = {"chat": show.conversation(self.studio.open_session(owner, session_id))} \
                    if isinstance(event, AutoStopped) else {}
                yield {"status": event.message, **chat}
            else:
                yield {"status": show.progress_line(event)}

    def cancel(self, owner: str, session_id: str) -> View:
        if not session_id:  # nothing open, so nothing runs: no id to complain about
            return {"status": "Nothing is running."}
        return {"status": "Stopping..." if self.studio.cancel(owner, session_id) else "Nothing is running."}

    def keep_settings(self, owner: str, session_id: str, settings: dict) -> View:
        if session_id:  # settings before a session are kept by the page until it starts one
            self.studio.keep_settings(owner, session_id, settings)
        return {"style_note": self.style_note(settings.get("style") or "")}

    def choose_style(self, key: str) -> View:
        """A style fills in the settings it suggests; the designer may change them afterwards."""
        style = self.studio.styles.get(key) if key else None
        suggested = {k: v for k, v in (style.suggested if style else {}).items() if k in SETTING_NAMES}
        return {**suggested, "style_note": self.style_note(key)}

    # ------------------------------------------------------------ candidates
    def select_candidate(self, owner: str, session_id: str, round_number, candidate) -> View:
        if not session_id:  # the page was cleared for a new session: nothing to describe
            return {"candidate_info": show.candidate_info(None, None), "answer": ""}
        session = self.studio.open_session(owner, session_id)
        r = self._round(session, round_number)
        chosen = next((c for c in r.candidates if c.index + 1 == candidate), None) if r else None
        return {"candidate_info": show.candidate_info(r, chosen), "answer": ""}

    def feedback(self, owner: str, kind: str, session_id: str, round_number, candidate, reason: str) -> View:
        if not candidate:
            raise StudioError("Choose a candidate first: click it, or press its number.")
        round_index, index = counted("The round", round_number), counted("The candidate", candidate)
        session = self.studio.give_feedback(owner, session_id, round_index, kind, index, reason or "")
        shown = self.session_view(owner, session, round_index + 1)
        chosen = find_round(session, round_index).candidates[index]
        return {**shown, "selected": gr.Radio(value=index + 1), "candidate": index + 1,
                "candidate_info": show.candidate_info(find_round(session, round_index), chosen),
                "status": f"Noted: {kind} candidate {index + 1}.", "reason": ""}

    def ask(self, owner: str, session_id: str, round_number, candidate, question: str) -> View:
        if not candidate:
            raise StudioError("Choose a candidate first: click it, or press its number.")
        round_index, index = counted("The round", round_number), counted("The candidate", candidate)
        asked = self.studio.ask(owner, session_id, round_index, index, question)
        return {"chat": show.conversation(self.studio.open_session(owner, session_id)), "question": "",
                "answer": f"**{asked.question}** {asked.answer}", "status": f"Answer: {asked.answer}"}

    def start_from(self, owner: str, session_id: str, round_number, candidate) -> View:
        if not candidate:
            raise StudioError("Choose a candidate first: click it, or press its number.")
        round_index, index = counted("The round", round_number), counted("The candidate", candidate)
        # Refuses a session, round or candidate that is not theirs, without opening any image.
        chosen_candidate(self.studio.open_session(owner, session_id), round_index, index)
        return {"start_from": start_label(round_index, index),
                "start_note": f"The next round starts from candidate {index + 1} of round {round_index + 1} "
                              "(how far it moves: Strength, in Round settings).", "start_row": gr.Row(visible=True)}

    # ------------------------------------------------------------ checklist and preferences
    def set_checklist(self, owner: str, session_id: str, rows) -> View:
        session = self.studio.set_checklist(owner, session_id, rows)
        return {"checklist": show.checklist_rows(session), "insights": show.insights(session),
                "status": "Checklist saved: the next round is checked against it."}

    def edit_checklist(self, owner: str, action: str, session_id: str, row, text: str, kind: str,
                       pinned: bool) -> View:
        rows = show.checklist_rows(self.studio.open_session(owner, session_id))
        rows = _edited(rows, action, row, [text, kind, pinned], "checklist item")
        return {**self.set_checklist(owner, session_id, rows), "item_row": 0, "item_text": "", "item_pinned": False}

    def set_preferences(self, owner: str, session_id: str, rows) -> View:
        session = self.studio.set_preferences(owner, session_id, rows)
        return {"preferences": show.preference_rows(session), "insights": show.insights(session),
                "status": "Preferences saved."}

    def edit_preferences(self, owner: str, action: str, session_id: str, row, text: str, polarity: str) -> View:
        rows = show.preference_rows(self.studio.open_session(owner, session_id))
        rows = _edited(rows, action, row, [text, polarity], "taste")
        return {**self.set_preferences(owner, session_id, rows), "taste_row": 0, "taste_text": ""}


def _edited(rows: list[list], action: str, row, new: list, what: str) -> list[list]:
    """The table's rows with one added, replaced or deleted (`row` is 1-based, as the page counts)."""
    if action == "add":
        if not str(new[0] or "").strip():
            raise StudioError(f"Write the {what} first.")
        return [*rows, new]
    if not isinstance(row, int) or not 1 <= row <= len(rows):
        raise StudioError(f"Choose a {what} first: click its row in the table.")
    if action == "delete":
        return rows[:row - 1] + rows[row:]
    return rows[:row - 1] + [new] + rows[row:]


def counted(what: str, number) -> int:
    """A round or candidate as people count it (from 1) -> its index (from 0); refused if not a whole number."""
    return whole(what, number, 1, 10**6) - 1
