"""Reproduce and compare in a real browser (Debian's chromium driven by Playwright): a designer reproduces a candidate
and sees it beside the stored one, then compares two candidates with the slider and side by side.

Tiny preset: the candidates are noise; this proves the page works, not the pictures.
"""
from __future__ import annotations

from playwright.sync_api import expect

from test_browser import browser, studio  # noqa: F401
from test_browser_image_work import designer_page  # noqa: F401  (a designer's page at a laptop's size)

ROUND_MS = 60_000  # the first round may load the tiny models
BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"


def loaded(page, selector: str) -> list[int]:
    """The natural widths of the images under `selector`, once each has loaded (0: not served)."""
    return page.locator(f"{selector} img").evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")


def test_a_designer_reproduces_a_candidate_then_compares_two_with_the_slider(designer_page):
    page = designer_page
    page.locator("#message textarea").fill(BRIEF)
    page.locator("#send").click()
    expect(page.locator("#status")).to_contain_text("Round 1 done.", timeout=ROUND_MS)

    page.locator("#gallery button").first.click()
    expect(page.locator("#candidate-info")).to_contain_text("candidate 1")  # selected, on the server too
    page.locator("#reproduce").click()
    expect(page.locator("#reproduce-report")).to_contain_text("Identical: all 4096 pixels", timeout=ROUND_MS)
    expect(page.locator("#reproduced img")).to_have_count(1)
    assert loaded(page, "#reproduced") == loaded(page, "#reproduce-original") == [64]

    page.locator("#compare-with").click()
    expect(page.locator("#status")).to_contain_text("1.1 is one side")
    page.locator("#gallery button").nth(1).click()
    expect(page.locator("#candidate-info")).to_contain_text("candidate 2")
    page.locator("#compare-with").click()
    expect(page.locator("#status")).to_contain_text("Comparing 1.1 with 1.2")

    page.locator("#compare-tab-button").click()
    expect(page.locator("#compare-second input, #compare-second textarea")).to_have_value("1.2")
    expect(page.locator("#compare-rows tr.differs").first).to_contain_text("Seed")
    expect(page.locator("#compare-slider img")).to_have_count(2)
    page.wait_for_function("() => [...document.querySelectorAll('#compare-slider img')].every(i => i.complete)")
    assert loaded(page, "#compare-slider") == [64, 64]  # both served to this designer
    page.get_by_label("side by side").check()
    expect(page.locator("#compare-left img")).to_be_visible()

    page.locator("#new-session").click()  # another session: nothing of this one stays in the Compare tab
    expect(page.locator("#compare-left img")).to_have_count(0)
    expect(page.locator("#compare-rows")).to_have_count(0)
    expect(page.locator("#compare-first input, #compare-first textarea")).to_have_value("")
    assert page.page_errors == []
