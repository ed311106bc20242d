"""The page's handlers and presenters without a page: what a designer sees after each action, and how a refusal
reaches each door. The tiny preset's images are noise; these tests look at what is shown, not at the pictures.
"""
from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from studio.engine import StudioError
from studio.ui import presenters
from studio.engine.validation import whole
from studio.ui.handlers import Handlers
from studio.ui.locales import words
from studio.ui.wiring import endpoint
from studio.web.identity import OWNER_HEADER

UI = Path(__file__).resolve().parents[1] / "studio" / "ui"
BRIEF = "A poster for a jazz night, art deco, navy and gold"


@pytest.fixture
def handlers(studio) -> Handlers:
    return Handlers(studio)


def first_round(handlers: Handlers, owner: str = "alice") -> str:
    session_id = handlers.start_session(owner, BRIEF)["session_id"]
    views = list(handlers.run_round(owner, session_id, "", {"count": 2, "steps": 1, "size": 64, "seed": 7}))
    assert views[-1]["status"] == "Round 1 done."
    return session_id


def test_stop_with_no_session_open_says_nothing_is_running(handlers):
    assert handlers.cancel("alice", "") == {"status": "Nothing is running."}


def test_delete_asks_first_and_deleting_needs_the_second_click(handlers, studio):
    session_id = first_round(handlers)

    asked = handlers.ask_to_delete("alice", session_id)

    assert "Delete **A poster for a jazz night, art deco, navy and gold** and its 1 round?" in asked["confirm_text"]
    assert [s.id for s in studio.list_sessions("alice")] == [session_id]  # nothing deleted yet
    handlers.delete("alice", session_id)
    assert studio.list_sessions("alice") == []


def test_the_round_strip_keeps_every_round_and_reopens_an_earlier_one(handlers):
    session_id = first_round(handlers)
    views = list(handlers.run_round("alice", session_id, "warmer palette", {"count": 3, "steps": 1, "size": 64}))
    assert views[-1]["shown_round"] == 2

    shown = handlers.show_round("alice", session_id, 1)

    assert shown["shown_round"] == 1 and len(shown["gallery"]) == 2
    assert shown["rounds"].constructor_args["choices"] == [("1", 1), ("2", 2)]
    assert shown["status"].startswith("Round 1 of 2")
    assert shown["details"]["round"] == 1  # rounds are counted from 1 everywhere a person reads them


def test_a_candidate_number_past_the_rounds_count_is_refused_with_the_count(handlers):
    session_id = first_round(handlers)

    with pytest.raises(StudioError, match="Round 1 has 2 candidates: choose 1 to 2."):
        handlers.feedback("alice", "pick", session_id, 1, 8, "")


def test_a_style_fills_in_the_settings_it_suggests_and_says_so(handlers, studio):
    key, style = next((k, s) for k, s in studio.styles.items() if s.suggested)

    chosen = handlers.choose_style(key)

    assert {k: chosen[k] for k in style.suggested} == style.suggested
    assert style.name in chosen["style_note"] and "suggests" in chosen["style_note"]


def test_settings_kept_for_a_session_come_back_when_it_opens(handlers):
    session_id = first_round(handlers)
    kept = {"count": 2, "steps": 3, "size": 128, "guidance": 5.5, "seed": 42, "style": "", "negative": "clutter",
            "strength": 0.4}
    handlers.keep_settings("alice", session_id, kept)

    opened = handlers.open_session("alice", session_id)

    assert {name: opened[name] for name in kept} == kept


def test_the_prompt_diff_ignores_punctuation_and_case():
    diff = presenters.prompt_diff("navy and gold, art deco", "Navy and gold. art deco, a saxophone")

    assert diff == "Navy and gold. art deco, **a saxophone**"


def test_insights_keep_the_fallback_note_apart_from_the_list(handlers, studio):
    session_id = first_round(handlers)  # the tiny refiner's checklist is unusable: it is split from the brief

    text = presenters.insights(studio.open_session("alice", session_id))

    assert "\n\n*The checklist was split from the brief" in text


def test_a_round_asked_for_without_words_gets_no_invented_words(handlers, studio):
    session_id = first_round(handlers)
    list(handlers.run_round("alice", session_id, "", {"count": 1, "steps": 1, "size": 64}))

    users = [m["content"] for m in presenters.conversation(studio.open_session("alice", session_id))
             if m["role"] == "user"]

    assert users == [BRIEF]


def test_a_thumbnail_caption_is_short_and_the_legend_explains_it(handlers, studio):
    session_id = first_round(handlers)
    candidate = studio.open_session("alice", session_id).rounds[0].candidates[0]

    caption = presenters.candidate_caption(candidate)

    assert caption.startswith("#1 · ") and len(caption) <= 24
    assert "Score" in words("legend", "en") and "✓ ✗ ?" in words("legend", "en")


def refusing(handlers, owner, session_id):
    whole("seed", 2.5, -1, 100)


