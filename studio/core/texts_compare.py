"""The engine's words for reproducing a candidate and comparing two, in English and Chinese. Data only;
studio/core/texts.py joins them to the rest."""
from __future__ import annotations

COMPARE_FIELDS = {
    "compare_first": ("The first candidate", "第一张候选图"),
    "compare_second": ("The second candidate", "第二张候选图"),
}

COMPARE = {
    "compare.pair": ("{what} is a round and a candidate, counted from 0 as (round, candidate), not {value}.",
                     "{what} 应为轮次和候选图，从 0 计数，写作 (轮次, 候选图)，而不是 {value}。"),
    "reproduce.no_recipe": ("Round {round} kept no recipe to render from (it stopped before rendering): there is "
                            "nothing to reproduce.", "第 {round} 轮没有保存可用于重绘的配方（在生成前就停止了）：无法复现。"),
    "reproduce.identical": ("Identical: all {pixels} pixels are the same as the stored image.",
                            "完全一致：全部 {pixels} 个像素与保存的图片相同。"),
    "reproduce.differs": ("Not identical: {count} of {pixels} pixels differ, by at most {largest} (of 255).",
                          "不一致：{pixels} 个像素中有 {count} 个不同，最大相差 {largest}（满值 255）。"),
    "reproduce.batch": ("Rendered again with its whole round ({count} candidates), each seed in its place: a seed "
                        "rendered alone can come out differently from the same seed in its batch.",
                        "与整轮（{count} 张候选图）一起重新生成，每个种子位置不变：单独生成的种子可能与同批次中的同一种子结果不同。"),
    "reproduce.changed": ("{what} differs: {then} then, {now} now.", "{what}不同：当时为 {then}，现在为 {now}。"),
    "reproduce.not_recorded": ("{what} was not recorded for this round (it is older than that record); now {now}.",
                               "本轮没有记录{what}（早于该记录）；现在为 {now}。"),
    "reproduce.same_environment": ("Same preset, device, precision and library versions as when it was rendered.",
                                   "预设、设备、精度和库版本都与生成时相同。"),
    "reproduce.field.preset": ("The preset", "预设"),
    "reproduce.field.device": ("The device", "设备"),
    "reproduce.field.dtype": ("The precision (dtype)", "精度（dtype）"),
    "reproduce.field.torch": ("The torch version", "torch 版本"),
    "reproduce.field.diffusers": ("The diffusers version", "diffusers 版本"),
    "reproduce.field.transformers": ("The transformers version", "transformers 版本"),
}
