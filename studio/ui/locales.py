"""The page's words in English and Chinese: labels (Gradio translates them in the browser, by the page's locale)
and the text the handlers and presenters write (said on the server, in the reader's language).

One catalogue: `I18N` gives Gradio every entry (and the engine's field names, which label the round settings);
`words(code, lang, **args)` says one entry on the server. The engine's own refusals and progress are in
studio/core/texts.py. The templates are `str.format` strings; both languages take the same arguments.
"""
from __future__ import annotations

import gradio as gr

from studio.core.messages import LANGUAGES, render
from studio.core.texts import ENGINE
from studio.ui.locales_history import HISTORY_PAGE
from studio.ui.locales_compare import COMPARE_PAGE
from studio.ui.locales_images import IMAGE_PAGE
from studio.ui.locales_review import REVIEW_PAGE
from studio.ui.locales_search import SEARCH_PAGE
from studio.ui.locales_share import SHARE_PAGE

GRADIO_LOCALES = {"en": "en", "zh": "zh-CN"}  # the reader's language -> the locale Gradio's own strings use

_PAGE = {
    # ---------------------------------------------------------------- labels, placeholders, buttons, tabs
    "language": ("Language · 语言", "语言 · Language"),
    "sessions": ("Sessions", "会话"),
    "new_session": ("New session", "新建会话"),
    "your_sessions": ("Your sessions", "你的会话"),
    "refresh": ("↻ Refresh list", "↻ 刷新列表"),
    "manage": ("Rename or delete", "重命名或删除"),
    "new_title": ("New title", "新标题"),
    "rename": ("Rename", "重命名"),
    "delete": ("Delete this session…", "删除这个会话…"),
    "confirm_delete": ("Yes, delete it", "是的，删除"),
    "keep": ("Keep it", "保留"),
    "session_id": ("Session id", "会话标识"),
    "conversation": ("Conversation", "对话"),
    "status_label": ("Status", "状态"),
    "start_note_label": ("Start note", "起点说明"),
    "clear_start": ("Start from noise", "从噪声开始"),
    "message": ("Message", "消息"),
    "message_hint": ("A brief to start (a poster for a jazz night, art deco, navy and gold), or a correction for "
                     "the next round", "写一份简报来开始（例如：爵士之夜海报，装饰艺术风格，海军蓝配金色），或写下对下一轮的修改意见"),
    "send.start": ("Start", "开始"),
    "send.next": ("Next round", "下一轮"),
    "stop": ("Stop", "停止"),
    "auto_rounds": ("Rounds", "轮数"),
    "auto_button": ("rounds on its own", "轮自动进行"),
    "direction_count": ("Directions", "方向数"),
    "inspire": ("directions: Inspire me", "个方向：给我灵感"),
    "round_settings": ("Round settings", "本轮设置"),
    "style_note": ("Style note", "风格说明"),
    "no_style": ("None", "无"),
    "start_hint": ("e.g. 2.3", "例如 2.3"),
    "help.count": ("how many images a round renders", "每轮渲染多少张图片"),
    "help.steps": ("denoising steps: more is slower and usually finer", "去噪步数：越多越慢，通常也越精细"),
    "help.size": ("width and height, a multiple of 64", "宽和高，须为 64 的倍数"),
    "help.guidance": ("how closely the image follows the prompt", "图片贴合提示词的程度"),
    "help.seed": ("-1 draws a new one each round; a fixed seed repeats a picture", "-1 表示每轮随机取新种子；固定种子会重现同一张图"),
    "help.style": ("a look applied to every prompt; it suggests steps and guidance", "应用到每个提示词的风格；它会建议步数和引导强度"),
    "help.negative": ("added to what the refiner asks the model to avoid", "追加到改写模型要求生成模型避免的内容中"),
    "help.strength": ("how far to move from a reference or a chosen candidate", "离参考图或所选候选图变化多远"),
    "help.reference": ("an image to start from (PNG, JPEG or WebP)", "作为起点的图片（PNG、JPEG 或 WebP）"),
    "help.start_from": ("a candidate to start from, as 'round.candidate' (e.g. '2.3')",
                        "作为起点的候选图，写作“轮次.候选图”（例如 '2.3'）"),
    "rounds": ("Rounds", "轮次"),
    "candidates": ("Candidates", "候选图"),
    "legend": ("**Score** 0-100: how well the image matches the brief, by the critic (the image-text scorer plus the "
               "checklist). **✓ ✗ ?**: checklist items passed, failed, unsure. Click a candidate, or press its number.",
               "**得分** 0-100：评审模型判断图片与简报的吻合程度（图文评分加检查清单）。**✓ ✗ ?**：检查项通过、未通过、不确定。"
               "点击一张候选图，或按它的编号。"),
    "candidate_label": ("Candidate", "候选图"),
    "selected_candidate": ("Selected candidate", "所选候选图"),
    "reason": ("Why? (kept as a preference)", "为什么？（会记为偏好）"),
    "reason_hint": ("too busy / love the type", "太杂乱 / 喜欢这个字体"),
    "pick": ("Pick", "选定"),
    "reject": ("Reject", "否决"),
    "question": ("Ask about it", "问问它"),
    "question_hint": ("is the text readable?", "文字清晰吗？"),
    "ask": ("Ask", "提问"),
    "start_here": ("Start next round from it", "下一轮从它开始"),
    "answer": ("Answer", "回答"),
    "tab.checklist": ("Checklist", "检查清单"),
    "item": ("Item", "检查项"),
    "item_hint": ('says "JAZZ NIGHT" / a saxophone / people', '写着“JAZZ NIGHT” / 一支萨克斯 / 人群'),
    "kind_label": ("Kind", "类型"),
    "kind.visual": ("visual", "画面"),
    "kind.text": ("text", "文字"),
    "kind.avoid": ("avoid", "避免"),
    "item_pinned": ("Pinned (stays in every prompt)", "固定（每个提示词都保留）"),
    "add_item": ("Add item", "添加检查项"),
    "update_selected": ("Update selected", "更新所选"),
    "delete_selected": ("Delete selected", "删除所选"),
    "tab.preferences": ("Preferences", "偏好"),
    "taste": ("Taste", "偏好"),
    "taste_hint": ("thin type / lots of space", "细字体 / 大量留白"),
    "polarity_label": ("Like or dislike", "喜欢或不喜欢"),
    "polarity.like": ("like", "喜欢"),
    "polarity.dislike": ("dislike", "不喜欢"),
    "add_taste": ("Add taste", "添加偏好"),
    "insights_label": ("Insights", "洞察"),
    "tab.scorecard": ("Scorecard", "评分表"),
    "scorecard_label": ("Scorecard", "评分表"),
    "tab.details": ("Details", "详情"),
    "details": ("Round", "本轮"),
    "header.item": ("item", "检查项"),
    "header.kind": ("kind", "类型"),
    "header.pinned": ("pinned", "固定"),
    "header.taste": ("taste", "偏好"),
    "header.polarity": ("like or dislike", "喜欢或不喜欢"),
    # the API keys panel
    "api_keys": ("API keys for scripts", "脚本用的 API 密钥"),
    "key_label": ("What is the key for?", "这个密钥做什么用？"),
    "key_label_hint": ("my render script", "我的渲染脚本"),
    "create_key": ("Create key", "创建密钥"),
    "new_key": ("Your new key", "你的新密钥"),
    "new_key_note": ("Copy it now: it is not shown again. Send it as `Authorization: Bearer <key>`.",
                     "请现在复制：它不会再显示。发送时写作 `Authorization: Bearer <key>`。"),
    "your_keys": ("Your keys", "你的密钥"),
    "key_id": ("Key id (click a row)", "密钥标识（点击一行）"),
    "revoke_key": ("Revoke", "吊销"),
    "header.key_id": ("id", "标识"),
    "header.key_label": ("for", "用途"),
    "header.key_prefix": ("key", "密钥"),
    "header.created": ("created", "创建于"),
    "header.last_used": ("last used", "上次使用"),
    "header.revoked": ("revoked", "吊销于"),
}