def test_a_refusal_on_the_page_is_a_toast_that_changes_no_output(monkeypatch, handlers):
    warned = []
    monkeypatch.setattr(gr, "Warning", warned.append)
    page = type("Page", (), {})()
    fn = endpoint(page, handlers, ["session_id"], refusing, ["status"], "refusing")

    assert fn("abc", "page", "en", None) == gr.skip()
    assert warned == ["Seed must be a whole number, not 2.5."]


def test_a_refusal_over_the_api_is_an_error_with_the_same_message(handlers):
    fn = endpoint(type("Page", (), {})(), handlers, ["session_id"], refusing, ["status"], "refusing")

    with pytest.raises(gr.Error, match="Seed must be a whole number, not 2.5."):
        fn("abc", "", "en", None)  # `who` unset: the caller never ran the page's load, so it is a script


def test_the_page_stays_small_and_keeps_to_its_room():
    """ui/: no module over ~300 lines, no function over ~60; it never opens files, reaches the store or a model."""
    for module in UI.glob("*.py"):
        source = module.read_text()
        assert len(source.splitlines()) <= 300, module.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno < 60, f"{module.name}: {node.name}"
        for forbidden in ("Image.open", "PIL", ".store", "studio.services", "torch", "from pipelines", "import pipelines"):
            assert forbidden not in source, f"{module.name} uses {forbidden}"


def test_the_studio_and_the_refiner_agree_on_how_many_directions_there_may_be():
    from pipelines.checklist import MAX_DIRECTIONS
    from studio.core import limits

    assert limits.MAX_DIRECTIONS == MAX_DIRECTIONS


def test_start_next_round_from_a_candidate_then_the_round_says_where_it_started(handlers, studio):
    session_id = first_round(handlers)

    chosen = handlers.start_from("alice", session_id, 1, 2)
    views = list(handlers.run_round("alice", session_id, "warmer", {
        "count": 1, "steps": 2, "size": 64, "start_from": chosen["start_from"]}))

    assert chosen["start_from"] == "1.2" and "candidate 2 of round 1" in chosen["start_note"]
    assert views[-1]["details"]["started_from"].startswith("Started from candidate 2 of round 1")
    with pytest.raises(StudioError, match="Round 1 has 2 candidates"):
        handlers.start_from("alice", session_id, 1, 5)


def test_a_chinese_reader_is_refused_in_chinese_on_the_page(monkeypatch, handlers):
    session_id = first_round(handlers, owner="browser-a-browser-id")  # the owner a browser id makes
    request = SimpleNamespace(headers={OWNER_HEADER: "browser-a-browser-id"})  # as the gate writes it
    warned = []
    monkeypatch.setattr(gr, "Warning", warned.append)
    pick = endpoint(type("Page", (), {})(), handlers, ["session_id", "round", "candidate", "reason"],
                    lambda h, owner, *values: h.feedback(owner, "pick", *values), ["status"], "pick")

    assert pick(session_id, 1, 8, "", "page", "zh", request) == gr.skip()
    assert pick(session_id, 1, 8, "", "page", "en", request) == gr.skip()
    assert warned == ["第 1 轮有 2 张候选图：请选择 1 到 2。", "Round 1 has 2 candidates: choose 1 to 2."]


def test_a_chinese_reader_follows_a_round_in_chinese(handlers, studio):
    chinese = handlers.reading("zh")
    session_id = chinese.start_session("alice", "一张爵士之夜的海报")["session_id"]

    views = list(chinese.run_round("alice", session_id, "", {"count": 2, "steps": 1, "size": 64}))

    assert views[0]["status"] == "第 1 轮开始。" and views[-1]["status"] == "第 1 轮完成。"
    assert views[-1]["candidate_info"] == "第 1 轮：请选择一张候选图（点击它，或按它的编号）。"
    assert presenters.round_reply(studio.open_session("alice", session_id).rounds[0], lang="zh").startswith(
        "**第 1 轮**")
    assert chinese.cancel("alice", session_id) == {"status": "没有正在进行的轮次。"}


def test_an_unreadable_upload_is_refused_by_the_engine_in_the_readers_language(handlers, tmp_path):
    from gradio.data_classes import FileData

    from studio.core.messages import field_name, say
    from studio.ui.components import UploadedImage

    fake = tmp_path / "notes.png"
    fake.write_text("meeting notes, not an image\n" * 20)
    session_id = handlers.start_session("alice", BRIEF)["session_id"]

    passed_on = UploadedImage(type="filepath").preprocess(FileData(path=str(fake)))  # Gradio would fail decoding it
    with pytest.raises(StudioError) as refused:
        list(handlers.reading("zh").run_round("alice", session_id, "", {"count": 1, "steps": 1, "size": 64,
                                                                         "reference": passed_on}))

    assert passed_on == str(fake)
    assert refused.value.message.text("zh") == say("upload.unreadable", "zh", what=field_name("reference_file"))
    assert handlers.studio.open_session("alice", session_id).rounds == ()  # refused: nothing ran
