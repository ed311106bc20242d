"""One home for every limit. The engine enforces them; the UI only mirrors them in its controls."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BRIEF_CHARS = 2_000
MAX_MESSAGE_CHARS = 1_000  # a correction, a reason for a pick or a rejection
MAX_TITLE_CHARS = 120
MAX_OWNER_CHARS = 128
MAX_QUESTION_CHARS = 300
MAX_CHECKLIST_ITEMS, MAX_ITEM_CHARS = 12, 200
MAX_PREFERENCES = 24
MAX_AUTO_ROUNDS = 10
MAX_DIRECTIONS = 6  # 'Inspire me': the refiner proposes at most this many (pipelines.checklist agrees; tested)

MIN_CANDIDATES, MAX_CANDIDATES = 1, 8
MIN_STEPS, MAX_STEPS = 1, 50
MIN_SIZE, SIZE_MULTIPLE = 64, 64  # the upper bound is the preset's max_size
MIN_GUIDANCE, MAX_GUIDANCE = 0.0, 20.0
MAX_SEED = 2**32 - 1
MIN_STRENGTH, MAX_STRENGTH = 0.05, 1.0

MAX_UPLOAD_BYTES = 10 * 2**20
MAX_UPLOAD_PIXELS = 4096 * 4096  # larger is a decompression bomb, or at least not a reference image

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
OWNER_ID = re.compile(r"^[\w.@+-]{1,%d}$" % MAX_OWNER_CHARS)

# API keys for scripts (studio/core/keys.py): "dc_" and secrets.token_urlsafe(32), 43 characters of [A-Za-z0-9_-].
MAX_API_KEYS = 20  # unrevoked keys one designer may hold
MAX_REVOKED_KEYS_KEPT = 20  # revoked keys stay listed, the newest this many (older ones go at a revoke)
MAX_KEY_LABEL_CHARS = 60
KEY_PREFIX_CHARS = 8  # how much of a key its list shows ("dc_" and five of its characters)
KEY_USE_RESOLUTION_S = 60  # a key's last use is written at most this often: a busy script is not a write per call
API_KEY_CHARS = 46
API_KEY = re.compile(r"dc_[A-Za-z0-9_-]{43}")
KEY_ID = re.compile(r"[0-9a-f]{12}")

# Review links for a client (studio/core/reviews.py): the token is secrets.token_urlsafe(32), 43 characters.
REVIEW_DAYS, MIN_REVIEW_DAYS, MAX_REVIEW_DAYS = 14, 1, 90  # how long a link works, as the designer chooses
MAX_REVIEW_LINKS = 20  # links of one session that still work (unrevoked, unexpired)
MAX_REVIEW_NOTES = 200  # notes one link may bring: a flood stops there
MAX_REVIEW_COMMENT_CHARS, MAX_REVIEW_NAME_CHARS = 500, 60
REVIEW_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
REVIEW_LINK_ID = re.compile(r"[0-9a-f]{12}")
REVIEW_CLIENT = re.compile(r"[A-Za-z0-9_-]{16,64}")  # the random id the review page keeps in the client's cookie

# Search across sessions (studio/services/search.py): a query's length and words, and how many results come back.
MAX_SEARCH_CHARS, MAX_SEARCH_TERMS = 200, 8
SEARCH_RESULTS, MAX_SEARCH_RESULTS = 24, 100
EMBED_BATCH, EMBED_PER_SEARCH = 8, 64  # candidates with no vector yet: embedded this many at a time, at most per search


@dataclass(frozen=True)
class Quotas:
    """What one owner may keep: the host's settings (studio/settings.py), checked by the engine."""

    sessions: int = 500
    images: int = 10_000  # stored candidate images


SHOWN_CHARS = 40  # a refusal quotes at most this much of what it refuses


def shown(value, limit: int = SHOWN_CHARS) -> str:
    """`value` as a refusal quotes it: repr, cut to `limit` characters (a message never repeats a huge input)."""
    try:
        quoted = repr(value)
    except ValueError:  # an int of over 4,300 digits has no repr
        return "a number that large"
    return quoted if len(quoted) <= limit else f"{quoted[:limit]}... ({len(quoted):,} characters)"
