"""Text that must fit a model: cut at a word or phrase boundary, measured with the model's own tokenizer.

Script-aware: a space or a punctuation mark ends a word, and every CJK character is a boundary of its own (Chinese
and Japanese are written without spaces), so a Chinese text is shortened by characters, never dropped whole.
"""
from __future__ import annotations

import unicodedata
from typing import Callable

PHRASE_ENDS = set(",.;:!?、，。；：！？）)]】」』\"'”’")


def is_cjk(ch: str) -> bool:
    """A Han, kana or hangul character, or CJK punctuation: each one may end a cut."""
    return unicodedata.east_asian_width(ch) in ("W", "F") and unicodedata.category(ch)[0] in ("L", "P", "N")


def boundaries(text: str) -> list[int]:
    """Every length at which `text` may be cut, shortest first: after a word, a phrase mark or a CJK character."""
    cuts = []
    for i, ch in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else " "
        if ch.isspace() or ch in PHRASE_ENDS or is_cjk(ch) or is_cjk(following) or following.isspace():
            cuts.append(i + 1)
    return [c for c in cuts if text[:c].strip()]


def fit_words(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> str:
    """`text` as it is when it fits, else its longest start that ends at a boundary and fits (the first word cut
    by characters when even that is too long). Never longer than `max_tokens` by the model's own count."""
    if count_tokens(text) <= max_tokens:
        return text
    cuts = boundaries(text)
    low, high, best = 0, len(cuts) - 1, ""
    while low <= high:  # the count grows with the length: binary search over the boundaries
        middle = (low + high) // 2
        candidate = text[:cuts[middle]].rstrip()
        if count_tokens(candidate) <= max_tokens:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    if best:
        return best
    word = text.split()[0] if text.split() else text
    while word and count_tokens(word) > max_tokens:
        word = word[:-1]
    return word
