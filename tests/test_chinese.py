"""Briefs in Chinese, mixed, or long with quoted words, through the engine (and through `gradio_client`, in test_app_design_loop.py) (issue 14):
the checklist splits at Chinese punctuation, every round's prompt keeps the brief's subject and the quoted words
through five long corrections, and a rejected direction never reaches the negative prompt.

Tiny preset: the refiner's replies are unusable, so every prompt here is the studio's own composition; these tests
check what reaches the generator, never what the images show.
"""
from __future__ import annotations

from studio.core.params import RoundParams
from studio.core.session import RoundStatus
from studio.engine.events import Finished

ZH_BRIEF = "爵士之夜的海报，装饰艺术风格，海军蓝和金色，写着「爵士之夜」，不要人物"
ZH_CORRECTIONS = [
    "标题再大一些，放在画面上方的正中间，字体要有装饰艺术时期的那种几何感，金色的线条可以更细一点，背景的海军蓝要更深，"
    "整体感觉像是二十年代纽约的爵士俱乐部门口贴着的那种海报，萨克斯风要放在右下角，和标题形成对角线的构图关系。",
    "颜色太亮了，金色应该更暗更旧一点，像是黄铜，不要那种很新很亮的金色，海军蓝也可以带一点点绿色，让整个画面更有年代感，"
    "边框可以加上重复的扇形图案，四个角落各有一个小小的装饰，但是不要太复杂，保持画面的简洁和平衡。",
    "萨克斯风太小了，放大一倍，而且要画出乐器上的细节，比如按键和反光，光线从左上方来，在乐器上留下一道高光，"
    "背景里可以加上一些模糊的城市灯光，像是从窗户看出去的夜景，但不能抢了标题和乐器的风头。",
    "字距再宽一点，标题下面加一行小字写日期和地点，用同样的金色，但是字号小很多，整体排版要对称，"
    "左右两边的留白要一样多，上下的比例大概是三比五，让视线先落在标题上，然后是乐器，最后是小字。",
    "最后一版：整体再暗一点，像是晚上十点以后的感觉，金色的部分稍微发一点光，但不要像霓虹灯那么亮，"
    "纸张的质感可以做出来，有一点点旧和褶皱，边缘略微泛黄，就像在旧货店里找到的一张真正的老海报一样。",
]
EN_BRIEF = ("A poster for a late-night diner on a rainy street corner, warm light spilling onto wet pavement, a tired "
            "waitress behind the counter, chrome stools, steam rising from coffee cups, muted teal and orange, "
            'a neon sign that says "OPEN LATE"')
EN_CORRECTIONS = [("make the rain heavier and the reflections on the pavement longer and brighter, with the neon "
                   f"colours bleeding into the puddles and a passing car's red tail lights, take {i}") for i in range(5)]
SMALL = dict(count=1, steps=1, width=64, height=64, seed=3)


def rounds(studio, brief: str, corrections: list[str]):
    session = studio.start_session("alice", brief)
    done = []
    for text in ["", *corrections]:
        events = list(studio.run_round("alice", session.id, text, RoundParams(**SMALL)))
        r = next(e.round for e in events if isinstance(e, Finished))
        assert r.status is RoundStatus.DONE, r.error
        done.append(r)
    return studio.open_session("alice", session.id), done


def test_a_chinese_brief_splits_into_a_checklist_and_keeps_its_subject_and_words_through_five_corrections(studio):
    session, done = rounds(studio, ZH_BRIEF, ZH_CORRECTIONS)

    assert [(i.text, i.kind, i.pinned) for i in session.checklist] == [
        ('says "爵士之夜"', "text", True), ("爵士之夜的海报", "visual", False), ("装饰艺术风格", "visual", False),
        ("海军蓝和金色", "visual", False), ("人物", "avoid", False)]
    for r in done:
        assert r.prompt.startswith('the text "爵士之夜", 爵士之夜的海报'), r.prompt
        assert "人物" in r.negative_prompt  # the avoid item, from 不要
    for r, correction in zip(done[1:], ZH_CORRECTIONS):
        assert correction[:5] in r.prompt  # the latest correction, as much as fits, from its start


