"""The page's words for work on images, in English and Chinese (joined to the rest in locales.py)."""
from __future__ import annotations

IMAGE_PAGE = {
    # ---------------------------------------------------------------- the panel
    "work.title": ("Work on this image", "处理这张图"),
    "work.editor": ("Paint the region to redraw (brush; eraser to take back)",
                    "涂出要重绘的区域（画笔；用橡皮擦撤回）"),
    "work.mask_upload": ("…or upload a mask (white = redraw)", "……或上传蒙版（白色 = 重绘）"),
    "work.instruction": ("What should change there", "那里要改成什么"),
    "work.instruction_hint": ("e.g. a golden trumpet instead of the saxophone", "例如：把萨克斯换成金色小号"),
    "work.edit_strength": ("How much to redraw", "重绘幅度"),
    "work.redraw": ("Redraw region", "重绘区域"),
    "work.fix_item": ("Checklist item to fix", "要修正的检查项"),
    "work.find": ("Find it", "找到它"),
    "work.fix": ("Fix this", "修正此项"),
    "work.vary_subtle": ("Vary (subtle)", "变体（细微）"),
    "work.vary_strong": ("Vary (strong)", "变体（明显）"),
    "work.upscale_which": ("Candidates to upscale", "要放大的候选图"),
    "work.upscale_factor": ("Upscale by", "放大倍数"),
    "work.upscale": ("Upscale", "放大"),
    "work.before": ("Original", "原图"),
    "work.after": ("Result", "结果"),
    "work.used_mask": ("The region redrawn (download to reuse)", "重绘的区域（可下载复用）"),
    "work.proposed": ("Proposed mask", "建议的蒙版"),
    # ---------------------------------------------------------------- images the designer brings
    "refs.drop": ("Drop images here: a photo, a sketch, a mood board", "把图片拖到这里：照片、草图、情绪板"),
    "refs.use_label": ("Use dropped images as", "拖入的图片用作"),
    "refs.use.context": ("context", "参考内容"),
    "refs.use.style": ("style", "风格"),
    "refs.use.start": ("start image", "起始图"),
    "refs.style_strength": ("Style strength", "风格强度"),
    "tab.references": ("References", "参考图"),
    "refs.number": ("Reference", "参考图"),
    "refs.set_use": ("Use it so", "按此使用"),
    # ---------------------------------------------------------------- what the handlers say
    "work.status.found": ("The segmenter proposes a region for \"{item}\": keep it, or repaint it, then press Fix "
                          "this.", "分割模型为“{item}”提出了一个区域：保留它或重新涂画，然后按“修正此项”。"),
    "work.status.not_found": ("The segmenter found no region for \"{item}\": paint it yourself, then press Fix this.",
                              "分割模型没有找到“{item}”的区域：请自己涂出区域，然后按“修正此项”。"),
    "refs.status.added": ("Read {count} image(s): what they show is in the conversation and the References tab.",
                          "已读取 {count} 张图片：它们的内容在对话和“参考图”标签页中。"),
    "refs.status.proposed": ("A brief and a checklist proposed from your image(s): edit them if you like, then press "
                             "Send to render round 1.", "已根据你的图片提出简报和检查清单：可以先修改，然后按发送生成第 1 轮。"),
    "refs.status.start": ("Read {count} image(s); the first is the start of the next round (Round settings → "
                          "Reference image).", "已读取 {count} 张图片；第一张将作为下一轮的起点（轮次设置 → 参考图）。"),
    "refs.status.use": ("Reference {number} is now used as {use}.", "第 {number} 张参考图现在用作{use}。"),
    "refs.none": ("*No reference images yet: drop images into the conversation.*", "*还没有参考图：把图片拖进对话即可。*"),
    "refs.line": ("**{number}.** *{caption}* · used as **{use}**{strength}", "**{number}.** *{caption}* · 用作**{use}**{strength}"),
    "refs.strength": (" (strength {strength:g})", "（强度 {strength:g}）"),
    "refs.answer": ("{question} **{answer}**", "{question} **{answer}**"),
    "chat.references": ("Brought {count} image(s):", "带来了 {count} 张图片："),
    "chat.proposed_brief": ("From your images, the brief: **{brief}**\n\nEdit the checklist if you like, then press "
                            "Send to render round 1.", "根据你的图片，简报是：**{brief}**\n\n可以先修改检查清单，然后按发送生成第 1 轮。"),
    "chat.reference": ("Image {number} shows *{caption}*.", "图片 {number}：*{caption}*。"),
    # ---------------------------------------------------------------- rounds of image work, in the chat and the strip
    "kind.edit": ("Region redrawn on {source}", "在 {source} 上重绘区域"),
    "kind.fix": ("Fix of “{item}” on {source}", "在 {source} 上修正“{item}”"),
    "kind.vary": ("{how} variations of {source}", "{source} 的{how}变体"),
    "kind.upscale": ("Upscaled ×{factor}: {source}", "放大 ×{factor}：{source}"),
    "vary.subtle": ("Subtle", "细微"),
    "vary.strong": ("Strong", "明显"),
    "strip.edit": (" ✎", " ✎"),
    "strip.fix": (" ✎", " ✎"),
    "strip.vary": (" ≈", " ≈"),
    "strip.upscale": (" ⤢", " ⤢"),
    "info.source": ("Made from candidate {candidate} of round {round}", "由第 {round} 轮的第 {candidate} 张候选图生成"),
}
