"""The engine's words for the history (branches, undo, redo), in English and Chinese. Data only; studio/core/texts.py
joins them to the rest."""
from __future__ import annotations

HISTORY = {
    "history.running": ("A round is running in this session: wait for it, or stop it, before you move to another "
                        "branch.", "这个会话正在进行一轮：请等它结束或先停止，再切换分支。"),
    "history.nothing_to_undo": ("There is no round to undo on this branch.", "这个分支上没有可以撤销的轮次。"),
    "history.nothing_to_redo": ("There is nothing to redo: Redo brings back a round you undid.",
                                "没有可以重做的：重做会恢复你撤销的轮次。"),
    "history.switched": ("You are on round {round}'s branch: its conversation, checklist and tastes are back. "
                         "The next round continues from here.",
                         "已切换到第 {round} 轮所在的分支：它的对话、检查清单和偏好都已恢复。下一轮从这里继续。"),
    "history.undone": ("Round {round} undone: you are back on round {back}. Nothing was deleted; Redo brings it "
                       "back.", "已撤销第 {round} 轮：回到第 {back} 轮。没有删除任何内容；重做可以恢复它。"),
    "history.undone_all": ("Round {round} undone: the brief alone is left on this branch. Nothing was deleted; Redo "
                           "brings it back.", "已撤销第 {round} 轮：这个分支上只剩简报。没有删除任何内容；重做可以恢复它。"),
    "history.redone": ("Round {round} is back.", "第 {round} 轮已恢复。"),
}
