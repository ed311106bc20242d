"""The studio's words in two languages: every message has English and Chinese that take the same arguments, every
refusal the engine and the page raise is a known code, and what a round stores is a code, not English prose."""
from __future__ import annotations

import ast
from pathlib import Path
from string import Formatter

import pytest

from studio.core.messages import LANGUAGES, Message, language_of, say
from studio.core.texts import ENGINE
from studio.engine import StudioError
from studio.engine.validation import whole
from studio.ui.locales import PAGE, LABELS

STUDIO = Path(__file__).resolve().parents[1] / "studio"
CATALOGUES = {"engine": ENGINE, "page": PAGE}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=list(CATALOGUES))
def test_every_message_is_written_in_english_and_chinese_with_the_same_arguments(catalogue):
    for code, said in CATALOGUES[catalogue].items():
        assert set(said) == set(LANGUAGES), code
        assert all(said[lang].strip() for lang in LANGUAGES), code
        assert placeholders(said["en"]) == placeholders(said["zh"]), code


def test_no_label_key_is_also_the_start_of_another_for_gradios_translator():
    keys = set(LABELS)

    assert not [key for key in keys if any(other.startswith(f"{key}.") for other in keys)]


def codes_of(node: ast.expr, where: str) -> list[str]:
    """The codes a `StudioError`'s first argument may be: a string, either side of a conditional, or the known
    members of the family an f-string names ("feedback.which_candidate.{kind}", "{table}.write_first")."""
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return codes_of(node.body, where) + codes_of(node.orelse, where)
    assert isinstance(node, ast.JoinedStr), f"{where}: a refusal's code is written out where it is raised"
    fixed = [v.value for v in node.values if isinstance(v, ast.Constant)]
    family = [code for code in ENGINE if all(part in code for part in fixed)]
    assert family, (where, fixed)
    return family


def raised_codes() -> list[tuple[str, str]]:
    """(file:line, code) of every `StudioError(...)` raised in studio/: the code is its first argument."""
    found = []
    for path in STUDIO.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "StudioError":
                where = f"{path.relative_to(STUDIO)}:{node.lineno}"
                found += [(where, code) for code in codes_of(node.args[0], where)]
    return found


def test_every_refusal_raised_in_the_studio_is_a_known_code():
    found = raised_codes()

    assert len(found) > 40  # the scan sees the refusals
    assert [(where, code) for where, code in found if code not in ENGINE] == []


def test_a_refusal_says_english_to_an_api_caller_and_chinese_to_a_chinese_reader():
    with pytest.raises(StudioError) as refused:
        whole("seed", 2.5, -1, 100)

    assert str(refused.value) == "Seed must be a whole number, not 2.5."
    assert refused.value.message.text("zh") == "种子必须是整数，而不是 2.5。"
    assert isinstance(refused.value, ValueError)


def test_a_stored_message_round_trips_through_json_with_its_nested_messages():
    message = Message("progress.ended_because", {"round": 2, "status": Message("status.failed"),
                                                 "error": Message("round.out_of_memory")})

    assert Message.from_dict(message.to_dict()) == message
    assert message.text("zh").startswith("第 2 轮失败：即使分成两小批渲染")
    assert say("round.missing", "zh", round=3) == "这个会话没有第 3 轮。"
    assert say("round.missing", "fr", round=3) == "There is no round 3 in this session."  # unknown: English


@pytest.mark.parametrize("tag, lang", [("zh-CN", "zh"), ("zh-TW,zh;q=0.9", "zh"), ("en-US,en;q=0.9", "en"),
                                       ("fr-FR,zh;q=0.5", "zh"), ("", "en"), (None, "en"), ("de", "en")])
def test_the_readers_language_comes_from_the_browsers_tag(tag, lang):
    assert language_of(tag) == lang


def test_every_preset_says_what_it_is_in_both_languages():
    from pipelines.presets import PRESETS
    from studio.ui.locales import words

    for name, preset in PRESETS.items():
        assert words(f"preset_about_{name}", "en") == f"Preset **{name}**: {preset.summary}"
        assert words(f"preset_about_{name}", "zh").startswith(f"预设 **{name}**：")
