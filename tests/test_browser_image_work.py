"""Work on an image in a real browser (Debian's chromium driven by Playwright): a designer selects a candidate,
paints the region to redraw with the mouse, says what goes there, and sees the result beside the original.

Tiny preset: the candidates are noise; this proves the page works, not the pictures.
"""
from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from test_browser import browser, studio, until_the_server_answered  # noqa: F401

ROUND_MS = 60_000  # the first round may load the tiny models
BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"


@pytest.fixture
def designer_page(browser, studio):
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    page = context.new_page()
    page.page_errors = []
    page.on("pageerror", lambda error: page.page_errors.append(error))
    until_the_server_answered(page, lambda: page.goto(studio.url))
    yield page
    context.close()


def test_a_designer_paints_a_region_redraws_it_and_sees_the_result_beside_the_original(designer_page):
    page = designer_page
    page.locator("#message textarea").fill(BRIEF)
    page.locator("#send").click()
    expect(page.locator("#status")).to_contain_text("Round 1 done.", timeout=ROUND_MS)

    # The selected candidate opens in the mask editor of the "Work on this image" panel.
    page.locator("#gallery button").first.click()
    page.locator("#image-work").get_by_text("Work on this image").click()
    canvas = page.locator("#mask-editor canvas").first
    expect(canvas).to_be_visible()
    expect(page.locator("#fix-item input")).not_to_have_value("")  # the checklist items it can fix

    # A stroke across the picture with the mouse: the region to redraw.
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(box["x"] + box["width"] * (0.35 + 0.03 * step), box["y"] + box["height"] * (0.35 + 0.02 * step),
                        steps=2)
    page.mouse.up()
    page.locator("#instruction textarea").fill("a golden moon")
    page.locator("#redraw").click()

    expect(page.locator("#status")).to_contain_text("Round 2 done.", timeout=ROUND_MS)
    expect(page.locator("#chat")).to_contain_text("Region redrawn on 1.1")
    expect(page.locator("#rounds")).to_contain_text("2 ✎")
    # The result beside its original: both shown, served to this designer.
    for side in ("#before", "#after"):
        expect(page.locator(f"{side} img")).to_have_count(1)
        assert page.locator(f"{side} img").evaluate("img => img.complete && img.naturalWidth") == 64
    assert page.page_errors == []


def test_a_photo_dropped_with_no_session_open_becomes_a_proposed_brief_and_checklist(designer_page, tmp_path):
    page = designer_page
    photo = tmp_path / "product-shot.jpg"
    Image.new("RGB", (120, 80), (200, 120, 40)).save(photo)
    page.locator("#message textarea").fill("a poster from this product shot")

    page.locator("#images input[type=file]").set_input_files(str(photo))

    chat = page.locator("#chat")
    expect(chat).to_contain_text("Brought 1 image(s)", timeout=ROUND_MS)
    expect(chat).to_contain_text("From your images, the brief: a poster from this product shot")
    expect(page.locator("#status")).to_contain_text("press Send to render round 1")
    expect(page.locator("#checklist")).to_contain_text("a poster from this product shot")
    page.locator("#references-tab-button").click()
    expect(page.locator("#references")).to_contain_text("used as context")
    page.locator("#send").click()  # the proposed brief is round 1's
    expect(page.locator("#status")).to_contain_text("Round 1 done.", timeout=ROUND_MS)
    assert page.page_errors == []