_STATUS = {
    # ---------------------------------------------------------------- status lines and notes
    "status.start": ("Write a brief and press Start.", "写一份简报，然后按“开始”。"),
    "status.no_rounds": ("**{title}**: no rounds yet. Press Next round to render the first.",
                         "**{title}**：还没有轮次。按“下一轮”渲染第一轮。"),
    "status.round": ("Round {round} of {total}: {state}. Pick, reject, or write a correction below.",
                     "第 {round} 轮（共 {total} 轮）：{state}。请选定、否决，或在下方写修改意见。"),
    "state.done": ("{count} candidates", "{count} 张候选图"),
    "state.running": ("still running", "仍在进行"),
    "state.failed": ("failed", "失败"),
    "state.interrupted": ("stopped", "已停止"),
    "state.pending": ("waiting", "等待中"),
    "strip.auto": (" auto", " 自动"),
    "strip.running": (" running", " 进行中"),
    "strip.failed": (" failed", " 失败"),
    "strip.interrupted": (" stopped", " 已停止"),
    "strip.pending": (" waiting", " 等待中"),
    "renamed": ("Renamed.", "已重命名。"),
    "deleted": ("Session deleted.", "会话已删除。"),
    "ask_delete": ("Delete **{title}** and its {rounds} rounds? This cannot be undone.",
                   "删除 **{title}** 及其 {rounds} 轮？此操作无法撤销。"),
    "ask_delete_one": ("Delete **{title}** and its 1 round? This cannot be undone.",
                       "删除 **{title}** 及其 1 轮？此操作无法撤销。"),
    "nothing_running": ("Nothing is running.", "没有正在进行的轮次。"),
    "stopping": ("Stopping...", "正在停止……"),
    "noted.pick": ("Noted: pick candidate {candidate}.", "已记下：选定第 {candidate} 张候选图。"),
    "noted.reject": ("Noted: reject candidate {candidate}.", "已记下：否决第 {candidate} 张候选图。"),
    "answered": ("Answer: {answer}", "回答：{answer}"),
    "start_note.text": ("The next round starts from candidate {candidate} of round {round} (how far it moves: "
                        "Strength, in Round settings).",
                        "下一轮从第 {round} 轮的第 {candidate} 张候选图开始（变化多远：见“本轮设置”中的“变化幅度”）。"),
    "checklist_saved": ("Checklist saved: the next round is checked against it.", "检查清单已保存：下一轮将按它检查。"),
    "preferences_saved": ("Preferences saved.", "偏好已保存。"),
    "key_created": ("Key **{prefix}…** made: copy it now from API keys, it is not shown again.",
                    "密钥 **{prefix}…** 已创建：请现在到“API 密钥”中复制，它不会再显示。"),
    "key_revoked": ("Key **{prefix}…** revoked: a script sending it no longer acts as you.",
                    "密钥 **{prefix}…** 已吊销：发送它的脚本从此不再代表你。"),
    "key_never": ("never", "从未"),
    "style.suggests": ("**{name}** suggests {hint}: set above, change them freely.",
                       "**{name}** 建议 {hint}：已在上方设置，可随意修改。"),
    "style.plain": ("**{name}**.", "**{name}**。"),
    "style.hint": ("{setting} {value:g}", "{setting} {value:g}"),
    "session_choice": ("{title} ({rounds} rounds)", "{title}（{rounds} 轮）"),
    "session_choice_one": ("{title} (1 round)", "{title}（1 轮）"),
    "rendering": ("Rendering {bar} step {step}/{total}", "渲染中 {bar} 第 {step}/{total} 步"),
    "preview": ("#{candidate} · step {step}/{total}", "#{candidate} · 第 {step}/{total} 步"),
    "went_wrong": ("Something went wrong on the studio's side (ref {ref}); nothing you made was lost. Try again; if it "
                   "keeps happening, tell the host the reference.",
                   "工作室这边出了问题（编号 {ref}）；你做的东西都没有丢失。请再试一次；如果反复出现，请把这个编号告诉工作室的管理者。"),
}

