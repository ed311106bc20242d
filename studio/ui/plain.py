"""Text people typed (and models wrote from it), shown as itself in Markdown."""
from __future__ import annotations

import re

# Markdown's own characters and HTML's brackets: backslash-escaped, each shows as itself (CommonMark, GFM tables).
_MARKUP = re.compile(r"([\\`*_\[\]()!|<>#~])")


def plain(text: str, cell: bool = False) -> str:
    """`text` shown as itself in Markdown (no image a browser would fetch, no HTML, no hidden link target); in a table
    `cell`, also on one line."""
    escaped = _MARKUP.sub(r"\\\1", str(text))
    return " ".join(escaped.split()) if cell else escaped
