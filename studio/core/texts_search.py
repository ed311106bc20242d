"""The engine's words for search across sessions, in English and Chinese. Data only; studio/core/texts.py joins
them to the rest."""
from __future__ import annotations

SEARCH_FIELDS = {
    "search_query": ("Your search", "你的搜索"),
    "search_limit": ("The number of results", "结果数量"),
}

SEARCH = {
    "search.too_many_words": ("Search for at most {limit} words at a time ({count} given).",
                              "一次最多搜索 {limit} 个词（你给了 {count} 个）。"),
}
