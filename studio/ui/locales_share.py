"""The page's words for sharing a session (export, the client report) and importing one, in English and Chinese
(joined to the rest in locales.py)."""
from __future__ import annotations

SHARE_PAGE = {
    "share.tab": ("Share", "分享"),
    "share.about": ("Download the session for the client or for safekeeping: a ZIP (every image as a PNG with its "
                    "recipe, session.json to import anywhere, and the client report), or the client report alone (one "
                    "HTML file that opens offline and prints).",
                    "下载会话，交给客户或留存：ZIP（每张图都是带配方的 PNG、可在任何工作室导入的 session.json，以及客户报告），"
                    "或只下载客户报告（一个可离线打开、可打印的 HTML 文件）。"),
    "share.branch_only": ("This branch only", "仅此分支"),
    "share.export": ("Export ZIP", "导出 ZIP"),
    "share.report": ("Client report", "客户报告"),
    "share.file": ("Download", "下载"),
    "share.exported": ("Exported: {name}", "已导出：{name}"),
    "share.reported": ("The client report is ready: {name}", "客户报告已生成：{name}"),
    "share.import": ("Import a session (a ZIP or session.json the studio exported)",
                     "导入会话（工作室导出的 ZIP 或 session.json）"),
    "share.imported": ("Imported \"{title}\" with {rounds} round(s): it is a session of yours now.",
                       "已导入“{title}”，共 {rounds} 轮：它现在是你的会话。"),
}
