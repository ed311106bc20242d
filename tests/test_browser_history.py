"""The history in a real browser (Debian's chromium driven by Playwright): a designer undoes a round, redoes it, and
goes back to round 1's branch from the Branches tab; the strip and the conversation follow the branch.

Tiny preset: the candidates are noise; this proves the page works, not the pictures.
"""
from __future__ import annotations

from playwright.sync_api import expect

from test_browser import browser, designer_page, fresh_browser, studio  # noqa: F401

ROUND_MS = 60_000  # the first round may load the tiny models
BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"


def test_a_designer_undoes_redoes_and_branches_from_the_tree(designer_page):
    page = designer_page()
    page.locator("#message textarea").fill(BRIEF)
    page.locator("#send").click()
    expect(page.locator("#status")).to_contain_text("Round 1 done.", timeout=ROUND_MS)
    page.locator("#message textarea").fill("make it warmer")
    page.locator("#send").click()
    expect(page.locator("#status")).to_contain_text("Round 2 done.", timeout=ROUND_MS)

    page.locator("#undo").click()
    expect(page.locator("#status")).to_contain_text("Round 2 undone: you are back on round 1.")
    expect(page.locator("#rounds label")).to_have_count(1)
    expect(page.locator("#chat")).not_to_contain_text("make it warmer")

    page.locator("#redo").click()
    expect(page.locator("#status")).to_contain_text("Round 2 is back.")
    expect(page.locator("#rounds label")).to_have_count(2)
    expect(page.locator("#chat")).to_contain_text("make it warmer")

    page.locator("#branches-tab-button").click()
    tree = page.locator("#tree")
    expect(tree).to_contain_text("● 2 · make it warmer")
    tree.locator("label").first.click()  # round 1: its branch
    expect(page.locator("#status")).to_contain_text("You are on round 1's branch")
    expect(page.locator("#rounds label")).to_have_count(1)
    expect(tree).to_contain_text("○ 2 · make it warmer")  # still there, off the branch

    page.locator("#message textarea").fill("make it colder")
    page.locator("#send").click()
    expect(page.locator("#status")).to_contain_text("Round 3 done.", timeout=ROUND_MS)
    expect(tree).to_contain_text("● 3 · make it colder ↳ from 1")
    expect(page.locator("#chat")).not_to_contain_text("make it warmer")
    assert page.page_errors == []
