"""Issue 15 in a real browser (Debian's chromium): a studio with sign-in, as a team's designer meets it. She signs
in, the page works under the studio's Content-Security-Policy (nothing it needs is blocked), she makes an API key
in the page, a script uses it as her, and when she revokes it the script is turned away.

Tiny preset: this proves the doors, not the pictures.
"""
from __future__ import annotations

import re

import httpx
import pytest
from gradio_client import Client
from playwright.sync_api import expect

from server import hang_up, studio_process
from test_browser_journey import open_studio

PASSWORD = "a-long-passphrase"


@pytest.fixture(scope="module")
def team_studio(tmp_path_factory):
    folder = tmp_path_factory.mktemp("team")
    with studio_process("--data-dir", str(folder / "data"), "--auth", f"alice:{PASSWORD}", log_dir=folder) as studio:
        yield studio


@pytest.fixture
def page(chromium):
    """A laptop's browser of her own, closed before the studio stops."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


def test_a_signed_in_designer_makes_a_key_a_script_uses_it_and_revoking_it_shuts_the_script_out(page, team_studio):
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(team_studio.url)
    page.get_by_label("username").fill("alice")
    page.get_by_label("password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#send")).to_be_enabled(timeout=30_000)
    open_studio(page, team_studio.url)  # and once more, as a designer coming back

    page.locator("#api-keys").get_by_text("API keys").click()
    page.locator("#key-label textarea, #key-label input").first.fill("nightly renders")
    page.locator("#create-key").click()
    key_box = page.locator("#new-key-text textarea, #new-key-text input").first
    expect(key_box).to_have_value(re.compile(r"^dc_[A-Za-z0-9_-]{43}$"), timeout=30_000)
    key = key_box.input_value()
    expect(page.locator("#keys")).to_contain_text("nightly renders")

    script = Client(team_studio.url, headers={"Authorization": f"Bearer {key}"}, verbose=False)
    script.predict("a script's session", api_name="/start_session")
    hang_up(script)
    page.reload()
    expect(page.locator("#sessions")).to_contain_text("a script's session", timeout=30_000)  # hers: the script is her

    page.locator("#api-keys").get_by_text("API keys").click()
    row = page.locator("#keys").get_by_test_id("cell-0-1")  # her one key's label: a click on its row chooses it
    expect(row).to_have_text("nightly renders", timeout=30_000)
    row.click()
    expect(page.locator("#key-id textarea, #key-id input").first).not_to_have_value("")
    page.locator("#revoke-key").click()
    expect(page.locator("#status")).to_contain_text("revoked: a script sending it no longer acts as you",
                                                    timeout=30_000)
    refused = httpx.get(f"{team_studio.url}config", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert blocked == [], blocked  # the page needed nothing the CSP refuses
