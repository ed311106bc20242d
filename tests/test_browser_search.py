"""Search in a real browser (Debian's chromium driven by Playwright): a designer finds her session by a word of its
brief from the sidebar, picks the result and lands on that round with the candidate selected, then asks for more
like a candidate.

Tiny preset: the candidates are noise; this proves the page works, not the pictures.
"""
from __future__ import annotations

from playwright.sync_api import expect

from test_browser import browser, designer_page, fresh_browser, studio  # noqa: F401

ROUND_MS = 60_000  # the first round may load the tiny models
BRIEF = "A zanzibar jazz poster, 爵士海报, navy and gold"


def test_a_designer_finds_her_session_opens_the_result_and_asks_for_more_like_a_candidate(designer_page):
    page = designer_page()
    page.locator("#message textarea").fill(BRIEF)
    page.locator("#send").click()
    expect(page.locator("#status")).to_contain_text("Round 1 done.", timeout=ROUND_MS)
    page.locator("#new-session").click()  # somewhere else, then find the way back
    expect(page.locator("#session-id textarea")).to_have_value("")

    page.locator("#search-query textarea, #search-query input").first.fill("海报")
    page.locator("#search-go").click()
    expect(page.locator("#status")).to_contain_text("results for “海报”")
    results = page.locator("#search-results button.thumbnail-item")
    expect(results.first).to_be_visible()
    results.first.click()
    expect(page.locator("#status")).to_contain_text("Opened “A zanzibar jazz poster")
    expect(page.locator("#session-id textarea")).not_to_have_value("")
    expect(page.locator("#gallery button.thumbnail-item")).to_have_count(4)

    page.locator("#gallery button.thumbnail-item").nth(1).click()
    page.locator("#more-like-this").click()
    expect(page.locator("#status")).to_contain_text("images like candidate 2 of round 1")
    results.first.click()  # the candidate itself comes first
    expect(page.locator("#status")).to_contain_text("at round 1")
    expect(page.locator("#selected input[type=radio]:checked")).to_have_value("2")
    assert page.page_errors == []
