"""The image panel's actions without a page: what a designer sees after selecting a candidate, finding an item,
painting, dropping images; in English and Chinese. Tiny preset: the pictures are noise; these tests look at what
is shown and which mask reaches the engine, not at the pictures.
"""
from __future__ import annotations

import pytest
from PIL import Image

from fakes import ScriptedCritic, SwappedModels
from studio.engine import Studio, StudioError
from studio.ui import image_handlers as work
from studio.ui.handlers import Handlers
from studio.ui.image_wiring import IMAGE_VIEW
from studio.ui.wiring import ROUND_VIEW

BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"
QUICK = {"count": 2, "steps": 1, "size": 64, "seed": 7}


@pytest.fixture
def handlers(store, tiny_registry, tmp_path) -> Handlers:
    critic = ScriptedCritic(lambda _call, count: [40.0] * count, verdict="fail")  # every item ✗
    return Handlers(Studio(store, SwappedModels(tiny_registry, wrap_critic=lambda _m: critic)))


@pytest.fixture
def session_id(handlers) -> str:
    sid = handlers.start_session("alice", BRIEF)["session_id"]
    assert list(handlers.run_round("alice", sid, "", QUICK))[-1]["status"] == "Round 1 done."
    return sid


def painted_layer(box=(0, 0, 32, 64)) -> Image.Image:
    """The editor's layer after a stroke: see-through, painted pink where the brush went."""
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    layer.paste((255, 59, 142, 166), box)
    return layer


def test_selecting_a_candidate_puts_it_in_the_editor_with_its_failed_items_first(handlers, session_id):
    tools = work.candidate_tools(handlers, "alice", session_id, 1, 2)

    assert tools["editor"]["background"].size == (64, 64) and tools["editor"]["layers"] == []
    items = tools["fix_item"].constructor_args["choices"]
    assert items[:2] == ["A poster for a jazz night", "navy and gold"] and tools["fix_item"].constructor_args["value"]
    assert tools["upscale_which"] == [2]
    assert work.candidate_tools(handlers, "alice", "", 0, 0)["editor"] is None  # a new session: nothing to edit


def test_find_it_paints_the_segmenters_region_in_the_editor_and_fix_this_redraws_it(handlers, session_id):
    found = work.propose_mask(handlers, "alice", session_id, 1, 1, "a saxophone")
    assert 'proposes a region for "a saxophone"' in found["status"]
    (layer,) = found["editor"]["layers"]
    assert layer.mode == "RGBA" and layer.getchannel("A").getextrema() == (0, 166)

    views = list(work.fix_on_page(handlers, "alice", session_id, 1, 1, "a saxophone", found["editor"], QUICK))
    last = views[-1]
    assert last["status"] == "Round 2 done." and set(IMAGE_VIEW) <= set(last) <= set(ROUND_VIEW) | set(IMAGE_VIEW)
    assert last["details"]["kind"] == "fix" and last["details"]["prompt"].startswith("a saxophone")
    assert last["used_mask"].size == (64, 64) and last["after"].size == last["before"].size == (64, 64)


def test_redraw_takes_the_painted_stroke_or_an_uploaded_mask_and_refuses_an_empty_editor(handlers, session_id,
                                                                                          tmp_path):
    painted = {"background": None, "layers": [painted_layer()], "composite": None}
    views = list(work.edit_on_page(handlers, "alice", session_id, 1, 1, "a red moon", painted, None, 0.9, QUICK))
    mask = views[-1]["used_mask"].convert("L")
    assert mask.getpixel((10, 10)) == 255 and mask.getpixel((50, 10)) == 0  # the stroke, and nothing else

    blank = {"background": None, "layers": [Image.new("RGBA", (64, 64))], "composite": None}
    with pytest.raises(StudioError, match="Paint the region to redraw"):
        list(work.edit_on_page(handlers, "alice", session_id, 1, 1, "a red moon", blank, None, 0.9, QUICK))
    with pytest.raises(StudioError, match="Choose a candidate"):
        list(work.edit_on_page(handlers, "alice", session_id, 1, 0, "a red moon", painted, None, 0.9, QUICK))


def test_dropped_images_start_a_session_or_join_the_open_one_as_context_style_or_start(handlers, tmp_path):
    Image.new("RGB", (48, 32), "orange").save(tmp_path / "shot.png")
    files = [str(tmp_path / "shot.png")]

    started = work.drop_images(handlers, "alice", "", files, "context", 0.5, "a label for this jar")
    sid = started["session_id"]
    assert "Send to render round 1" in started["status"] and started["checklist"]["data"]
    assert "From your images, the brief: **a label for this jar" in str(started["chat"])
    assert "**1.**" in started["references"] and "used as **context**" in started["references"]

    as_start = work.drop_images(handlers, "alice", sid, files, "start", 0.5, "")
    assert as_start["reference"] == files[0] and "start of the next round" in as_start["status"]
    styled = work.drop_images(handlers, "alice", sid, files, "style", 0.7, "")
    assert "**3.**" in styled["references"] and "used as **style** (strength 0.7)" in styled["references"]
    assert work.drop_images(handlers, "alice", sid, None, "context", 0.5, "") == {}  # the zone was cleared


def test_the_panel_speaks_chinese(handlers, session_id):
    zh = handlers.reading("zh")
    found = work.propose_mask(zh, "alice", session_id, 1, 1, "a saxophone")
    assert "分割模型为“a saxophone”提出了一个区域" in found["status"]
    views = list(work.vary(zh, "alice", session_id, 1, 1, "subtle", QUICK))
    assert "1.1 的细微变体" in str(views[-1]["chat"]) and "2 ≈" in str(views[-1]["rounds"].constructor_args)
