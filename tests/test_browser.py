"""The studio in a real browser (Debian's chromium driven by Playwright), as a designer clicks through it.

Tiny preset: the candidates are noise; these tests prove the page works, not the pictures.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROUND_MS = 60_000  # the first round loads the tiny models
BRIEF = "A poster for a jazz night, art deco, navy and gold"


@pytest.fixture(scope="module")
def studio(shared_studio):
    """The browser tests' shared studio (conftest.py), under the name the browser test modules import."""
    return shared_studio


@pytest.fixture(scope="module")
def browser(chromium):
    """The module's Chromium (conftest.py), under the name the browser test modules import."""
    return chromium


@pytest.fixture
def fresh_browser(browser):
    """fresh_browser(): a new designer's browser (its own storage), with a blank page."""
    contexts = []

    def open_blank() -> Page:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.page_errors = []  # uncaught JavaScript errors: a working page has none
        page.on("pageerror", lambda error: page.page_errors.append(error))
        return page

    yield open_blank
    for context in contexts:
        context.close()


@pytest.fixture
def designer_page(fresh_browser, studio):
    """designer_page(): a new designer on the studio's page, once the page's load event has run."""
    def open_page() -> Page:
        page = fresh_browser()
        until_the_server_answered(page, lambda: page.goto(studio.url))
        return page
    return open_page


def until_the_server_answered(page: Page, action) -> None:
    """Do `action`, then wait until the event it sent has its answer.

    The answer streams on /gradio_api/queue/data; the page itself closes that stream once the event
    is complete, which Chromium reports as a failed (aborted) request, the server's own close as finished.
    """
    ended = []

    def on_end(request) -> None:
        if "/gradio_api/queue/data" in request.url:
            ended.append(request)

    page.on("requestfinished", on_end)
    page.on("requestfailed", on_end)
    try:
        action()
        for _ in range(ROUND_MS // 100):
            if ended:
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"the studio did not answer within {ROUND_MS // 1000} s")
    finally:
        page.remove_listener("requestfinished", on_end)
        page.remove_listener("requestfailed", on_end)


def wait_for_round(page: Page, number: int, candidates: int = 4) -> None:
    expect(page.locator("#status")).to_contain_text(f"Round {number} done.", timeout=ROUND_MS)
    expect(page.locator("#gallery img")).to_have_count(candidates, timeout=ROUND_MS)


def type_until_held(box, value: str, shown=None) -> None:
    """Type `value` into `box` and leave it, until `shown` (the box itself by default) holds it: a value typed while
    a just-opened accordion is still mounting its controls is sometimes dropped (Gradio), and a designer would
    type it again."""
    shown = shown or box
    for _attempt in range(3):
        box.fill(value)
        box.press("Tab")
        try:
            expect(shown).to_have_value(value, timeout=2_000)
            return
        except AssertionError:
            continue
    expect(shown).to_have_value(value)


def send(page: Page, text: str) -> None:
    """Type into the composer and press Enter, as a designer sends."""
    page.locator("#message textarea").fill(text)
    page.locator("#message textarea").press("Enter")


def test_a_designer_starts_corrects_rejects_and_comes_back(designer_page):
    page = designer_page()
    chat = page.locator("#chat")

    # Write a brief and start: round 1 renders four candidates and the studio explains its prompt.
    send(page, BRIEF)
    wait_for_round(page, 1)
    expect(chat).to_contain_text(BRIEF)
    expect(chat).to_contain_text("Prompt:")
    expect(chat).to_contain_text("Critique")
    session_id = page.locator("#session-id textarea").input_value()
    assert len(session_id) == 32

    # A correction runs round 2.
    page.locator("#message textarea").fill("warmer palette")
    page.locator("#send").click()
    wait_for_round(page, 2)
    expect(chat).to_contain_text("warmer palette")

    # Reject candidate 2, with a reason.
    page.locator("#selected label").nth(1).click()
    page.get_by_label("Why? (kept as a preference)").fill("too busy")
    page.locator("#reject").click()
    expect(chat).to_contain_text("Rejected candidate 2 of round 2: too busy", timeout=ROUND_MS)

    # Reload: the browser remembers the session and the page brings it back.
    until_the_server_answered(page, page.reload)
    expect(page.locator("#session-id textarea")).to_have_value(session_id)
    expect(chat).to_contain_text(BRIEF)
    expect(chat).to_contain_text("Rejected candidate 2")
    expect(page.locator("#sessions input[type=radio]")).to_have_count(1)
    assert page.page_errors == []


def test_another_designer_sees_none_of_their_sessions(designer_page):
    first = designer_page()
    send(first, "A menu for a ramen bar, bold type")
    wait_for_round(first, 1)
    expect(first.locator("#sessions input[type=radio]")).to_have_count(1)

    second = designer_page()  # another designer: a fresh browser, its own storage
    until_the_server_answered(second, second.locator("#refresh").click)

    expect(second.locator("#sessions input[type=radio]")).to_have_count(0)
    expect(second.locator("#chat")).not_to_contain_text("ramen")
    assert first.page_errors == [] and second.page_errors == []


def test_a_start_clicked_while_the_page_is_still_loading_keeps_the_session(fresh_browser, studio):
    page = fresh_browser()
    held: list[Route] = []  # the page's load event, kept back as a slow network or a busy server would

    def hold_the_first_event(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/gradio_api/queue/join*", hold_the_first_event)
    page.goto(studio.url)
    page.locator("#message textarea").fill(BRIEF)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page sent no load event within 10 s"
    try:  # a page that waits for its load may refuse the click (a disabled button): that is fine too
        page.locator("#send").click(timeout=3_000)
        clicked_early = True
    except PlaywrightTimeout:
        clicked_early = False
    if clicked_early:
        expect(page.locator("#status")).to_contain_text("Round 1 done.", timeout=ROUND_MS)
    until_the_server_answered(page, held[0].continue_)
    page.unroute("**/gradio_api/queue/join*")
    if not clicked_early:
        page.locator("#send").click()
        expect(page.locator("#status")).to_contain_text("Round 1 done.", timeout=ROUND_MS)

    expect(page.locator("#session-id textarea")).not_to_have_value("", timeout=5_000)
    until_the_server_answered(page, page.reload)
    expect(page.locator("#session-id textarea")).not_to_have_value("", timeout=5_000)
    expect(page.locator("#chat")).to_contain_text(BRIEF)


def test_delete_asks_first_and_keep_it_keeps_the_session(designer_page):
    page = designer_page()
    send(page, "A label for a small-batch hot sauce")
    wait_for_round(page, 1)
    page.get_by_text("Rename or delete").click()

    page.locator("#delete").click()
    question = page.get_by_text("This cannot be undone.")
    expect(question).to_be_visible()
    expect(page.locator("#sidebar")).to_contain_text("Delete A label for a small-batch hot sauce and its 1 round?")
    page.locator("#keep").click()
    expect(question).to_be_hidden()
    expect(page.locator("#sessions input[type=radio]")).to_have_count(1)

    page.locator("#delete").click()
    page.locator("#confirm").click()
    expect(page.locator("#status")).to_contain_text("Session deleted.")
    expect(page.locator("#sessions input[type=radio]")).to_have_count(0)
    expect(page.locator("#send")).to_have_text("Start")
    assert page.page_errors == []
