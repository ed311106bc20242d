"""The page's words for search across sessions, in English and Chinese. Data only; studio/ui/locales.py joins them
to the rest."""
from __future__ import annotations

SEARCH_PAGE = {
    "search.query": ("Search all your sessions", "搜索你的所有会话"),
    "search.hint": ("words from a brief, a prompt, a caption, a reason…", "简报、提示词、说明、理由中的词……"),
    "search.mode_label": ("Find", "查找"),
    "search.mode.words": ("Words", "文字"),
    "search.mode.images": ("Images matching the words", "与文字相符的图片"),
    "search.go": ("Search", "搜索"),
    "search.results": ("Results: pick one to open it", "结果：选一个即可打开"),
    "search.more_like_this": ("More like this", "更多类似的"),
    "search.found": ("{count} results for “{query}”.", "“{query}”共有 {count} 个结果。"),
    "search.found_similar": ("{count} images like candidate {candidate} of round {round}.",
                             "与第 {round} 轮第 {candidate} 张相似的图片 {count} 张。"),
    "search.none": ("Nothing found for “{query}”.", "没有找到“{query}”。"),
    "search.unindexed": (" {count} older images are not indexed yet: search again to include more of them.",
                         " 还有 {count} 张较早的图片尚未建立索引：再搜索一次即可包括更多。"),
    "search.round": ("round {round}", "第 {round} 轮"),
    "search.opened": ("Opened “{title}” at round {round}.", "已打开“{title}”的第 {round} 轮。"),
    "search.opened_session": ("Opened “{title}”.", "已打开“{title}”。"),
    "search.field.title": ("title", "标题"),
    "search.field.brief": ("brief", "简报"),
    "search.field.prompt": ("prompt", "提示词"),
    "search.field.caption": ("caption", "说明"),
    "search.field.critique": ("critique", "评语"),
    "search.field.reason": ("reason", "理由"),
    "search.field.note": ("note", "备注"),
    "search.field.image": ("image", "图片"),
}
