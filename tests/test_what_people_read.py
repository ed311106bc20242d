"""What people read: their own words shown as words, never as markup; a fault of the studio's as an apology with a
reference, never a Python error.

Markdown is rendered here by markdown-it (CommonMark, HTML passed through, GFM tables), as the page's renderer
treats it: an image, an <img> tag or a link in the result would reach a viewer's browser.
"""
from __future__ import annotations

import logging
import re

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from markdown_it import MarkdownIt

from bench.launcher import free_port
from fakes import a_bug
from studio.engine import RoundParams
from studio.ui import build_ui, presenters
from studio.ui.critique_presenters import scorecard
from studio.ui.handlers import Handlers
from studio.ui.wiring import endpoint

HOSTILE = "![x](http://127.0.0.1:1/leak.png) <img src=x onerror=alert(1)> a | b"
SHOWN = "![x](http://127.0.0.1:1/leak.png) &lt;img src=x onerror=alert(1)&gt; a | b"  # as text, in HTML
APOLOGY = re.compile(r"Something went wrong on the studio's side \(ref ([0-9A-F]{6})\); nothing you made was lost\. "
                     r"Try again; if it keeps happening, tell the host the reference\.")
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


@pytest.fixture
def hostile_session(studio):
    """A session whose brief, title, checklist, reason, correction and question all carry HOSTILE, one round done."""
    sid = studio.start_session("alice", f"A poster {HOSTILE}", title=f"Night {HOSTILE}").id
    studio.set_checklist("alice", sid, [[f"a saxophone {HOSTILE}", "visual", True],
                                        ["says JAZZ | NIGHT", "text", False]])
    list(studio.run_round("alice", sid, "", RoundParams(count=2, steps=1, width=64, height=64, seed=7)))
    studio.give_feedback("alice", sid, 0, "reject", 0, f"too busy {HOSTILE}")
    studio.give_feedback("alice", sid, 0, "correction", text=f"warmer {HOSTILE}")
    studio.ask("alice", sid, 0, 1, f"is it {HOSTILE}?")
    return studio.open_session("alice", sid)


def rendered(markdown: str) -> str:
    html = MARKDOWN.render(markdown)
    assert "<img" not in html and "<a " not in html, html  # nothing fetched, no link hiding its target
    return html


def test_what_people_typed_is_shown_as_text_in_every_view(hostile_session):
    session, r = hostile_session, hostile_session.rounds[0]
    views = {"chat": "\n\n".join(m["content"] for m in presenters.conversation(session)),
             "reply": presenters.round_reply(r), "rejected": presenters.candidate_info(r, r.candidates[0]),
             "asked": presenters.candidate_info(r, r.candidates[1]), "title": presenters.session_line(session, None)}

    html = {name: rendered(markdown) for name, markdown in views.items()}

    for typed in ("A poster", "too busy", "warmer", "is it"):  # the brief, a reason, a correction, a question
        assert f"{typed} {SHOWN}" in html["chat"], typed
    assert f"too busy {SHOWN}" in html["rejected"] and f"a saxophone {SHOWN}" in html["asked"]
    assert f"Night {SHOWN}" in html["title"]


def test_a_bar_in_a_checklist_item_keeps_the_scorecard_one_cell_per_item(hostile_session):
    table = scorecard(hostile_session.rounds[0])

    html = rendered(table)

    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert len(rows) == 3  # the head and the two candidates
    assert all(row.count("<td") + row.count("<th") == 5 for row in rows)  # rank, candidate, score, 2 items
    assert f"a saxophone {SHOWN}</th>" in rows[0]
    assert "says JAZZ | NIGHT</th>" in rows[0]


def test_the_chat_sent_to_the_browser_carries_the_escaped_form(studio):
    h = Handlers(studio)
    sid = h.start_session("alice", f"A poster {HOSTILE}")["session_id"]
    list(h.run_round("alice", sid, "", {"count": 1, "steps": 1, "size": 64}))
    studio.give_feedback("alice", sid, 0, "correction", text=HOSTILE)

    sent = gr.Chatbot().postprocess(h.open_session("alice", sid)["chat"]).model_dump()

    said = [part["text"] for message in sent for part in message["content"]]
    assert r"\!\[x\]\(http://127.0.0.1:1/leak.png\) \<img src=x onerror=alert\(1\)\> a \| b" in said


@pytest.fixture
def api(studio):
    demo = build_ui(studio)
    demo.queue()
    _app, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    client = Client(url, verbose=False)
    try:
        yield client
    finally:
        client.close()
        demo.close()


def test_a_bug_reached_through_the_api_is_an_apology_with_a_reference_in_the_log(api, caplog, monkeypatch):
    monkeypatch.setattr(Handlers, "keep_settings", a_bug)
    with caplog.at_level(logging.ERROR, logger="studio.ui.refusals"), pytest.raises(AppError) as said:
        api.predict(session_id="", style=["x"], api_name="/keep_settings")

    ref = APOLOGY.fullmatch(str(said.value).strip("'\"")).group(1)
    logged = [record for record in caplog.records if f"(ref {ref})" in record.getMessage()]
    assert len(logged) == 1 and logged[0].getMessage() == f"event keep_settings failed (ref {ref})"
    assert logged[0].exc_info[0] is TypeError  # the traceback is the host's, in the log
    assert "unhashable" not in str(said.value)


def test_a_bug_on_the_page_is_a_toast_in_the_readers_language_that_changes_no_output(monkeypatch, studio):
    monkeypatch.setattr(Handlers, "keep_settings", a_bug)
    warned = []
    monkeypatch.setattr(gr, "Warning", warned.append)
    keep = endpoint(type("Page", (), {})(), Handlers(studio), ["session_id", "style"],
                    lambda h, owner, sid, style: h.keep_settings(owner, sid, {"style": style}), ["style_note"],
                    "keep_settings")

    assert keep("", ["x"], "page", "zh", None) == gr.skip()
    assert keep("", ["x"], "page", "en", None) == gr.skip()

    assert re.fullmatch(r"工作室这边出了问题（编号 [0-9A-F]{6}）；你做的东西都没有丢失。"
                        r"请再试一次；如果反复出现，请把这个编号告诉工作室的管理者。", warned[0])
    assert APOLOGY.fullmatch(warned[1])
