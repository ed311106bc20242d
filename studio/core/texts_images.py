"""The engine's words for work on images (region edits, fixes, variations, upscales, references), in English and
Chinese. Data only; studio/core/texts.py joins them to the rest."""
from __future__ import annotations

IMAGE_FIELDS = {
    "instruction": ("What should change in the region", "区域里要改变什么"),
    "edit_strength": ("How much to redraw", "重绘幅度"),
    "upscale_factor": ("The upscale factor", "放大倍数"),
    "style_strength": ("The style strength", "风格强度"),
    "reference_number": ("The reference's number", "参考图编号"),
    "references": ("The images", "图片"),
}

IMAGE_WORK = {
    "mask.missing": ("Paint the region to redraw on the image first (or upload a mask: white where it changes).",
                     "请先在图上涂出要重绘的区域（或上传蒙版：白色为要改变的地方）。"),
    "mask.empty": ("The mask is empty: paint the region to redraw (white where it changes), then try again.",
                   "蒙版是空的：请涂出要重绘的区域（白色为要改变的地方）后再试。"),
    "mask.resized": ("The mask was not the image's size: it was resized to {width}x{height}.",
                     "蒙版与图片尺寸不同：已缩放为 {width}x{height}。"),
    "fix.not_found": ("The segmenter could not find where \"{item}\" is: paint the region on the image, then press "
                      "Fix this again.", "分割模型找不到“{item}”的位置：请在图上涂出区域，然后再按“修正此项”。"),
    "fix.which_item": ("{value} is not an item of this session's checklist. Its items: {items}.",
                       "{value} 不是本会话检查清单中的一项。清单项：{items}。"),
    "vary.how": ("A variation is \"subtle\" or \"strong\", not {value}.", "变体只能是“subtle”（细微）或“strong”（明显），而不是 {value}。"),
    "upscale.factor": ("This preset upscales by {factors}.", "此预设可放大 {factors} 倍。"),
    "upscale.which": ("Choose between 1 and {limit} candidates to upscale.", "请选择 1 到 {limit} 张要放大的候选图。"),
    "candidate.withheld": ("Candidate {candidate} of round {round} was withheld by the safety check: there is no "
                           "image to work on.", "第 {round} 轮的第 {candidate} 张候选图已被安全检查拦下：没有可处理的图片。"),
    "reference.none": ("Add at least one image (PNG, JPEG or WebP).", "请至少添加一张图片（PNG、JPEG 或 WebP）。"),
    "reference.too_many": ("Add at most {limit} images at a time, and at most {most} to a session.",
                           "每次最多添加 {limit} 张图片，每个会话最多 {most} 张。"),
    "reference.use": ("An image is used as \"context\" (the refiner reads what it shows) or \"style\" (rounds follow "
                      "its style), not {value}.", "图片的用途是“context”（提炼模型读取其内容）或“style”（各轮沿用其风格），而不是 {value}。"),
    "reference.no_style": ("This preset's generator cannot follow a style image (it has no IP-Adapter): use the image "
                           "as context, or as the start of a round (the reference setting).",
                           "此预设的生成模型无法跟随风格图（没有 IP-Adapter）：请把图片作为参考内容，或作为一轮的起点（参考图设置）。"),
    "reference.missing": ("This session has no reference {number}.", "本会话没有第 {number} 张参考图。"),
}
