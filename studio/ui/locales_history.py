"""The page's words for the history (the branch tree, undo, redo), in English and Chinese. Data only;
studio/ui/locales.py joins them to the rest."""
from __future__ import annotations

HISTORY_PAGE = {
    "undo": ("↶ Undo", "↶ 撤销"),
    "redo": ("↷ Redo", "↷ 重做"),
    "tab.branches": ("Branches", "分支"),
    "tree_label": ("Every round: pick one to continue from there", "所有轮次：选一轮，从那里继续"),
    "tree_note": ("Pick a round to go to its branch: its conversation, checklist and tastes come back, and the next "
                  "round continues from it. Nothing is ever deleted; ↶ Undo steps back one round, ↷ Redo returns. "
                  "● marks the branch you are on.",
                  "选一轮即可切换到它所在的分支：它的对话、检查清单和偏好都会恢复，下一轮从它继续。不会删除任何内容；"
                  "↶ 撤销后退一轮，↷ 重做返回。● 表示你所在的分支。"),
    "tree.brief": ("the brief", "简报"),
    "tree.from": (" ↳ from {round}", " ↳ 接第 {round} 轮"),
}
