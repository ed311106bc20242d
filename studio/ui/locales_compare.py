"""The page's words for reproducing a candidate and comparing two, in English and Chinese (joined to the rest in
locales.py)."""
from __future__ import annotations

COMPARE_PAGE = {
    # ---------------------------------------------------------------- the selected candidate's panel
    "repro.button": ("Reproduce", "复现"),
    "repro.compare_with": ("Compare with…", "与……比较"),
    "repro.new": ("Rendered again now", "现在重新生成"),
    "repro.original": ("As stored", "保存的原图"),
    "repro.title": ("**Reproduced {candidate}** from its stored recipe (nothing was stored):",
                    "**已按保存的配方复现 {candidate}**（未保存任何内容）："),
    # ---------------------------------------------------------------- the Compare tab
    "tab.compare": ("Compare", "比较"),
    "cmp.first": ("Before (round.candidate)", "之前（轮次.候选图）"),
    "cmp.second": ("After (round.candidate)", "之后（轮次.候选图）"),
    "cmp.view_label": ("Show", "显示方式"),
    "cmp.view.slider": ("slider", "滑块"),
    "cmp.view.sides": ("side by side", "并排"),
    "cmp.button": ("Compare", "比较"),
    "cmp.slider": ("Before / after", "之前 / 之后"),
    "cmp.status.one": ("{candidate} is one side: choose another candidate and press Compare with… again, or type it "
                       "in the Compare tab.", "{candidate} 已设为一侧：请选择另一张候选图再按“与……比较”，或在“比较”标签页中输入。"),
    "cmp.status.both": ("Comparing {first} with {second}: {count} of {rows} rows differ.",
                        "正在比较 {first} 与 {second}：{rows} 行中有 {count} 行不同。"),
    "cmp.differs": ("differs", "不同"),
    "cmp.none": ("—", "—"),
    # the rows (studio.core.compare.FIELDS), and a checklist item's
    "cmp.row.prompt": ("Prompt", "提示词"),
    "cmp.row.negative": ("Negative prompt", "反向提示词"),
    "cmp.row.seed": ("Seed", "种子"),
    "cmp.row.steps": ("Steps", "步数"),
    "cmp.row.guidance": ("Guidance", "引导强度"),
    "cmp.row.size": ("Size", "尺寸"),
    "cmp.row.scheduler": ("Scheduler", "调度器"),
    "cmp.row.strength": ("Strength", "强度"),
    "cmp.row.style": ("Style", "风格"),
    "cmp.row.style_reference": ("Style reference strength", "风格参考强度"),
    "cmp.row.preset": ("Preset", "预设"),
    "cmp.row.kind": ("Made by", "生成方式"),
    "cmp.row.parent": ("From", "来自"),
    "cmp.row.score": ("Score", "得分"),
    "cmp.row.caption": ("Caption", "图片描述"),
    "cmp.row.mark": ("Mark", "标记"),
    "cmp.row.reason": ("Reason", "理由"),
    "cmp.row.verdict": ("Checklist: {item}", "检查项：{item}"),
    # the studio's own values, said in the reader's language
    "cmp.value.round": ("a round", "一轮"),
    "cmp.value.edit": ("region edit", "区域重绘"),
    "cmp.value.fix": ("fix", "修正"),
    "cmp.value.vary": ("variation", "变体"),
    "cmp.value.upscale": ("upscale", "放大"),
    "cmp.value.picked": ("picked", "已选中"),
    "cmp.value.rejected": ("rejected", "已否决"),
    "cmp.value.pass": ("pass", "通过"),
    "cmp.value.fail": ("fail", "未通过"),
    "cmp.value.unsure": ("unsure", "不确定"),
}
