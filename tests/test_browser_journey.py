"""A designer's whole journey in a real browser (Debian's chromium), on a laptop (1440x900) and a phone (390x844),
two designers on one studio: brief -> round -> pick and reject with reasons -> a refused setting -> correction ->
an earlier round reopened -> a checklist row added and pinned -> reload -> the server restarts -> the session is
back.

Tiny preset: the candidates are noise; this proves the page works, not the pictures.
DC_UPDATE_SCREENSHOT=1 also writes docs/screenshot.png and docs/screenshot-phone.png for the README.
"""
from __future__ import annotations

import contextlib
import os

from playwright.sync_api import Page, expect

from server import ROOT, free_port, studio_process
from test_browser import ROUND_MS, send, type_until_held, until_the_server_answered, wait_for_round

BRIEF = "A poster for a jazz night, art deco, navy and gold"
VIEWPORTS = {"laptop": (1440, 900), "phone": (390, 844)}
# Gradio marks an output of a failed event with an error badge (`.error` in its status tracker); toasts aside,
# a working page has none.
ERROR_STATES = """() => [...document.querySelectorAll('.error')]
    .filter(e => !e.closest('.toast-wrap, .toast-body, [data-testid="toast-body"]')).length"""


def open_studio(page: Page, url: str) -> None:
    until_the_server_answered(page, lambda: page.goto(url))
    expect(page.locator("#send")).to_be_enabled()


def refused_in_place(page: Page, message: str) -> None:
    """The refusal is a toast that says what is wrong, and no output turned into an error."""
    expect(page.locator(".toast-wrap").first).to_contain_text(message, timeout=ROUND_MS)
    assert page.evaluate(ERROR_STATES) == 0


def settings_show(page: Page, steps: str) -> None:
    """Open the round settings (a reload closes them) and read the steps kept for the session."""
    page.get_by_text("Round settings").click()
    expect(page.locator('input[aria-label="number input for Steps"]')).to_have_value(steps)


def choose_candidate(page: Page, number: int) -> None:
    page.locator("#selected label").nth(number - 1).click()
    expect(page.locator("#candidate-info")).to_contain_text(f"candidate {number}")


@contextlib.contextmanager
def on_the(size: str):
    """A failure inside the block says which screen it happened on."""
    try:
        yield
    except BaseException as err:
        err.add_note(f"(on the {size}, {VIEWPORTS[size][0]}x{VIEWPORTS[size][1]})")
        raise


def test_a_designers_journey_survives_a_reload_and_a_restart(chromium, tmp_path):
    """The same journey on a laptop and on a phone: two designers (two browsers) on one studio, which restarts once
    under both of them."""
    data, port = tmp_path / "data", free_port()
    contexts = {size: chromium.new_context(viewport={"width": width, "height": height})
                for size, (width, height) in VIEWPORTS.items()}
    pages = {size: context.new_page() for size, context in contexts.items()}
    for page in pages.values():
        page.page_errors = []
        page.on("pageerror", lambda error, page=page: page.page_errors.append(error))
    with studio_process("--data-dir", str(data), log_dir=tmp_path, port=port) as studio:
        for size, page in pages.items():
            with on_the(size):
                journey_until_the_restart(page, studio.url, size)

    # The server restarts (same data folder, same address): each browser's sessions are still its own.
    with studio_process("--data-dir", str(data), log_dir=tmp_path, port=port) as studio:
        for size, page in pages.items():
            with on_the(size):
                chat = page.locator("#chat")
                open_studio(page, studio.url)
                expect(chat).to_contain_text(BRIEF)
                expect(chat).to_contain_text("warmer palette")
                expect(page.locator("#rounds label")).to_have_count(2)
                expect(page.locator("#send")).to_have_text("Next round")
                settings_show(page, steps="3")
        for context in contexts.values():
            context.close()  # before the studio stops: it has no open page to wait for


def journey_until_the_restart(page: Page, url: str, size: str) -> None:
    chat, message = page.locator("#chat"), page.locator("#message textarea")
    open_studio(page, url)
    expect(message).to_be_in_viewport()

    # A brief, sent with Enter, starts the session and its first round; the composer stays in view.
    send(page, BRIEF)
    wait_for_round(page, 1)
    expect(chat).to_contain_text(BRIEF)
    expect(page.locator("#send")).to_have_text("Next round")
    expect(message).to_be_in_viewport()

    # Pick candidate 1 (pressed as the key "1"), reject candidate 2 (clicked), each with a reason.
    page.locator("#legend").click()
    page.keyboard.press("1")
    expect(page.locator("#candidate-info")).to_contain_text("candidate 1")
    page.locator("#reason textarea").fill("love the type")
    page.locator("#pick").click()
    expect(chat).to_contain_text("Picked candidate 1 of round 1: love the type")
    choose_candidate(page, 2)
    page.locator("#reason textarea").fill("too busy")
    page.locator("#reject").click()
    expect(chat).to_contain_text("Rejected candidate 2 of round 1: too busy")

    # A bad setting is refused in place: a toast names it, nothing turns red, the correction stays typed.
    page.get_by_text("Round settings").click()
    seed = page.locator("#setting-seed input")
    type_until_held(seed, "2.5")
    message.fill("warmer palette")
    page.locator("#send").click()
    refused_in_place(page, "Seed must be a whole number, not 2.5.")
    expect(message).to_have_value("warmer palette")
    expect(page.locator("#rounds label")).to_have_count(1)  # no round ran
    type_until_held(seed, "-1")
    # A setting changed here is kept for the session (checked after the reload and the restart).
    type_until_held(page.locator('input[aria-label="number input for Steps"]'), "3")

    # The correction runs round 2.
    page.locator("#send").click()
    wait_for_round(page, 2)
    expect(chat).to_contain_text("warmer palette")
    page.get_by_text("Round settings").click()  # closed again, for the picture
    shot(page, size)

    # Round 1 is still there: the strip brings back its candidates, marks and details.
    page.locator("#rounds label").first.click()
    expect(page.locator("#status")).to_contain_text("Round 1 of 2")
    expect(page.locator("#gallery img")).to_have_count(4)
    expect(page.locator("#gallery")).to_contain_text("rejected")

    # A checklist row, added with the visible editor and pinned.
    page.locator("#checklist-tab-button, button[role=tab]").filter(has_text="Checklist").first.click()
    page.locator("#item-text textarea").fill('says "JAZZ NIGHT"')
    page.locator("#item-kind label").filter(has_text="text").click()
    page.locator("#item-pinned input").check()
    page.locator("#add-item").click()
    expect(page.locator("#checklist")).to_contain_text("JAZZ NIGHT")
    expect(page.locator("#status")).to_contain_text("Checklist saved")

    # A reload brings the session back, settings included.
    until_the_server_answered(page, page.reload)
    expect(chat).to_contain_text("Rejected candidate 2 of round 1: too busy")
    expect(page.locator("#rounds label")).to_have_count(2)
    expect(page.locator("#checklist")).to_contain_text("JAZZ NIGHT")
    settings_show(page, steps="3")
    assert page.page_errors == []


def shot(page: Page, size: str) -> None:
    if os.environ.get("DC_UPDATE_SCREENSHOT") == "1":
        page.evaluate("window.scrollTo(0, 0); document.querySelectorAll('.toast-wrap').forEach(t => t.remove())")
        page.mouse.move(0, 0)
        name = "screenshot.png" if size == "laptop" else f"screenshot-{size}.png"
        page.screenshot(path=str(ROOT / "docs" / name))
