"""The page in Chinese, in a real browser (Debian's chromium) whose language is zh-CN: the labels, a round from a
Chinese brief, a refusal said in Chinese, and the switch that turns the whole page to English and back (kept
across a reload, even though the browser still asks for Chinese).

Tiny preset: the candidates are noise; this proves the page speaks both languages, not the pictures.
DC_UPDATE_SCREENSHOT=1 also writes docs/screenshot-zh.png for the README.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from test_browser import ROUND_MS, send, type_until_held, until_the_server_answered
from test_browser_journey import open_studio, refused_in_place, shot

BRIEF = "一张爵士之夜的海报，装饰艺术风格，海军蓝和金色"


@pytest.fixture
def chinese_page(chromium, shared_studio):
    """A designer whose browser reads Chinese, on the browser tests' shared studio (conftest.py)."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.page_errors = []
    page.on("pageerror", lambda error: page.page_errors.append(error))
    open_studio(page, shared_studio.url)
    yield page
    context.close()


def switch_to(page: Page, language: str) -> None:
    """Press the language switch, and wait until the server's words came back too."""
    until_the_server_answered(page, page.locator("#language label").filter(has_text=language).click)


def test_a_chinese_reader_gets_the_page_rounds_and_refusals_in_chinese_and_can_switch(chinese_page):
    page, chat = chinese_page, chinese_page.locator("#chat")

    # The page speaks the browser's language: labels (Gradio's and the studio's) and the server's status line.
    expect(page.locator("#send")).to_have_text("开始")
    expect(page.locator("#status")).to_have_text("写一份简报，然后按“开始”。")
    expect(page.locator("#message textarea")).to_have_attribute("placeholder", "写一份简报来开始（例如：爵士之夜海报，"
                                                                              "装饰艺术风格，海军蓝配金色），或写下对下一轮的修改意见")
    expect(page.get_by_role("tab", name="检查清单")).to_be_visible()
    expect(page.locator("#banner")).to_contain_text("演示预设 tiny")
    expect(page.locator("#language input[value=zh]")).to_be_checked()

    # A Chinese brief starts a round; the studio's reply and status are Chinese.
    send(page, BRIEF)
    expect(page.locator("#status")).to_have_text("第 1 轮完成。", timeout=ROUND_MS)
    expect(page.locator("#gallery img")).to_have_count(4)
    expect(chat).to_contain_text(BRIEF)
    expect(chat).to_contain_text("第 1 轮")
    expect(page.locator("#send")).to_have_text("下一轮")

    # A bad setting is refused in place, in Chinese, and no round runs.
    page.get_by_text("本轮设置").click()
    seed = page.locator("#setting-seed input")
    type_until_held(seed, "2.5")
    page.locator("#message textarea").fill("更温暖的色调")
    page.locator("#send").click()
    refused_in_place(page, "种子必须是整数，而不是 2.5。")
    expect(page.locator("#rounds label")).to_have_count(1)
    type_until_held(seed, "-1")
    page.get_by_text("本轮设置").click()  # closed again, for the picture
    shot(page, "zh")

    # The switch turns the page to English: Gradio's labels and the server's words alike.
    switch_to(page, "English")
    expect(page.locator("#send")).to_have_text("Next round")
    expect(page.locator("#status")).to_contain_text("Round 1 of 1: 4 candidates.")
    expect(page.get_by_role("tab", name="Checklist")).to_be_visible()
    expect(page.locator("#banner")).to_contain_text("Demo preset tiny")
    expect(chat).to_contain_text("Round 1")

    # The choice is the browser's own from now on: a reload keeps English though the browser asks for Chinese.
    until_the_server_answered(page, page.reload)
    expect(page.locator("#send")).to_have_text("Next round")
    expect(page.locator("#status")).to_contain_text("Round 1 of 1: 4 candidates.")
    expect(page.locator("#language input[value=en]")).to_be_checked()

    # And back.
    switch_to(page, "中文")
    expect(page.locator("#send")).to_have_text("下一轮")
    expect(page.locator("#status")).to_contain_text("第 1 轮（共 1 轮）")
    assert page.page_errors == []
