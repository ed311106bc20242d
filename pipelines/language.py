"""Text that must fit a model: cut at a word or phrase boundary, measured with the model's own tokenizer.

Script-aware: a space or a punctuation mark ends a word, and every CJK character is a boundary of its own (Chinese
and Japanese are written without spaces), so a Chinese text is shortened by characters, never dropped whole.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

PHRASE_ENDS = set(",.;:!?、，。；：！？）)]】」』\"'”’")


def is_cjk(ch: str) -> bool:
    """A Han, kana or hangul character, or CJK punctuation: each one may end a cut."""
    return unicodedata.east_asian_width(ch) in ("W", "F") and unicodedata.category(ch)[0] in ("L", "P", "N")


CJK_MARKS = "，。、；：！？「」『』（）《》"


def word_count(text: str) -> int:
    """Words of two or more letters; Chinese is written without spaces, so two CJK characters count as one."""
    cjk = sum(is_cjk(ch) and ch not in CJK_MARKS for ch in text)
    spaced = "".join(" " if is_cjk(ch) else ch for ch in text)
    return len(re.findall(r"[^\W\d_]{2,}", spaced)) + (cjk + 1) // 2


def letter_share(text: str, also: str = " ,.-'") -> float:
    """The share of `text` that is letters, CJK punctuation or the characters `also`: low for noise."""
    return sum(ch.isalpha() or ch in also or ch in CJK_MARKS for ch in text) / max(len(text), 1)


def mostly_cjk(text: str) -> bool:
    """Whether most of the letters in `text` are Han, kana or hangul."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and 2 * sum(map(is_cjk, letters)) > len(letters)


def boundaries(text: str) -> list[int]:
    """Every length at which `text` may be cut, shortest first: after a word, a phrase mark or a CJK character."""
    cuts = []
    for i, ch in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else " "
        if ch.isspace() or ch in PHRASE_ENDS or is_cjk(ch) or is_cjk(following) or following.isspace():
            cuts.append(i + 1)
    return [c for c in cuts if text[:c].strip()]


def fit_words(text: str, count_tokens: Callable[[str], int], max_tokens: int, whole_words: bool = False) -> str:
    """`text` as it is when it fits, else its longest start that ends at a boundary and fits; when even the first
    word is too long, that word cut by characters (or "" with `whole_words`, where half a word would mislead).
    Never longer than `max_tokens` by the model's own count.

    The search gallops from the start (1, 3, 7, ... boundaries), then halves: it tokenizes about twice the part
    that fits, never a whole 100,000-character text."""
    cuts = boundaries(text)

    def fits(i: int) -> bool:
        return count_tokens(text[:cuts[i]].rstrip()) <= max_tokens

    fitting, trying = -1, 0  # the longest start known to fit, the one to try next
    while trying < len(cuts) and fits(trying):
        fitting, trying = trying, 2 * trying + 1
    if fitting == len(cuts) - 1 and cuts:
        return text.rstrip()
    low, high = fitting + 1, min(trying, len(cuts)) - 1
    while low <= high:
        middle = (low + high) // 2
        if fits(middle):
            fitting, low = middle, middle + 1
        else:
            high = middle - 1
    if fitting >= 0:
        return text[:cuts[fitting]].rstrip()
    if whole_words:
        return ""
    word = text.split()[0] if text.split() else text
    while word and count_tokens(word) > max_tokens:
        word = word[:-1]
    return word