_CONVERSATION = {
    # ---------------------------------------------------------------- the conversation and the candidate panel
    "chat.writing": ("*Writing the prompt...*", "*正在撰写提示词……*"),
    "chat.picked": ("Picked candidate {candidate} of round {round}.", "选定了第 {round} 轮的第 {candidate} 张候选图。"),
    "chat.picked_because": ("Picked candidate {candidate} of round {round}: {reason}",
                            "选定了第 {round} 轮的第 {candidate} 张候选图：{reason}"),
    "chat.rejected": ("Rejected candidate {candidate} of round {round}.", "否决了第 {round} 轮的第 {candidate} 张候选图。"),
    "chat.rejected_because": ("Rejected candidate {candidate} of round {round}: {reason}",
                              "否决了第 {round} 轮的第 {candidate} 张候选图：{reason}"),
    "chat.question": ("About candidate {candidate} of round {round}: {question}",
                      "关于第 {round} 轮的第 {candidate} 张候选图：{question}"),
    "chat.answer": ("*Answer:* {answer}", "*回答：* {answer}"),
    "reply.title": ("**Round {round}**", "**第 {round} 轮**"),
    "reply.auto": (" (auto)", "（自动）"),
    "reply.style": (" · style *{style}*", " · 风格 *{style}*"),
    "reply.prompt_changes": ("**Prompt** (changes from the last one): {diff}", "**提示词**（与上一轮相比的变化）：{diff}"),
    "reply.prompt": ("**Prompt:** {prompt}", "**提示词：** {prompt}"),
    "reply.why": ("*Why: {rationale}*", "*理由：{rationale}*"),
    "reply.composed": ("*The refiner's reply was unusable: the prompt was composed from the brief and your words.*",
                       "*改写模型的回复无法使用：提示词由简报和你的话直接组成。*"),
    "reply.left_out": ("*Pinned items left out: the generator's prompt could not hold them beside the others ({items})."
                       " Unpin or shorten one.*", "*有固定项没能放进提示词：生成模型的提示词长度容不下它们（{items}）。"
                       "请取消固定或缩短其中一项。*"),
    "reading.exact": ("exact: read '{read}'", "完全一致：读到「{read}」"),
    "reading.near": ("near: read '{read}'", "接近：读到「{read}」"),
    "reading.missing": ("missing: read '{read}'", "没有：读到「{read}」"),
    "reading.nothing": ("missing: read nothing", "没有：什么也没读到"),
    "reading.unread": ("no text reader is installed", "没有安装文字识别"),
    "critique.shows": ("Shows: {caption}.", "画面：{caption}。"),
    "critique.no_caption": ("No caption.", "没有图像描述。"),
    "critique.matches": ("Matches: {items}.", "符合：{items}。"),
    "critique.missing": ("Missing or wrong: {items}.", "缺少或不对：{items}。"),
    "reply.directions": ("**Directions:** {directions}", "**方向：** {directions}"),
    "reply.critique": ("**Critique:** best is candidate {candidate} (score {score:.0f}). {summary}",
                       "**评审：** 最好的是第 {candidate} 张候选图（得分 {score:.0f}）。{summary}"),
    "reply.running": ("*Running...*", "*进行中……*"),
    "reply.ended": ("**{status}**", "**{status}**"),
    "reply.ended_because": ("**{status}**: {error}", "**{status}**：{error}"),
    "started.candidate": ("Started from candidate {candidate} of round {round} (strength {strength:g}).",
                          "从第 {round} 轮的第 {candidate} 张候选图开始（变化幅度 {strength:g}）。"),
    "started.reference": ("Started from your reference image (strength {strength:g}).",
                          "从你的参考图开始（变化幅度 {strength:g}）。"),
    "mark.picked": ("picked", "已选定"),
    "mark.auto_pick": ("the studio's own pick (best score)", "工作室自己选的（得分最高）"),
    "mark.rejected": ("rejected", "已否决"),
    "mark.withheld": ("withheld", "已隐藏"),
    "info.no_round": ("No round yet: write a brief below and press **Start**.", "还没有轮次：在下方写一份简报并按 **开始**。"),
    "info.no_candidates": ("Round {round} has no candidates ({status}). Earlier rounds are in the strip.",
                           "第 {round} 轮没有候选图（{status}）。之前的轮次在轮次条中。"),
    "info.choose": ("Round {round}: choose a candidate (click it, or press its number).",
                    "第 {round} 轮：请选择一张候选图（点击它，或按它的编号）。"),
    "info.title": ("**Round {round} · candidate {candidate}**", "**第 {round} 轮 · 第 {candidate} 张候选图**"),
    "info.score": ("Score **{score:.0f}**/100", "得分 **{score:.0f}**/100"),
    "info.checklist": (" · checklist {counts}", " · 检查清单 {counts}"),
    "info.withheld": ("Withheld by the safety check: {why}", "安全检查已隐藏这张图：{why}"),
    "info.caption": ("The critic sees: *{caption}*", "评审模型看到的是：*{caption}*"),
    "info.seed": ("Seed {seed}", "种子 {seed}"),
    "scorecard.head": ("| rank | candidate | score | ", "| 名次 | 候选图 | 得分 | "),
    "insights.split": ("*The checklist was split from the brief (the refiner's reply was unusable): edit it freely.*",
                       "*检查清单是直接从简报拆分出来的（改写模型的回复无法使用）：可随意修改。*"),
}

