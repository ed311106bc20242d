"""A review link in a real browser (Debian's chromium driven by Playwright): the designer shares a link from the
Review link tab; the client opens it in a browser of their own, with no account, sees the chosen design read-only,
votes and comments; the designer reads it in the conversation. The link shows nothing of another session.

Tiny preset: the images are noise; this proves the link works, not the pictures.
"""
from __future__ import annotations

import re

from gradio_client import Client
from playwright.sync_api import expect

from server import hang_up
from test_browser import (ROUND_MS, browser, designer_page, fresh_browser, send, studio,  # noqa: F401
                          until_the_server_answered, wait_for_round)

BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"
OTHER_BRIEF = "A tea label, green and cream, with a crane"


def test_a_client_votes_and_comments_through_the_link_and_the_designer_reads_it(designer_page, fresh_browser,
                                                                                  studio):
    page = designer_page()
    send(page, BRIEF)
    wait_for_round(page, 1)
    page.locator("#gallery button").nth(1).click()  # candidate 2
    # The selection has reached the server before Pick is pressed: a Pick sent ahead of it picks nothing.
    expect(page.locator("#candidate-info")).to_contain_text("candidate 2")
    until_the_server_answered(page, lambda: page.locator("#pick").click())
    page.locator("#review-tab-button").click()
    until_the_server_answered(page, lambda: page.locator("#create-review").click())
    shown = page.locator("#review-url textarea, #review-url input").first
    expect(shown).to_have_value(re.compile("^" + re.escape(studio.url.rstrip("/") + "/review/")))  # whole, to copy
    address = shown.input_value()

    other = Client(studio.url, verbose=False)  # another designer's session, with images of its own
    other_sid = other.predict(OTHER_BRIEF, api_name="/start_session")[0]
    other.predict(session_id=other_sid, text="", count=1, steps=1, size=64, api_name="/run_round")
    hang_up(other)

    client = fresh_browser()  # no account, no studio cookie
    client.goto(address)
    expect(client.locator(".shared")).to_contain_text("read-only")
    expect(client.locator("h1")).to_have_text(BRIEF)
    assert client.locator("gradio-app, #message, #send, #gallery").count() == 0  # no studio controls
    assert client.locator("#review-1-2").count() == 1 and client.locator("[id^=review-]").count() == 1
    chosen = client.locator("figure.chosen img")
    assert chosen.evaluate("img => img.complete && img.naturalWidth") == 64
    text = client.content()
    assert OTHER_BRIEF not in text and other_sid not in text and "/gradio_api/" not in text

    form = client.locator("#review-1-2 form")
    form.locator("input[name=vote][value='1']").check()
    form.locator("textarea[name=comment]").fill("love the gold")
    form.locator("input[name=name]").fill("Anna")
    form.locator("button[type=submit]").click()
    expect(client.locator(".flash")).to_contain_text("the designer sees your note")
    expect(client.locator("#review-1-2")).to_contain_text("love the gold")
    assert client.page_errors == []

    until_the_server_answered(page, lambda: page.reload())  # the designer comes back to the session
    expect(page.locator("#chat")).to_contain_text("Client ▲ on 1.2 (Anna): “love the gold”")
    page.locator("#review-tab-button").click()
    expect(page.locator("#review-links")).to_contain_text("whole session")
    until_the_server_answered(page, lambda: page.locator("#create-review").click())
    expect(shown).not_to_have_value("")
    page.locator("#new-session").click()  # another session: the address shown was the one before's
    expect(shown).to_have_value("")
    assert page.page_errors == []
