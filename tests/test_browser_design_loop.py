"""The design loop in a real browser (Debian's chromium driven by Playwright): the checklist table,
"Inspire me" and asking about a candidate, as a designer clicks through them.

Tiny preset: the candidates are noise; these tests prove the page works, not the pictures.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from test_browser import browser, studio, type_until_held, until_the_server_answered  # noqa: F401

ROUND_MS = 60_000  # the first round loads the tiny models
BRIEF = "A poster for a jazz night, art deco, navy and gold, with a saxophone, no people"


@pytest.fixture
def designer_page(browser, studio):
    """A new designer on the studio's page, once the page's load event has run."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.page_errors = []  # uncaught JavaScript errors: a working page has none
    page.on("pageerror", lambda error: page.page_errors.append(error))
    until_the_server_answered(page, lambda: page.goto(studio.url))
    yield page
    context.close()


def wait_for_round(page: Page, number: int, candidates: int) -> None:
    expect(page.locator("#status")).to_contain_text(f"Round {number} done.", timeout=ROUND_MS)
    expect(page.locator("#gallery img")).to_have_count(candidates, timeout=ROUND_MS)


def type_into_slider(page: Page, label: str, value: str) -> None:
    """Types `value` into a slider's number box until the slider itself shows it (its range input follows the
    component's state, which the round sends)."""
    type_until_held(page.locator(f'input[aria-label="number input for {label}"]'), value,
                    shown=page.locator(f'input[aria-label="range slider for {label}"]'))


def test_a_designer_sees_the_checklist_asks_for_directions_and_asks_a_question(designer_page):
    page = designer_page
    chat, checklist = page.locator("#chat"), page.locator("#checklist")

    # One candidate a round, one step: quick sketches.
    page.get_by_text("Round settings").click()
    for setting in ("Candidates", "Steps"):
        type_into_slider(page, setting, "1")

    # The first round turns the brief into the checklist the designer can edit.
    page.locator("#message textarea").fill(BRIEF)
    page.locator("#send").click()
    wait_for_round(page, 1, 1)
    for item in ("A poster for a jazz night", "art deco", "navy and gold", "a saxophone", "people", "avoid"):
        expect(checklist).to_contain_text(item)

    # Inspire me: two directions, one candidate each, named in the chat.
    page.locator("#direction-count input").fill("2")
    page.locator("#inspire").click()
    wait_for_round(page, 2, 2)
    expect(chat).to_contain_text("Directions:")
    expect(chat).to_contain_text("1. Bold graphic; 2. Photographic")

    # A question about the selected candidate of the round shown: the answer lands beside it and in the chat.
    page.locator("#gallery button").first.click()
    expect(page.locator("#candidate-info")).to_contain_text("Round 2 · candidate 1")
    page.locator("#question textarea").fill("is the text readable?")
    page.locator("#ask").click()
    expect(chat).to_contain_text("About candidate 1 of round 2: is the text readable?", timeout=ROUND_MS)
    expect(chat).to_contain_text("Answer:")
    expect(page.locator("#answer")).to_contain_text("is the text readable?")

    # The next round can start from this candidate: the composer says so, and it can be cleared.
    page.locator("#start-here").click()
    expect(page.get_by_text("The next round starts from candidate 1 of round 2")).to_be_visible()
    page.locator("#clear-start").click()
    expect(page.get_by_text("The next round starts from candidate 1 of round 2")).to_be_hidden()
    expect(page.locator("#question textarea")).to_have_value("")
    assert page.page_errors == []