def test_quoted_words_at_the_end_of_a_long_brief_survive_five_long_corrections(studio):
    session, done = rounds(studio, EN_BRIEF, EN_CORRECTIONS)

    assert [i.text for i in session.checklist if i.pinned] == ['says "OPEN LATE"']
    for r in done:
        assert 'the text "OPEN LATE"' in r.prompt and "A poster for a late-night diner" in r.prompt, r.prompt


def test_the_designer_can_unpin_the_briefs_words(studio):
    session, _ = rounds(studio, EN_BRIEF, [])
    rows = [[i.text, i.kind, False] for i in session.checklist]

    studio.set_checklist("alice", session.id, rows)
    events = list(studio.run_round("alice", session.id, EN_CORRECTIONS[0], RoundParams(**SMALL)))

    assert not any(i.pinned for i in studio.open_session("alice", session.id).checklist)
    assert next(e.round for e in events if isinstance(e, Finished)).status is RoundStatus.DONE


def test_a_rejected_direction_never_poisons_the_next_negative_prompt(studio):
    session = studio.start_session("alice", "a jazz poster with a saxophone player")
    events = list(studio.run_round("alice", session.id, "", RoundParams(**(SMALL | dict(count=2)), directions=2)))
    first = next(e.round for e in events if isinstance(e, Finished))
    studio.give_feedback("alice", session.id, 0, "reject", candidate=1, text="too dark")

    events = list(studio.run_round("alice", session.id, "brighter", RoundParams(**SMALL)))

    second = next(e.round for e in events if isinstance(e, Finished))
    assert "too dark" in second.negative_prompt
    for phrase in first.candidates[0].prompt.split(", "):  # the rejected direction's own words
        assert phrase not in second.negative_prompt.split(", "), phrase


# ---------------------------------------------------------------- what the page says about them, in either language
def test_a_pin_the_generator_cannot_hold_is_named_in_the_readers_language(studio):
    from studio.ui import presenters as views

    session = studio.start_session("alice", "a jazz poster, navy and gold")
    too_long = "a saxophone " + "with many golden keys and a long curved neck " * 4
    studio.set_checklist("alice", session.id, [[too_long.strip(), "visual", True], ["navy", "visual", True]])

    r = next(e.round for e in studio.run_round("alice", session.id, "", RoundParams(**SMALL))
             if isinstance(e, Finished))

    assert r.status is RoundStatus.DONE and r.left_out == (too_long.strip(),)
    assert r.prompt.startswith("navy, ")  # the pin that fits is kept whole; the other is never cut
    reply_zh = "\n".join(m["content"] for m in views.conversation(studio.open_session("alice", session.id), lang="zh"))
    reply_en = "\n".join(m["content"] for m in views.conversation(studio.open_session("alice", session.id), lang="en"))
    assert "有固定项没能放进提示词" in reply_zh and "改写模型的回复无法使用" in reply_zh
    assert "Pinned items left out" in reply_en and "the prompt was composed" in reply_en
    assert r.rationale == ""  # the studio's own words are not stored as prose: the page says them


def test_the_composed_critique_is_said_in_the_readers_language(studio):
    from studio.ui import presenters as views

    session = studio.start_session("alice", ZH_BRIEF)
    r = next(e.round for e in studio.run_round("alice", session.id, "", RoundParams(**SMALL))
             if isinstance(e, Finished))
    candidate = r.candidates[0]

    assert candidate.critique.summary == ""  # the tiny refiner's note is unusable; nothing English is stored
    assert views.summary(candidate, "zh").startswith("画面：")
    assert views.summary(candidate, "en").startswith("Shows: ")