# What each preset is, under the page (the English is pipelines.presets' summary, word for word: tested).
_PRESETS = {f"preset_about_{name}": (f"Preset **{name}**: {en}", f"预设 **{name}**：{zh}") for name, (en, zh) in {
    "tiny": ("Random-weight models of the real classes, built offline in seconds. Plumbing only: the images are "
             "noise and the text is gibberish.", "离线几秒内构建的真实模型类、随机权重：只验证流程，图片是噪点，文字是乱码。"),
    "cpu": ("Runs on a laptop CPU: SD-Turbo in one step at 512 px, a 0.5B refiner, BLIP base.",
            "可在笔记本 CPU 上运行：SD-Turbo 一步生成 512 像素，0.5B 改写模型，BLIP base。"),
    "turbo": ("One consumer GPU: SDXL-Turbo in 4 steps at 512 px, a 1.5B refiner, BLIP large, CLIP-L.",
              "一张消费级 GPU：SDXL-Turbo 四步生成 512 像素，1.5B 改写模型，BLIP large，CLIP-L。"),
    "quality": ("A 48 GB+ GPU: FLUX.1-schnell in 4 steps at 1024 px, a 7B refiner, CLIP-H.",
                "48 GB 以上的 GPU：FLUX.1-schnell 四步生成 1024 像素，7B 改写模型，CLIP-H。"),
}.items()}

PAGE = {code: {"en": en, "zh": zh} for code, (en, zh) in
        [*_PAGE.items(), *_STATUS.items(), *_CONVERSATION.items(), *_PRESETS.items(), *IMAGE_PAGE.items(), *COMPARE_PAGE.items(), *REVIEW_PAGE.items(),
         *HISTORY_PAGE.items(), *SHARE_PAGE.items(), *SEARCH_PAGE.items()]}
# Gradio's translator (svelte-i18n) reads "a.b" as a path: no key may also be the start of another's.
LABELS = {code: said for code, said in ENGINE.items() if code.startswith("field.")} | PAGE
I18N = gr.I18n(**{lang: {code: said[lang] for code, said in LABELS.items()} for lang in LANGUAGES})


def words(code: str, lang: str, **args) -> str:
    """The page's text `code` in the reader's language (nested messages said alike)."""
    return render(PAGE, code, lang, args)
