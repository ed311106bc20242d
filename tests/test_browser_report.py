"""The client report in a real browser (Debian's chromium driven by Playwright): opened from a file:// URL with the
network blocked, it shows every chosen design and its words; and a ZIP dropped on "Import a session" in the page
opens as the designer's own session.

DC_UPDATE_SCREENSHOT=1 also writes docs/screenshot-report.png for the README. Tiny preset: the images are noise;
this proves the report works offline, not the pictures.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_browser import browser, studio, until_the_server_answered  # noqa: F401
from studio.engine import RoundParams, Studio
from studio.services.sessions import Store

ROOT = Path(__file__).resolve().parents[1]
BRIEF = "A poster for a jazz night at the Blue Room: navy and gold, a saxophone, the words JAZZ NIGHT"
QUICK = RoundParams(count=3, steps=1, seed=5)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, tiny_registry):
    """A session with real rounds, shared as the designer would: the report and the ZIP, as files."""
    folder = tmp_path_factory.mktemp("report")
    with Store(folder / "data") as store:
        engine = Studio(store, tiny_registry)
        sid = engine.start_session("alice", BRIEF, "Blue Room jazz night").id
        engine.set_checklist("alice", sid, [["navy and gold palette", "visual", False],
                                            ["a saxophone", "visual", False], ["JAZZ NIGHT", "text", True]])
        list(engine.run_round("alice", sid, "", QUICK))
        engine.give_feedback("alice", sid, 0, "reject", 0, "too busy")
        engine.give_feedback("alice", sid, 0, "correction", text="more gold, a calmer background")
        list(engine.run_round("alice", sid, "more gold, a calmer background", QUICK))
        engine.give_feedback("alice", sid, 1, "pick", 2, "the calm background lets the title breathe")
        engine.give_feedback("alice", sid, 0, "pick", 1, "the saxophone's pose")
        report = shutil.copy(engine.client_report("alice", sid), folder / "report.html")
        archive = shutil.copy(engine.export_session("alice", sid), folder / "blue-room.zip")
        yield Path(report), Path(archive)


def test_the_report_opens_offline_from_a_file_and_shows_every_chosen_design(browser, shared):
    report, _archive = shared
    context = browser.new_context(viewport={"width": 1100, "height": 1500})
    asked = []

    def blocked(route):  # the network is off: anything but the file itself is refused, and counted
        asked.append(route.request.url)
        route.abort()

    context.route("http*://**/*", blocked)
    context.set_offline(True)
    page = context.new_page()
    page.goto(report.as_uri())

    chosen = page.locator("figure.chosen img")
    expect(chosen).to_have_count(2)
    for i in range(2):
        assert chosen.nth(i).evaluate("img => img.complete && img.naturalWidth") > 0
    thumbs = page.locator(".thumbs img")
    expect(thumbs).to_have_count(6)
    assert all(thumbs.nth(i).evaluate("img => img.naturalWidth") > 0 for i in range(6))
    body = page.locator("body")
    expect(body).to_contain_text("A poster for a jazz night at the Blue Room")
    expect(body).to_contain_text("Why: the calm background lets the title breathe")
    expect(body).to_contain_text("more gold, a calmer background")
    expect(body).to_contain_text("rejected 1.1 — too busy")
    assert asked == [] and page.locator("script").count() == 0
    page.emulate_media(media="print")  # printed: each chapter on a page of its own, no design cut across pages
    chapters = page.locator("section.chapter")
    assert chapters.count() == 2 and all(chapters.nth(i).evaluate("s => getComputedStyle(s).breakBefore") == "page"
                                         for i in range(2))
    assert chosen.first.evaluate("img => getComputedStyle(img.closest('figure')).breakInside") == "avoid"
    page.emulate_media(media="screen")
    if os.environ.get("DC_UPDATE_SCREENSHOT"):
        page.screenshot(path=str(ROOT / "docs" / "screenshot-report.png"), clip={"x": 0, "y": 0, "width": 1100,
                                                                                 "height": 1500})
    context.close()


def test_a_zip_dropped_on_import_opens_as_the_designers_own_session(browser, studio, shared):
    _report, archive = shared
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    until_the_server_answered(page, lambda: page.goto(studio.url))

    page.locator("#import-file input[type=file]").set_input_files(str(archive))

    expect(page.locator("#status")).to_contain_text('Imported "Blue Room jazz night" with 2 round(s)', timeout=30_000)
    expect(page.locator("#sessions")).to_contain_text("Blue Room jazz night")
    expect(page.locator("#gallery img")).to_have_count(3)
    assert errors == []
    context.close()
